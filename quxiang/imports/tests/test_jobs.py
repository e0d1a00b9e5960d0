"""The roster import as background jobs: each step is a Job, safe to run again, and never lost silently."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from quxiang.audit.models import AuditAction, AuditEntry
from quxiang.imports import services
from quxiang.imports.jobs import KIND_APPLY, KIND_CHECK
from quxiang.imports.models import ImportJob, ImportStatus
from quxiang.jobs.models import Job, JobStatus
from quxiang.jobs.services import job_run
from quxiang.jobs.tests.helpers import UNREACHABLE_BROKER, celery_broker
from quxiang.roster.models import Student
from quxiang.testing.factories import roster_row, roster_upload

pytestmark = pytest.mark.django_db

LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def rows_for(school, count: int) -> list[dict]:
    return [roster_row(n=n, college=school["college"].name, major_code=school["major"].code)
            for n in range(1, count + 1)]


def uploaded(school, count: int) -> ImportJob:
    return services.import_job_create(upload=roster_upload(rows_for(school, count)), actor=school["office"])


def previewed(school, count: int) -> ImportJob:
    job = uploaded(school, count)
    services.import_job_start_check(job=job)
    job.refresh_from_db()
    assert job.status == ImportStatus.READY, job.message
    return job


def queued_import(school, count: int) -> ImportJob:
    """Previewed, then 导入 clicked while the broker holds the message (nobody has run it yet)."""
    job = previewed(school, count)
    with celery_broker("memory://"):  # queued on commit, and the test's transaction never commits
        assert services.import_job_start_import(job=job, actor=school["office"])
    job.refresh_from_db()
    assert job.status == ImportStatus.IMPORTING and job.apply_job.status == JobStatus.QUEUED
    return job


def as_left_by_a_killed_worker(job: Job) -> None:
    """Running, one attempt made, heartbeat stopped long ago; its write transaction was rolled back."""
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=1, started_at=LONG_AGO,
                                          heartbeat_at=LONG_AGO)


def import_audit_entries() -> int:
    return AuditEntry.objects.filter(action=AuditAction.IMPORT).count()


def test_the_preview_and_the_import_each_run_as_a_job_of_the_person_who_started_it(school):
    job = previewed(school, 3)
    assert (job.check_job.kind, job.check_job.status, job.check_job.created_by) == (
        KIND_CHECK, JobStatus.DONE, school["office"])
    assert services.import_job_start_import(job=job, actor=school["counselor"])
    job.refresh_from_db()
    assert (job.apply_job.kind, job.apply_job.status, job.apply_job.created_by) == (
        KIND_APPLY, JobStatus.DONE, school["counselor"])
    assert job.status == ImportStatus.DONE and Student.objects.count() == 3


def test_an_import_whose_worker_was_killed_mid_run_is_run_again_by_the_next_delivery(school):
    job = queued_import(school, 4)
    as_left_by_a_killed_worker(job.apply_job)
    job_run(job_id=job.apply_job_id)
    job.refresh_from_db()
    assert (job.status, job.rows_new) == (ImportStatus.DONE, 4)
    assert (job.apply_job.status, job.apply_job.attempts) == (JobStatus.DONE, 2)
    assert Student.objects.count() == 4 and import_audit_entries() == 1


def test_an_import_delivered_again_after_it_committed_writes_nothing_twice(school):
    job = queued_import(school, 4)
    job_run(job_id=job.apply_job_id)
    assert Student.objects.count() == 4
    job_run(job_id=job.apply_job_id)  # the same message again: the job is done
    # Even a run that gets past the job (a worker that died between the commit and marking the job done)
    # finds the import done and writes nothing.
    as_left_by_a_killed_worker(job.apply_job)
    job_run(job_id=job.apply_job_id)
    job.refresh_from_db()
    assert (job.status, job.rows_new, job.rows_unchanged) == (ImportStatus.DONE, 4, 0)
    assert Student.objects.count() == 4 and import_audit_entries() == 1


def test_a_preview_whose_worker_was_killed_mid_check_is_checked_again(school):
    job = uploaded(school, 2)
    with celery_broker("memory://"):
        services.import_job_start_check(job=job)
    job.refresh_from_db()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.CHECKING)
    as_left_by_a_killed_worker(job.check_job)
    job_run(job_id=job.check_job_id)
    job.refresh_from_db()
    assert (job.status, job.rows_new, job.check_job.attempts) == (ImportStatus.READY, 2, 2)


def test_a_preview_that_cannot_be_queued_fails_the_upload_with_a_message(school, django_capture_on_commit_callbacks):
    job = uploaded(school, 2)
    with celery_broker(UNREACHABLE_BROKER, publish_retries=0), django_capture_on_commit_callbacks(execute=True):
        services.import_job_start_check(job=job)
    job.refresh_from_db()
    assert (job.status, job.message) == (ImportStatus.FAILED, "任务未能排队，请稍后重试。")
    assert job.check_job.status == JobStatus.FAILED


def test_an_import_that_cannot_be_queued_keeps_its_preview(school, django_capture_on_commit_callbacks):
    job = previewed(school, 2)
    with celery_broker(UNREACHABLE_BROKER, publish_retries=0), django_capture_on_commit_callbacks(execute=True):
        assert services.import_job_start_import(job=job, actor=school["office"])
    job.refresh_from_db()
    assert (job.status, job.message, job.rows_new) == (ImportStatus.READY, "任务未能排队，请稍后重试。", 2)
    assert not Student.objects.exists()
    assert services.import_job_start_import(job=job, actor=school["office"])
    job.refresh_from_db()
    assert (job.status, job.message) == (ImportStatus.DONE, "") and Student.objects.count() == 2


def test_an_import_no_worker_picked_up_goes_back_to_its_preview_with_a_message(school, settings):
    settings.QUXIANG = {**settings.QUXIANG, "JOBS": {"STALE_SECONDS": 600}}
    job = queued_import(school, 2)
    assert services.import_job_expire_stale(job=job).status == ImportStatus.IMPORTING
    Job.objects.filter(pk=job.apply_job_id).update(created_at=timezone.now() - dt.timedelta(seconds=601))
    job = services.import_job_expire_stale(job=ImportJob.objects.get(pk=job.pk))
    assert job.status == ImportStatus.READY and "中断" in job.message
    job_run(job_id=job.apply_job_id)  # the message turns up after all: the job was given up, nothing is written
    assert not Student.objects.exists()


def test_an_import_whose_worker_died_for_good_is_marked_failed(school, settings):
    settings.QUXIANG = {**settings.QUXIANG, "JOBS": {"STALE_SECONDS": 600}}
    job = queued_import(school, 2)
    as_left_by_a_killed_worker(job.apply_job)
    job = services.import_job_expire_stale(job=ImportJob.objects.get(pk=job.pk))
    assert job.status == ImportStatus.FAILED and "中断" in job.message
    assert not Student.objects.exists()


def test_an_import_whose_job_failed_unheard_is_shown_failed(school):
    """The job failed but the import was not told (its on_fail could not write): the page catches up."""
    job = queued_import(school, 2)
    Job.objects.filter(pk=job.apply_job_id).update(status=JobStatus.FAILED, attempts=1, error="磁盘已满。")
    job = services.import_job_expire_stale(job=ImportJob.objects.get(pk=job.pk))
    assert (job.status, job.message) == (ImportStatus.FAILED, "磁盘已满。")


def test_a_second_run_that_planned_before_the_first_committed_writes_nothing(school):
    """Two deliveries of one import at once (the lease expired under a slow worker): the second made its
    plan while the first was still writing; by the time it writes, the import is done."""
    from quxiang.imports.apply import import_plan_apply
    from quxiang.imports.cleaning import import_file_parse
    from quxiang.imports.plan import import_plan_build

    job = queued_import(school, 3)
    with job.file.open("rb") as fh:
        late_plan = import_plan_build(parsed=import_file_parse(fileobj=fh))
    job_run(job_id=job.apply_job_id)  # the first run commits
    assert import_plan_apply(plan=late_plan, job_id=job.pk) is None
    assert Student.objects.count() == 3 and import_audit_entries() == 1


# --- bad files, through the preview job (issue 11) ------------------------------------------------------

def _big_roster(path, *, rows: int) -> None:
    """A real roster workbook of `rows` data rows (xlsxwriter's constant memory: 200,000 rows in seconds)."""
    import xlsxwriter

    header = list(roster_row(n=1, college="x", major_code="x"))
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("名单")
    sheet.write_row(0, 0, header)
    for n in range(1, rows + 1):
        sheet.write_row(n, 0, [f"27{n:08d}", f"学生{n}"])
    book.close()


def checked(school, upload) -> ImportJob:
    job = services.import_job_create(upload=upload, actor=school["office"])
    services.import_job_start_check(job=job)
    job.refresh_from_db()
    return job


def test_a_file_of_200000_rows_is_refused_by_the_preview_in_chinese_and_imports_nothing(school, tmp_path):
    """The office uploads a whole province's list at once: the preview job says to split it (the limit is
    100,000 rows a file), nobody is imported and no import can be started from it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    path = tmp_path / "全省名单.xlsx"
    _big_roster(path, rows=200_000)
    job = checked(school, SimpleUploadedFile(path.name, path.read_bytes()))

    assert job.status == ImportStatus.FAILED
    assert "文件超过 100000 行，请分批导入" in job.message
    assert job.check_job.status in (JobStatus.DONE, JobStatus.FAILED)
    assert not services.import_job_start_import(job=job, actor=school["office"])
    assert Student.objects.count() == 0 and import_audit_entries() == 0


@pytest.mark.parametrize(("content", "message"), [
    (b"", "文件是空的"),
    ("学号,姓名\n2700000001,张三\n".encode(), "文件不是 Excel 工作簿（.xlsx）"),
])
def test_an_empty_or_foreign_file_is_refused_at_the_upload_in_chinese(school, content, message):
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationError) as refused:
        services.import_job_create(upload=SimpleUploadedFile("名单.xlsx", content), actor=school["office"])
    assert message in refused.value.messages[0]
    assert ImportJob.objects.count() == 0 and Job.objects.count() == 0  # no job, nothing queued
    assert Student.objects.count() == 0


def test_a_workbook_with_the_header_and_no_rows_fails_its_preview_in_chinese(school):
    job = checked(school, roster_upload([]))
    assert job.status == ImportStatus.FAILED
    assert "名单中没有学生数据（只有表头）" in job.message
    assert not services.import_job_start_import(job=job, actor=school["office"])
    assert Student.objects.count() == 0 and import_audit_entries() == 0
