"""Staff decisions on records (鉴证 / 退回) and the student's change requests. Each decision locks the
row and re-checks its status, so of two staff acting at once exactly one decision takes effect."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from quxiang.accounts.models import Role, User
from quxiang.audit.models import AuditAction
from quxiang.audit.services import audit_record
from quxiang.organisations.services import organisation_upsert_from_registration
from quxiang.registrations.models import EventKind, Registration, RegistrationEvent, Status
from quxiang.registrations.services import RegistrationStateError
from quxiang.roster.models import Cohort, Student

# Crockford base32 without I, L, O, U: readable on paper, 20 characters ≈ 100 bits, not guessable.
_VERIFICATION_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
COPY_FIELDS = (
    "destination_type", "org_name", "org_uscc", "org_shanghai_reg_no", "org_nature", "org_industry", "org_region",
    "org_address", "org_postcode", "org_contact_name", "org_contact_phone", "job_category", "signed_on",
    "abroad_country", "abroad_name_original", "programme", "programme_original", "origin_authority_name",
    "archive_destination", "archive_unit", "archive_address", "archive_postcode", "archive_contact", "archive_phone",
    "organisation_done", "archive_done",
)


class ReviewConflict(RegistrationStateError):
    """Someone else acted on the record first; the message says so in Chinese."""


def verification_number_new(*, year: int) -> str:
    body = "".join(secrets.choice(_VERIFICATION_ALPHABET) for _ in range(20))
    return f"QX{year}-{body[:5]}-{body[5:10]}-{body[10:15]}-{body[15:]}"


def _lock_submitted(registration: Registration) -> Registration:
    reg = Registration.objects.select_for_update(of=("self",)).select_related("student", "destination_type").get(
        pk=registration.pk
    )
    if reg.status != Status.SUBMITTED:
        raise ReviewConflict(
            _("该记录当前状态为“%(status)s”，可能已被其他老师处理或学生已撤回，请刷新后查看。")
            % {"status": reg.get_status_display()}
        )
    return reg


def registration_verify(*, registration: Registration, actor: User, ip: str | None = None) -> Registration:
    """待鉴证 → 已鉴证: stamps verifier, time and an unguessable verification number; a change request's
    earlier verified version becomes 已变更; the organisation enters the school's directory."""
    with transaction.atomic():
        reg = _lock_submitted(registration)
        now = timezone.now()
        previous = (
            Registration.objects.select_for_update()
            .filter(student_id=reg.student_id, status=Status.VERIFIED)
            .exclude(pk=reg.pk)
            .first()
        )
        if previous is not None:
            Registration.objects.filter(pk=previous.pk).update(status=Status.SUPERSEDED, updated_at=now)
            RegistrationEvent.objects.create(
                registration=previous, kind=EventKind.SUPERSEDE, actor=actor,
                note=_("由第 %(v)d 版取代") % {"v": reg.version},
            )
        updated = Registration.objects.filter(pk=reg.pk, status=Status.SUBMITTED).update(
            status=Status.VERIFIED, verified_at=now, verified_by=actor, updated_at=now, return_reason="",
            verification_no=verification_number_new(year=reg.student.graduation_year),
        )
        if not updated:  # unreachable while the row lock is held; kept as the database-level guard
            raise ReviewConflict(_("该记录已被其他老师处理，请刷新后查看。"))
        reg.refresh_from_db()
        RegistrationEvent.objects.create(registration=reg, kind=EventKind.VERIFY, actor=actor)
        audit_record(actor=actor, action=AuditAction.VERIFY, ip=ip, registration=reg,
                     detail={"verification_no": reg.verification_no})
        organisation_upsert_from_registration(registration=reg)
        return reg


