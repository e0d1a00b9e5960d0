"""Reads of the statistics page and the national export. Everything goes through `scope()`.

Definitions (the page shows them to users under 统计口径):

* A graduate's *state* is decided by their records, once per student: a verified record wins (a student
  with a verified version and an open change draft is 已鉴证); otherwise the status of the open record
  (草稿 / 待鉴证 / 已退回); otherwise 未登记.
* 去向落实率 = students whose verified record's national category is `is_placed` / all graduates of the
  cohort. Only verified records count as placed.
* 含待鉴证落实率 additionally counts students whose submitted (待鉴证) record names a placed category.
* 去向知晓率 (NACE "knowledge rate") = students with a verified record of any category, 待就业 and
  暂不就业 included / all graduates.

Each student's state (and the types of their verified and 待鉴证 records) is kept on the student row in
the transaction of every change of their records (quxiang/registrations/state.py, where the rule above is
written as SQL, once). All figures come from ONE grouped SQL query over those columns (an index-only
scan of the cohort, GROUP BY the finest breakdown); the breakdowns are sums over those few groups in
Python, never a loop over students. `manage.py statistics_recount` checks the copy against the records."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, F, QuerySet
from django.utils.translation import gettext as _

from quxiang.accounts.access import scope
from quxiang.accounts.models import User
from quxiang.reference.models import DestinationCategory, DestinationType
from quxiang.registrations.models import Status
from quxiang.registrations.state import with_record_joins
from quxiang.roster.models import College, EducationLevel, Gender, Major, Student

STATE_NONE = "none"
# Display order of the states on the page and in the downloads.
STATES = (STATE_NONE, Status.DRAFT.value, Status.SUBMITTED.value, Status.RETURNED.value, Status.VERIFIED.value)
ABROAD_STUDY_CATEGORY = "85"


def state_labels() -> dict[str, str]:
    return {
        STATE_NONE: _("未登记"), Status.DRAFT: _("草稿"), Status.SUBMITTED: _("待鉴证"),
        Status.RETURNED: _("已退回"), Status.VERIFIED: _("已鉴证"),
    }


# --- the cohort ------------------------------------------------------------------------------------


def cohort_years(*, user: User) -> list[int]:
    """Graduation years the user has students in, latest first."""
    students = scope(user=user, queryset=Student.objects.all())
    return list(students.order_by("-graduation_year").values_list("graduation_year", flat=True).distinct())


def _with_records(qs: QuerySet[Student]) -> QuerySet[Student]:
    """Each student joined to their verified (`v`) and open (`o`) record, with `state` (the national export)."""
    return with_record_joins(qs)


# --- statistics ------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Counts of one group of graduates (a college, a major, …) and the rates derived from them."""

    key: str = ""
    label: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    total: int = 0
    states: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))
    placed: int = 0
    placed_incl_pending: int = 0

    def add(self, *, n: int, state: str, placed: bool, pending_placed: bool) -> None:
        self.total += n
        self.states[state] += n
        if placed:
            self.placed += n
        if placed or pending_placed:
            self.placed_incl_pending += n

    @property
    def verified(self) -> int:
        return self.states[Status.VERIFIED]

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return round(100.0 * part / whole, 1) if whole else None

    @property
    def placement_rate(self) -> float | None:
        return self._rate(self.placed, self.total)

    @property
    def placement_rate_incl_pending(self) -> float | None:
        return self._rate(self.placed_incl_pending, self.total)

    @property
    def knowledge_rate(self) -> float | None:
        return self._rate(self.verified, self.total)


@dataclass
class CategoryTally:
    code: str
    name: str
    is_placed: bool
    verified: int = 0
    pending: int = 0  # students whose 待鉴证 record names this category


@dataclass
class CohortStatistics:
    year: int
    overall: Tally
    by_college: list[Tally]
    by_major: list[Tally]
    by_level: list[Tally]
    by_gender: list[Tally]
    by_category: list[CategoryTally]


# PostgreSQL plans the grouping below as a sort of every student unless it may keep the groups in a hash
# table; its estimate of the number of groups (the product of the columns' distinct values) is far too
# high, so with the default work_mem (4MB) it sorts. The groups themselves are a few thousand rows.
AGGREGATION_WORK_MEM = "32MB"


