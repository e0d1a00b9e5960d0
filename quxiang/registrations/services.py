"""Writes to registrations. Every change takes the row lock and re-checks the status inside the
transaction, so a counselor's decision and a student's edit can never interleave. What belongs to which
type comes from rules.py; which step may be saved, from steps.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from quxiang.accounts.models import User
from quxiang.audit.models import AuditAction
from quxiang.audit.services import audit_record
from quxiang.evidence.services import evidence_delete
from quxiang.reference.models import DestinationType, OrgKind
from quxiang.reference.selectors import origin_authority_match
from quxiang.registrations.errors import (
    RegistrationNotEditable,
    RegistrationStateError,
    StepInputRefused,
)
from quxiang.registrations.models import (
    EDITABLE_STATUSES,
    OPEN_STATUSES,
    ArchiveDestination,
    EventKind,
    Registration,
    RegistrationEvent,
    Status,
    Step,
)
from quxiang.registrations.rules import (
    ARCHIVE_FIELDS,
    ARCHIVE_RECEIVER_FIELDS,
    ARCHIVE_TO_EMPLOYER_ONLY,
    ORGANISATION_FIELDS,
    evidence_accepts,
    evidence_kind,
    evidence_needed,
    implied_nature_message,
    organisation_fields,
)
from quxiang.registrations.selectors import (
    registration_get_open_for_step,
    registration_lock,
    registration_steps,
)
from quxiang.registrations.state import student_state_refresh
from quxiang.registrations.steps import registration_step_check
from quxiang.roster.models import Student

__all__ = ["ARCHIVE_FIELDS", "ORGANISATION_FIELDS", "RegistrationStateError"]  # imported from here by other apps


@contextmanager
def _locked_editable(registration: Registration) -> Iterator[Registration]:
    with transaction.atomic():
        locked = registration_lock(registration=registration)
        if locked.status not in EDITABLE_STATUSES:
            raise RegistrationNotEditable()
        yield locked


def registration_start(*, student: Student, actor: User) -> Registration:
    """Return the student's open record, creating a draft if there is none. Safe against double clicks:
    the database allows one open record per student, and the loser of a race reads the winner's."""
    existing = registration_get_open_for_step(student=student)
    if existing:
        return existing
    if Registration.objects.filter(student=student, status=Status.VERIFIED).exists():
        raise RegistrationStateError(_("您的去向已鉴证。如需变更，请点击“申请变更（改派）”。"))
    try:
        with transaction.atomic():
            version = (Registration.objects.filter(student=student).aggregate(v=Max("version"))["v"] or 0) + 1
            registration = Registration.objects.create(student=student, version=version)
            RegistrationEvent.objects.create(registration=registration, kind=EventKind.CREATE, actor=actor)
            student_state_refresh(student_id=student.pk)
            return registration
    except IntegrityError:
        return Registration.objects.get(student=student, status__in=OPEN_STATUSES)


def registration_set_type(*, registration: Registration, destination_type: DestinationType) -> Registration:
    """Choose (or change) the type. A change clears what belongs to the old type only: organisation fields
    of another kind, an archive sent to an employer the type no longer has, evidence the new type does not
    accept (deleted); steps to look at again lose their done flag. The returned record's ``notices`` tell
    the student, in Chinese, what was removed and what to confirm again."""
    with _locked_editable(registration) as reg:
        old = reg.destination_type
        notices: list[str] = []
        if old is not None and old.pk != destination_type.pk:
            notices = _leave_type(reg, old=old, new=destination_type)
        elif old is None and destination_type.implied_nature_id:
            reg.org_nature_id = destination_type.implied_nature_id  # a prefill; the student confirms it
        reg.destination_type = destination_type
        reg.pending_input.pop(Step.TYPE, None)
        reg.save()
        reg.notices = tuple(notices)
        return reg


def _has_organisation(reg: Registration) -> bool:
    return reg.organisation_done or any(getattr(reg, f) not in (None, "") for f in ORGANISATION_FIELDS)


