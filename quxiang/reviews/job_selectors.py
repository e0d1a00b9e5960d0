"""Reads of the 后台任务 pages: which jobs a user may see, where each is shown, what its bar polls.

The jobs app sits below accounts (import layers), so the access rule for jobs lives here, in the first
layer that knows the roles; every job page goes through `jobs_for` / `job_get_for`."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse

from quxiang.accounts.models import User
from quxiang.jobs.models import Job, JobStatus
from quxiang.jobs.registry import job_kind_label
from quxiang.jobs.selectors import job_next_url, job_page_url, job_percent


def jobs_for(*, user: User) -> QuerySet[Job]:
    """The jobs `user` may see: their own; the office (and the system administrator) all of them."""
    if not user.is_authenticated or not user.is_active or not user.is_staff_role:
        return Job.objects.none()
    jobs = Job.objects.select_related("created_by")
    return jobs if user.is_office else jobs.filter(created_by=user)


def job_get_for(*, user: User, pk: int) -> Job:
    """One job within `user`'s sight, or a 404 (as for a job that does not exist)."""
    job = jobs_for(user=user).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


def job_can_download(*, user: User, job: Job) -> bool:
    """A result file goes to the person who started the job only (it holds personal data; as for the
    national export), once the job is done: never a half-written file."""
    return job.status == JobStatus.DONE and bool(job.result_file) and job.created_by_id == user.pk


def job_file_name(*, job: Job) -> str:
    return job.result_file.name.rsplit("/", 1)[-1] if job.result_file else ""


def job_rows(*, user: User, jobs) -> list[dict[str, Any]]:
    """The list page's rows: each job with its Chinese kind, page and download link."""
    return [{
        "job": job, "label": job_kind_label(job.kind), "url": job_page_url(job=job),
        "percent": job_percent(job=job),
        "download_url": reverse("reviews:job_download", kwargs={"pk": job.pk})
        if job_can_download(user=user, job=job) else None,
    } for job in jobs]


def job_status_payload(*, user: User, job: Job) -> dict[str, Any]:
    """The small JSON the progress bar polls (static/js/job-progress.js): when the job stops, the script
    goes to `url`."""
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": job.get_status_display(),
        "running": job.is_active,
        "progress": job_percent(job=job),
        "done": job.progress_done,
        "total": job.progress_total,
        "message": job.error,
        "url": job_next_url(job=job) if not job.is_active else reverse("reviews:job", kwargs={"pk": job.pk}),
        "download_url": reverse("reviews:job_download", kwargs={"pk": job.pk})
        if job_can_download(user=user, job=job) else None,
    }
