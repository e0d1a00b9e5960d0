"""Which function runs each kind of job. The apps above jobs fill it (each from its tasks.py, imported by
its AppConfig.ready), so that jobs itself imports nothing above core."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from quxiang.jobs.models import Job


@dataclass(frozen=True)
class JobKind:
    """`handler(job)` does the work; it must be idempotent (a redelivered job runs it again) and may raise a
    DomainError whose message the job records. `on_fail(job)` lets the owning app mirror a failure on its
    own rows (the import page shows the import, not the job). `label` is the kind's Chinese name on the
    office's 后台任务 page; `page(job)` the URL of the kind's own page for the job, when it has one (the
    generic job page otherwise); `result_url(job)` where a finished job's result is shown (a sampling run,
    a scan's findings), when that is not the job page; `describe(job)` one sentence of what a finished job
    did, for that page; `back_url(job)` the page the job was started from."""

    name: str
    handler: Callable[[Job], None]
    on_fail: Callable[[Job], None] | None = None
    label: Any = ""
    page: Callable[[Job], str] | None = None
    result_url: Callable[[Job], str | None] | None = None
    describe: Callable[[Job], str] | None = None
    back_url: Callable[[Job], str] | None = None


_KINDS: dict[str, JobKind] = {}


def job_kind_register(name: str, *, handler: Callable[[Job], None],
                      on_fail: Callable[[Job], None] | None = None, label: Any = "",
                      page: Callable[[Job], str] | None = None,
                      result_url: Callable[[Job], str | None] | None = None,
                      describe: Callable[[Job], str] | None = None,
                      back_url: Callable[[Job], str] | None = None) -> JobKind:
    kind = JobKind(name=name, handler=handler, on_fail=on_fail, label=label, page=page, result_url=result_url,
                   describe=describe, back_url=back_url)
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


def job_kind_label(name: str) -> str:
    """The kind's Chinese name (the generic 后台任务 when its app gave none)."""
    kind = _KINDS.get(name)
    return str(kind.label) if kind is not None and kind.label else _("后台任务")
