"""The import pages as the office (and everybody else) meets them."""

from __future__ import annotations

import html as htmllib
import io
import re
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from quxiang.accounts.models import Role
from quxiang.imports.jobs import KIND_CHECK
from quxiang.imports.models import ImportJob, ImportStatus
from quxiang.jobs.models import Job, JobStatus
from quxiang.jobs.services import job_create, job_progress
from quxiang.jobs.tests.helpers import UNREACHABLE_BROKER, celery_broker
from quxiang.roster.models import Student
from quxiang.testing.factories import (
    ROSTER_HEADERS,
    StudentFactory,
    UserFactory,
    make_college_officer,
    make_counselor,
    roster_row,
    roster_upload,
)

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


def rows_for(school, count: int, **overrides) -> list[dict]:
    return [roster_row(n=n, college=school["college"].name, major_code=school["major"].code, **overrides)
            for n in range(1, count + 1)]


def upload(client, rows, **kwargs):
    return client.post(reverse("imports:index"), {"file": roster_upload(rows, **kwargs)})


@pytest.fixture
def office_client(client, school):
    client.force_login(school["office"])
    return client


@pytest.fixture
def a_job(school):
    from quxiang.imports import services

    return services.import_job_create(upload=roster_upload(rows_for(school, 1)), actor=school["office"])


# --- who may open what ----------------------------------------------------------------------------------

def urls(job):
    return [
        ("get", reverse("imports:index")),
        ("get", reverse("imports:template")),
        ("get", reverse("imports:job", kwargs={"pk": job.pk})),
        ("get", reverse("imports:status", kwargs={"pk": job.pk})),
        ("get", reverse("imports:problems", kwargs={"pk": job.pk})),
        ("post", reverse("imports:run", kwargs={"pk": job.pk})),
    ]


def test_anonymous_is_sent_to_login(client, a_job):
    for method, url in urls(a_job):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith(LOGIN), url


@pytest.mark.parametrize("who", ["student", "counselor", "college_officer"])
def test_students_counselors_and_college_officers_get_404(client, a_job, school, who):
    user = {
        "student": lambda: StudentFactory().user,
        "counselor": make_counselor,
        "college_officer": lambda: make_college_officer(college=school["college"]),
    }[who]()
    client.force_login(user)
    for method, url in urls(a_job):
        assert getattr(client, method)(url).status_code == 404, url
    a_job.refresh_from_db()
    assert a_job.status == ImportStatus.QUEUED  # the POST did not start anything


@pytest.mark.parametrize("role", [Role.OFFICE, Role.ADMIN])
def test_office_and_admin_may_use_the_import(client, a_job, role):
    client.force_login(UserFactory(role=role))
    for method, url in urls(a_job)[:5]:
        assert getattr(client, method)(url).status_code == 200, url


# --- the page, the template ---------------------------------------------------------------------------

def test_index_offers_template_and_upload_form(office_client):
    page = text(office_client.get(reverse("imports:index")))
    assert "毕业生名单导入" in page and "下载导入模板" in page and 'type="file"' in page and "上传并检查" in page
    # app.js warns before sending an oversized file: limit in bytes, message in Chinese.
    assert 'data-max-bytes="20971520"' in page and 'data-too-large="文件超过 20 MB 上限，请分批导入。"' in page


