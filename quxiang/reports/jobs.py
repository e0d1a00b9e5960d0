"""The national export as a background job (issue 11): kind KIND_EXPORT, run by the generic task `jobs.run`
(registered in reports/tasks.py).

The office's page creates the job; a worker writes the workbook to an anonymous temporary file with
constant memory and only then stores it as the job's result file, in the same step that marks the job
done (`job_finish`), together with the audit entry. A worker killed mid-export leaves no file behind
(the temporary file dies with it) and the redelivered job writes the whole file again; a delivery that
finds the job done writes nothing (docs/decisions.md "National export as a job")."""

from __future__ import annotations

import logging
import tempfile
from typing import Any

from django.core.files import File
from django.db import DatabaseError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from quxiang.accounts.models import User
from quxiang.core.errors import DomainError
from quxiang.jobs.models import Job, JobStatus
from quxiang.jobs.selectors import job_percent
from quxiang.jobs.services import job_create, job_enqueue, job_finish, job_progress
from quxiang.reports.exports import EXPORT_CHUNK_SIZE
from quxiang.reports.models import ExportProfile
from quxiang.reports.national import national_export_rows
from quxiang.reports.services import national_export_build, national_export_log, profile_export_build

logger = logging.getLogger(__name__)

KIND_EXPORT = "reports.national_export"
# How often (in students) the bar moves: each report is one small UPDATE of the job row.
PROGRESS_EVERY = EXPORT_CHUNK_SIZE * 5


def national_export_start(
    *, actor: User, year: int, full_id: bool = False, reason: str = "", verified_only: bool = False,
    by_college: bool = False, ip: str | None = None, profile_id: int | None = None, clean_only: bool = False,
) -> Job:
    """Queue the national export of the cohort `year` for `actor`. The national ID is masked unless
    `full_id`, which needs a reason (the form asks for it). With `profile_id` the file takes that export
    profile's layout (issue 14), `clean_only` leaving out the records the pre-check lists; without it, today's
    export (Chinese headers). If the broker cannot be reached the job is failed at once with a message its
    page shows; nothing else has been written."""
    reason = (reason or "").strip()
    if full_id and not reason:
        raise ValueError("a full export needs a reason")
    params = {"year": year, "full_id": full_id, "reason": reason if full_id else "",
              "verified_only": verified_only, "by_college": by_college, "ip": ip}
    if profile_id is not None:
        params.update(profile_id=profile_id, clean_only=clean_only, by_college=False)
    with transaction.atomic():
        job = job_create(kind=KIND_EXPORT, created_by=actor, params=params)
        job_enqueue(job=job)
    job.refresh_from_db()
    return job


def national_export_handler(job: Job) -> None:
    """Write the file and finish the job. Safe to run again: each run writes a complete new file, and only
    the run that marks the job done keeps its file and writes the audit entry."""
    actor, params = job.created_by, job.params
    if actor is None or not actor.is_active or not actor.is_office:
        raise DomainError(_("发起导出的账号已停用或已不是招生就业处账号，导出没有进行。"), code="export_forbidden")
    year, full_id = int(params["year"]), bool(params.get("full_id"))
    verified_only, by_college = bool(params.get("verified_only")), bool(params.get("by_college"))
    if full_id and not (params.get("reason") or "").strip():
        raise DomainError(_("导出完整身份证号须填写用途说明。"), code="export_reason")
    total = national_export_rows(user=actor, year=year, verified_only=verified_only).count()
    job_progress(job_id=job.pk, done=0, total=total)

    def progress(done: int) -> None:
        job_progress(job_id=job.pk, done=done, total=max(total, done))  # students added since the count

    profile_id, clean_only = params.get("profile_id"), bool(params.get("clean_only"))
    profile = None
    if profile_id is not None:
        profile = ExportProfile.objects.filter(pk=profile_id).first()
        if profile is None:
            raise DomainError(_("所选上报格式已被删除，导出没有进行。"), code="export_profile_gone")
    with tempfile.TemporaryFile(prefix="quxiang-export-", suffix=".xlsx") as tmp:
        if profile is not None:
            export = profile_export_build(actor=actor, year=year, profile=profile, full_id=full_id,
                                          verified_only=verified_only, clean_only=clean_only, out=tmp,
                                          progress=progress, progress_every=PROGRESS_EVERY)
        else:
            export = national_export_build(actor=actor, year=year, full_id=full_id, verified_only=verified_only,
                                           by_college=by_college, out=tmp, progress=progress,
                                           progress_every=PROGRESS_EVERY)
        job_progress(job_id=job.pk, done=export.rows, total=export.rows)
        try:
            with transaction.atomic():
                # The file is stored whole (from the finished temporary file), then the job is marked done;
                # a job that had ended meanwhile gets no file and no second audit entry.
                if job_finish(job_id=job.pk, result=File(tmp, name=export.filename), result_name=export.filename):
                    national_export_log(actor=actor, year=year, rows=export.rows, full_id=full_id,
                                        reason=params.get("reason") or "", verified_only=verified_only,
                                        by_college=by_college, ip=params.get("ip"), job_id=job.pk,
                                        profile_id=profile_id, clean_only=clean_only)
        except DatabaseError:
            raise
        except Exception as exc:  # the file storage (a full disk, object storage unreachable)
            logger.exception("national export job %s: the file could not be stored", job.pk)
            raise DomainError(_("导出文件未能保存（文件存储暂时不可用），请稍后重新导出。"), code="export_storage") from exc


# --- reads of the office's pages ---------------------------------------------------------------------

def export_job_list(*, user: User, limit: int = 10) -> list[Job]:
    """The user's latest exports (each office user sees their own: a file may hold full national IDs)."""
    return list(Job.objects.filter(kind=KIND_EXPORT, created_by=user).order_by("-created_at", "-id")[:limit])


def export_job_get(*, user: User, pk: int) -> Job:
    """An export job of `user`'s own; 404 for anybody else's, as for one that does not exist."""
    job = Job.objects.filter(kind=KIND_EXPORT, created_by=user, pk=pk).first()
    if job is None:
        raise Http404
    return job


def export_job_file_name(*, job: Job) -> str:
    return job.result_file.name.rsplit("/", 1)[-1] if job.result_file else ""


def export_job_status_payload(*, job: Job) -> dict[str, Any]:
    """The small JSON the progress bar polls."""
    done = job.status == JobStatus.DONE and bool(job.result_file)
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": job.get_status_display(),
        "running": job.is_active,
        "progress": job_percent(job=job),
        "done": job.progress_done,
        "total": job.progress_total,
        "message": job.error,
        "url": reverse("reports:export_job", kwargs={"pk": job.pk}),
        "download_url": reverse("reports:export_download", kwargs={"pk": job.pk}) if done else None,
    }