def _leave_type(reg: Registration, *, old: DestinationType, new: DestinationType) -> list[str]:
    notices: list[str] = []
    name = new.name
    organisation_redo = False
    if old.org_kind != new.org_kind:
        # An employer's name is not a school's name, a signing date is not an offer date: start again.
        if _has_organisation(reg) and new.needs_organisation:
            notices.append(_("去向类型已改为“%(type)s”，原填写的单位信息已清除，请重新填写“%(step)s”。")
                           % {"type": name, "step": Step.ORGANISATION.label})
        elif _has_organisation(reg):
            notices.append(_("“%(type)s”无需填写单位信息，原填写的单位信息已清除。") % {"type": name})
        for field in ORGANISATION_FIELDS:
            setattr(reg, field, _empty(reg, field))
        reg.organisation_done = False
        reg.pending_input.pop(Step.ORGANISATION, None)
    else:
        # Same kind of organisation: the details stay, but a nature fixed by one type is not another's.
        nature = new.implied_nature_id or (None if reg.org_nature_id == old.implied_nature_id else reg.org_nature_id)
        if nature != reg.org_nature_id:
            reg.org_nature_id = nature
            if reg.organisation_done:
                reg.organisation_done = False
                organisation_redo = True
                notices.append(_("“%(type)s”的单位性质与原去向不同，请重新确认“%(step)s”。")
                               % {"type": name, "step": Step.ORGANISATION.label})
    notices += _leave_archive(reg, new=new, kind_changed=old.org_kind != new.org_kind,
                              organisation_redo=organisation_redo)
    notices += _leave_evidence(reg, old=old, new=new)
    return notices


def _leave_archive(
    reg: Registration, *, new: DestinationType, kind_changed: bool, organisation_redo: bool
) -> list[str]:
    reg.destination_type = new  # registration_steps reads it
    has_step = Step.ARCHIVE in registration_steps(registration=reg)
    to_employer = reg.archive_destination == ArchiveDestination.EMPLOYER
    if not has_step:
        clear = ARCHIVE_FIELDS
    elif to_employer and new.org_kind != OrgKind.EMPLOYER:
        clear = ARCHIVE_RECEIVER_FIELDS
    else:
        clear = ()
    # Where the archive goes depends on where the student goes; a copy of the employer follows the employer.
    redo = bool(clear) or kind_changed or (organisation_redo and to_employer)
    was_done = reg.archive_done
    for field in clear:
        setattr(reg, field, "")
    if clear:
        reg.pending_input.pop(Step.ARCHIVE, None)
    if not redo or not was_done:
        return []
    reg.archive_done = False
    if not has_step:
        return [_("“%(type)s”无需填写档案信息，原填写的档案信息已清除。") % {"type": new.name}]
    return [_("去向类型已改变，请重新确认“%(step)s”。") % {"step": Step.ARCHIVE.label}]


def _leave_evidence(reg: Registration, *, old: DestinationType, new: DestinationType) -> list[str]:
    kept, unfit = [], []
    for evidence in list(reg.evidence_files.all()):
        kind = evidence.kind or evidence_kind(destination_type=old)  # older files: what the old type asked for
        if evidence_accepts(destination_type=new, kind=kind):
            if evidence.kind != kind:
                evidence.kind = kind
                evidence.save(update_fields=["kind"])
            kept.append(evidence.original_name)
        else:
            unfit.append(evidence)
    removed = evidence_delete(files=unfit)
    notices = []
    if removed and new.needs_evidence:
        notices.append(_("“%(files)s”不能作为“%(type)s”的佐证材料，已删除。请上传：%(needed)s。") % {
            "files": "、".join(removed), "type": new.name, "needed": evidence_needed(destination_type=new)})
    elif removed:
        notices.append(_("“%(type)s”无需佐证材料，已删除原上传的“%(files)s”。") % {
            "type": new.name, "files": "、".join(removed)})
    if kept:
        notices.append(_("已保留佐证材料“%(files)s”，请确认它适用于“%(type)s”（应上传：%(needed)s）。") % {
            "files": "、".join(kept), "type": new.name, "needed": evidence_needed(destination_type=new)})
    return notices


def registration_save_organisation(*, registration: Registration, data: dict[str, Any]) -> Registration:
    """Store the validated organisation step (cleaned data of OrganisationForm). Only the fields of the
    type's kind are kept, and a type with a fixed 单位性质 takes no other (StepInputRefused)."""
    with _locked_editable(registration) as reg:
        registration_step_check(registration=reg, step=Step.ORGANISATION)
        dtype = reg.destination_type
        nature = data.get("org_nature")
        if dtype.implied_nature_id and getattr(nature, "pk", nature) != dtype.implied_nature_id:
            message = implied_nature_message(destination_type=dtype)
            raise StepInputRefused(message, fields={"org_nature": [message]})
        # Fields the current kind of organisation does not have are cleared: an employer's contact must
        # not survive a switch to 考研 and end up in the export.
        allowed = organisation_fields(org_kind=dtype.org_kind)
        for field in ORGANISATION_FIELDS:
            value = data.get(field) if field in allowed else None
            setattr(reg, field, value if value not in (None, "") else _empty(reg, field))
        reg.organisation_done = True
        reg.pending_input.pop(Step.ORGANISATION, None)
        reg.save()
        return reg


