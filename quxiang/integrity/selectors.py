"""Read-only queries of the integrity pages: which records the checks look at, the sampling summary, and
the follow-ups within a staff member's scope."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from quxiang.accounts.access import scope
from quxiang.accounts.models import User
from quxiang.integrity.models import FollowUp, FollowUpStatus, Outcome, SampleItem, SampleRun
from quxiang.jobs.models import ACTIVE_STATUSES, Job, JobStatus
from quxiang.registrations.models import Registration, Status
from quxiang.roster.models import Student

# The integrity app's background jobs (integrity/jobs.py).
KIND_SCAN = "integrity.scan"
KIND_DRAW = "integrity.sample_draw"


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


# --- scans (the checks run as a background job, integrity/jobs.py) --------------------------------------

def scan_latest(*, year: int | None, pk: int | None = None) -> Job | None:
    """The scan to show for the cohort `year`: job `pk` when given (and a finished scan of that cohort),
    else the latest finished one. Scans are the office's, whoever of it started them."""
    scans = Job.objects.filter(kind=KIND_SCAN, status=JobStatus.DONE, params__year=year)
    if pk is not None:
        return scans.filter(pk=pk).first()
    return scans.order_by("-finished_at", "-id").first()


def scan_running(*, year: int | None) -> Job | None:
    return Job.objects.filter(kind=KIND_SCAN, status__in=ACTIVE_STATUSES, params__year=year).order_by("-id").first()


def scan_sections(*, scan: Job, checks) -> list[dict]:
    """The page's sections of a finished scan, in the order of `checks` (the registered ones; a check
    added since the scan shows as not run). One query for all the records shown."""
    by_key = {c["key"]: c["findings"] for c in (scan.summary or {}).get("checks", [])}
    records = records_for_display(ids=[i for fs in by_key.values() for f in fs for i in f["ids"]])
    return [
        {"check": check, "ran": check.key in by_key, "findings": [
            {"reason": f["reason"], "records": [records[i] for i in f["ids"] if i in records],
             "more": f["count"] - len(f["ids"])}
            for f in by_key.get(check.key, [])
        ]}
        for check in checks
    ]
