"""The national export as a background job (issue 11) on the crafted cohort of conftest.py: the file it
stores, its progress, its audit entry, who may download it, redelivery, and the faults."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from quxiang.audit.models import AuditAction, AuditEntry
from quxiang.jobs.models import Job, JobStatus
from quxiang.jobs.services import job_create, job_progress, job_run
from quxiang.jobs.tests.helpers import UNREACHABLE_BROKER, celery_broker
from quxiang.reports import exports
from quxiang.reports import jobs as export_jobs
from quxiang.reports.jobs import KIND_EXPORT, national_export_handler, national_export_start
from quxiang.reports.services import national_export_create
from quxiang.testing.factories import make_office

pytestmark = pytest.mark.django_db

START = reverse("reports:export")
LONG_AGO = timezone.now() - dt.timedelta(hours=2)


def job_url(name: str, job: Job) -> str:
    return reverse(f"reports:{name}", kwargs={"pk": job.pk})


def cells(source) -> dict[str, list[list[tuple]]]:
    """Every sheet of a workbook as rows of (value, data type): what a provincial loader reads."""
    book = openpyxl.load_workbook(source)
    return {sheet.title: [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows()]
            for sheet in book.worksheets}


def job_file(job: Job) -> dict[str, list[list[tuple]]]:
    job.refresh_from_db()
    with job.result_file.open("rb") as fh:
        return cells(io.BytesIO(fh.read()))


def stored_files() -> set[str]:
    storage = Job._meta.get_field("result_file").storage
    try:
        folders = storage.listdir("jobs")[0]
    except FileNotFoundError:
        return set()
    return {f"jobs/{d}/{name}" for d in folders for name in storage.listdir(f"jobs/{d}")[1]}


def export_entries():
    return AuditEntry.objects.filter(action=AuditAction.EXPORT)


@pytest.fixture
def office(cohort):
    return cohort.users["office"]


@pytest.fixture
def office_client(client, office):
    client.force_login(office)
    return client


@pytest.mark.parametrize("options", [
    {},
    {"full_id": True, "reason": "报送市教委毕业去向核查"},
    {"verified_only": True},
])
def test_the_jobs_file_equals_the_in_request_export_cell_by_cell(office, tmp_path, options):
    job = national_export_start(actor=office, year=2027, **options)
    assert (job.kind, job.status, job.created_by) == (KIND_EXPORT, JobStatus.DONE, office)
    path = tmp_path / "old.xlsx"
    with path.open("w+b") as fh:
        national_export_create(actor=office, year=2027, out=fh, **options)
    old = cells(path)
    assert job_file(job) == old
    assert len(old["毕业去向"]) == 1 + (5 if options.get("verified_only") else 11)


def test_the_file_is_offered_under_the_exports_name(office_client, office):
    response = office_client.post(START, {"year": 2027})
    job = Job.objects.get(kind=KIND_EXPORT)
    assert response.status_code == 302 and response["Location"] == job_url("export_job", job)
    page = office_client.get(response["Location"]).content.decode()
    assert 'id="export-done"' in page and "已导出 11 名毕业生" in page
    download = office_client.get(job_url("export_download", job))
    assert download.status_code == 200 and download["Cache-Control"] == "private, no-store"
    assert re.search(r"graduates-2027-masked-\d{8}-\d{4}\.xlsx", download["Content-Disposition"])
    assert b"".join(download.streaming_content)[:2] == b"PK"


def test_progress_is_reported_as_the_file_is_written(office, monkeypatch):
    seen: list[tuple[int, int]] = []
    real = export_jobs.job_progress

    def record(*, job_id, done, total, durable=True):
        seen.append((done, total))
        real(job_id=job_id, done=done, total=total, durable=durable)

    monkeypatch.setattr(export_jobs, "job_progress", record)
    monkeypatch.setattr(export_jobs, "PROGRESS_EVERY", 4)
    job = national_export_start(actor=office, year=2027)
    assert seen == [(0, 11), (4, 11), (8, 11), (11, 11)]
    job.refresh_from_db()
    assert (job.progress_done, job.progress_total) == (11, 11)


def test_a_running_export_shows_a_progress_bar_and_no_download(office_client, office):
    job = job_create(kind=KIND_EXPORT, created_by=office, params={"year": 2027})
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, heartbeat_at=timezone.now())
    job_progress(job_id=job.pk, done=4, total=11)
    page = office_client.get(job_url("export_job", job)).content.decode()
    assert "<progress" in page and 'value="36"' in page and "4 / 11" in page and "js/job-progress.js" in page
    assert job_url("export_job_status", job) in page and "export-download" not in page
    status = office_client.get(job_url("export_job_status", job))
    assert "no-cache" in status["Cache-Control"]
    assert status.json() | {"id": 0} == {
        "id": 0, "status": "running", "status_label": "进行中", "running": True, "progress": 36, "done": 4,
        "total": 11, "message": "", "url": job_url("export_job", job), "download_url": None}
    assert office_client.get(job_url("export_download", job)).status_code == 404


def test_the_audit_entry_says_who_which_cohort_and_why(office_client, office):
    office_client.post(START, {"year": 2027, "full_id": "on", "reason": "报送市教委毕业去向核查",
                               "by_college": "on"})
    job = Job.objects.get(kind=KIND_EXPORT)
    entry = export_entries().get()
    assert (entry.actor, entry.ip) == (office, "127.0.0.1")
    assert entry.detail == {"what": "national_export", "year": 2027, "rows": 11, "full_id": True,
                            "verified_only": False, "by_college": True, "job": job.pk,
                            "reason": "报送市教委毕业去向核查"}
    # Opening the page and downloading do not log the export again.
    office_client.get(job_url("export_job", job))
    b"".join(office_client.get(job_url("export_download", job)).streaming_content)
    assert export_entries().count() == 1


@pytest.mark.parametrize("who", ["other_office", "counselor_a1", "officer_b"])
def test_only_the_person_who_started_it_reaches_the_job_and_its_file(client, cohort, office, who):
    job = national_export_start(actor=office, year=2027, full_id=True, reason="报送市教委毕业去向核查")
    user = make_office() if who == "other_office" else cohort.users[who]
    client.force_login(user)
    for name in ("export_job", "export_job_status", "export_download"):
        assert client.get(job_url(name, job)).status_code == 404, name
    assert "export-jobs" not in client.get(START).content.decode()  # nor in their list of exports


def test_anonymous_is_sent_to_login_for_the_file(client, office):
    job = national_export_start(actor=office, year=2027)
    response = client.get(job_url("export_download", job))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_the_export_page_lists_my_exports(office_client, office):
    job = national_export_start(actor=office, year=2027, full_id=True, reason="报送市教委毕业去向核查")
    page = office_client.get(START).content.decode()
    assert 'id="export-jobs"' in page and job_url("export_job", job) in page and "完整" in page


class Killed(BaseException):
    """Stands for SIGKILL: nothing of the job's own code runs after it (job_run catches Exception only)."""


