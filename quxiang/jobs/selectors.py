"""Reads of background jobs: how far one got, and where it is shown (the URLs are looked up by name: the
generic job page is the staff pages' `reviews:job`, whose access check needs the roles, above this layer)."""

from __future__ import annotations

from django.urls import reverse

from quxiang.jobs.conf import progress_cache, progress_key
from quxiang.jobs.models import Job, JobStatus
from quxiang.jobs.registry import job_kind_find


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


def job_page_url(*, job: Job) -> str:
    """The job's own page: its kind's (the import, the national export) or the generic one."""
    kind = job_kind_find(job.kind)
    if kind is not None and kind.page is not None:
        return kind.page(job)
    return reverse("reviews:job", kwargs={"pk": job.pk})


def job_next_url(*, job: Job) -> str:
    """Where to go once the job is started or has stopped: the result (a sampling run, a scan's findings)
    when it is done and shown elsewhere, the job's page otherwise."""
    kind = job_kind_find(job.kind)
    if job.status == JobStatus.DONE and kind is not None and kind.result_url is not None:
        url = kind.result_url(job)
        if url:
            return url
    return job_page_url(job=job)


def job_description(*, job: Job) -> str:
    """What a finished job did, in one sentence of its kind's (also what a failed one did before it failed,
    when it recorded that)."""
    kind = job_kind_find(job.kind)
    if kind is None or kind.describe is None or job.is_active:
        return ""
    return kind.describe(job) if job.status == JobStatus.DONE or job.summary else ""


def job_back_url(*, job: Job) -> str:
    kind = job_kind_find(job.kind)
    return kind.back_url(job) if kind and kind.back_url else reverse("reviews:jobs")
