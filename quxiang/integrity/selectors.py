"""Read-only queries of the integrity pages: which records the checks look at, the sampling summary, the
follow-ups within a staff member's scope, and the kept findings (the office's list, a counselor's 待核查)."""

from __future__ import annotations

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from quxiang.accounts.access import scope
from quxiang.accounts.models import User
from quxiang.integrity.models import (
    FindingRecord,
    FindingStatus,
    FollowUp,
    FollowUpStatus,
    IntegrityFinding,
    Outcome,
    SampleItem,
    SampleRun,
)
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

def scan_latest(*, year: int | None) -> Job | None:
    """The latest finished scan of the cohort `year` (the office's, whoever of it started it). Its
    findings are kept (findings.py), so the page shows them as of this scan with their decisions."""
    scans = Job.objects.filter(kind=KIND_SCAN, status=JobStatus.DONE, params__year=year)
    return scans.order_by("-finished_at", "-id").first()


def scan_running(*, year: int | None) -> Job | None:
    return Job.objects.filter(kind=KIND_SCAN, status__in=ACTIVE_STATUSES, params__year=year).order_by("-id").first()


# --- findings (integrity/findings.py) ----------------------------------------------------------------

# The office's list: "" = every finding the latest scan produced; a status = those of them with it;
# FINDINGS_GONE = the history (findings no scan produces any more).
FINDINGS_GONE = "gone"
FINDING_FILTERS = ["", *FindingStatus.values, FINDINGS_GONE]


def _finding_scope(year: int | None) -> Q:
    return Q(graduation_year__isnull=True) if year is None else Q(graduation_year=year)


def findings_list(*, year: int | None, status: str = "", check: str = "") -> QuerySet[IntegrityFinding]:
    qs = IntegrityFinding.objects.filter(_finding_scope(year))
    if status == FINDINGS_GONE:
        qs = qs.filter(gone_at__isnull=False)
    else:
        qs = qs.filter(gone_at__isnull=True)
        if status:
            qs = qs.filter(status=status)
    if check:
        qs = qs.filter(check_key=check)
    return qs.select_related("decided_by", "previous__decided_by").order_by("check_key", "id")


def findings_counts(*, year: int | None) -> dict:
    """Findings of the latest scan per status, how many are history, and the open ones per check — two
    queries."""
    in_scope = IntegrityFinding.objects.filter(_finding_scope(year))
    row = in_scope.aggregate(
        **{s: Count("id", filter=Q(status=s, gone_at__isnull=True)) for s in FindingStatus.values},
        **{FINDINGS_GONE: Count("id", filter=Q(gone_at__isnull=False))},
    )
    row[""] = sum(row[s] for s in FindingStatus.values)
    row["open_by_check"] = dict(
        in_scope.filter(status=FindingStatus.OPEN, gone_at__isnull=True).order_by().values("check_key")
        .annotate(n=Count("id")).values_list("check_key", "n")
    )
    return row


def finding_records(*, findings, limit: int, user: User | None = None) -> dict[int, dict]:
    """finding id → {"records": its first `limit` records (in the check's order), "more": how many more}.
    With `user`, only records in that user's scope are shown and counted. Two queries, however many
    findings (a window function numbers each finding's records)."""
    findings = list(findings)
    rows = FindingRecord.objects.filter(finding_id__in=[f.pk for f in findings])
    if user is not None:
        rows = rows.filter(registration__in=scope(user=user, queryset=Registration.objects.all()).values("pk"))
        totals = dict(rows.order_by().values("finding_id").annotate(n=Count("id")).values_list("finding_id", "n"))
    else:
        totals = {f.pk: f.record_count for f in findings}
    shown = (
        rows.annotate(row=Window(RowNumber(), partition_by=[F("finding_id")], order_by=[F("position").asc()]))
        .filter(row__lte=limit)
        .select_related("registration__student__college", "registration__student__school_class",
                        "registration__destination_type__parent")
        .order_by("finding_id", "position")
    )
    out: dict[int, dict] = {f.pk: {"records": [], "more": 0} for f in findings}
    for link in shown:
        out[link.finding_id]["records"].append(link.registration)
    for pk, entry in out.items():
        entry["more"] = max(0, totals.get(pk, 0) - len(entry["records"]))
    return out


def findings_for_user(*, user: User) -> list[IntegrityFinding]:
    """Open findings of the latest scans — and those the office confirmed (属实), which the counselor has to act
    on — with at least one record in the user's scope (a counselor: their classes; a college officer: their
    college). A dismissed finding, or one the data no longer produces, is not listed. A finding flagged in two
    cohort scans (2027 and 全部届别) on the same data is listed once."""
    visible = scope(user=user, queryset=Registration.objects.all())
    linked = FindingRecord.objects.filter(finding=OuterRef("pk"), registration__in=visible.values("pk"))
    qs = (
        IntegrityFinding.objects.filter(status__in=[FindingStatus.OPEN, FindingStatus.CONFIRMED], gone_at__isnull=True)
        .filter(Exists(linked))
        .order_by("-first_seen", "id")
    )
    seen: set[tuple[str, str]] = set()
    out = []
    for finding in qs:
        if (finding.check_key, finding.fingerprint) not in seen:
            seen.add((finding.check_key, finding.fingerprint))
            out.append(finding)
    return out