def registration_return(*, registration: Registration, actor: User, reason: str, ip: str | None = None) -> Registration:
    """待鉴证 → 已退回 with a reason the student sees on their status page."""
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise RegistrationStateError(_("请填写退回原因，学生会在登记页面看到它。"))
    with transaction.atomic():
        reg = _lock_submitted(registration)
        if not Registration.objects.filter(pk=reg.pk, status=Status.SUBMITTED).update(
            status=Status.RETURNED, return_reason=reason[:1000], updated_at=timezone.now()
        ):
            raise ReviewConflict(_("该记录已被其他老师处理，请刷新后查看。"))
        reg.refresh_from_db()
        RegistrationEvent.objects.create(registration=reg, kind=EventKind.RETURN, actor=actor, note=reg.return_reason)
        audit_record(actor=actor, action=AuditAction.RETURN, ip=ip, registration=reg, detail={"reason": reg.return_reason})
        return reg


def registration_bulk_verify(
    *, registrations: Iterable[Registration], actor: User, ip: str | None = None
) -> tuple[list[Registration], list[tuple[Registration, str]]]:
    """Verify each selected record in its own transaction; report those that someone else changed."""
    done: list[Registration] = []
    skipped: list[tuple[Registration, str]] = []
    for reg in registrations:
        try:
            done.append(registration_verify(registration=reg, actor=actor, ip=ip))
        except RegistrationStateError as exc:
            skipped.append((reg, str(exc)))
    return done, skipped


def registration_withdraw(*, registration: Registration, actor: User, ip: str | None = None) -> Registration:
    """The student takes a submitted record back to change it (待鉴证 → 草稿), unless a counselor got there first."""
    with transaction.atomic():
        reg = _lock_submitted(registration)
        if not Registration.objects.filter(pk=reg.pk, status=Status.SUBMITTED).update(
            status=Status.DRAFT, updated_at=timezone.now()
        ):
            raise ReviewConflict(_("辅导员已处理该记录，不能撤回。"))
        reg.refresh_from_db()
        RegistrationEvent.objects.create(registration=reg, kind=EventKind.WITHDRAW, actor=actor)
        audit_record(actor=actor, action=AuditAction.WITHDRAW, ip=ip, registration=reg)
        return reg


def cohort_change_deadline(*, year: int) -> dt.date:
    cohort = Cohort.objects.filter(year=year).first()
    return cohort.effective_change_deadline if cohort else dt.date(year, 8, 31)


def registration_change_allowed(*, student: Student, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return today <= cohort_change_deadline(year=student.graduation_year)


def registration_change_start(
    *, student: Student, actor: User, ip: str | None = None, reopen: bool = False
) -> Registration:
    """变更/改派: draft a new version from the verified one, which stays in force until the new one is
    verified. After the deadline only the office can open a change (`reopen`)."""
    if reopen and actor.role not in (Role.OFFICE, Role.ADMIN):
        raise RegistrationStateError(_("只有就业指导中心可以重新开放变更。"))
    if not reopen and not registration_change_allowed(student=student):
        raise RegistrationStateError(
            _("变更截止日期（%(d)s）已过。如确需变更，请联系学院或就业指导中心。")
            % {"d": cohort_change_deadline(year=student.graduation_year).isoformat()}
        )
    with transaction.atomic():
        current = (
            Registration.objects.select_for_update().filter(student=student, status=Status.VERIFIED).first()
        )
        if current is None:
            raise RegistrationStateError(_("只有已鉴证的登记才能申请变更。"))
        open_version = Registration.objects.filter(
            student=student, status__in=[Status.DRAFT, Status.SUBMITTED, Status.RETURNED]
        ).first()
        if open_version is not None:
            return open_version
        version = (Registration.objects.filter(student=student).aggregate(v=Max("version"))["v"] or 0) + 1
        draft = Registration(student=student, version=version, changed_from=current)
        for field in COPY_FIELDS:
            setattr(draft, field, getattr(current, field))
        draft.save()
        RegistrationEvent.objects.create(
            registration=draft, kind=EventKind.CHANGE, actor=actor,
            note=_("由第 %(v)d 版变更") % {"v": current.version},
        )
        audit_record(
            actor=actor, action=AuditAction.REOPEN if reopen else AuditAction.CHANGE, ip=ip, registration=draft,
            detail={"from_version": current.version},
        )
        return draft
