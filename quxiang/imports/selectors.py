"""Reads of roster-import jobs."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse

from quxiang.imports.models import ImportJob, ImportStatus
from quxiang.jobs.models import Job
from quxiang.jobs.selectors import job_percent


def import_job_list(*, limit: int = 20) -> QuerySet[ImportJob]:
    return ImportJob.objects.select_related("created_by", "imported_by").defer("problems")[:limit]


def import_job_get(*, pk: int, with_problems: bool = True) -> ImportJob:
    jobs = ImportJob.objects.select_related("created_by", "imported_by")
    return get_object_or_404(jobs if with_problems else jobs.defer("problems"), pk=pk)


def import_job_progress(*, job: ImportJob) -> int:
    """Percent done: that of the background job of the current step (the check, then the import)."""
    if job.status in (ImportStatus.READY, ImportStatus.DONE):
        return 100
    run = Job.objects.filter(pk=job.current_job_id).first() if job.current_job_id else None
    return job_percent(job=run) if run is not None else 0


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


def import_job_preview_outcome(*, job: ImportJob) -> str:
    """What a checked file would do, for the preview's one message: "changes" (something to import),
    "all_refused" (every data row has a problem: fix the file), "no_changes" (the rows that passed match the
    roster), "empty" (no data rows)."""
    if job.rows_new + job.rows_updated + job.classes_new + job.counselor_links_new:
        return "changes"
    if job.rows_total == 0:
        return "empty"
    if job.rows_error >= job.rows_total:
        return "all_refused"
    return "no_changes"


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
