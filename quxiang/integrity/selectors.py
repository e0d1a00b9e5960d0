"""Read-only queries of the integrity pages: which records the checks look at, the sampling summary, and
the follow-ups within a staff member's scope."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from quxiang.accounts.access import scope
from quxiang.accounts.models import User
from quxiang.integrity.models import FollowUp, FollowUpStatus, Outcome, SampleItem, SampleRun
from quxiang.registrations.models import Registration, Status
from quxiang.roster.models import Student


def records_current(*, year: int | None = None) -> QuerySet[Registration]:
    """Each student's record on file: the verified one, or — when a change request is waiting for 鉴证 —
    the submitted new version instead. Drafts and returned records are not on file yet."""
    pending_change = Registration.objects.filter(student=OuterRef("student"), status=Status.SUBMITTED)
    qs = Registration.objects.filter(
        Q(status=Status.SUBMITTED) | (Q(status=Status.VERIFIED) & ~Exists(pending_change))
    )
    if year:
        qs = qs.filter(student__graduation_year=year)
    return qs


def records_for_display(*, ids) -> dict[int, Registration]:
    rows = Registration.objects.filter(pk__in=set(ids)).select_related(
        "student__college", "student__school_class", "destination_type__parent"
    )
    return {r.pk: r for r in rows}


def graduation_years() -> list[int]:
    return list(
        Student.objects.order_by("-graduation_year").values_list("graduation_year", flat=True).distinct()
    )


def sample_run_summary(*, run: SampleRun) -> list[dict]:
    """Per college: sampled, confirmed, mismatch, unreachable, pending — one aggregate query."""
    rows = (
        SampleItem.objects.filter(run=run)
        .values("college__code", "college__name")
        .annotate(
            sampled=Count("id"),
            confirmed=Count("id", filter=Q(outcome=Outcome.CONFIRMED)),
            mismatch=Count("id", filter=Q(outcome=Outcome.MISMATCH)),
            unreachable=Count("id", filter=Q(outcome=Outcome.UNREACHABLE)),
            pending=Count("id", filter=Q(outcome=Outcome.PENDING)),
        )
        .order_by("college__code")
    )
    return list(rows)


def sample_runs_with_totals() -> QuerySet[SampleRun]:
    return SampleRun.objects.select_related("created_by").annotate(
        sampled=Count("items"),
        pending=Count("items", filter=Q(items__outcome=Outcome.PENDING)),
        mismatch=Count("items", filter=Q(items__outcome=Outcome.MISMATCH)),
    )


def sample_items(*, run: SampleRun, outcome: str = "", college: int | None = None) -> QuerySet[SampleItem]:
    qs = SampleItem.objects.filter(run=run)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if college:
        qs = qs.filter(college_id=college)
    open_follow_up = FollowUp.objects.filter(sample_item=OuterRef("pk"), status=FollowUpStatus.OPEN)
    return qs.select_related(
        "college", "called_by", "registration__student__school_class", "registration__student__college",
        "registration__destination_type__parent",
    ).annotate(has_open_follow_up=Exists(open_follow_up))


def follow_ups_for(*, user: User, status: str = "") -> QuerySet[FollowUp]:
    """Follow-ups on records within the user's scope (a counselor: their classes; the office: all)."""
    visible = scope(user=user, queryset=Registration.objects.all())
    qs = FollowUp.objects.filter(registration__in=visible.values("pk"))
    if status:
        qs = qs.filter(status=status)
    return qs.select_related(
        "registration__student__school_class", "registration__student__college",
        "registration__destination_type__parent", "created_by", "resolved_by", "reopened", "sample_item",
    ).order_by("status", "-created_at", "-id")  # "open" sorts before "resolved"
