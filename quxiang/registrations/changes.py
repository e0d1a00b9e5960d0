"""The student's own actions on a record: withdraw a submitted one, start (and cancel) a change request
(变更/改派). Staff decisions (鉴证 / 退回) live in quxiang/reviews/services.py and call down to the lock here."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from quxiang.accounts.models import User
from quxiang.audit.models import AuditAction
from quxiang.audit.services import audit_record
from quxiang.core.errors import DomainError
from quxiang.evidence.services import evidence_carry_over, evidence_delete
from quxiang.registrations.models import OPEN_STATUSES, EventKind, Registration, RegistrationEvent, Status
from quxiang.registrations.services import RegistrationStateError
from quxiang.registrations.state import student_state_refresh
from quxiang.roster.models import Cohort, Student

# What a change request starts from: the verified version's answers, so the student edits what changed.
COPY_FIELDS = (
    "destination_type", "org_name", "org_uscc", "org_shanghai_reg_no", "org_nature", "org_industry", "org_region",
    "org_address", "org_postcode", "org_contact_name", "org_contact_phone", "job_category", "signed_on",
    "abroad_country", "abroad_name_original", "programme", "programme_original", "origin_authority_name",
    "archive_destination", "archive_unit", "archive_address", "archive_postcode", "archive_contact", "archive_phone",
    "organisation_done", "archive_done",
)


class RecordConflict(RegistrationStateError):
    """Someone else acted on the record first; the message says so in Chinese."""


class ChangeCancelRefused(RegistrationStateError, DomainError):
    """A change request that cannot be cancelled (none open, or already 待鉴证); coded for the API."""


def registration_lock_submitted(*, registration: Registration) -> Registration:
    """Lock the row and insist it is still 待鉴证 (a decision of staff or the student's withdraw)."""
    reg = Registration.objects.select_for_update(of=("self",)).select_related("student", "destination_type").get(
        pk=registration.pk
    )
    if reg.status != Status.SUBMITTED:
        raise RecordConflict(
            _("该记录当前状态为“%(status)s”，可能已被其他老师处理或学生已撤回，请刷新后查看。")
            % {"status": reg.get_status_display()}
        )
    return reg


def registration_withdraw(*, registration: Registration, actor: User, ip: str | None = None) -> Registration:
    """The student takes a submitted record back to change it (待鉴证 → 草稿), unless a counselor got there first."""
    with transaction.atomic():
        reg = registration_lock_submitted(registration=registration)
        if not Registration.objects.filter(pk=reg.pk, status=Status.SUBMITTED).update(
            status=Status.DRAFT, updated_at=timezone.now()
        ):
            raise RecordConflict(_("辅导员已处理该记录，不能撤回。"))
        reg.refresh_from_db()
        RegistrationEvent.objects.create(registration=reg, kind=EventKind.WITHDRAW, actor=actor)
        audit_record(actor=actor, action=AuditAction.WITHDRAW, ip=ip, registration=reg)
        student_state_refresh(student_id=reg.student_id)
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
    if reopen and not actor.is_office:
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
        student_state_refresh(student_id=student.pk)
        # Last, as it writes files: the student removes what no longer fits instead of uploading it all again.
        evidence_carry_over(source=current, target=draft)
        return draft


def registration_change_cancel(*, student: Student, actor: User, ip: str | None = None) -> Registration:
    """撤销变更申请: delete the change draft (草稿 or 已退回) with its evidence; the verified version, which
    stayed in force all along, is the current record again and is returned. A change already 待鉴证 must
    be withdrawn first (撤回修改), so a counselor never loses a record from the queue mid-review."""
    with transaction.atomic():
        draft = (
            Registration.objects.select_for_update().filter(student=student, status__in=OPEN_STATUSES).first()
        )
        if draft is None or draft.changed_from_id is None:
            raise ChangeCancelRefused(_("您没有进行中的变更申请。"), code="no_change_request", http_status=404)
        if draft.status == Status.SUBMITTED:
            raise ChangeCancelRefused(
                _("变更申请已提交，正在等待辅导员鉴证。如需撤销，请先“撤回修改”，再撤销变更申请。"),
                code="change_submitted",
            )
        current = Registration.objects.select_for_update().get(pk=draft.changed_from_id)
        removed = evidence_delete(files=draft.evidence_files.all())
        version = draft.version
        draft.delete()
        student_state_refresh(student_id=student.pk)
        audit_record(
            actor=actor, action=AuditAction.CHANGE_CANCEL, ip=ip, registration=current,
            detail={"cancelled_version": version, "files_removed": len(removed)},
        )
        return current
