"""Model → plain dicts matching quxiang/api/schemas.py."""

from __future__ import annotations

from quxiang.evidence.models import EvidenceFile
from quxiang.organisations.models import Organisation
from quxiang.registrations import selectors
from quxiang.registrations.models import Registration
from quxiang.registrations.services import ARCHIVE_FIELDS, ORGANISATION_FIELDS
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


def organisation_out(o: Organisation) -> dict:
    return {
        "uscc": o.uscc, "name": o.name, "shanghai_reg_no": o.shanghai_reg_no, "nature": o.nature_id,
        "industry": o.industry_id, "region": o.region_id, "region_name": o.region.full_name if o.region else None,
        "address": o.address, "postcode": o.postcode, "contact_name": o.contact_name,
        "contact_phone": o.contact_phone,
    }


def evidence_out(f: EvidenceFile) -> dict:
    return {"id": f.pk, "name": f.original_name, "content_type": f.content_type, "size": f.size,
            "uploaded_at": f.uploaded_at}


def _value(reg: Registration, field: str):
    if field in _FK_FIELDS:
        return getattr(reg, f"{field}_id")
    value = getattr(reg, field)
    return value if value != "" else None


def registration_out(reg: Registration) -> dict:
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
        "return_reason": reg.return_reason, "submitted_at": reg.submitted_at, "verified_at": reg.verified_at,
        "verification_no": reg.verification_no,
        "changed_from_version": reg.changed_from.version if reg.changed_from_id else None,
        "events": [{"kind": e.kind, "kind_display": e.get_kind_display(), "at": e.at, "note": e.note}
                   for e in reg.events.all()],
    }
