"""Roster import through the services: what the office sees in the preview and what lands in the database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.hashers import check_password
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from quxiang.accounts.models import Role, User
from quxiang.imports import jobs, services
from quxiang.imports.models import ImportJob, ImportStatus
from quxiang.roster.models import SchoolClass, Student
from quxiang.testing.factories import (
    ROSTER_HEADERS,
    SchoolClassFactory,
    StudentFactory,
    make_national_id,
    roster_row,
    roster_upload,
)

pytestmark = pytest.mark.django_db


def preview(rows, *, actor, headers=None) -> ImportJob:
    job = services.import_job_create(upload=roster_upload(rows, headers=headers), actor=actor)
    services.import_job_start_check(job=job)
    job.refresh_from_db()
    return job


def do_import(job: ImportJob, *, actor) -> ImportJob:
    assert services.import_job_start_import(job=job, actor=actor)
    job.refresh_from_db()
    return job


def rows_for(school, count: int, start: int = 1, **overrides) -> list[dict]:
    return [roster_row(n=n, college=school["college"].name, major_code=school["major"].code, **overrides)
            for n in range(start, start + count)]


def problem_at(job: ImportJob, row: int) -> str:
    found = [p for p in job.problems if p["row"] == row]
    assert found, f"no problem reported for row {row}: {job.problems}"
    return "；".join(found[0]["reasons"])


# --- every reason a row is refused --------------------------------------------------------------------

BAD_ID_CHECK = make_national_id(seq=7)[:17] + ("0" if make_national_id(seq=7)[17] != "0" else "1")


def _with_check(body17: str) -> str:
    from stdnum.cn import ric

    return body17 + ric.calc_check_digit(body17 + "0")


BAD_CASES = [
    ("id_check_digit", {"身份证号": BAD_ID_CHECK}, "校验位不正确"),
    ("id_birth_date", {"身份证号": _with_check("31010420030230001")}, "出生日期不存在"),
    ("id_15_digits", {"身份证号": "310104030512001"}, "18 位"),
    ("unknown_region", {"生源地代码": "999999"}, "生源地代码 999999 不存在"),
    ("region_not_6_digits", {"生源地代码": "3101"}, "应为 6 位数字"),
    ("unknown_college", {"学院": "不存在学院"}, "学院“不存在学院”不存在"),
    ("unknown_major", {"专业代码": "999999"}, "专业代码 999999（本科）不存在"),
    ("major_in_other_college", {"专业代码": "050999"}, "属于另一学院"),
    ("counselor_unknown", {"辅导员工号": "nobody"}, "辅导员工号 nobody 不存在"),
    ("counselor_not_counselor", {"辅导员工号": "office900"}, "工号 office900 不是辅导员账号（是就业指导中心）"),
    ("missing_name", {"姓名": ""}, "缺少必填项：姓名"),
    ("missing_two", {"班级": None, "毕业年份": "  "}, "缺少必填项：班级、毕业年份"),
    ("bad_mobile", {"手机号": "12345"}, "手机号 12345：手机号应为 11 位数字"),
    ("bad_email", {"电子邮箱": "not-an-email"}, "电子邮箱“not-an-email”格式不正确"),
    ("bad_level", {"学历层次": "专科"}, "学历层次应为“本科”“硕士”或“博士”"),
    ("bad_gender", {"性别": "M"}, "性别应为“男”或“女”"),
    ("gender_vs_id", {"性别": "女"}, "性别与身份证号不一致"),
    ("bad_year", {"毕业年份": "27"}, "毕业年份“27”应为 4 位年份"),
    ("bad_date", {"入学年月": "九月"}, "入学年月无法识别：九月"),
    ("bad_student_number", {"学号": "27/0001"}, "格式不正确"),
]


@pytest.mark.parametrize(("override", "reason"), [c[1:] for c in BAD_CASES], ids=[c[0] for c in BAD_CASES])
def test_each_bad_row_is_listed_with_its_excel_row_and_reason(school, override, reason):
    rows = rows_for(school, 3)
    rows[1].update(override)  # row 1 of the data is Excel row 3 (row 1 is the header)
    if override.get("性别") == "女":
        rows[1]["身份证号"] = make_national_id(seq=2, sex="M")
    job = preview(rows, actor=school["office"])

    assert job.status == ImportStatus.READY
    assert reason in problem_at(job, 3)
    assert [p["row"] for p in job.problems] == [3]
    assert (job.rows_total, job.rows_new, job.rows_error) == (3, 2, 1)


def test_duplicate_student_number_in_file_flags_every_occurrence(school):
    rows = rows_for(school, 4)
    rows[3]["学号"] = rows[0]["学号"]
    job = preview(rows, actor=school["office"])
    assert "在文件中重复（另见第 5 行）" in problem_at(job, 2)
    assert "在文件中重复（另见第 2 行）" in problem_at(job, 5)
    assert job.rows_new == 2


def test_duplicate_national_id_in_file_is_refused(school):
    rows = rows_for(school, 3)
    rows[2]["身份证号"] = rows[0]["身份证号"]
    job = preview(rows, actor=school["office"])
    assert "身份证号" in problem_at(job, 4) and "重复" in problem_at(job, 4)


def test_national_id_of_another_student_is_refused(school):
    other = StudentFactory(student_number="2300000001")
    rows = rows_for(school, 2)
    rows[1]["身份证号"] = other.national_id
    rows[1]["性别"] = "男" if int(other.national_id[16]) % 2 else "女"
    job = preview(rows, actor=school["office"])
    assert f"已被学号 {other.student_number} 的学生使用" in problem_at(job, 3)


def test_class_of_another_college_is_refused(school):
    SchoolClassFactory(name="外院班", major=school["other_major"])
    job = preview(rows_for(school, 1, class_name="外院班"), actor=school["office"])
    assert "班级“外院班”属于另一学院" in problem_at(job, 2)


def test_student_number_taken_by_a_staff_account_is_refused(school):
    rows = rows_for(school, 1, **{"学号": "office900"})
    job = preview(rows, actor=school["office"])
    assert "已被其他账号用作用户名" in problem_at(job, 2)


def test_several_reasons_of_one_row_are_all_listed(school):
    rows = rows_for(school, 1, **{"性别": "X", "手机号": "1", "生源地代码": "999999"})
    reasons = preview(rows, actor=school["office"]).problems[0]["reasons"]
    assert len(reasons) == 3, reasons


def test_missing_required_column_fails_the_file_with_a_message(school):
    headers = [h for h in ROSTER_HEADERS if h != "生源地代码"]
    job = preview(rows_for(school, 2), actor=school["office"], headers=headers)
    assert job.status == ImportStatus.FAILED
    assert "表头缺少必填列：生源地代码" in job.message


# --- importing ----------------------------------------------------------------------------------------


def test_good_rows_are_imported_and_bad_rows_skipped_and_listed(school):
    rows = rows_for(school, 4, counselor="fdy900")
    rows[2]["生源地代码"] = "999999"
    job = preview(rows, actor=school["office"])
    assert (job.rows_new, job.rows_error, job.classes_new, job.counselor_links_new) == (3, 1, 1, 1)
    assert not Student.objects.filter(student_number=rows[0]["学号"]).exists()  # the preview writes nothing

    job = do_import(job, actor=school["office"])

    assert job.status == ImportStatus.DONE
    assert (job.rows_new, job.rows_updated, job.rows_unchanged, job.rows_error) == (3, 0, 0, 1)
    assert [p["row"] for p in job.problems] == [4]
    assert job.imported_by == school["office"] and job.imported_at is not None
    imported = {s.student_number: s for s in Student.objects.select_related("user", "school_class")}
    assert set(imported) == {rows[0]["学号"], rows[1]["学号"], rows[3]["学号"]}
    s = imported[rows[0]["学号"]]
    assert s.name == rows[0]["姓名"] and s.college == school["college"] and s.major == school["major"]
    assert s.origin_region_id == "310104" and s.graduation_year == 2027 and s.phone == rows[0]["手机号"]
    assert (s.enrolled_on, s.graduation_date) == (dt.date(2023, 9, 1), dt.date(2027, 6, 30))
    assert (s.ethnicity, s.political_status, s.urban_rural, s.training_mode, s.study_form) == (
        "汉族", "共青团员", "城镇", "非定向", "全日制")
    user = s.user
    assert (user.username, user.role, user.full_name, user.must_change_password) == (
        s.student_number, Role.STUDENT, s.name, True)
    assert user.check_password(s.national_id[-6:])
    klass = s.school_class
    assert klass.name == "导入班01" and klass.major == school["major"]
    assert list(klass.counselors.all()) == [school["counselor"]]


def test_the_import_is_one_transaction(school, monkeypatch):
    """A failure while writing students leaves no account, class or student behind, and says so."""
    job = preview(rows_for(school, 3, class_name="新班"), actor=school["office"])

    def boom(*args, **kwargs):
        raise IntegrityError("UNIQUE constraint failed: roster_student.student_number")

    monkeypatch.setattr(Student.objects, "bulk_create", boom)
    job = do_import(job, actor=school["office"])

    assert job.status == ImportStatus.FAILED
    assert "没有写入任何数据" in job.message
    assert not User.objects.filter(role=Role.STUDENT).exists()
    assert not SchoolClass.objects.filter(name="新班").exists()


def test_reimporting_the_same_file_changes_nothing(school):
    rows = rows_for(school, 5, counselor="fdy900")
    do_import(preview(rows, actor=school["office"]), actor=school["office"])
    before = {u.username: (u.password, u.full_name) for u in User.objects.filter(role=Role.STUDENT)}

    again = preview(rows, actor=school["office"])
    assert (again.rows_new, again.rows_updated, again.rows_unchanged, again.classes_new,
            again.counselor_links_new) == (0, 0, 5, 0, 0)
    again = do_import(again, actor=school["office"])

    assert (again.rows_new, again.rows_updated, again.rows_unchanged) == (0, 0, 5)
    assert {u.username: (u.password, u.full_name) for u in User.objects.filter(role=Role.STUDENT)} == before
    assert Student.objects.count() == 5 and SchoolClass.objects.filter(name="导入班01").count() == 1


def test_an_edited_file_updates_those_students_and_their_account_name_but_not_the_password(school):
    rows = rows_for(school, 3)
    do_import(preview(rows, actor=school["office"]), actor=school["office"])
    first = User.objects.get(username=rows[0]["学号"])
    first.set_password("Changed-by-student-1")
    first.must_change_password = False
    first.save()

    rows[0].update({"姓名": "改名学生", "手机号": "13700000000", "班级": "转入班", "辅导员工号": "fdy900"})
    rows[1]["电子邮箱"] = ""
    job = preview(rows, actor=school["office"])
    assert (job.rows_new, job.rows_updated, job.rows_unchanged, job.classes_new) == (0, 2, 1, 1)
    job = do_import(job, actor=school["office"])

    s = Student.objects.select_related("user", "school_class").get(student_number=rows[0]["学号"])
    assert (s.name, s.phone, s.school_class.name) == ("改名学生", "13700000000", "转入班")
    assert s.user.full_name == "改名学生"
    assert s.user.check_password("Changed-by-student-1") and not s.user.must_change_password
    assert Student.objects.get(student_number=rows[1]["学号"]).email == ""
    assert list(s.school_class.counselors.all()) == [school["counselor"]]


def test_a_column_left_out_of_the_file_leaves_that_field_alone(school):
    rows = rows_for(school, 1)
    do_import(preview(rows, actor=school["office"]), actor=school["office"])
    headers = [h for h in ROSTER_HEADERS if h not in ("手机号", "民族")]
    job = preview(rows, actor=school["office"], headers=headers)
    assert job.rows_unchanged == 1
    s = Student.objects.get()
    assert (s.phone, s.ethnicity) == (rows[0]["手机号"], "汉族")


def test_ids_of_counties_created_after_2021_are_valid(school):
    rows = [
        roster_row(n=1, college=school["college"].name, major_code="080999", region="330114"),  # 钱塘区 (2021)
        roster_row(n=2, college=school["college"].name, major_code="080999", region="653228"),  # 和康县 (2024)
    ]
    job = do_import(preview(rows, actor=school["office"]), actor=school["office"])
    assert (job.rows_new, job.rows_error) == (2, 0), job.problems
    assert sorted(Student.objects.values_list("origin_region_id", flat=True)) == ["330114", "653228"]


def test_cells_are_read_as_an_office_types_them(school):
    """学号 as a number, ID with spaces and a lower-case x, dates as Excel dates or 2023/9, phone as a number."""
    x_id = next(i for i in (make_national_id(seq=n) for n in range(1, 400)) if i.endswith("X"))
    row = roster_row(n=1, college=school["college"].name, major_code="080999")
    row.update({"学号": 2700000001, "身份证号": f" {x_id[:6]} {x_id[6:14]} {x_id[14:].lower()} ", "性别": "男",
                "手机号": 13912345678, "毕业年份": 2027, "入学年月": "2023/9",
                "毕业日期": dt.datetime(2027, 6, 30), "学历层次": " 本科 ", "生源地代码": 310104})
    job = do_import(preview([row], actor=school["office"]), actor=school["office"])
    assert job.rows_new == 1, job.problems
    s = Student.objects.get()
    assert (s.student_number, s.national_id, s.phone) == ("2700000001", x_id, "13912345678")
    assert (s.enrolled_on, s.graduation_date) == (dt.date(2023, 9, 1), dt.date(2027, 6, 30))
    assert s.user.check_password(x_id[-6:])


def test_an_id_that_excel_turned_into_a_number_gets_a_hint(school):
    row = roster_row(n=1, college=school["college"].name, major_code="080999")
    row["身份证号"] = float(row["身份证号"][:17] + "0")  # what Excel keeps of a long number typed in a General cell
    job = preview([row], actor=school["office"])
    assert "请把身份证号列设为文本" in problem_at(job, 2)


def test_master_and_doctor_students_use_the_major_of_their_level(school):
    rows = rows_for(school, 1, level="硕士")
    do_import(preview(rows, actor=school["office"]), actor=school["office"])
    assert Student.objects.get().major == school["master"]


def test_template_example_row_is_skipped(school):
    rows = rows_for(school, 2)
    rows[0]["姓名"] = "张三（示例）"
    job = preview(rows, actor=school["office"])
    assert (job.rows_total, job.rows_new, job.rows_error) == (1, 1, 0)


def test_an_existing_student_account_without_a_student_is_reused_without_touching_its_password(school):
    from quxiang.testing.factories import UserFactory

    account = UserFactory(username="2700000001", role=Role.STUDENT, full_name="旧名")
    old_hash = account.password
    job = do_import(preview(rows_for(school, 1), actor=school["office"]), actor=school["office"])
    assert job.rows_new == 1
    account.refresh_from_db()
    assert account.password == old_hash and account.full_name == "导入学生1"
    assert Student.objects.get().user == account


def test_initial_password_uses_the_fast_hash_and_is_upgraded_on_first_login(school, settings, client):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    rows = rows_for(school, 1)
    do_import(preview(rows, actor=school["office"]), actor=school["office"])
    user = User.objects.get(username=rows[0]["学号"])
    assert user.password.startswith(f"pbkdf2_sha256${services.IMPORT_PASSWORD_ITERATIONS}$")
    assert check_password(rows[0]["身份证号"][-6:], user.password)

    assert client.login(username=user.username, password=rows[0]["身份证号"][-6:])
    user.refresh_from_db()
    assert not user.password.startswith(f"pbkdf2_sha256${services.IMPORT_PASSWORD_ITERATIONS}$")


def test_query_count_does_not_grow_per_row(school):
    def queries_for(count: int, start: int) -> int:
        rows = rows_for(school, count, start=start, counselor="fdy900", class_name=f"班{start}")
        job = preview(rows, actor=school["office"])
        with CaptureQueriesContext(connection) as ctx:
            job = do_import(job, actor=school["office"])
        assert job.rows_new == count, job.problems
        return len(ctx)

    small, large = queries_for(50, 1), queries_for(500, 1000)
    # Writes go out in batches (SQLite allows ~45 students per INSERT); lookups are a fixed number of queries.
    per_batch_growth = 450 // 40
    assert large - small <= 2 * per_batch_growth, (small, large)
    if connection.vendor == "postgresql":  # no parameter limit: one batch either way (± a progress update)
        assert large - small <= 3, (small, large)


def test_a_crash_marks_the_job_failed_with_a_message(school, monkeypatch):
    def crash(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(jobs, "import_plan_build", crash)
    job = preview(rows_for(school, 1), actor=school["office"])
    assert job.status == ImportStatus.FAILED
    assert "意外错误" in job.message


def test_a_running_import_from_before_background_jobs_is_marked_failed(school):
    """Imports started by the old in-process thread have no Job; one left running is given up after a while."""
    job = services.import_job_create(upload=roster_upload(rows_for(school, 1)), actor=school["office"])
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.CHECKING, updated_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    job = services.import_job_expire_stale(job=ImportJob.objects.get(pk=job.pk))
    assert job.status == ImportStatus.FAILED and "中断" in job.message


def test_import_starts_once(school):
    job = preview(rows_for(school, 2), actor=school["office"])
    assert services.import_job_start_import(job=job, actor=school["office"])
    assert not services.import_job_start_import(job=job, actor=school["office"])
    assert Student.objects.count() == 2


def test_the_import_parses_the_workbook_again_when_the_previews_rows_are_gone(school):
    job = preview(rows_for(school, 3), actor=school["office"])
    assert job.rows_file.name.endswith(".rows.json.gz")
    job.rows_file.storage.delete(job.rows_file.name)
    job = do_import(job, actor=school["office"])
    assert (job.status, job.rows_new) == (ImportStatus.DONE, 3)


def test_ids_in_the_problem_list_are_masked(school):
    rows = rows_for(school, 2)
    bad = rows[1]["身份证号"][:17] + ("1" if rows[1]["身份证号"][17] != "1" else "2")
    rows[1]["身份证号"] = bad
    reasons = problem_at(preview(rows, actor=school["office"]), 3)
    assert bad not in reasons and f"{bad[:4]}**********{bad[-4:]}" in reasons
