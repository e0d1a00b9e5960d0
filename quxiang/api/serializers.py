"""Model → plain dicts matching quxiang/api/schemas.py. Every response body the API builds comes from here."""

from __future__ import annotations

from collections.abc import Iterable

from quxiang.evidence.models import EvidenceFile
from quxiang.reference.models import Country, DestinationType
from quxiang.registrations import selectors
from quxiang.registrations.models import Registration
from quxiang.registrations.rules import ARCHIVE_FIELDS, ORGANISATION_FIELDS, signed_on_label
from quxiang.registrations.selectors import OrganisationPrefill
from quxiang.roster.models import Student

_FK_FIELDS = {"org_nature", "org_industry", "org_region", "job_category", "abroad_country"}


def student_out(s: Student) -> dict:
    return {
        "student_number": s.student_number, "name": s.name, "gender": s.gender,
        "national_id_masked": s.masked_national_id, "education_level": s.education_level,
        "education_level_display": s.get_education_level_display(), "college": s.college.name, "major": s.major.name,
        "school_class": s.school_class.name, "origin_region_code": s.origin_region_id,
        "origin_region_name": s.origin_region.full_name, "graduation_year": s.graduation_year,
        "needs_archive_step": s.is_undergraduate, "must_change_password": s.user.must_change_password,
    }


def organisation_prefill_out(prefill: OrganisationPrefill) -> dict:
    """检索匹配 as the mini-program fills its form: the fields of the student's type (the 单位性质 the type
    fixes, not the directory's); fields the type's form does not have are empty."""
    fields = prefill.fields
    region = prefill.organisation.region if fields.get("org_region") else None
    return {
        "uscc": prefill.organisation.uscc, "name": fields.get("org_name", prefill.organisation.name),
        "shanghai_reg_no": fields.get("org_shanghai_reg_no", ""), "nature": fields.get("org_nature"),
        "industry": fields.get("org_industry"), "region": fields.get("org_region"),
        "region_name": region.full_name if region else None, "address": fields.get("org_address", ""),
        "postcode": fields.get("org_postcode", ""), "contact_name": fields.get("org_contact_name", ""),
        "contact_phone": fields.get("org_contact_phone", ""), "notices": list(prefill.notices),
    }


def evidence_out(f: EvidenceFile) -> dict:
    return {"id": f.pk, "name": f.original_name, "content_type": f.content_type, "size": f.size,
            "uploaded_at": f.uploaded_at}


def _value(reg: Registration, field: str):
    if field in _FK_FIELDS:
        return getattr(reg, f"{field}_id")
    value = getattr(reg, field)
    return value if value != "" else None


def registration_out(reg: Registration, *, notices: Iterable[str] = ()) -> dict:
    """``notices``: what the request changed that the student must be told (a type change's removals)."""
    steps = selectors.registration_steps(registration=reg)
    dtype = reg.destination_type
    return {
        "id": reg.pk, "version": reg.version, "status": reg.status, "status_display": reg.get_status_display(),
        "destination_type": reg.destination_type_id, "destination_type_name": str(dtype) if dtype else None,
        "category_code": dtype.category_id if dtype else None,
        "steps": [s.value for s in steps],
        "done_steps": [s.value for s in steps if selectors.registration_step_done(registration=reg, step=s)],
        "next_step": selectors.registration_first_open_step(registration=reg).value,
        "organisation": {f: _value(reg, f) for f in ORGANISATION_FIELDS},
        "archive": {f: _value(reg, f) for f in ARCHIVE_FIELDS},
        "evidence": [evidence_out(f) for f in reg.evidence_files.all()],
        "signed_on_label": signed_on_label(org_kind=dtype.org_kind if dtype else None),
        "submit_guidance": reg.submit_guidance,
        "notices": list(notices),
        "return_reason": reg.return_reason, "submitted_at": reg.submitted_at, "verified_at": reg.verified_at,
        "verification_no": reg.verification_no,
        "changed_from_version": reg.changed_from.version if reg.changed_from_id else None,
        "events": [{"kind": e.kind, "kind_display": e.get_kind_display(), "at": e.at, "note": e.note}
                   for e in reg.events.all()],
    }


def submit_out(reg: Registration, *, submitted: bool, message: str) -> dict:
    return {"submitted": submitted, "already_submitted": not submitted, "message": message,
            "registration": registration_out(reg)}


def version_out(reg: Registration) -> dict:
    return {"id": reg.pk, "version": reg.version, "status": reg.status, "status_display": reg.get_status_display(),
            "destination_type_name": str(reg.destination_type) if reg.destination_type else None,
            "submitted_at": reg.submitted_at, "verified_at": reg.verified_at}


def destination_leaf_out(t: DestinationType) -> dict:
    return {"key": t.key, "name": t.name, "category_code": t.category_id,
            "category_name": t.category.name if t.category else None, "explanation": t.explanation,
            "evidence_hint": t.evidence_hint, "org_kind": t.org_kind, "needs_evidence": t.needs_evidence,
            "needs_archive": t.needs_archive}


def destination_group_out(group) -> dict:
    """One group of reference.selectors.destination_groups() with its leaves."""
    return {"key": group.key, "name": group.name, "explanation": group.explanation,
            "leaves": [destination_leaf_out(t) for t in group.leaves]}


def code_name_out(entry) -> dict:
    """A row of a code table (单位性质, 单位行业, 工作职位类别)."""
    return {"code": entry.code, "name": entry.name}


def country_out(c: Country) -> dict:
    return {"code": c.code, "name": c.name_zh, "is_china_region": c.is_china_region}
