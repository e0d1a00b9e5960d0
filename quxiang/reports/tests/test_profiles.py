"""Export profiles and the pre-check (issue 14).

Golden files: a small cohort exported under the national and the provincial profile, compared cell by cell —
value AND cell type — with workbooks written out by hand below (every cell text, codes with their leading zeros,
dates in the profile's format). Then a property test (every code written is in its code table, at its width),
the pre-check per 去向 code with one planted fault each, the school's codes, profile versions and the xlsx of a
profile, and who may open what."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quxiang.jobs.models import JobStatus
from quxiang.registrations.models import Registration
from quxiang.reports.jobs import national_export_start
from quxiang.reports.models import CodeTable, ExportProfile, ProfileCode, SchoolSettings
from quxiang.reports.precheck import precheck_run, precheck_xlsx, problem_url
from quxiang.reports.profile_services import profile_config_import, profile_config_xlsx, profile_copy
from quxiang.reports.profiles import ROW_FIELDS, profile_compile, profile_rows
from quxiang.reports.services import profile_export_build
from quxiang.roster.models import EducationLevel, Gender, Student
from quxiang.testing.factories import (
    CollegeFactory,
    SchoolClassFactory,
    StudentFactory,
    make_counselor,
    make_national_id,
    make_office,
    make_registration,
    make_verified,
)

pytestmark = pytest.mark.django_db

USCC_EMPLOYER = "91310115MA1FL0001N"
USCC_FUDAN = "913100004250062117"


def national() -> ExportProfile:
    return ExportProfile.objects.get(key="national", version=1)


def provincial() -> ExportProfile:
    return ExportProfile.objects.get(key="provincial", version=1)


def fill_school() -> None:
    SchoolSettings.objects.update_or_create(pk=1, defaults={
        "school_code": "10999", "school_name": "示范理工大学", "authority_code": "360", "authority_name": "教育部"})


def workbook(file) -> dict[str, list[list[tuple]]]:
    """Every sheet as rows of (value, data type); "s" is a text cell."""
    book = openpyxl.load_workbook(file)
    return {s.title: [[(c.value, c.data_type) for c in row] for row in s.iter_rows()] for s in book.worksheets}


ROSTER = dict(exam_number="", ethnicity="汉族", political_status="共青团员", urban_rural="城镇",
              enrolled_on=dt.date(2023, 9, 1), graduation_date=dt.date(2027, 6, 30), training_mode="非定向",
              study_form="全日制")


@pytest.fixture
def golden(db):
    """Four verified graduates of one class and a counselor; another class's student (for scope)."""
    fill_school()
    college = CollegeFactory(code="007", name="机械工程学院")
    counselor = make_counselor()
    cls = SchoolClassFactory(name="机设2301", major__college=college, major__code="080202",
                             major__name="机械设计制造及其自动化", counselor=counselor)
    mcls = SchoolClassFactory(name="机械研2501", major__college=college, major__code="080200", major__name="机械工程",
                              major__level=EducationLevel.MASTER, counselor=counselor)
    people = [
        ("2390000001", "张三", Gender.MALE, cls, "310104", make_national_id(region="310104", birth="20030512", seq=1),
         dict(exam_number="23310104150001")),
        ("2390000002", "李四", Gender.FEMALE, cls, "450102",
         make_national_id(region="450102", birth="20040229", seq=2, sex="F"),
         dict(exam_number="23450102150002", ethnicity="回族", political_status="中共党员", urban_rural="农村")),
        ("2390000003", "王五", Gender.MALE, cls, "110105", make_national_id(region="110105", birth="20021130", seq=3),
         dict(exam_number="23110105150003", ethnicity="壮", political_status="群众", training_mode="定向")),
        ("2390000004", "赵六", Gender.FEMALE, mcls, "330106",
         make_national_id(region="330106", birth="20000101", seq=4, sex="F"),
         dict(exam_number="258005330106004", political_status="中共预备党员", enrolled_on=dt.date(2024, 9, 1))),
    ]
    students = {}
    for number, name, gender, klass, origin, nid, extra in people:
        level = klass.major.level
        s = StudentFactory(student_number=number, name=name, gender=gender, school_class=klass, level=level,
                           origin=origin, national_id=nid)
        Student.objects.filter(pk=s.pk).update(**{**ROSTER, **extra})
        students[number] = Student.objects.get(pk=s.pk)
    records = {
        "2390000001": make_verified(student=students["2390000001"], destination_type="dispatch_general"),
        "2390000002": make_verified(student=students["2390000002"], destination_type="study_master"),
        "2390000003": make_verified(student=students["2390000003"], destination_type="abroad_study"),
        "2390000004": make_verified(student=students["2390000004"], destination_type="awaiting_job_hunting"),
    }
    Registration.objects.filter(pk=records["2390000001"].pk).update(
        archive_unit="上海测试科技有限公司", archive_address="上海市浦东新区张江路1号", archive_postcode="201203")
    Registration.objects.filter(pk=records["2390000002"].pk).update(archive_unit="", archive_address="",
                                                                     archive_postcode="")
    Registration.objects.filter(pk=records["2390000003"].pk).update(archive_unit="", archive_address="",
                                                                     archive_postcode="")
    other = StudentFactory(student_number="2390000099", name="外班", graduation_year=2027,
                           national_id=make_national_id(region="320102", birth="20010101", seq=9))
    return {"students": students, "records": records, "counselor": counselor, "office": make_office(),
            "other": other}


