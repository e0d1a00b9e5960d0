"""Sampling for verification calls (抽查回访) and the follow-up of a mismatch.

Design of "a mismatch is sent back to the counselor": the office records the call as 情况不符 with a note,
then 退回辅导员核实 creates a FollowUp. It is listed on `integrity:follow_ups` for every staff member whose
scope holds the record (the class counselors, the college officer, the office), the counselors get an
email when they have an address, and one of them closes it with what they found. The verified record
itself stays in force (it is what was reported); when the office already knows it must change, it ticks
"同时为学生开放变更", which drafts a new version through `registration_change_start(reopen=True)` — the
same path as the office's reopen button — so the student corrects it and it goes through 鉴证 again.
Every draw, call outcome, send-back and resolution is written to the audit log."""

from __future__ import annotations

import math
import random
import secrets
from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from quxiang.accounts.models import User
from quxiang.audit.models import AuditAction
from quxiang.audit.services import audit_record
from quxiang.integrity.models import FollowUp, FollowUpStatus, Outcome, SampleItem, SampleRun
from quxiang.registrations.changes import registration_change_start
from quxiang.registrations.models import Registration, Status


class IntegrityRefused(ValueError):
    """A request the integrity services refuse; the message is Chinese and shown to the user."""


SEED_MAX = 10**12 - 1


def sample_seed_new() -> int:
    """Six digits: easy to read aloud and write in the minutes of a check."""
    return 100_000 + secrets.randbelow(900_000)


def sample_plan(
    *, seed: int, percentage: int, year: int | None = None, placed_only: bool = True
) -> dict[int, list[int]]:
    """college id → sampled registration ids. Pure function of (seed, percentage, year, placed_only, the
    verified records): each college draws from its own generator seeded with "seed:college code", over its record
    ids in ascending order, so the same seed over the same data gives the same sample, and a change in one
    college does not move another college's sample. At least one record per college with any."""
    if not 1 <= percentage <= 100:
        raise IntegrityRefused(_("抽样比例应在 1% 到 100% 之间。"))
    verified = Registration.objects.filter(status=Status.VERIFIED)
    if year:
        verified = verified.filter(student__graduation_year=year)
    if placed_only:
        verified = verified.filter(destination_type__category__is_placed=True)
    by_college: dict[tuple[int, str], list[int]] = defaultdict(list)
    for college_id, code, pk in verified.order_by("pk").values_list(
        "student__college_id", "student__college__code", "pk"
    ):
        by_college[(college_id, code)].append(pk)
    plan: dict[int, list[int]] = {}
    for (college_id, code), ids in sorted(by_college.items(), key=lambda kv: kv[0][1]):
        size = max(1, math.ceil(len(ids) * percentage / 100))
        rng = random.Random(f"{seed}:{code}")
        plan[college_id] = sorted(rng.sample(ids, size))
    return plan


def sample_run_draw(
    *, actor: User, percentage: int, seed: int | None = None, year: int | None = None, placed_only: bool = True,
    ip: str | None = None,
) -> SampleRun:
    if seed is None:
        seed = sample_seed_new()
    if not 0 <= seed <= SEED_MAX:
        raise IntegrityRefused(_("随机种子应为 0 到 999999999999 之间的整数。"))
    plan = sample_plan(seed=seed, percentage=percentage, year=year, placed_only=placed_only)
    if not plan:
        raise IntegrityRefused(_("没有可抽查的已鉴证记录。"))
    with transaction.atomic():
        run = SampleRun.objects.create(seed=seed, percentage=percentage, graduation_year=year,
                                       placed_only=placed_only, created_by=actor)
        SampleItem.objects.bulk_create(
            SampleItem(run=run, registration_id=pk, college_id=college_id)
            for college_id, ids in plan.items()
            for pk in ids
        )
        audit_record(actor=actor, action=AuditAction.SAMPLE_DRAW, ip=ip, detail={
            "run": run.pk, "seed": seed, "percentage": percentage, "year": year, "placed_only": placed_only,
            "sampled": sum(len(ids) for ids in plan.values()),
        })
    return run


