"""Staff decisions on records (鉴证 / 退回). Each decision locks the row and re-checks its status, so of two
staff acting at once exactly one decision takes effect. The student's own actions (withdraw, change
request) live in quxiang/registrations/changes.py."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from quxiang.accounts.models import User
from quxiang.audit.models import AuditAction
from quxiang.audit.services import audit_record
from quxiang.core.notify import notify_decision_on_commit
from quxiang.organisations.services import organisation_upsert_from_registration
from quxiang.registrations.changes import RecordConflict, registration_lock_submitted
from quxiang.registrations.models import EventKind, Registration, RegistrationEvent, Status
from quxiang.registrations.services import RegistrationStateError
from quxiang.registrations.state import student_state_refresh

# Crockford base32 without I, L, O, U: readable on paper, 20 characters ≈ 100 bits, not guessable.
_VERIFICATION_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# What a reviewer meets when the student or another teacher acted first (the one conflict error).
ReviewConflict = RecordConflict


def verification_number_new(*, year: int) -> str:
    body = "".join(secrets.choice(_VERIFICATION_ALPHABET) for _ in range(20))
    return f"QX{year}-{body[:5]}-{body[5:10]}-{body[10:15]}-{body[15:]}"


def registration_verify(*, registration: Registration, actor: User, ip: str | None = None) -> Registration:
    """待鉴证 → 已鉴证: stamps verifier, time and an unguessable verification number; a change request's
    earlier verified version becomes 已变更; the organisation enters the school's directory."""
    with transaction.atomic():
        reg = registration_lock_submitted(registration=registration)
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
            raise RecordConflict(_("该记录已被其他老师处理，请刷新后查看。"))
        reg.refresh_from_db()
        student_state_refresh(student_id=reg.student_id)
        RegistrationEvent.objects.create(registration=reg, kind=EventKind.VERIFY, actor=actor)
        audit_record(actor=actor, action=AuditAction.VERIFY, ip=ip, registration=reg,
                     detail={"verification_no": reg.verification_no})
        organisation_upsert_from_registration(registration=reg)
        notify_decision_on_commit(registration_id=reg.pk)  # after COMMIT; a failure never undoes this
        return reg


def registration_return(*, registration: Registration, actor: User, reason: str, ip: str | None = None) -> Registration:
    """待鉴证 → 已退回 with a reason the student sees on their status page."""
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise RegistrationStateError(_("请填写退回原因，学生会在登记页面看到它。"))
    with transaction.atomic():
        reg = registration_lock_submitted(registration=registration)
        if not Registration.objects.filter(pk=reg.pk, status=Status.SUBMITTED).update(
            status=Status.RETURNED, return_reason=reason[:1000], updated_at=timezone.now()
        ):
            raise RecordConflict(_("该记录已被其他老师处理，请刷新后查看。"))
        reg.refresh_from_db()
        student_state_refresh(student_id=reg.student_id)
        RegistrationEvent.objects.create(registration=reg, kind=EventKind.RETURN, actor=actor, note=reg.return_reason)
        audit_record(actor=actor, action=AuditAction.RETURN, ip=ip, registration=reg, detail={"reason": reg.return_reason})
        notify_decision_on_commit(registration_id=reg.pk)
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
