"""Small query helpers the hot paths share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import MultipleObjectsReturned
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models.query import ModelIterable, ValuesListIterable
from django.db.transaction import TransactionManagementError

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: dict[str, int]  # parameter name → its position in params
    model: type[models.Model] | None  # None: a values_list() query, answered as a tuple
    init_list: list[str]
    model_slice: slice
    populators: list[Any]
    converters: list[tuple[int, list[Callable], Any]]
    annotations: dict[str, int]
    for_update: bool


class PreparedLookup(Generic[M]):
    """A single-row query of a fixed shape, compiled to SQL once per process, then run with new values.

    Django builds the SQL of a query again every time it runs it; for a row with joins (the signed-in user
    with their student row, on every request) building costs several times what PostgreSQL spends on
    running it. `build(**sentinels)` returns the query with a sentinel value (an int or a str that occurs
    nowhere else in it) for each parameter; `get(**values)` runs that SQL with the values instead and
    builds the instances exactly as the ORM would (select_related included, through Django's own
    populators and field converters), or the tuple of a `values_list()` query; `all(**values)` runs the
    query as built (its ORDER BY kept, no LIMIT) and returns every row. Limits: int and str parameters
    only, no prefetch; `get()` drops the ORDER BY (one row needs none). quxiang/core/tests/test_queries.py compares it with the ORM on every kind of row it loads."""

    def __init__(self, build: Callable[..., models.QuerySet[M]], **sentinels: int | str) -> None:
        for name, value in sentinels.items():
            if not isinstance(value, (int, str)) or isinstance(value, bool):
                raise TypeError(f"{name}: only int and str parameters can be prepared")
        self._build, self._sentinels = build, sentinels
        self._compiled: dict[tuple[str, str], _Compiled] = {}

    def _compile(self, using: str, many: bool) -> _Compiled:
        from django.db.models.query import get_related_populators

        queryset = self._build(**self._sentinels)
        if not many:
            queryset = queryset.order_by()[:2]
        if queryset._prefetch_related_lookups:
            raise ValueError("a prepared lookup cannot prefetch")
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        slots = {}
        for name, sentinel in self._sentinels.items():
            found = [i for i, p in enumerate(params) if p == sentinel and type(p) is type(sentinel)]
            if len(found) != 1:
                raise ValueError(f"{name}: the sentinel {sentinel!r} occurs {len(found)} times in the query")
            slots[name] = found[0]
        select, klass_info = compiler.select, compiler.klass_info
        fields = [s[0] for s in select[: compiler.col_count]]
        converters = [(pos, convs, expr) for pos, (convs, expr) in compiler.get_converters(fields).items()]
        for_update = queryset.query.select_for_update
        if queryset._iterable_class is not ModelIterable:
            if queryset._iterable_class is not ValuesListIterable:
                raise ValueError("only model rows and values_list() tuples can be prepared")
            # Django 5.2 selects the columns in the order values_list() names them (Query.selected).
            return _Compiled(sql=sql, params=tuple(params), slots=slots, model=None, init_list=[],
                             model_slice=slice(0), populators=[], converters=converters, annotations={},
                             for_update=for_update)
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        return _Compiled(
            sql=sql, params=tuple(params), slots=slots, model=klass_info["model"],
            init_list=[f[0].target.attname for f in select[start:end]], model_slice=slice(start, end),
            populators=get_related_populators(klass_info, select, using), converters=converters,
            annotations=dict(compiler.annotation_col_map or {}), for_update=for_update,
        )

    def _run(self, using: str, many: bool, values: dict[str, int | str]) -> tuple[_Compiled, Any, list]:
        connection = connections[using]
        key = (using, connection.vendor, many)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(using, many)
        if compiled.for_update and not connection.in_atomic_block:  # as the ORM refuses it
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        params = list(compiled.params)
        for name, position in compiled.slots.items():
            params[position] = values[name]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall() if many else cursor.fetchmany(2)
        return compiled, connection, rows

    def get(self, *, using: str = DEFAULT_DB_ALIAS, **values: int | str) -> M | tuple | None:
        compiled, connection, rows = self._run(using, False, values)
        if len(rows) > 1:
            error = compiled.model.MultipleObjectsReturned if compiled.model else MultipleObjectsReturned
            raise error(f"{self._build.__qualname__}: more than one row")
        return _instance(compiled, connection, using, rows[0]) if rows else None

    def all(self, *, using: str = DEFAULT_DB_ALIAS, **values: int | str) -> list[M] | list[tuple]:
        compiled, connection, rows = self._run(using, True, values)
        return [_instance(compiled, connection, using, row) for row in rows]


def _instance(compiled: _Compiled, connection: Any, using: str, fetched: tuple) -> Any:
    row = list(fetched)
    # The converters were collected with the compiling thread's connection; the backends' converters read
    # only its settings (time zone), never its state, and each gets this thread's connection as argument.
    for pos, convs, expression in compiled.converters:
        value = row[pos]
        for converter in convs:
            value = converter(value, expression, connection)
        row[pos] = value
    if compiled.model is None:
        return tuple(row)
    obj = compiled.model.from_db(using, compiled.init_list, row[compiled.model_slice])
    for populator in compiled.populators:
        populator.populate(row, obj)
    for name, position in compiled.annotations.items():
        setattr(obj, name, row[position])
    return obj


def prefetched(instance: models.Model, accessor: str, rows: list[models.Model]) -> list[models.Model]:
    """Keep `rows` as what `instance.<accessor>.all()` answers (a reverse foreign key), as
    `prefetch_related()` would: each row's foreign key points back at `instance`, and the manager's `.all()`
    returns them without a query. For rows read with `PreparedLookup.all()`; the steps are those of Django's
    prefetch_one_level (django/db/models/query.py), which has no public API for rows already read."""
    manager = getattr(instance, accessor)
    field = manager.field
    for row in rows:
        field.set_cached_value(row, instance)
    queryset = manager.get_queryset()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[field.remote_field.cache_name] = queryset
    return rows
