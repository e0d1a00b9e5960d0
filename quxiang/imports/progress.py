"""Progress of a roster import, reported to its background job (quxiang.jobs) as percent done."""

from __future__ import annotations

from quxiang.jobs.services import job_progress


class Progress:
    """Percent done of the job `job_id` (None: nobody watches, e.g. a benchmark calling the steps directly).
    Goes to the jobs cache always and to the job row while no write transaction of ours is open (a row
    update inside it would only be seen at commit, and on SQLite would wait for it)."""

    def __init__(self, *, job_id: int | None, start: int = 0, end: int = 100) -> None:
        self.job_id, self.start, self.end = job_id, start, end
        self.in_transaction = False
        self._last_pct = -1
        self._last_db_pct = 0

    def span(self, start: int, end: int) -> Progress:
        self.start, self.end = start, end
        return self

    def set(self, fraction: float) -> None:
        pct = int(self.start + (self.end - self.start) * max(0.0, min(1.0, fraction)))
        if pct <= self._last_pct or self.job_id is None:
            return
        self._last_pct = pct
        # The row every few percent (not by time), so the number of queries does not depend on the machine.
        durable = not self.in_transaction and pct - self._last_db_pct >= 3
        if durable:
            self._last_db_pct = pct
        job_progress(job_id=self.job_id, done=pct, total=100, durable=durable)
