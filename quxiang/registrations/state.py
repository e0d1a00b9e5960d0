"""Each graduate's state as the statistics count it, kept on their student row.

The rule (quxiang/reports/selectors.py shows it to users under 统计口径): a verified record wins; otherwise
the status of the open record (草稿 / 待鉴证 / 已退回); otherwise 未登记. Besides the state the row keeps
the verified record's destination type and, while the open record is 待鉴证, the open record's type
(含待鉴证落实率). The rule is written once, as SQL, in `with_record_joins`; everything else derives from it.

`student_state_refresh` is the one door that writes the copy. Every service that changes a student's
records calls it inside its own transaction, after the change. It locks the student's row first and only
then reads the records (a new statement, so on PostgreSQL a new snapshot under READ COMMITTED): of two
transactions changing one student's records at once, the one that refreshes last sees both changes.
Different students never wait for each other: there is no shared counter row to lock.

`student_states_recount` compares the copy with the records for every student and repairs it (the
backfill after the migration, a bulk load that bypassed the services, a check in CI)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Case, CharField, F, FilteredRelation, Q, QuerySet, Value, When

from quxiang.core.queries import PreparedLookup
from quxiang.registrations.models import OPEN_STATUSES, Status
from quxiang.roster.models import RecordState, Student

STATE_FIELDS = ("record_state", "verified_type_id", "pending_type_id")
StateTuple = tuple[str, str | None, str | None]


def with_record_joins(qs: QuerySet[Student]) -> QuerySet[Student]:
    """Join each student's verified record (`v`) and open record (`o`) and annotate `state`. The two
    partial unique constraints on registrations guarantee at most one of each, so the joins never
    multiply rows."""
    return qs.annotate(
        v=FilteredRelation("registrations", condition=Q(registrations__status=Status.VERIFIED)),
        o=FilteredRelation("registrations", condition=Q(registrations__status__in=OPEN_STATUSES)),
    ).annotate(
        state=Case(
            When(v__id__isnull=False, then=Value(Status.VERIFIED.value)),
            When(o__id__isnull=False, then=F("o__status")),
            default=Value(RecordState.NONE.value),
            output_field=CharField(),
        ),
    )


def _expected(qs: QuerySet[Student]) -> QuerySet:
    """(student id, state, verified type, pending type) as the records say."""
    return (
        with_record_joins(qs)
        .annotate(
            sid=F("pk"),  # named, for the UPDATE … FROM of the recount
            vtype=F("v__destination_type_id"),
            ptype=Case(When(o__status=Status.SUBMITTED, then=F("o__destination_type_id")), default=None),
        )
        .order_by()
        .values_list("sid", "state", "vtype", "ptype")
    )


# Compiled once per process (quxiang/core/queries.py): every 开始, 提交, withdraw and decision runs them.
_LOCK_STATE = PreparedLookup(lambda pk: Student.objects.select_for_update().filter(pk=pk).values_list(*STATE_FIELDS),
                             pk=-918_273_647)
_EXPECTED = PreparedLookup(lambda pk: _expected(Student.objects.filter(pk=pk)), pk=-918_273_648)


def student_state_refresh(*, student_id: int) -> bool:
    """Recompute the student's maintained state from their records, under the student's row lock, in the
    caller's transaction. Call it after the last change of the records. Returns whether it changed."""
    # No savepoint of its own: it runs last in the caller's transaction, and if it fails that fails too.
    with transaction.atomic(savepoint=False):
        stored = _LOCK_STATE.get(pk=student_id)
        if stored is None:
            return False
        _pk, *expected = _EXPECTED.get(pk=student_id)
        if tuple(expected) == tuple(stored):
            return False
        Student.objects.filter(pk=student_id).update(**dict(zip(STATE_FIELDS, expected, strict=True)))
        return True


# --- the full recount -----------------------------------------------------------------------------


@dataclass
class Recount:
    students: int = 0
    mismatched: int = 0
    fixed: int = 0
    # A few (student number, stored, expected) for the report.
    examples: list[tuple[str, StateTuple, StateTuple]] = field(default_factory=list)


def _mismatches(qs: QuerySet[Student], *, chunk: int) -> Iterator[tuple[int, str, StateTuple, StateTuple]]:
    """Every student whose stored state differs from the records (id, 学号, stored, expected), streamed
    (a server-side cursor on PostgreSQL); the comparison of nullable columns is done here, not in SQL."""
    rows = _expected(qs).values_list("pk", "student_number", *STATE_FIELDS, "state", "vtype", "ptype")
    for pk, number, *values in rows.order_by("pk").iterator(chunk_size=chunk):
        have, want = tuple(values[:3]), tuple(values[3:])
        if have != want:
            yield pk, number, have, want


def _fix(ids: list[int]) -> int:
    """Rewrite the state of `ids` from their records, under their row locks (as student_state_refresh):
    one UPDATE … FROM the recount query (PostgreSQL, SQLite ≥ 3.33), no per-row Python."""
    with transaction.atomic():
        list(Student.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
        sql, params = _expected(Student.objects.filter(pk__in=ids)).query.sql_with_params()
        table = connection.ops.quote_name(Student._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET record_state = e.state, verified_type_id = e.vtype, pending_type_id = e.ptype"
                f" FROM ({sql}) AS e WHERE {table}.id = e.sid",
                params,
            )
            return cursor.rowcount


def student_states_recount(
    *, fix: bool, students: QuerySet[Student] | None = None, batch: int = 5000, examples: int = 10,
    on_progress: Callable[[Recount], None] | None = None,
) -> Recount:
    """Compare every student's maintained state with a recount from their records; with `fix`, repair
    the differences in batches (each in its own short transaction, under the rows' locks)."""
    qs = students if students is not None else Student.objects.all()
    result = Recount(students=qs.count())
    pending: list[int] = []
    for pk, number, have, want in _mismatches(qs, chunk=max(batch, 2000)):
        result.mismatched += 1
        if len(result.examples) < examples:
            result.examples.append((number, have, want))
        pending.append(pk)
        if fix and len(pending) >= batch:
            result.fixed += _fix(pending)
            pending.clear()
            if on_progress is not None:
                on_progress(result)
    if fix and pending:
        result.fixed += _fix(pending)
    return result


def students_state_refresh(*, student_ids: Iterable[int]) -> int:
    """student_state_refresh for several students (each under its lock); returns how many changed."""
    return sum(student_state_refresh(student_id=pk) for pk in sorted(set(student_ids)))
