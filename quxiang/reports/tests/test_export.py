"""The national export (全国去向登记导出) on the crafted cohort of conftest.py."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.urls import reverse

from quxiang.audit.models import AuditAction, AuditEntry
from quxiang.jobs.models import Job
from quxiang.reports.jobs import KIND_EXPORT
from quxiang.reports.national import EXPORT_COLUMNS
from quxiang.reports.services import national_export_create
from quxiang.testing.factories import StudentFactory, UserFactory, make_verified

pytestmark = pytest.mark.django_db

URL = reverse("reports:export")

# SPEC §4, every column a provincial loader reads (the "/" pairs spelled out).
SPEC_COLUMNS = [
    "学号", "考生号", "姓名", "性别", "出生日期", "生源地代码", "生源地名称", "民族", "政治面貌", "城乡生源", "学历层次",
    "专业名称", "专业代码", "入学年月", "毕业日期", "培养方式", "学习形式", "毕业去向类别代码", "毕业去向", "签约日期",
    "单位名称", "统一社会信用代码", "单位性质代码", "单位性质名称", "单位行业代码", "单位行业名称", "单位所在地代码",
    "单位所在地名称", "单位地址", "工作职位类别代码", "工作职位类别名称", "留学国家地区", "留学院校中文名称",
    "留学院校外文名称", "留学专业中文名称", "留学专业外文名称", "档案转寄单位名称", "档案转寄单位地址", "档案转寄单位邮编",
]


def download(client, **data):
    """Start the export (a background job: run at once in the unit tests), open its page, follow the link."""
    r = client.post(URL, {"year": 2027, **data})
    assert r.status_code == 302, r.content[:500]
    page = client.get(r["Location"]).content.decode()
    link = re.search(r'id="export-download" href="([^"]+)"', page)
    assert link, page
    r = client.get(link.group(1))
    assert r.status_code == 200
    assert r["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert r["Content-Disposition"].startswith("attachment;")
    body = b"".join(r.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    header = [c.value for c in sheet[1]]
    rows = {}
    for cells in sheet.iter_rows(min_row=2):
        row = dict(zip(header, cells, strict=True))
        rows[row["学号"].value] = row
    return header, rows


def value(row, column):
    return row[column].value


@pytest.fixture
def office_client(client, cohort):
    client.force_login(cohort.users["office"])
    return client


def test_header_has_every_spec_column_in_order(office_client):
    header, _ = download(office_client)
    assert [c for c in header if c in SPEC_COLUMNS] == SPEC_COLUMNS
    assert header == EXPORT_COLUMNS
    assert "身份证号" in header and header[-1] == "登记状态"


def test_masked_by_default_and_logged(office_client, cohort):
    _, rows = download(office_client)
    s1 = cohort.students["s1"]
    row = rows[s1.student_number]
    assert value(row, "身份证号") == s1.national_id[:4] + "*" * 10 + s1.national_id[-4:]
    assert value(row, "出生日期") == f"{s1.national_id[6:10]}-{s1.national_id[10:12]}-{s1.national_id[12:14]}"
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.actor == cohort.users["office"]
    job = Job.objects.get(kind=KIND_EXPORT)
    assert entry.detail == {"what": "national_export", "year": 2027, "rows": 11, "full_id": False,
                            "verified_only": False, "job": job.pk}


def test_full_export_requires_a_reason(office_client):
    r = office_client.post(URL, {"year": 2027, "full_id": "on", "reason": " "})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/html")
    assert "须填写用途说明" in r.content.decode()
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_full_export_with_reason_shows_ids_and_logs_the_reason(office_client, cohort):
    _, rows = download(office_client, full_id="on", reason="报送市教委毕业去向核查")
    s3 = cohort.students["s3"]
    cell = rows[s3.student_number]["身份证号"]
    assert cell.value == s3.national_id and cell.data_type == "s"
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.detail["full_id"] is True and entry.detail["reason"] == "报送市教委毕业去向核查"
    assert entry.ip == "127.0.0.1"


def test_ids_and_codes_are_text_and_formula_like_cells_are_escaped(office_client, cohort):
    s1 = cohort.students["s1"]
    s1.name = "=1+2"
    s1.exam_number = "27310104150123"
    s1.save()
    _, rows = download(office_client)
    row = rows[s1.student_number]
    for column in ("学号", "考生号", "专业代码", "生源地代码", "毕业去向类别代码", "统一社会信用代码", "单位性质代码",
                   "单位所在地代码", "工作职位类别代码"):
        assert row[column].data_type == "s", column
    assert value(row, "考生号") == "27310104150123"
    assert value(row, "专业代码") == "080202"
    assert value(row, "姓名") == "'=1+2"
    assert value(row, "毕业去向类别代码") == "10" and value(row, "毕业去向") == "签就业协议形式就业"
    assert value(row, "单位名称") == "上海测试科技有限公司"
    assert value(row, "单位性质代码") == "39" and value(row, "单位性质名称") == "其他企业"
    assert value(row, "单位行业代码") == "I"
    assert value(row, "单位所在地代码") == "310115"
    assert value(row, "工作职位类别代码") == "13" and value(row, "工作职位类别名称") == "工程技术人员"
    assert value(row, "签约日期") == "2027-03-01"
    assert value(row, "档案转寄单位名称")  # filled by 匹配 in the wizard
    assert value(row, "登记状态") == "已鉴证"


def test_verified_abroad_record_fills_the_study_abroad_columns(office_client, cohort):
    _, rows = download(office_client)
    row = rows[cohort.students["s3"].student_number]
    assert value(row, "毕业去向类别代码") == "85"
    assert value(row, "留学国家地区") == "美国"
    assert value(row, "留学院校中文名称") == "哥伦比亚大学"
    assert value(row, "留学院校外文名称") == "Columbia University"
    assert value(row, "留学专业中文名称") == "计算机科学"
    assert value(row, "留学专业外文名称") == "Computer Science"
    assert value(row, "单位名称") is None
    # An employer record leaves them empty.
    assert value(rows[cohort.students["s1"].student_number], "留学国家地区") is None


def test_students_without_a_verified_record_have_an_empty_destination_and_their_state(office_client, cohort):
    _, rows = download(office_client)
    expected = {"s5": "待鉴证", "s6": "已退回", "s7": "草稿", "s8": "未登记", "s4": "已鉴证", "s11": "已鉴证"}
    for key, state in expected.items():
        assert value(rows[cohort.students[key].student_number], "登记状态") == state, key
    for key in ("s5", "s6", "s7", "s8"):
        row = rows[cohort.students[key].student_number]
        assert value(row, "毕业去向类别代码") is None and value(row, "单位名称") is None, key
    # s11's open change draft does not replace the verified v1 in the export.
    assert value(rows[cohort.students["s11"].student_number], "毕业去向类别代码") == "11"
    assert value(rows[cohort.students["s4"].student_number], "毕业去向") == "待就业"
    assert len(rows) == 11  # the 2026 graduate is not in the 2027 file


def test_verified_only(office_client, cohort):
    _, rows = download(office_client, verified_only="on")
    assert sorted(rows) == sorted(cohort.students[k].student_number for k in ("s1", "s2", "s3", "s4", "s11"))


@pytest.mark.parametrize("role", ["student", "counselor", "college_officer"])
def test_non_office_users_get_404(client, cohort, role):
    user = cohort.students["s1"].user if role == "student" else UserFactory(role=role, college=(
        cohort.students["s1"].college if role == "college_officer" else None))
    client.force_login(user)
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"year": 2027}).status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_anonymous_is_sent_to_login(client):
    r = client.get(URL)
    assert r.status_code == 302 and r.url.startswith(reverse("accounts:login"))


def test_export_page_shows_the_form(office_client):
    r = office_client.get(URL)
    page = r.content.decode()
    assert r.status_code == 200 and 'id="export-form"' in page and "2027 届" in page and "导出完整身份证号" in page


def test_service_writes_to_a_given_file_and_counts_rows(cohort, tmp_path):
    extra = StudentFactory(school_class=cohort.classes["a1"], name="@SUM(A1)")
    make_verified(student=extra)
    path = tmp_path / "out.xlsx"
    with path.open("w+b") as fh:
        result = national_export_create(actor=cohort.users["office"], year=2027, out=fh)
        assert result.rows == 12 and result.filename.startswith("graduates-2027-masked-")
    sheet = openpyxl.load_workbook(path, read_only=True).active
    names = [r[2] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert "'@SUM(A1)" in names and len(names) == 12


def test_full_export_without_reason_is_refused_by_the_service(cohort):
    with pytest.raises(ValueError):
        national_export_create(actor=cohort.users["office"], year=2027, full_id=True, reason="")
