"""Reads of roster-import jobs."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse

from quxiang.imports.models import ImportJob, ImportStatus


def import_job_list(*, limit: int = 20) -> QuerySet[ImportJob]:
    return ImportJob.objects.select_related("created_by", "imported_by").defer("problems")[:limit]


def import_job_get(*, pk: int, with_problems: bool = True) -> ImportJob:
    jobs = ImportJob.objects.select_related("created_by", "imported_by")
    return get_object_or_404(jobs if with_problems else jobs.defer("problems"), pk=pk)


def import_job_progress(*, job: ImportJob) -> int:
    """Percent done. While a job runs the worker also writes progress to the cache (it cannot reach the job
    row from inside its write transaction); the larger of the two is the truth."""
    if job.status in (ImportStatus.READY, ImportStatus.DONE):
        return 100
    if not job.is_running:
        return job.progress
    cached = cache.get(f"imports:progress:{job.pk}")
    return max(job.progress, cached if isinstance(cached, int) else 0)


def import_job_status_payload(*, job: ImportJob) -> dict[str, Any]:
    """The small JSON the progress bar polls."""
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": job.get_status_display(),
        "running": job.is_running,
        "progress": import_job_progress(job=job),
        "message": job.message,
        "counts": {
            "total": job.rows_total, "new": job.rows_new, "updated": job.rows_updated,
            "unchanged": job.rows_unchanged, "error": job.rows_error,
        },
        "url": reverse("imports:job", kwargs={"pk": job.pk}),
    }


def majors_for_template() -> list[tuple[str, str, str, str]]:
    """(college name, major code, major name, level label) of every major, for the template's code sheet."""
    from quxiang.roster.models import EducationLevel, Major

    labels = dict(EducationLevel.choices)
    return [
        (college, code, name, str(labels.get(level, level)))
        for college, code, name, level in Major.objects.order_by("college__code", "level", "code").values_list(
            "college__name", "code", "name", "level"
        )
    ]
