"""Which function runs each kind of job. The apps above jobs fill it (each from its tasks.py, imported by
its AppConfig.ready), so that jobs itself imports nothing above core."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from quxiang.jobs.models import Job


@dataclass(frozen=True)
class JobKind:
    """`handler(job)` does the work; it must be idempotent (a redelivered job runs it again) and may raise a
    DomainError whose message the job records. `on_fail(job)` lets the owning app mirror a failure on its
    own rows (the import page shows the import, not the job)."""

    name: str
    handler: Callable[[Job], None]
    on_fail: Callable[[Job], None] | None = None


_KINDS: dict[str, JobKind] = {}


def job_kind_register(name: str, *, handler: Callable[[Job], None],
                      on_fail: Callable[[Job], None] | None = None) -> JobKind:
    kind = JobKind(name=name, handler=handler, on_fail=on_fail)
    existing = _KINDS.get(name)
    if existing is not None and existing != kind:
        raise ImproperlyConfigured(f"job kind {name!r} is registered twice with different handlers")
    _KINDS[name] = kind
    return kind


def job_kind_get(name: str) -> JobKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"unknown job kind {name!r}; registered: {sorted(_KINDS)}") from None


def job_kind_find(name: str) -> JobKind | None:
    return _KINDS.get(name)