# --- golden files ----------------------------------------------------------------------------------

NATIONAL_CODES = [
    "YXDM", "YXMC", "YXLSBMDM", "YXLSBM", "XH", "KSH", "XM", "SFZH", "XBDM", "CSRQ", "MZDM", "ZZMMDM", "XLDM",
    "ZYDM", "ZYMC", "PYFSDM", "XXXS", "SYSZDDM", "SYSZD", "CXSY", "RXNY", "BYRQ", "BYQXDM", "BYQX", "QYRQ", "DWMC",
    "TYSHXYDM", "DWXZDM", "DWXZ", "DWHYDM", "DWHY", "DWSZDDM", "DWSZD", "DWDZ", "GZZWLBDM", "GZZWLB", "LXGJDQ",
    "LXYXZWMC", "LXYXWWMC", "LXZYZWMC", "LXZYWWMC",
]
SCHOOL = ["10999", "示范理工大学", "360", "教育部"]
NO_UNIT = [None] * 14  # DWMC … GZZWLB
NO_ABROAD = [None] * 5

# Hand-checked: the rows a loader reads. None is an empty cell; everything else is a text cell.
NATIONAL_ROWS = [
    SCHOOL + ["2390000001", "23310104150001", "张三", "3101**********0215", "1", "20030512", "01", "03", "31",
              "080202", "机械设计制造及其自动化", "1", "全日制", "310104", "上海市徐汇区", "城镇", "202309", "20270630",
              "10", "签就业协议形式就业", "20270301", "上海测试科技有限公司", USCC_EMPLOYER, "39", "其他企业", "I",
              "信息传输、软件和信息技术服务业", "310115", "上海市浦东新区", "上海市浦东新区张江路1号", "13", "工程技术人员"]
    + NO_ABROAD,
    SCHOOL + ["2390000002", "23450102150002", "李四", "4501**********0329", "2", "20040229", "03", "01", "31",
              "080202", "机械设计制造及其自动化", "1", "全日制", "450102", "广西壮族自治区南宁市兴宁区", "农村", "202309",
              "20270630", "801", "境内升学-研究生", None, "复旦大学", USCC_FUDAN, None, None, None, None, "310110",
              "上海市杨浦区", None, None, None] + NO_ABROAD,
    SCHOOL + ["2390000003", "23110105150003", "王五", "1101**********0417", "1", "20021130", "08", "13", "31",
              "080202", "机械设计制造及其自动化", "2", "全日制", "110105", "北京市朝阳区", "城镇", "202309", "20270630",
              "85", "境外留学", "20270201"] + [None] * 11
    + ["美国", "哥伦比亚大学", "Columbia University", "计算机科学", "Computer Science"],
    SCHOOL + ["2390000004", "258005330106004", "赵六", "3301**********0523", "2", "20000101", "01", "02", "11",
              "080200", "机械工程", "1", "全日制", "330106", "浙江省杭州市西湖区", "城镇", "202409", "20270630",
              "70", "待就业"] + [None] + NO_UNIT[:11] + NO_ABROAD,
]


