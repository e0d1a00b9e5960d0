"""Writes to registrations. Every change takes the row lock and re-checks the status inside the
transaction, so a counselor's decision and a student's edit can never interleave."""

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
from quxiang.reference.models import DestinationType
from quxiang.reference.selectors import origin_authority_match
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
from quxiang.registrations.selectors import registration_first_open_step, registration_steps
from quxiang.roster.models import Student

ORGANISATION_FIELDS = (
    "org_name", "org_uscc", "org_shanghai_reg_no", "org_nature", "org_industry", "org_region", "org_address",
    "org_postcode", "org_contact_name", "org_contact_phone", "job_category", "signed_on", "abroad_country",
    "abroad_name_original", "programme", "programme_original",
)
ARCHIVE_FIELDS = (
    "origin_authority_name", "archive_destination", "archive_unit", "archive_address", "archive_postcode",
    "archive_contact", "archive_phone",
)


class RegistrationStateError(Exception):
    """The record is not in a state that allows this action. The message is for the user."""


@contextmanager
def _locked_editable(registration: Registration) -> Iterator[Registration]:
    with transaction.atomic():
        locked = Registration.objects.select_for_update(of=("self",)).select_related("student", "destination_type").get(
            pk=registration.pk
        )
        if locked.status not in EDITABLE_STATUSES:
            raise RegistrationStateError(_("记录已提交，正在等待辅导员鉴证，暂时不能修改。"))
        yield locked


def registration_start(*, student: Student, actor: User) -> Registration:
    """Return the student's open record, creating a draft if there is none. Safe against double clicks:
    the database allows one open record per student, and the loser of a race reads the winner's."""
    existing = Registration.objects.filter(student=student, status__in=OPEN_STATUSES).first()
    if existing:
        return existing
    if Registration.objects.filter(student=student, status=Status.VERIFIED).exists():
        raise RegistrationStateError(_("您的去向已鉴证。如需变更，请点击“申请变更（改派）”。"))
    try:
        with transaction.atomic():
            version = (Registration.objects.filter(student=student).aggregate(v=Max("version"))["v"] or 0) + 1
            registration = Registration.objects.create(student=student, version=version)
            RegistrationEvent.objects.create(registration=registration, kind=EventKind.CREATE, actor=actor)
            return registration
    except IntegrityError:
        return Registration.objects.get(student=student, status__in=OPEN_STATUSES)


def registration_set_type(*, registration: Registration, destination_type: DestinationType) -> Registration:
    with _locked_editable(registration) as reg:
        old = reg.destination_type
        implied = destination_type.implied_nature_id
        if old is not None and old.pk != destination_type.pk:
            # Details typed for one kind of organisation do not prove another kind: look at them again.
            if old.org_kind != destination_type.org_kind or (implied and reg.org_nature_id != implied):
                reg.organisation_done = False
        if implied:
            reg.org_nature_id = implied
        reg.destination_type = destination_type
        reg.pending_input.pop(Step.TYPE, None)
        reg.save()
        return reg


def registration_save_organisation(*, registration: Registration, data: dict[str, Any]) -> Registration:
    """Store the validated organisation step (cleaned data of OrganisationForm)."""
    with _locked_editable(registration) as reg:
        # Fields the current kind of organisation does not have are cleared: an employer's contact must
        # not survive a switch to 考研 and end up in the export.
        for field in ORGANISATION_FIELDS:
            value = data.get(field)
            setattr(reg, field, value if value not in (None, "") else _empty(reg, field))
        reg.organisation_done = True
        reg.pending_input.pop(Step.ORGANISATION, None)
        reg.save()
        return reg


def registration_save_archive(*, registration: Registration, data: dict[str, Any]) -> Registration:
    with _locked_editable(registration) as reg:
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
    """与签约单位相同: the archive goes to the employer."""
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
        reg = Registration.objects.select_for_update(of=("self",)).select_related("student", "destination_type").get(
            pk=registration.pk
        )
        if reg.status == Status.SUBMITTED:
            return False
        if reg.status not in EDITABLE_STATUSES:
            raise RegistrationStateError(_("该记录当前不能提交。"))
        missing = registration_first_open_step(registration=reg)
        if missing != Step.REVIEW:
            raise RegistrationStateError(_("请先完成“%(step)s”再提交。") % {"step": missing.label})
        _clear_unused_steps(reg)
        updated = Registration.objects.filter(pk=reg.pk, status__in=EDITABLE_STATUSES).update(
            status=Status.SUBMITTED, submitted_at=timezone.now(), updated_at=timezone.now(), pending_input={}
        )
        if updated:
            RegistrationEvent.objects.create(registration=reg, kind=EventKind.SUBMIT, actor=actor)
            audit_record(actor=actor, action=AuditAction.SUBMIT, ip=ip, registration=reg)
        return bool(updated)


def _clear_unused_steps(reg: Registration) -> None:
    """What was typed for steps this type does not have (a switch to 待就业, a postgraduate) is not
    part of the submitted record."""
    steps = registration_steps(registration=reg)
    cleared: list[str] = []
    if Step.ORGANISATION not in steps:
        for field in ORGANISATION_FIELDS:
            setattr(reg, field, _empty(reg, field))
        reg.organisation_done = False
        cleared += [*ORGANISATION_FIELDS, "organisation_done"]
    if Step.ARCHIVE not in steps:
        for field in ARCHIVE_FIELDS:
            setattr(reg, field, "")
        reg.archive_done = False
        cleared += [*ARCHIVE_FIELDS, "archive_done"]
    if cleared:
        reg.save(update_fields=[*cleared, "updated_at"])
    if Step.EVIDENCE not in steps:
        for evidence in reg.evidence_files.all():
            name, storage = evidence.file.name, evidence.file.storage
            evidence.delete()
            transaction.on_commit(lambda n=name, st=storage: st.delete(n))