def test_a_worker_killed_mid_export_leaves_no_file_and_the_redelivered_job_writes_it_whole(office, monkeypatch):
    job = job_create(kind=KIND_EXPORT, created_by=office, params={"year": 2027})
    before = stored_files()
    real = export_jobs.job_progress

    def die_at_four(*, job_id, done, total, durable=True):
        if done == 4:
            raise Killed
        real(job_id=job_id, done=done, total=total, durable=durable)

    monkeypatch.setattr(export_jobs, "PROGRESS_EVERY", 4)
    monkeypatch.setattr(export_jobs, "job_progress", die_at_four)
    with pytest.raises(Killed):
        job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and not job.result_file and stored_files() == before
    assert not export_entries().exists()

    monkeypatch.setattr(export_jobs, "job_progress", real)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=LONG_AGO)  # its worker is gone: the lease ran out
    job_run(job_id=job.pk)  # the redelivered message
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.DONE, 2)
    rows = job_file(job)["毕业去向"]
    numbers = [row[0][0] for row in rows[1:]]
    assert len(numbers) == 11 and len(set(numbers)) == 11
    assert len(stored_files() - before) == 1 and export_entries().count() == 1


def test_running_a_finished_export_again_changes_nothing(office):
    job = national_export_start(actor=office, year=2027)
    first, files = job_file(job), stored_files()
    national_export_handler(Job.objects.get(pk=job.pk))  # a late duplicate delivery reaching the handler
    job_run(job_id=job.pk)
    assert job_file(job) == first and stored_files() == files and export_entries().count() == 1