def _text_row(values: list) -> list[tuple]:
    return [(v, "s") if v is not None else (None, "n") for v in values]


def _export(profile: ExportProfile, office, **kwargs) -> dict[str, list[list[tuple]]]:
    export = profile_export_build(actor=office, year=2027, profile=profile, **kwargs)
    return workbook(export.file)


def test_national_profile_golden_file(golden):
    sheets = _export(national(), golden["office"])
    assert list(sheets) == ["毕业生", "说明"]  # the loader reads the first sheet
    rows = sheets["毕业生"]
    assert rows[0] == _text_row(NATIONAL_CODES)
    data = [r for r in rows[1:] if r[4][0] != "2390000099"]  # the other class's student is in the office's scope
    assert len(data) == 4
    for got, want in zip(data, NATIONAL_ROWS, strict=True):
        assert len(want) == len(NATIONAL_CODES)
        assert got == _text_row(want), got
    notes = sheets["说明"]
    assert notes[0][:2] == [("字段代码", "s"), ("中文名称", "s")]
    assert [r[0][0] for r in notes[1:]] == NATIONAL_CODES
    assert notes[11][:4] == [("MZDM", "s"), ("民族代码", "s"), ("2", "s"), ("是", "s")]


def test_provincial_profile_golden_file(golden):
    sheets = _export(provincial(), golden["office"], full_id=True)
    assert list(sheets) == ["毕业生"]
    rows = sheets["毕业生"]
    codes = NATIONAL_CODES + ["DWDJH", "DAZJDWMC", "DAZJDWDZ", "DAZJDWYB"]
    assert rows[0] == _text_row(codes)
    assert rows[1][:8] == _text_row(["院校代码", "院校名称", "院校隶属部门代码", "院校隶属部门", "学号", "考生号", "姓名", "身份证号"])
    data = [r for r in rows[2:] if r[4][0] != "2390000099"]
    nid = {s.student_number: s.national_id for s in golden["students"].values()}
    dashed = {"CSRQ": lambda v: f"{v[:4]}-{v[4:6]}-{v[6:]}", "BYRQ": lambda v: f"{v[:4]}-{v[4:6]}-{v[6:]}",
              "QYRQ": lambda v: f"{v[:4]}-{v[4:6]}-{v[6:]}", "RXNY": lambda v: f"{v[:4]}-{v[4:]}"}
    extra = {
        "2390000001": ["1234567", "上海测试科技有限公司", "上海市浦东新区张江路1号", "201203"],
        "2390000002": [None, None, None, None], "2390000003": [None, None, None, None],
    }
    for got, want in zip(data, NATIONAL_ROWS, strict=True):
        want = list(want)
        number = want[4]
        want[7] = nid[number]  # a full export
        for i, code in enumerate(NATIONAL_CODES):
            if code in dashed and want[i]:
                want[i] = dashed[code](want[i])
        tail = extra.get(number)
        if tail is None:  # 待就业: the archive went back to the place of origin (匹配) — not required, as typed
            record = golden["records"][number]
            tail = [None, record.archive_unit or None, record.archive_address or None, record.archive_postcode or None]
        assert got == _text_row(want + tail), got


def test_default_export_is_unchanged(golden):
    """Without a profile the job writes today's export (Chinese headers)."""
    job = national_export_start(actor=golden["office"], year=2027)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    with job.result_file.open("rb") as fh:
        sheets = workbook(io.BytesIO(fh.read()))
    assert next(iter(sheets.values()))[0][0] == ("学号", "s")


def test_export_job_with_profile_and_clean_only(golden):
    Student.objects.filter(student_number="2390000002").update(ethnicity="火星族")
    job = national_export_start(actor=golden["office"], year=2027, profile_id=national().pk, clean_only=True)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    with job.result_file.open("rb") as fh:
        rows = workbook(io.BytesIO(fh.read()))["毕业生"]
    numbers = [r[4][0] for r in rows[1:]]
    # 李四's 民族 is not in the table; the other class's student has no record: both left out.
    assert numbers == ["2390000001", "2390000003", "2390000004"]
    assert job.result_file.name.split("/")[-1].startswith("national-v1-2027-masked-clean-")


