"""Roster-import jobs: store the upload, then run the preview (parse + plan) and the import (plan again +
apply) as background jobs on Celery (quxiang.jobs), and record a failure as a failed import with a
Chinese message.

The ImportJob row is the import as the office sees it (file, counts, problems, 待导入 between the two
runs); each run is a Job of its own (kinds KIND_CHECK, KIND_APPLY, registered in imports/tasks.py) whose
progress is the page's bar. Both runs are safe to repeat: a worker killed mid-run leaves the message to
another worker, which runs the step again (docs/decisions.md "Background jobs (issue 11)")."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from quxiang.accounts.models import User
from quxiang.core.errors import DomainError
from quxiang.imports.apply import import_plan_apply
from quxiang.imports.cleaning import ParsedFile, import_file_parse
from quxiang.imports.models import RUNNING_STATUSES, ImportJob, ImportStatus
from quxiang.imports.plan import import_plan_build
from quxiang.imports.progress import Progress
from quxiang.imports.reader import RosterFileError, xlsx_check
from quxiang.imports.upload import import_max_bytes
from quxiang.jobs.models import Job, JobStatus
from quxiang.jobs.services import job_create, job_enqueue, job_expire_stale

logger = logging.getLogger(__name__)

KIND_CHECK = "imports.check"
KIND_APPLY = "imports.apply"
# Imports from before background jobs have no Job; a running one of those is given up after this long.
STALE_AFTER = dt.timedelta(minutes=10)


def import_job_create(*, upload: UploadedFile, actor: User) -> ImportJob:
    """Check that the upload is an .xlsx workbook within the size limit and store it privately.
    Raises ValidationError with a Chinese message."""
    limit = import_max_bytes()
    if upload.size is not None and upload.size > limit:
        raise ValidationError(_("文件超过 %(mb)d MB 上限，请分批导入。") % {"mb": limit // (1024 * 1024)}, code="too_large")
    if not upload.size:
        raise ValidationError(_("文件是空的。"), code="empty")
    xlsx_check(fileobj=upload)
    upload.seek(0)
    return ImportJob.objects.create(
        created_by=actor, file=upload, original_name=(upload.name or "")[:255], size=upload.size,
        status=ImportStatus.QUEUED,
    )


def import_job_start_check(*, job: ImportJob) -> None:
    """Queue the preview. If the broker cannot be reached the import fails with a message saying so."""
    with transaction.atomic():
        run = job_create(kind=KIND_CHECK, created_by=job.created_by, params={"import": job.pk})
        ImportJob.objects.filter(pk=job.pk).update(check_job=run, updated_at=timezone.now())
        job.check_job = run
        job_enqueue(job=run)


def import_job_start_import(*, job: ImportJob, actor: User) -> bool:
    """Move a previewed job to importing (once: a double click starts one import) and queue the import."""
    with transaction.atomic():
        started = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.READY).update(
            status=ImportStatus.IMPORTING, imported_by=actor, message="", updated_at=timezone.now()
        )
        if not started:
            return False
        run = job_create(kind=KIND_APPLY, created_by=actor, params={"import": job.pk})
        ImportJob.objects.filter(pk=job.pk).update(apply_job=run)
        job_enqueue(job=run)
    return True


def import_job_check(*, job_id: int) -> None:
    """Preview: read and validate the stored file and count what an import would do. Writes nothing but the
    job (and, next to the file, the parsed rows, so that the import does not have to parse the file again).
    Runs again from the start when redelivered (a checking import whose worker died)."""
    if not ImportJob.objects.filter(pk=job_id, status__in=(ImportStatus.QUEUED, ImportStatus.CHECKING)).update(
        status=ImportStatus.CHECKING, updated_at=timezone.now()
    ):
        return
    job = ImportJob.objects.get(pk=job_id)
    progress = Progress(job_id=job.check_job_id, start=1, end=85)
    with job.file.open("rb") as fh:
        parsed = import_file_parse(fileobj=fh, progress=progress)
    job.rows_file.save(f"{job.file.name.rsplit('/', 1)[-1]}.rows.json.gz", ContentFile(parsed.to_bytes()), save=False)
    plan = import_plan_build(parsed=parsed, progress=progress.span(85, 99))
    ImportJob.objects.filter(pk=job_id, status=ImportStatus.CHECKING).update(
        status=ImportStatus.READY, problems=plan.problems, message="", rows_file=job.rows_file.name,
        rows_total=plan.total, rows_new=plan.count("new"), rows_updated=plan.count("update"),
        rows_unchanged=plan.count("same"), rows_error=len(plan.problems),
        classes_new=len(plan.new_classes), counselor_links_new=len(plan.links), updated_at=timezone.now(),
    )


def _parsed_for_import(*, job: ImportJob, progress: Progress) -> ParsedFile:
    """The rows the preview parsed (the stored file cannot change), or the file parsed again if they are gone."""
    if job.rows_file:
        try:
            with job.rows_file.open("rb") as fh:
                return ParsedFile.from_bytes(fh.read())
        except Exception:  # missing or unreadable: parse the workbook again
            logger.warning("import job %s: parsed rows unreadable, parsing the file again", job.pk, exc_info=True)
    with job.file.open("rb") as fh:
        return import_file_parse(fileobj=fh, progress=progress)


def import_job_import(*, job_id: int) -> None:
    """Import: validate the rows again against the database as it is now, then write the good ones. The
    plan is made afresh on every run, so a second run (redelivered) skips what is already in the roster,
    and the apply writes nothing at all if it finds the import already done."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportStatus.IMPORTING:
        return
    progress = Progress(job_id=job.apply_job_id, start=1, end=40)
    parsed = _parsed_for_import(job=job, progress=progress)
    plan = import_plan_build(parsed=parsed, progress=progress.span(40, 50))
    import_plan_apply(plan=plan, job_id=job_id, progress=progress.span(50, 99))


