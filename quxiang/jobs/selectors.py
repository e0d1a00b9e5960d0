"""Reads of background jobs."""

from __future__ import annotations

from quxiang.jobs.conf import progress_cache, progress_key
from quxiang.jobs.models import Job, JobStatus


def job_percent(*, job: Job) -> int:
    """Percent done. While a job runs, its handler may report progress to the cache only (from inside its
    write transaction); the further of the row and the cache is the truth."""
    if job.status == JobStatus.DONE:
        return 100
    fractions = [job.progress_done / job.progress_total] if job.progress_total else [0.0]
    if job.is_active:
        cached = progress_cache().get(progress_key(job.pk))
        if isinstance(cached, (tuple, list)) and len(cached) == 2 and cached[1]:
            fractions.append(cached[0] / cached[1])
    return max(0, min(100, int(100 * max(fractions))))