def test_missing_school_codes_stop_the_export(golden, client):
    SchoolSettings.objects.filter(pk=1).update(authority_name="", school_code="")
    client.force_login(golden["office"])
    response = client.post(reverse("reports:export"), {"year": 2027, "profile": national().pk})
    assert response.status_code == 200
    assert "院校代码、隶属部门" in response.content.decode()
    job = national_export_start(actor=golden["office"], year=2027, profile_id=national().pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "尚未填写" in job.error


# --- every code written is in its code table --------------------------------------------------------

_ETHNICITIES = ["汉族", "回族", "壮", "毛难族", "其他", "火星族", "", "01", " 汉族 "]
_POLITICAL = ["共青团员", "中共党员", "群众", "团员", "", "03", "无党派民主人士"]
_REGIONS = ["310104", "110105", "999999", "", "31010", "3101040"]
_CATEGORIES = ["10", "11", "85", "70", "801", "99", "", "1"]
_NATURES = ["39", "10", "00", "", "390"]
_INDUSTRIES = ["I", "JD", "Z", "", "i"]
_JOBS = ["13", "90", "12", ""]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ethnicity=st.sampled_from(_ETHNICITIES), political=st.sampled_from(_POLITICAL),
    gender=st.sampled_from(["M", "F", "X", ""]), level=st.sampled_from(["bachelor", "master", "doctor", "x"]),
    training=st.sampled_from(["非定向", "定向", "委培", "自费", ""]), origin=st.sampled_from(_REGIONS),
    category=st.sampled_from(_CATEGORIES), nature=st.sampled_from(_NATURES), industry=st.sampled_from(_INDUSTRIES),
    region=st.sampled_from(_REGIONS), job=st.sampled_from(_JOBS), key=st.sampled_from(["national", "provincial"]),
    text=st.text(max_size=30),
)
def test_every_exported_code_is_in_its_table(db, ethnicity, political, gender, level, training, origin, category,
                                             nature, industry, region, job, key, text):
    fill_school()
    compiled = profile_compile(profile=ExportProfile.objects.get(key=key, version=1), full_id=True)
    values = dict.fromkeys(ROW_FIELDS, text)
    values.update(pk=1, gender=gender, education_level=level, ethnicity=ethnicity, political_status=political,
                  training_mode=training, origin_region_id=origin, state="verified", v__id=1, o__id=None,
                  v__destination_type__category_id=category, v__destination_type__org_kind="employer",
                  v__org_nature_id=nature, v__org_industry_id=industry, v__org_region_id=region,
                  v__job_category_id=job, enrolled_on=None, graduation_date=dt.date(2027, 6, 30), v__signed_on=None)
    _row, cells, _problems = compiled.evaluate(tuple(values[f] for f in ROW_FIELDS))
    tables = {t: set(ProfileCode.objects.filter(profile_id=compiled.profile_id, table=t).values_list("code", flat=True))
              for t in ("gender", "ethnicity", "political", "education", "training_mode")}
    for col, cell in zip(compiled.columns, cells, strict=True):
        assert isinstance(cell, str)
        if not cell or not col.table:
            continue
        if col.mapping is not None:
            assert cell in tables[col.table], (col.code, cell)
        else:
            assert cell in col.allowed, (col.code, cell)
        if col.fixed:
            assert len(cell) == col.width, (col.code, cell)
        else:
            assert len(cell) <= col.width, (col.code, cell)
    assert {c.table for c in compiled.columns if c.table} >= {CodeTable.ETHNICITY, CodeTable.REGION}


# --- the pre-check per 去向 code ----------------------------------------------------------------------


def _problems(golden, number: str, user=None) -> list[tuple[str, str, str]]:
    result = precheck_run(user=user or golden["office"], profile=national(), year=2027)
    return [(p.field_code, p.message, p.fixer) for p in result.problems if p.student_number == number]


def test_the_golden_cohort_is_clean(golden):
    result = precheck_run(user=golden["office"], profile=national(), year=2027)
    assert result.students == 5
    assert result.clean == 4
    assert [(p.student_number, p.message, p.fixer) for p in result.problems] == [
        ("2390000099", "尚未登记毕业去向", "student"), ("2390000099", "缺少考生号", "office"),
        ("2390000099", "缺少民族代码", "counselor"), ("2390000099", "缺少政治面貌代码", "counselor"),
        ("2390000099", "缺少培养方式代码", "office")]