def import_job_fail(*, job_id: int, message: str) -> None:
    ImportJob.objects.filter(pk=job_id).update(status=ImportStatus.FAILED, message=message, updated_at=timezone.now())


# --- the handlers the jobs app runs (registered in imports/tasks.py) ---------------------------------

def _run_step(step: Callable[..., None], *, import_id: int) -> None:
    """Run a step and turn what can go wrong into a DomainError with the message the import page shows."""
    try:
        step(job_id=import_id)
    except RosterFileError as exc:
        raise DomainError(str(exc), code="roster_file") from exc
    except IntegrityError as exc:
        logger.warning("import job %s: integrity error while writing", import_id, exc_info=True)
        raise DomainError(_(
            "导入期间名单被其他操作修改（例如同一学号或身份证号刚被录入），本次没有写入任何数据。请重新上传文件检查后再导入。"),
            code="roster_changed") from exc
    except DomainError:
        raise
    except Exception as exc:
        logger.exception("import job %s failed", import_id)
        raise DomainError(_("处理文件时出现意外错误，没有写入任何数据。请检查文件后重新上传，或联系系统管理员。"),
                          code="import_crashed") from exc


def import_check_handler(job: Job) -> None:
    _run_step(import_job_check, import_id=job.params["import"])


def import_apply_handler(job: Job) -> None:
    _run_step(import_job_import, import_id=job.params["import"])


def import_job_on_fail(job: Job) -> None:
    """Mirror a failed run on its import. An import run that never started (it could not be queued, or no
    worker picked it up) wrote nothing: the import goes back to 待导入 with the message, its preview intact.
    Any other failure fails the import."""
    import_id = job.params.get("import")
    now = timezone.now()
    if job.kind == KIND_APPLY and job.attempts == 0 and ImportJob.objects.filter(
        pk=import_id, status=ImportStatus.IMPORTING, apply_job=job
    ).update(status=ImportStatus.READY, message=job.error, updated_at=now):
        return
    ImportJob.objects.filter(Q(check_job=job) | Q(apply_job=job), pk=import_id, status__in=RUNNING_STATUSES).update(
        status=ImportStatus.FAILED, message=job.error, updated_at=now)


def import_job_expire_stale(*, job: ImportJob) -> ImportJob:
    """A running import whose job was lost (no worker running, the worker died and none took over) is marked
    failed instead of spinning forever; so is one whose job failed without the import hearing of it."""
    if not job.is_running:
        return job
    run = Job.objects.filter(pk=job.current_job_id).first() if job.current_job_id else None
    if run is None:
        if timezone.now() - job.updated_at > STALE_AFTER:
            import_job_fail(job_id=job.pk, message=_("处理已中断（服务器可能已重启），没有写入任何数据。请重新上传文件。"))
            job.refresh_from_db()
        return job
    run = job_expire_stale(job=run)
    if run.status == JobStatus.FAILED:
        import_job_on_fail(run)
        job.refresh_from_db()
    return job
