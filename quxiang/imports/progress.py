"""Progress of a roster-import job: percent done in the cache (always) and in the job row (when no write
transaction of ours is open)."""

from __future__ import annotations

from django.core.cache import cache
from django.utils import timezone

from quxiang.imports.models import ImportJob


class Progress:
    """Percent done of a job. Written to the cache always and to the job row while no write transaction of
    ours is open (a row update inside it would only be seen at commit, and on SQLite would wait for it)."""

    def __init__(self, *, job_id: int, start: int = 0, end: int = 100) -> None:
        self.job_id, self.start, self.end = job_id, start, end
        self.in_transaction = False
        self._last_pct = -1
        self._last_db_pct = 0

    def span(self, start: int, end: int) -> Progress:
        self.start, self.end = start, end
        return self

    def set(self, fraction: float) -> None:
        pct = int(self.start + (self.end - self.start) * max(0.0, min(1.0, fraction)))
        if pct <= self._last_pct:
            return
        self._last_pct = pct
        cache.set(progress_cache_key(self.job_id), pct, 3600)
        # Every few percent (not by time), so the number of queries does not depend on the machine's speed.
        if not self.in_transaction and pct - self._last_db_pct >= 3:
            self._last_db_pct = pct
            ImportJob.objects.filter(pk=self.job_id).update(progress=pct, updated_at=timezone.now())


def progress_cache_key(job_id: int) -> str:
    return f"imports:progress:{job_id}"
