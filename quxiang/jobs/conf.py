"""The jobs app's settings (settings.QUXIANG["JOBS"], docs/decisions.md "Background jobs") and the cache
that carries progress across processes."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import BaseCache, caches

DEFAULTS = {
    # A worker writes the running job's heartbeat this often, from a thread of its own.
    "HEARTBEAT_SECONDS": 15,
    # A running job whose heartbeat is older belongs to a worker that died: the next delivery takes it over.
    "LEASE_SECONDS": 60,
    # The page gives up on a job with no heartbeat (or, queued, not picked up) for this long.
    "STALE_SECONDS": 30 * 60,
    # A job whose worker died this many times is failed instead of being run again (e.g. it runs out of memory).
    "MAX_ATTEMPTS": 3,
    # A finished job's result file is removed from storage after this many days (the row stays: 文件已过期).
    "RESULT_DAYS": 7,
}
PROGRESS_TTL = 6 * 3600


def jobs_setting(name: str) -> int:
    return int(settings.QUXIANG.get("JOBS", {}).get(name, DEFAULTS[name]))


def progress_cache() -> BaseCache:
    """The "jobs" cache when configured (a file cache for `make run`, Redis in production: the web and the
    worker are different processes), the default one otherwise."""
    return caches["jobs" if "jobs" in settings.CACHES else "default"]


def progress_key(job_id: int) -> str:
    return f"jobs:progress:{job_id}"