@pytest.mark.parametrize(("number", "planted", "field", "message", "fixer"), [
    ("2390000001", {"org_nature": None}, "DWXZDM", "缺少单位性质代码", "student"),  # 10
    ("2390000001", {"org_uscc": "91310115MA1FL0001A"}, "TYSHXYDM", "统一社会信用代码校验位不正确，请核对后重新输入。",
     "student"),
    ("2390000001", {"signed_on": None}, "QYRQ", "缺少签约日期", "student"),
    ("2390000002", {"org_name": ""}, "DWMC", "缺少单位名称", "student"),  # 801
    ("2390000003", {"abroad_name_original": ""}, "LXYXWWMC", "缺少留学院校外文名称", "student"),  # 85
    ("2390000003", {"abroad_country": None}, "LXGJDQ", "缺少留学国家（地区）", "student"),
])
def test_precheck_finds_the_planted_missing_field(golden, number, planted, field, message, fixer):
    Registration.objects.filter(pk=golden["records"][number].pk).update(**planted)
    assert _problems(golden, number) == [(field, message, fixer)]


def test_precheck_labour_contract_needs_the_employer(golden):
    student = StudentFactory(student_number="2390000005", national_id=make_national_id(birth="20010305", seq=5),
                             school_class=golden["students"]["2390000001"].school_class)
    Student.objects.filter(pk=student.pk).update(**{**ROSTER, "exam_number": "23310104150005"})
    record = make_verified(student=student, destination_type="labour_contract")
    assert _problems(golden, "2390000005") == []
    Registration.objects.filter(pk=record.pk).update(job_category=None, org_region=None)
    assert [p[0] for p in _problems(golden, "2390000005")] == ["DWSZDDM", "GZZWLBDM"]


def test_precheck_awaiting_requires_no_unit(golden):
    assert _problems(golden, "2390000004") == []  # 70 待就业: nothing of the unit is asked


def test_precheck_roster_values_widths_and_id(golden):
    Student.objects.filter(student_number="2390000001").update(
        ethnicity="火星族", political_status="团员", exam_number="1" * 19, national_id="310104200305120210")
    assert _problems(golden, "2390000001") == [
        ("KSH", "考生号超过 18 个字符（现为 19 个）", "office"),
        ("SFZH", "身份证号校验位不正确，请核对后重新输入。", "office"),
        ("MZDM", "民族代码“火星族”不在代码表中", "counselor"),
        ("ZZMMDM", "政治面貌代码“团员”不在代码表中", "counselor"),
    ]


def test_precheck_records_not_verified_say_who_acts(golden):
    s1 = StudentFactory(student_number="2390000006", national_id=make_national_id(birth="20010306", seq=6),
                        school_class=golden["students"]["2390000001"].school_class)
    Student.objects.filter(pk=s1.pk).update(**{**ROSTER, "exam_number": "23310104150006"})
    make_registration(student=s1, destination_type="dispatch_general", complete=True)
    from quxiang.registrations import services
    services.registration_submit(registration=Registration.objects.get(student=s1), actor=s1.user)
    assert _problems(golden, "2390000006") == [("", "去向记录待鉴证：鉴证通过后才能上报", "counselor")]


