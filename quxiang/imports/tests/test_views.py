"""The import pages as the office (and everybody else) meets them."""

from __future__ import annotations

import html as htmllib
import io
import threading

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from quxiang.accounts.models import Role
from quxiang.imports.models import ImportJob, ImportStatus
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


def test_uploading_the_blank_template_imports_nothing(office_client):
    template = office_client.get(reverse("imports:template")).content
    response = office_client.post(reverse("imports:index"), {"file": SimpleUploadedFile("模板.xlsx", template)})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert (job.status, job.rows_total, job.rows_error) == (ImportStatus.READY, 0, 0)


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
    ImportJob.objects.filter(pk=a_job.pk).update(status=ImportStatus.CHECKING, progress=12)
    cache.set(f"imports:progress:{a_job.pk}", 40)
    page = text(office_client.get(reverse("imports:job", kwargs={"pk": a_job.pk})))
    assert "<progress" in page and 'value="40"' in page and "js/imports.js" in page
    assert reverse("imports:status", kwargs={"pk": a_job.pk}) in page
    response = office_client.get(reverse("imports:status", kwargs={"pk": a_job.pk}))
    assert response.json()["progress"] == 40 and response.json()["running"] is True
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_without_inline_mode_the_work_runs_in_a_background_thread(client, settings):
    """What `make run` does: the request returns at once; a thread checks, then imports; the page polls."""
    from quxiang.testing.factories import CollegeFactory, MajorFactory

    settings.QUXIANG = {**settings.QUXIANG, "IMPORT_RUN_INLINE": False}
    college = CollegeFactory(code="T1", name="线程学院")
    MajorFactory(code="081111", college=college)
    client.force_login(UserFactory(role=Role.OFFICE))
    rows = [roster_row(n=n, college="线程学院", major_code="081111") for n in range(1, 41)]
    client.post(reverse("imports:index"), {"file": roster_upload(rows)})
    job = ImportJob.objects.get()
    status_url = reverse("imports:status", kwargs={"pk": job.pk})

    def wait() -> dict:
        # Join the worker instead of polling: the test database is SQLite in shared-cache memory mode, where a
        # read during a write fails at once ("table is locked") instead of waiting as a database file does.
        for thread in threading.enumerate():
            if thread.name.startswith("roster-import-"):
                thread.join(timeout=60)
        data = client.get(status_url).json()
        assert not data["running"], data
        return data

    assert wait()["status"] == "ready"
    client.post(reverse("imports:run", kwargs={"pk": job.pk}))
    data = wait()
    assert data["status"] == "done" and data["counts"]["new"] == 40
    assert Student.objects.count() == 40


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