def grouped_counts_queryset(*, user: User, year: int) -> QuerySet:
    """One row per (college, major, level, gender, state, verified type, pending type) with its number of
    students, from the students' maintained columns (no join to their records). The keys are exactly the
    columns of `student_statistics_idx` in its order, so PostgreSQL counts in one ordered pass over the
    index (index-only scan, group aggregate, no join, no sort); the types' categories are looked up
    afterwards in `_grouped_counts` (a join per student cost 2/3 of the time at 1,000,000 students)."""
    students = scope(user=user, queryset=Student.objects.filter(graduation_year=year))
    return (
        students.annotate(state=F("record_state"), vtype=F("verified_type_id"), ptype=F("pending_type_id"))
        .values("college_id", "major_id", "education_level", "gender", "state", "vtype", "ptype")
        .annotate(n=Count("*"))
        .order_by()
        .values_list("college_id", "major_id", "education_level", "gender", "state", "vtype", "ptype", "n")
    )


def _grouped_counts(*, user: User, year: int) -> list[tuple]:
    """The groups of `grouped_counts_queryset` by category instead of type: (college, major, level, gender,
    state, verified category, pending category, n)."""
    qs = grouped_counts_queryset(user=user, year=year)
    if connection.vendor != "postgresql":
        rows = list(qs)
    else:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{AGGREGATION_WORK_MEM}'")
            rows = list(qs)
    category_of = dict(DestinationType.objects.values_list("key", "category_id"))
    merged: dict[tuple, int] = defaultdict(int)
    for college_id, major_id, level, gender, state, vtype, ptype, n in rows:
        key = (college_id, major_id, level, gender, state, category_of.get(vtype) if vtype else None,
               category_of.get(ptype) if ptype else None)
        merged[key] += n
    return [(*key, n) for key, n in merged.items()]


def cohort_statistics(*, user: User, year: int) -> CohortStatistics:
    """Counts and rates of the cohort `year` within the user's scope: one aggregation query, plus the
    names of the categories, colleges and majors it found (three small queries)."""
    categories = {
        c.code: CategoryTally(code=c.code, name=c.name, is_placed=c.is_placed)
        for c in DestinationCategory.objects.order_by("sort_order", "code")
    }
    overall = Tally(key="all", label=_("全部毕业生"))
    colleges: dict[int, Tally] = defaultdict(Tally)
    majors: dict[int, Tally] = defaultdict(Tally)
    levels = {v: Tally(key=v, label=str(label)) for v, label in EducationLevel.choices}
    genders = {v: Tally(key=v, label=str(label)) for v, label in Gender.choices}
    uncategorised = CategoryTally(code="", name=_("未分类"), is_placed=False)

    verified = Status.VERIFIED.value
    for college_id, major_id, level, gender, state, vcat_code, pcat_code, n in _grouped_counts(user=user, year=year):
        vcat = categories.get(vcat_code) if vcat_code else None
        pcat = categories.get(pcat_code) if pcat_code else None
        placed = state == verified and vcat is not None and vcat.is_placed
        pending_placed = pcat is not None and pcat.is_placed
        if level not in levels:
            levels[level] = Tally(key=level, label=level)
        if gender not in genders:
            genders[gender] = Tally(key=gender, label=gender)
        for tally in (overall, colleges[college_id], majors[major_id], levels[level], genders[gender]):
            tally.add(n=n, state=state, placed=placed, pending_placed=pending_placed)
        if state == verified:
            (vcat or uncategorised).verified += n
        if pcat_code:
            (pcat or uncategorised).pending += n

    for pk, code, name in College.objects.filter(pk__in=colleges).values_list("pk", "code", "name"):
        colleges[pk].key, colleges[pk].label, colleges[pk].extra = code, name, {"code": code}
    level_labels = dict(EducationLevel.choices)
    level_order = {value: i for i, value in enumerate(EducationLevel.values)}
    for pk, code, name, level, college_code, college_name in Major.objects.filter(pk__in=majors).values_list(
        "pk", "code", "name", "level", "college__code", "college__name"
    ):
        # Sorted by college, then 本科 → 硕士 → 博士, then major code.
        majors[pk].key, majors[pk].label = f"{college_code}/{level_order.get(level, 9)}/{code}", name
        majors[pk].extra = {"code": code, "level": str(level_labels.get(level, level)), "college": college_name}

    by_category = list(categories.values())
    if uncategorised.verified or uncategorised.pending:
        by_category.append(uncategorised)
    return CohortStatistics(
        year=year,
        overall=overall,
        by_college=sorted(colleges.values(), key=lambda t: t.key),
        by_major=sorted(majors.values(), key=lambda t: t.key),
        by_level=[t for t in levels.values() if t.total],
        by_gender=[t for t in genders.values() if t.total],
        by_category=by_category,
    )