def test_template_has_every_column_text_formatted_ids_an_example_and_an_explanation(office_client, school):
    response = office_client.get(reverse("imports:template"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["毕业生名单", "填写说明", "专业代码表"]
    sheet = book["毕业生名单"]
    header = [c.value for c in sheet[1]]
    assert header == ROSTER_HEADERS
    example = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert example["姓名"].endswith("（示例）") and example["生源地代码"] == "330114"
    assert len(example["身份证号"]) == 18 and isinstance(example["身份证号"], str)
    id_col = header.index("身份证号") + 1
    assert sheet.cell(row=2, column=id_col).number_format == "@"
    notes = [[c.value for c in r] for r in book["填写说明"].iter_rows(min_row=2, max_row=len(ROSTER_HEADERS) + 1)]
    assert [n[0] for n in notes] == ROSTER_HEADERS and all(n[2] for n in notes)
    codes = [[c.value for c in r] for r in book["专业代码表"].iter_rows(min_row=2)]
    assert [school["college"].name, "080999", "导入测试专业", "本科"] in codes


def test_uploading_the_blank_template_imports_nothing_and_says_why(office_client):
    """The template's example row alone is not a roster: the preview says there is no student in it."""
    template = office_client.get(reverse("imports:template")).content
    response = office_client.post(reverse("imports:index"), {"file": SimpleUploadedFile("模板.xlsx", template)})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert job.status == ImportStatus.FAILED and job.rows_total == 0
    page = office_client.get(response.url)
    assert "名单中没有学生数据（只有表头）" in page.content.decode()


# --- upload, preview, import ------------------------------------------------------------------------------

def test_upload_preview_and_import_as_the_office_sees_it(office_client, school):
    rows = rows_for(school, 3, counselor="fdy900")
    rows[1]["身份证号"] = rows[1]["身份证号"][:17] + ("1" if rows[1]["身份证号"][17] != "1" else "2")
    response = upload(office_client, rows)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:job", kwargs={"pk": job.pk})

    page = text(office_client.get(response["Location"]))
    assert "检查结果" in page
    assert "第 3 行" in page and "身份证号" in page and "校验位不正确" in page
    assert 'id="count-new">2<' in page and 'id="count-error">1<' in page
    assert "导入（新增 2，更新 0）" in page
    assert not Student.objects.exists()

    response = office_client.post(reverse("imports:run", kwargs={"pk": job.pk}))
    assert response.status_code == 302
    page = text(office_client.get(response["Location"]))
    assert "导入完成：新增 2 名、更新 0 名、无变化 0 名；跳过有问题的 1 行。" in page
    assert "第 3 行" in page
    assert Student.objects.count() == 2

    # The same file again: nothing to do, and the page says so.
    upload(office_client, rows)
    again = ImportJob.objects.order_by("-pk").first()
    page = text(office_client.get(reverse("imports:job", kwargs={"pk": again.pk})))
    assert "没有需要导入的变化" in page and 'id="count-unchanged">2<' in page


def test_a_file_whose_every_row_is_refused_says_so_and_not_that_nothing_changed(office_client, school):
    rows = rows_for(school, 2)
    for row in rows:
        row["性别"] = "X"
    upload(office_client, rows)
    page = text(office_client.get(reverse("imports:job", kwargs={"pk": ImportJob.objects.get().pk})))

    assert 'id="count-error">2<' in page
    assert "文件中的 2 行全部有问题，没有可以导入的行。请按下方问题清单修改文件后重新上传。" in page
    assert "没有需要导入的变化" not in page and "导入时将跳过" not in page
    assert re.search(r'<button[^>]*id="run-import"[^>]*disabled', page)


def test_refused_rows_beside_unchanged_ones_speak_of_the_other_rows(office_client, school):
    rows = rows_for(school, 2)
    upload(office_client, rows)
    office_client.post(reverse("imports:run", kwargs={"pk": ImportJob.objects.get().pk}))
    rows.append(rows_for(school, 3)[2] | {"性别": "X"})
    upload(office_client, rows)
    page = text(office_client.get(reverse("imports:job", kwargs={"pk": ImportJob.objects.order_by("-pk")[0].pk})))

    assert "有 1 行有问题，导入时将跳过" in page
    assert "其余各行与系统中的名单一致，没有需要导入的变化。" in page and "全部有问题" not in page


def test_problem_list_downloads_as_xlsx(office_client, school):
    rows = rows_for(school, 2)
    rows[0].update({"性别": "X", "姓名": "@SUM(1)"})
    upload(office_client, rows)
    job = ImportJob.objects.get()
    response = office_client.get(reverse("imports:problems", kwargs={"pk": job.pk}))
    sheet = load_workbook(io.BytesIO(response.content)).active
    lines = [[c.value for c in r] for r in sheet.iter_rows(values_only=False)]
    assert lines[0] == ["行号", "学号", "姓名", "问题"]
    assert lines[1][0] == 2 and "性别应为" in lines[1][3]
    assert lines[1][2] == "'@SUM(1)"  # escaped: Excel must not run it (SPEC §6)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("名单.xlsx", "学号,姓名\n2700000001,张三\n".encode(), "文件不是 Excel 工作簿（.xlsx）"),
        ("名单.xlsx", b"%PDF-1.4\n%%EOF", "文件不是 Excel 工作簿（.xlsx）"),
        ("名单.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "旧版 .xls 文件"),
        ("名单.xlsx", b"PK\x03\x04garbage", "文件已损坏"),
    ],
    ids=["csv", "pdf", "xls", "broken-zip"],
)
def test_a_file_that_is_not_xlsx_is_refused_in_chinese(office_client, name, content, message):
    response = office_client.post(reverse("imports:index"), {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200
    assert message in text(response)
    assert not ImportJob.objects.exists()


def test_a_zip_that_is_not_a_workbook_is_refused(office_client):
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "hello")
    response = office_client.post(reverse("imports:index"), {"file": SimpleUploadedFile("a.xlsx", buf.getvalue())})
    assert "文件不是 Excel 工作簿" in text(response)


def test_an_oversized_file_is_refused(office_client, school, settings):
    settings.QUXIANG = {**settings.QUXIANG, "IMPORT_MAX_BYTES": 1024}
    response = upload(office_client, rows_for(school, 30))
    assert response.status_code == 200
    page = text(response)
    assert 'id="upload-error"' in page and "上限，请分批导入" in page
    assert "请选择要上传的 .xlsx 文件" not in page
    assert not ImportJob.objects.exists()


def test_no_file_chosen(office_client):
    response = office_client.post(reverse("imports:index"), {})
    assert "请选择要上传的 .xlsx 文件" in text(response)


def test_a_workbook_without_the_header_fails_with_a_message_not_a_500(office_client):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["随便", "什么"])
    buf = io.BytesIO()
    book.save(buf)
    office_client.post(reverse("imports:index"), {"file": SimpleUploadedFile("x.xlsx", buf.getvalue())})
    job = ImportJob.objects.get()
    page = text(office_client.get(reverse("imports:job", kwargs={"pk": job.pk})))
    assert job.status == ImportStatus.FAILED
    assert "没有找到表头行" in page and "重新上传" in page


def test_running_import_twice_is_refused_politely(office_client, school):
    upload(office_client, rows_for(school, 1))
    job = ImportJob.objects.get()
    office_client.post(reverse("imports:run", kwargs={"pk": job.pk}))
    response = office_client.post(reverse("imports:run", kwargs={"pk": job.pk}), follow=True)
    assert "无需重复操作" in text(response)
    assert Student.objects.count() == 1


# --- progress ---------------------------------------------------------------------------------------------

def test_status_endpoint_returns_json(office_client, school):
    upload(office_client, rows_for(school, 2))
    job = ImportJob.objects.get()
    data = office_client.get(reverse("imports:status", kwargs={"pk": job.pk})).json()
    assert data["status"] == "ready" and data["status_label"] == "待导入" and data["running"] is False
    assert data["progress"] == 100
    assert data["counts"] == {"total": 2, "new": 2, "updated": 0, "unchanged": 0, "error": 0}
    assert data["url"] == reverse("imports:job", kwargs={"pk": job.pk})


def test_a_running_job_shows_a_progress_bar_that_polls_the_status(office_client, a_job):
    """The check's job reported 12 % to its row and, later, 40 % to the cache only (from inside a write
    transaction): the page and the status endpoint show the further one."""
    run = job_create(kind=KIND_CHECK, created_by=a_job.created_by, params={"import": a_job.pk})
    ImportJob.objects.filter(pk=a_job.pk).update(status=ImportStatus.CHECKING, check_job=run)
    Job.objects.filter(pk=run.pk).update(status=JobStatus.RUNNING)
    job_progress(job_id=run.pk, done=12, total=100)
    job_progress(job_id=run.pk, done=40, total=100, durable=False)
    page = text(office_client.get(reverse("imports:job", kwargs={"pk": a_job.pk})))
    assert "<progress" in page and 'value="40"' in page and "js/job-progress.js" in page
    assert reverse("imports:status", kwargs={"pk": a_job.pk}) in page
    response = office_client.get(reverse("imports:status", kwargs={"pk": a_job.pk}))
    assert response.json()["progress"] == 40 and response.json()["running"] is True
    assert "no-cache" in response["Cache-Control"]


def test_when_the_preview_cannot_be_queued_the_page_says_so(office_client, school,
                                                           django_capture_on_commit_callbacks):
    with celery_broker(UNREACHABLE_BROKER, publish_retries=0), django_capture_on_commit_callbacks(execute=True):
        response = upload(office_client, rows_for(school, 2))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.status == ImportStatus.FAILED
    page = text(office_client.get(response["Location"]))
    assert "任务未能排队，请稍后重试" in page and 'id="import-failed"' in page
    assert not Student.objects.exists()


def test_when_the_import_cannot_be_queued_the_preview_stays_and_the_office_can_retry(
        office_client, school, django_capture_on_commit_callbacks):
    upload(office_client, rows_for(school, 2))
    job = ImportJob.objects.get()
    run_url = reverse("imports:run", kwargs={"pk": job.pk})
    with celery_broker(UNREACHABLE_BROKER, publish_retries=0), django_capture_on_commit_callbacks(execute=True):
        response = office_client.post(run_url)
    page = text(office_client.get(response["Location"]))
    assert "任务未能排队，请稍后重试" in page and 'id="count-new">2<' in page
    assert re.search(r'<button[^>]*id="run-import"(?![^>]*disabled)', page)
    assert not Student.objects.exists()

    office_client.post(run_url)  # the broker is back
    page = text(office_client.get(reverse("imports:job", kwargs={"pk": job.pk})))
    assert 'id="import-done"' in page and "任务未能排队" not in page
    assert Student.objects.count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_without_eager_mode_a_celery_worker_runs_the_preview_and_the_import(client):
    """What `make run` does, in one process: the request only queues the job; a Celery worker (here a
    thread consuming an in-memory broker) checks, then imports; the page then shows the result."""
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun

    from quxiang.testing.factories import CollegeFactory, MajorFactory

    college = CollegeFactory(code="T1", name="线程学院")
    MajorFactory(code="081111", college=college)
    client.force_login(UserFactory(role=Role.OFFICE))
    rows = [roster_row(n=n, college="线程学院", major_code="081111") for n in range(1, 41)]
    finished = threading.Semaphore(0)

    def on_postrun(**kwargs):
        finished.release()

    task_postrun.connect(on_postrun, weak=False)
    try:
        with celery_broker("memory://", transport_options={"polling_interval": 0.1}) as app, \
                start_worker(app, perform_ping_check=False, shutdown_timeout=30):
            client.post(reverse("imports:index"), {"file": roster_upload(rows)})
            # Wait for the worker instead of polling: the test database is SQLite in shared-cache memory mode,
            # where a read during a write fails at once ("table is locked") instead of waiting.
            assert finished.acquire(timeout=60)
            job = ImportJob.objects.get()
            assert job.status == ImportStatus.READY and job.check_job.status == JobStatus.DONE
            client.post(reverse("imports:run", kwargs={"pk": job.pk}))
            assert finished.acquire(timeout=60)
    finally:
        task_postrun.disconnect(on_postrun)
    data = client.get(reverse("imports:status", kwargs={"pk": job.pk})).json()
    assert data["status"] == "done" and data["counts"]["new"] == 40 and not data["running"]
    assert Student.objects.count() == 40
    job.refresh_from_db()
    assert job.apply_job.status == JobStatus.DONE and job.apply_job.attempts == 1


def test_a_locked_sqlite_database_gives_the_progress_bar_a_503_not_a_500(office_client, a_job, monkeypatch):
    from django.db import OperationalError

    from quxiang.imports import selectors

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(selectors, "import_job_get", locked)
    response = office_client.get(reverse("imports:status", kwargs={"pk": a_job.pk}))
    assert response.status_code == 503 and response.json()["running"] is True


def test_the_upload_still_checks_csrf(school):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(school["office"])
    response = client.post(reverse("imports:index"), {"file": roster_upload(rows_for(school, 1))})
    assert response.status_code == 403
    assert not ImportJob.objects.exists()
