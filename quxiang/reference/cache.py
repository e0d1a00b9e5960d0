"""The code tables in process memory: 单位性质, 行业, 职位类别, 去向类型, 国家和地区, 行政区划.

Every wizard page used to read them from PostgreSQL again (three server-side cursors for the selects of
the organisation step alone, the type list, the region of every save); they change a few times a year,
through the admin. Here they are built once per process and dropped when they change:

- a save or delete of any of these models (admin, imports through the ORM) clears this process's copy at
  once and bumps a generation token in the shared cache (Redis in production), again when the transaction
  commits (so that no process keeps what it read before the commit);
- every process compares its token with the shared one at most every CHECK_SECONDS, and drops its copy
  when it differs — other app servers follow an admin's edit within that time.

Bulk writes that send no signals (`QuerySet.update`, raw SQL, `loaddata` with raw saves) must call
`reference_cache_invalidate()` themselves. Rows are shared by the threads of a process: read them, never
change them."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction

from quxiang.core.templatetags.memo import memo_clear

GENERATION_KEY = "reference:generation"
CHECK_SECONDS = 2.0

T = TypeVar("T")

_lock = threading.Lock()
_store: dict[str, Any] = {}
_state: dict[str, Any] = {"generation": None, "checked_at": float("-inf"), "epoch": 0}


def _shared_generation() -> str:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        generation = cache.get(GENERATION_KEY) or ""
    return generation


def _clear_local() -> None:
    with _lock:
        _store.clear()
        _state["epoch"] += 1
    memo_clear()  # rendered fragments that show code tables ({% memo %}) go with them


def _check() -> None:
    now = time.monotonic()
    if now - _state["checked_at"] < CHECK_SECONDS:
        return
    generation = _shared_generation()
    if generation != _state["generation"]:
        _clear_local()
        _state["generation"] = generation
    _state["checked_at"] = now


def reference_cached(name: str, build: Callable[[], T]) -> T:
    """The value stored under `name`, built with `build()` (a database read) when this process has none."""
    _check()
    try:
        return _store[name]
    except KeyError:
        pass
    epoch = _state["epoch"]
    value = build()
    with _lock:
        if _state["epoch"] == epoch:  # not invalidated while it was read
            _store[name] = value
    return value


def reference_cache_clear() -> None:
    """Forget this process's copy and re-read the shared generation at the next lookup (tests use it)."""
    _clear_local()
    _state["generation"] = None
    _state["checked_at"] = float("-inf")


def _bump() -> None:
    _clear_local()
    generation = uuid.uuid4().hex
    cache.set(GENERATION_KEY, generation, None)
    _state["generation"] = generation
    _state["checked_at"] = time.monotonic()


def reference_cache_invalidate() -> None:
    """A code table changed: drop every process's copy now and once more after the commit."""
    _bump()
    transaction.on_commit(_bump)
