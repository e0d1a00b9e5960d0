"""Roster-import jobs: store the upload, run the preview (parse + plan) and the import (plan again + apply)
outside the request, and record a crash as a failed job with a Chinese message.

`import_job_dispatch` starts a thread (enough for the SQLite demo and for a few app servers, since all
state is in the ImportJob row), or runs inline when settings.QUXIANG["IMPORT_RUN_INLINE"] is true (tests)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from quxiang.accounts.models import User
from quxiang.imports.apply import import_plan_apply
from quxiang.imports.cleaning import ParsedFile, import_file_parse
from quxiang.imports.models import RUNNING_STATUSES, ImportJob, ImportStatus
from quxiang.imports.plan import import_plan_build
from quxiang.imports.progress import Progress, progress_cache_key
from quxiang.imports.reader import RosterFileError, xlsx_check
from quxiang.imports.upload import import_max_bytes

logger = logging.getLogger(__name__)

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


def import_job_check(*, job_id: int) -> None:
    """Preview: read and validate the stored file and count what an import would do. Writes nothing but the
    job (and, next to the file, the parsed rows, so that the import does not have to parse the file again)."""
    if not ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.CHECKING, progress=1, updated_at=timezone.now()
    ):
        return
    job = ImportJob.objects.get(pk=job_id)
    progress = Progress(job_id=job_id, start=1, end=85)
    with job.file.open("rb") as fh:
        parsed = import_file_parse(fileobj=fh, progress=progress)
    job.rows_file.save(f"{job.file.name.rsplit('/', 1)[-1]}.rows.json.gz", ContentFile(parsed.to_bytes()), save=False)
    plan = import_plan_build(parsed=parsed, progress=progress.span(85, 99))
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportStatus.READY, progress=100, problems=plan.problems, message="", rows_file=job.rows_file.name,
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
    """Import: validate the rows again against the database as it is now, then write the good ones."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportStatus.IMPORTING:
        return
    progress = Progress(job_id=job_id, start=1, end=40)
    parsed = _parsed_for_import(job=job, progress=progress)
    plan = import_plan_build(parsed=parsed, progress=progress.span(40, 50))
    import_plan_apply(plan=plan, job_id=job_id, progress=progress.span(50, 99))


def import_job_fail(*, job_id: int, message: str) -> None:
    ImportJob.objects.filter(pk=job_id).update(status=ImportStatus.FAILED, message=message, updated_at=timezone.now())
    cache.delete(progress_cache_key(job_id))


def _run_guarded(task: Callable[..., None], job_id: int) -> None:
    try:
        task(job_id=job_id)
    except RosterFileError as exc:
        import_job_fail(job_id=job_id, message=str(exc))
    except IntegrityError:
        logger.warning("import job %s: integrity error while writing", job_id, exc_info=True)
        import_job_fail(job_id=job_id, message=_(
            "导入期间名单被其他操作修改（例如同一学号或身份证号刚被录入），本次没有写入任何数据。请重新上传文件检查后再导入。"))
    except Exception:
        logger.exception("import job %s failed", job_id)
        try:
            import_job_fail(job_id=job_id, message=_("处理文件时出现意外错误，没有写入任何数据。请检查文件后重新上传，或联系系统管理员。"))
        except Exception:  # the database itself is gone; the job will be marked stale later
            logger.exception("import job %s: could not record the failure", job_id)


def _thread_main(task: Callable[..., None], job_id: int, language: str) -> None:
    try:
        with translation.override(language):
            _run_guarded(task, job_id)
    finally:
        connections.close_all()  # this thread's connections only


def import_job_dispatch(*, job_id: int, task: Callable[..., None]) -> None:
    """Run `task(job_id=…)` in a background thread once the current transaction commits, or inline when
    settings.QUXIANG["IMPORT_RUN_INLINE"] is set."""
    if settings.QUXIANG.get("IMPORT_RUN_INLINE"):
        _run_guarded(task, job_id)
        return
    language = translation.get_language() or settings.LANGUAGE_CODE

    def start() -> None:
        threading.Thread(target=_thread_main, args=(task, job_id, language), name=f"roster-import-{job_id}",
                         daemon=True).start()

    transaction.on_commit(start)


def import_job_start_check(*, job: ImportJob) -> None:
    import_job_dispatch(job_id=job.pk, task=import_job_check)


def import_job_start_import(*, job: ImportJob, actor: User) -> bool:
    """Move a previewed job to importing (once: a double click starts one import) and start it."""
    started = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.READY).update(
        status=ImportStatus.IMPORTING, imported_by=actor, progress=1, updated_at=timezone.now()
    )
    if started:
        cache.delete(progress_cache_key(job.pk))
        import_job_dispatch(job_id=job.pk, task=import_job_import)
    return bool(started)


def import_job_expire_stale(*, job: ImportJob) -> ImportJob:
    """A running job whose worker vanished (server restart) is marked failed instead of spinning forever."""
    if job.status in RUNNING_STATUSES and timezone.now() - job.updated_at > STALE_AFTER:
        import_job_fail(job_id=job.pk, message=_("处理已中断（服务器可能已重启），没有写入任何数据。请重新上传文件。"))
        job.refresh_from_db()
    return job