def registration_save_archive(*, registration: Registration, data: dict[str, Any]) -> Registration:
    with _locked_editable(registration) as reg:
        registration_step_check(registration=reg, step=Step.ARCHIVE)
        if data.get("archive_destination") == ArchiveDestination.EMPLOYER and (
            reg.destination_type.org_kind != OrgKind.EMPLOYER
        ):
            raise StepInputRefused(str(ARCHIVE_TO_EMPLOYER_ONLY),
                                   fields={"archive_destination": [str(ARCHIVE_TO_EMPLOYER_ONLY)]})
        for field in ARCHIVE_FIELDS:
            if field in data:
                setattr(reg, field, data[field] or "")
        reg.archive_done = True
        reg.pending_input.pop(Step.ARCHIVE, None)
        reg.save()
        return reg


def registration_keep_input(*, registration: Registration, step: Step, raw: dict[str, str]) -> None:
    """Keep what was typed on a step that was left unfinished, so nothing is lost."""
    # NUL cannot be stored in PostgreSQL text or JSON, and nobody types it on purpose.
    clean = {str(k)[:60]: str(v).replace("\x00", "")[:1000] for k, v in list(raw.items())[:60]}
    with _locked_editable(registration) as reg:
        reg.pending_input[step] = clean
        reg.save(update_fields=["pending_input", "updated_at"])


def _empty(reg: Registration, field: str):
    return None if reg._meta.get_field(field).null else ""


def archive_match_authority(*, registration: Registration) -> dict[str, str]:
    """匹配: the 生源地主管单位 and its receiving details for the student's place of origin."""
    authority = origin_authority_match(region_code=registration.student.origin_region_id)
    if authority is None:
        return {}
    return {
        "origin_authority_name": authority.name,
        "archive_destination": ArchiveDestination.ORIGIN,
        "archive_unit": authority.archive_unit,
        "archive_address": authority.address,
        "archive_postcode": authority.postcode,
        "archive_contact": authority.contact,
        "archive_phone": authority.phone,
    }


def archive_copy_organisation(*, registration: Registration) -> dict[str, str]:
    """与签约单位相同: the archive goes to the employer (only a type with an employer has one)."""
    if registration.destination_type is None or registration.destination_type.org_kind != OrgKind.EMPLOYER:
        raise StepInputRefused(str(ARCHIVE_TO_EMPLOYER_ONLY),
                               fields={"archive_destination": [str(ARCHIVE_TO_EMPLOYER_ONLY)]})
    return {
        "archive_destination": ArchiveDestination.EMPLOYER,
        "archive_unit": registration.org_name,
        "archive_address": registration.org_address,
        "archive_postcode": registration.org_postcode,
        "archive_contact": registration.org_contact_name,
        "archive_phone": registration.org_contact_phone,
    }


def registration_submit(*, registration: Registration, actor: User, ip: str | None = None) -> bool:
    """草稿/已退回 → 待鉴证. Returns False when it was already submitted (a double click or a second
    tab): the conditional update lets exactly one request through."""
    with transaction.atomic():
        reg = registration_lock(registration=registration)
        if reg.status == Status.SUBMITTED:
            return False
        if reg.status not in EDITABLE_STATUSES:
            raise RegistrationStateError(_("该记录当前不能提交。"))
        registration_step_check(registration=reg, step=Step.REVIEW)  # StepNotReady names the open step
        _clear_unused_steps(reg)
        updated = Registration.objects.filter(pk=reg.pk, status__in=EDITABLE_STATUSES).update(
            status=Status.SUBMITTED, submitted_at=timezone.now(), updated_at=timezone.now(), pending_input={}
        )
        if updated:
            RegistrationEvent.objects.create(registration=reg, kind=EventKind.SUBMIT, actor=actor)
            audit_record(actor=actor, action=AuditAction.SUBMIT, ip=ip, registration=reg)
            student_state_refresh(student_id=reg.student_id)
        return bool(updated)


def _clear_unused_steps(reg: Registration) -> None:
    """What was typed for steps this type does not have (a switch to 待就业, a postgraduate), or for another
    kind of organisation, is not part of the submitted record."""
    steps = registration_steps(registration=reg)
    allowed = organisation_fields(org_kind=reg.destination_type.org_kind) if Step.ORGANISATION in steps else ()
    cleared = [f for f in ORGANISATION_FIELDS if f not in allowed and getattr(reg, f) not in (None, "")]
    for field in cleared:
        setattr(reg, field, _empty(reg, field))
    if Step.ORGANISATION not in steps and reg.organisation_done:
        reg.organisation_done = False
        cleared.append("organisation_done")
    if Step.ARCHIVE not in steps:
        for field in ARCHIVE_FIELDS:
            setattr(reg, field, "")
        reg.archive_done = False
        cleared += [*ARCHIVE_FIELDS, "archive_done"]
    if cleared:
        reg.save(update_fields=[*cleared, "updated_at"])
    if Step.EVIDENCE not in steps:
        evidence_delete(files=reg.evidence_files.all())