def test_precheck_school_code_and_missing_settings(golden, client):
    """The school's codes are the same in every record: said once, above the list, and the export stops."""
    SchoolSettings.objects.filter(pk=1).update(school_code="1099A")
    result = precheck_run(user=golden["office"], profile=national(), year=2027)
    assert result.settings_problems == ["院校代码应为 5 位数字（在“院校信息”中修改）。"]
    assert all(p.field_code != "YXDM" for p in result.problems)
    job = national_export_start(actor=golden["office"], year=2027, profile_id=national().pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "院校信息有误" in job.error
    SchoolSettings.objects.all().delete()
    result = precheck_run(user=golden["office"], profile=national(), year=2027)
    assert result.settings_problems == ["本校的院校代码、院校名称、隶属部门代码、隶属部门尚未填写"]
    assert result.clean == 4
    client.force_login(golden["counselor"])
    html = client.get(reverse("reports:precheck")).content.decode()
    assert 'id="settings-problems"' in html and "请联系就业指导中心填写" in html


def test_precheck_xlsx_and_links(golden):
    Registration.objects.filter(pk=golden["records"]["2390000001"].pk).update(org_nature=None)
    result = precheck_run(user=golden["office"], profile=national(), year=2027)
    rows = workbook(io.BytesIO(precheck_xlsx(result=result, base_url="https://q.example")))["预检问题"]
    assert rows[2] == _text_row(["学号", "姓名", "班级", "字段代码", "字段", "问题", "由谁修改", "记录链接"])
    first = rows[3]
    assert [c[0] for c in first[:7]] == ["2390000001", "张三", "机设2301", "DWXZDM", "单位性质代码", "缺少单位性质代码",
                                         "学生"]
    assert first[7][0] == "https://q.example" + reverse("reviews:record", kwargs={"pk": golden["records"]["2390000001"].pk})


# --- profiles: versions and the xlsx ----------------------------------------------------------------


def test_copy_keeps_last_years_profile(golden):
    old = national()
    new = profile_copy(profile=old, actor=golden["office"], year=2028)
    assert (new.year, new.version) == (2028, 1)
    new.fields.filter(code="MZDM").update(code="MZM")
    assert old.fields.filter(code="MZDM").exists()
    assert profile_copy(profile=old, actor=golden["office"]).version == 2
    assert new.codes.count() == old.codes.count()


def test_profile_xlsx_round_trip_makes_a_new_version(golden):
    content = profile_config_xlsx(profile=provincial())
    book = openpyxl.load_workbook(io.BytesIO(content))
    fields = book["字段"]
    assert [c.value for c in fields[1]][:4] == ["序号", "字段代码", "中文名称", "取值"]
    fields.cell(row=2, column=3, value="学校代码")  # YXDM 院校代码 → 学校代码
    buf = io.BytesIO()
    book.save(buf)
    buf.seek(0)
    new = profile_config_import(file=buf, actor=golden["office"])
    assert (new.key, new.version) == ("provincial", 2)
    assert new.fields.get(code="YXDM").name == "学校代码"
    assert provincial().fields.get(code="YXDM").name == "院校代码"
    assert new.fields.count() == provincial().fields.count()
    assert new.codes.count() == provincial().codes.count()
    assert new.header_mode == "two_rows"


def test_profile_xlsx_with_errors_is_refused_whole(golden):
    from quxiang.core.errors import DomainError
    book = openpyxl.load_workbook(io.BytesIO(profile_config_xlsx(profile=national())))
    book["字段"].cell(row=2, column=4, value="no_such_field")
    book["代码表"].append(["ethnicity", "", "01"])
    buf = io.BytesIO()
    book.save(buf)
    buf.seek(0)
    with pytest.raises(DomainError) as exc:
        profile_config_import(file=buf, actor=golden["office"])
    assert "取值“no_such_field”不存在" in exc.value.message and "代码表" in exc.value.message
    assert ExportProfile.objects.filter(key="national").count() == 1


# --- who may open what -----------------------------------------------------------------------------


def test_counselor_sees_own_classes_only(golden, client):
    counselor = golden["counselor"]
    result = precheck_run(user=counselor, profile=national(), year=2027)
    assert result.students == 4
    assert all(p.student_number != "2390000099" for p in result.problems)
    client.force_login(counselor)
    page = client.get(reverse("reports:precheck"), {"year": 2027, "profile": national().pk})
    assert page.status_code == 200
    assert "2390000099" not in page.content.decode()
    download = client.get(reverse("reports:precheck_download"), {"year": 2027, "profile": national().pk})
    assert download.status_code == 200
    assert "2390000099" not in str(workbook(io.BytesIO(download.content)))
    # The other class's record page is outside the counselor's scope.
    other = make_verified(student=golden["other"])
    assert client.get(reverse("reviews:record", kwargs={"pk": other.pk})).status_code == 404


def test_precheck_page_lists_problems_with_links(golden, client):
    Registration.objects.filter(pk=golden["records"]["2390000001"].pk).update(org_nature=None)
    client.force_login(golden["office"])
    html = client.get(reverse("reports:precheck")).content.decode()  # defaults: latest year, national profile
    assert "缺少单位性质代码" in html
    assert reverse("reviews:record", kwargs={"pk": golden["records"]["2390000001"].pk}) in html
    assert "就业指导中心" in html or "学生" in html


@pytest.mark.parametrize("name", ["reports:profiles", "reports:school_settings", "reports:export"])
def test_office_pages_are_404_for_counselors(golden, client, name):
    client.force_login(golden["counselor"])
    assert client.get(reverse(name)).status_code == 404
    client.force_login(golden["office"])
    assert client.get(reverse(name)).status_code == 200


def test_profile_routes_are_office_only(golden, client):
    pk = national().pk
    client.force_login(golden["counselor"])
    assert client.get(reverse("reports:profile_download", kwargs={"pk": pk})).status_code == 404
    assert client.post(reverse("reports:profile_copy", kwargs={"pk": pk})).status_code == 404
    client.force_login(golden["office"])
    assert client.get(reverse("reports:profile_download", kwargs={"pk": pk})).status_code == 200
    assert client.post(reverse("reports:profile_copy", kwargs={"pk": pk})).status_code == 302
    assert ExportProfile.objects.filter(key="national").count() == 2


def test_school_settings_page_saves(golden, client):
    client.force_login(golden["office"])
    bad = client.post(reverse("reports:school_settings"), {"school_code": "12", "school_name": "x",
                                                           "authority_code": "360", "authority_name": "教育部"})
    assert "院校代码应为 5 位数字" in bad.content.decode()
    ok = client.post(reverse("reports:school_settings"), {"school_code": "10247", "school_name": "同济大学",
                                                          "authority_code": "360", "authority_name": "教育部"})
    assert ok.status_code == 302
    assert SchoolSettings.objects.get(pk=1).school_code == "10247"


def test_problem_url_for_a_student_without_record(golden):
    result = precheck_run(user=golden["office"], profile=national(), year=2027)
    problem = next(p for p in result.problems if p.student_number == "2390000099")
    assert problem_url(problem) == reverse("reviews:unregistered")


def test_rows_in_scope(golden):
    assert profile_rows(user=golden["counselor"], year=2027).count() == 4


def test_office_edits_profiles_in_the_admin(golden, client):
    from quxiang.accounts.services import user_role_rights_sync

    office = golden["office"]
    user_role_rights_sync(user=office)  # an office account may enter the admin
    client.force_login(office)
    pk = national().pk
    page = client.get(reverse("admin:reports_exportprofile_change", args=[pk]))
    assert page.status_code == 200
    assert "MZDM" in page.content.decode()
    assert client.get(reverse("admin:reports_schoolsettings_changelist")).status_code == 200
    response = client.post(reverse("admin:reports_exportprofile_changelist"),
                           {"action": "copy_as_new_version", "_selected_action": [pk]})
    assert response.status_code == 302
    assert ExportProfile.objects.filter(key="national", year=2027).count() == 2
    client.force_login(golden["counselor"])
    assert client.get(reverse("admin:reports_exportprofile_change", args=[pk])).status_code == 302  # to login


def test_job_page_names_the_profile(golden, client):
    job = national_export_start(actor=golden["office"], year=2027, profile_id=national().pk, clean_only=True)
    client.force_login(golden["office"])
    html = client.get(reverse("reports:export_job", kwargs={"pk": job.pk})).content.decode()
    assert "按上报格式导出" in html and "只含通过预检的记录" in html


@pytest.mark.parametrize("query", [{"year": 2027}, {}, {"profile": "provincial"}])
def test_precheck_page_defaults_what_is_not_given(golden, client, query):
    if query.get("profile") == "provincial":
        query = {"profile": provincial().pk}
    client.force_login(golden["office"])
    html = client.get(reverse("reports:precheck"), query).content.decode()
    assert "名毕业生" in html and "请按提示修改" not in html


def test_precheck_with_an_unknown_profile_shows_the_form_error(golden, client):
    client.force_login(golden["office"])
    html = client.get(reverse("reports:precheck"), {"year": 2027, "profile": 999999}).content.decode()
    assert "请按提示修改" in html and "名毕业生" not in html
    assert client.get(reverse("reports:precheck_download"), {"profile": 999999}).status_code == 404


def test_export_page_says_when_the_school_codes_are_missing(golden, client):
    client.force_login(golden["office"])
    assert 'id="school-missing"' not in client.get(reverse("reports:export")).content.decode()
    SchoolSettings.objects.all().delete()
    assert 'id="school-missing"' in client.get(reverse("reports:export")).content.decode()