def test_when_the_export_cannot_be_queued_the_page_says_so_and_nothing_is_written(
        office_client, django_capture_on_commit_callbacks):
    before = stored_files()
    with celery_broker(UNREACHABLE_BROKER, publish_retries=0), django_capture_on_commit_callbacks(execute=True):
        response = office_client.post(START, {"year": 2027})
    job = Job.objects.get(kind=KIND_EXPORT)
    assert (job.status, job.error, job.result_file.name) == (JobStatus.FAILED, "任务未能排队，请稍后重试。", "")
    page = office_client.get(response["Location"]).content.decode()
    assert 'id="export-failed"' in page and "任务未能排队，请稍后重试。" in page and "export-download" not in page
    assert office_client.get(job_url("export_download", job)).status_code == 404
    assert not export_entries().exists() and stored_files() == before


def test_an_export_by_someone_who_lost_the_right_fails_with_a_message(cohort, office):
    job = job_create(kind=KIND_EXPORT, created_by=office, params={"year": 2027})
    office.role = cohort.users["counselor_a1"].role
    office.save(update_fields=["role"])
    job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "不是招生就业处账号" in job.error and not job.result_file
    assert not export_entries().exists()


def test_a_storage_failure_fails_the_job_with_a_message_and_no_audit_entry(office, monkeypatch):
    storage = Job._meta.get_field("result_file").storage

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage, "save", full_disk)
    job = national_export_start(actor=office, year=2027)
    assert job.status == JobStatus.FAILED and job.error == "导出文件未能保存（文件存储暂时不可用），请稍后重新导出。"
    assert not job.result_file and not export_entries().exists()


def test_by_college_each_college_has_its_own_sheet(office, cohort):
    whole = job_file(national_export_start(actor=office, year=2027))["毕业去向"]
    split = job_file(national_export_start(actor=office, year=2027, by_college=True))
    # A sheet name may not hold ":" or "/" (Excel refuses the file): they become "-".
    assert list(split) == ["007 机械工程学院", '008 =HYPERLINK("http---evil")学院']
    a, b = split.values()
    assert a[0] == b[0] == whole[0]  # the header on every sheet
    college_a = {s.student_number for s in cohort.students.values() if s.college.code == "007"}
    assert {row[0][0] for row in a[1:]} == college_a and len(a) - 1 == 7
    assert sorted(a[1:] + b[1:]) == sorted(whole[1:])


def test_a_sheet_that_reaches_the_row_limit_goes_on_in_another_one(office, monkeypatch):
    whole = job_file(national_export_start(actor=office, year=2027))["毕业去向"]
    monkeypatch.setattr(exports, "SHEET_ROW_LIMIT", 5)  # Excel's 1,048,576, scaled down: header + 4 rows
    sheets = job_file(national_export_start(actor=office, year=2027))
    assert list(sheets) == ["毕业去向", "毕业去向 (2)", "毕业去向 (3)"]
    assert [len(rows) for rows in sheets.values()] == [5, 5, 4]
    assert [row for rows in sheets.values() for row in rows[1:]] == whole[1:]  # none lost, in order