def sample_item_record(
    *, item: SampleItem, outcome: str, note: str, actor: User, ip: str | None = None
) -> SampleItem:
    """Record the result of a call. A later call may change it; each one is audited."""
    note = (note or "").strip()
    if outcome not in (Outcome.CONFIRMED, Outcome.MISMATCH, Outcome.UNREACHABLE):
        raise IntegrityRefused(_("请选择回访结果。"))
    if outcome == Outcome.MISMATCH and len(note) < 2:
        raise IntegrityRefused(_("情况不符时请写明哪里不符，辅导员核实时会看到。"))
    with transaction.atomic():
        locked = SampleItem.objects.select_for_update().get(pk=item.pk)
        previous = locked.outcome
        locked.outcome, locked.note = outcome, note[:2000]
        locked.called_by, locked.called_at = actor, timezone.now()
        locked.save(update_fields=["outcome", "note", "called_by", "called_at"])
        registration = Registration.objects.select_related("student").get(pk=locked.registration_id)
        audit_record(actor=actor, action=AuditAction.SAMPLE_CALL, ip=ip, registration=registration, detail={
            "run": locked.run_id, "outcome": outcome, "previous": previous, "note": locked.note,
        })
    return locked


def _notify_counselors(*, registration: Registration, note: str) -> None:
    student = registration.student
    emails = [u.email for u in student.school_class.counselors.filter(is_active=True) if u.email]
    if not emails:
        return
    body = _("%(student)s（%(number)s）的毕业去向登记在抽查回访中发现情况不符，请登录系统“核查待办”核实处理。\n\n"
             "就业指导中心说明：%(note)s") % {"student": student.name, "number": student.student_number, "note": note}
    subject = f"[{settings.QUXIANG['SCHOOL_NAME']}] " + _("抽查回访：请核实毕业去向登记")
    transaction.on_commit(lambda: send_mail(subject, body, None, emails, fail_silently=True))


def sample_item_send_back(
    *, item: SampleItem, actor: User, note: str, reopen: bool = False, ip: str | None = None
) -> FollowUp:
    """退回辅导员核实: a mismatch becomes a follow-up the record's counselors see in their scope."""
    note = (note or "").strip()
    if len(note) < 2:
        raise IntegrityRefused(_("请写明需要辅导员核实的内容。"))
    if not actor.is_office:
        raise IntegrityRefused(_("只有就业指导中心可以发起核实。"))
    with transaction.atomic():
        locked = SampleItem.objects.select_for_update().get(pk=item.pk)
        if locked.outcome != Outcome.MISMATCH:
            raise IntegrityRefused(_("只有回访结果为“情况不符”的记录可以退回辅导员核实。"))
        if FollowUp.objects.filter(sample_item=locked, status=FollowUpStatus.OPEN).exists():
            raise IntegrityRefused(_("该记录已退回辅导员核实，尚未处理完毕。"))
        registration = Registration.objects.select_related("student__school_class").get(pk=locked.registration_id)
        draft = None
        if reopen:
            # Raises RegistrationStateError (e.g. the record was changed since the draw): nothing is saved.
            draft = registration_change_start(student=registration.student, actor=actor, ip=ip, reopen=True)
        follow_up = FollowUp.objects.create(
            registration=registration, sample_item=locked, note=note[:2000], reopened=draft, created_by=actor
        )
        audit_record(actor=actor, action=AuditAction.FOLLOW_UP_OPEN, ip=ip, registration=registration, detail={
            "follow_up": follow_up.pk, "run": locked.run_id, "note": follow_up.note,
            "reopened_version": draft.version if draft else None,
        })
        _notify_counselors(registration=registration, note=follow_up.note)
    return follow_up


def follow_up_resolve(*, follow_up: FollowUp, actor: User, resolution: str, ip: str | None = None) -> FollowUp:
    """The counselor (or anyone whose scope holds the record) closes the follow-up with what they found.
    The caller has checked the scope (views go through quxiang.accounts.access)."""
    resolution = (resolution or "").strip()
    if len(resolution) < 2:
        raise IntegrityRefused(_("请填写核实结果。"))
    with transaction.atomic():
        locked = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if locked.status != FollowUpStatus.OPEN:
            raise IntegrityRefused(_("该核查待办已由他人处理，请刷新后查看。"))
        locked.status, locked.resolution = FollowUpStatus.RESOLVED, resolution[:2000]
        locked.resolved_by, locked.resolved_at = actor, timezone.now()
        locked.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
        registration = Registration.objects.select_related("student").get(pk=locked.registration_id)
        audit_record(actor=actor, action=AuditAction.FOLLOW_UP_RESOLVE, ip=ip, registration=registration,
                     detail={"follow_up": locked.pk, "resolution": locked.resolution})
    return locked
