"""Admin pages of the roster, code tables and directory render, and never list a full national ID."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from quxiang.accounts.models import User
from quxiang.roster.models import Student

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_seeded(client):
    call_command("seed_demo", quiet_accounts=True, stdout=io.StringIO())
    client.force_login(User.objects.get(username="admin"))
    return client


def test_student_changelist_masks_national_id(admin_client_seeded):
    response = admin_client_seeded.get(reverse("admin:roster_student_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "去向 · 毕业去向登记管理" in html
    shown = Student.objects.order_by("student_number")[:50]
    for student in shown:
        assert student.masked_national_id in html
        assert student.national_id not in html


def test_student_search_by_full_id(admin_client_seeded):
    student = Student.objects.order_by("student_number").first()
    response = admin_client_seeded.get(reverse("admin:roster_student_changelist"), {"q": student.national_id})
    assert response.status_code == 200
    assert student.student_number in response.content.decode()


@pytest.mark.parametrize(
    "name",
    [
        "roster_college",
        "roster_major",
        "roster_schoolclass",
        "reference_orgnature",
        "reference_industry",
        "reference_jobcategory",
        "reference_destinationcategory",
        "reference_destinationtype",
        "reference_region",
        "reference_country",
        "reference_originauthority",
        "organisations_organisation",
    ],
)
def test_changelists_render(admin_client_seeded, name):
    response = admin_client_seeded.get(reverse(f"admin:{name}_changelist"))
    assert response.status_code == 200


def test_change_forms_render(admin_client_seeded):
    student = Student.objects.first()
    assert (
        admin_client_seeded.get(reverse("admin:roster_student_change", args=[student.pk])).status_code == 200
    )
    assert (
        admin_client_seeded.get(
            reverse("admin:reference_destinationtype_change", args=["dispatch"])
        ).status_code
        == 200
    )
    assert (
        admin_client_seeded.get(reverse("admin:reference_region_change", args=["330114"])).status_code == 200
    )


def test_office_can_use_the_admin_for_code_tables(client):
    call_command("seed_demo", quiet_accounts=True, stdout=io.StringIO())
    client.force_login(User.objects.get(username="office"))
    assert client.get(reverse("admin:reference_originauthority_changelist")).status_code == 200
    assert client.get(reverse("admin:organisations_organisation_changelist")).status_code == 200


# --- 生源地主管单位: xlsx export and import ------------------------------------------------------------

import openpyxl  # noqa: E402
from django.contrib.auth.models import Permission  # noqa: E402

from quxiang.accounts.models import Role  # noqa: E402
from quxiang.accounts.services import user_role_rights_sync  # noqa: E402
from quxiang.audit.models import AuditEntry  # noqa: E402
from quxiang.reference.models import OriginAuthority  # noqa: E402
from quxiang.roster.models import Cohort, SchoolClass  # noqa: E402
from quxiang.testing.factories import (  # noqa: E402
    SchoolClassFactory,
    StudentFactory,
    UserFactory,
    make_college_officer,
    make_counselor,
)

AUTHORITY_HEADER = ["区划代码前缀", "生源地主管单位名称", "档案接收单位", "地址", "邮编", "联系人", "电话"]


@pytest.fixture
def office_client(client):
    """The office as the admin sets it up (is_staff, group with reference/roster/organisations permissions),
    without seeding the whole demo school."""
    office = UserFactory(username="office-test", role=Role.OFFICE)
    user_role_rights_sync(user=office)  # what the admin does when it saves an office account
    client.force_login(office)
    client.user = office
    return client


def xlsx_upload(rows, *, header=AUTHORITY_HEADER, name="authorities.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return SimpleUploadedFile(name, buf.getvalue(),
                              content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def test_authority_export_writes_text_cells(office_client):
    response = office_client.get(reverse("admin:reference_originauthority_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == AUTHORITY_HEADER
    assert len(rows) - 1 == OriginAuthority.objects.count()
    shanghai = next(r for r in rows[1:] if r[0] == "31")
    assert shanghai[1] == OriginAuthority.objects.get(region_prefix="31").name
    assert all(isinstance(c, str) for r in rows[1:] for c in (r[0], r[4]))  # text, not numbers


def test_authority_export_selected_action(office_client):
    picked = OriginAuthority.objects.order_by("region_prefix")[:2]
    response = office_client.post(reverse("admin:reference_originauthority_changelist"), {
        "action": "export_selected", "_selected_action": [a.pk for a in picked], "index": "0"})
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [a.region_prefix for a in picked]


def test_authority_changelist_offers_import_and_export(office_client):
    html = office_client.get(reverse("admin:reference_originauthority_changelist")).content.decode()
    assert reverse("admin:reference_originauthority_import") in html
    assert reverse("admin:reference_originauthority_export") in html
    html = office_client.get(reverse("admin:reference_originauthority_changelist"), {"q": "3301"}).content.decode()
    assert "search" in html


def test_authority_import_creates_and_updates(office_client):
    before = OriginAuthority.objects.count()
    upload = xlsx_upload([
        ["330206", "宁波市北仑区人力资源和社会保障局", "宁波市北仑区人才服务中心", "北仑区明州路 1 号", "315800", "周老师",
         "0574-86000000"],
        ["31", "上海市学生事务中心（更新）", "上海市学生事务中心", "上海市徐汇区零陵路 329 号", 200032, "", "021-54000000"],
        ["1501", "呼和浩特市人才服务中心", "呼和浩特市人才服务中心", "新城区某路 1 号", 10010, "", "0471-1234567"],
    ])
    response = office_client.post(reverse("admin:reference_originauthority_import"), {"file": upload}, follow=True)

    html = response.content.decode()
    assert "导入完成：新增 2 条，更新 1 条" in html
    assert OriginAuthority.objects.count() == before + 2
    assert OriginAuthority.objects.get(region_prefix="31").name == "上海市学生事务中心（更新）"
    assert OriginAuthority.objects.get(region_prefix="330206").contact == "周老师"
    # A postcode typed as a number lost its leading zero in Excel; it is put back.
    assert OriginAuthority.objects.get(region_prefix="1501").postcode == "010010"


def test_authority_import_with_errors_writes_nothing(office_client):
    original = OriginAuthority.objects.get(region_prefix="31").name
    before = OriginAuthority.objects.count()
    upload = xlsx_upload([
        ["31", "应当不会写入", "上海市学生事务中心", "地址", "200032", "", "021-54000000"],
        ["310", "三位前缀", "单位", "地址", "200032", "", "021-1"],
        ["3301", "杭州", "单位", "地址", "3100", "", "0571-1"],
        ["99", "不存在的省", "单位", "地址", "999999", "", "1"],
        ["3301", "重复", "单位", "地址", "310000", "", "0571-2"],
        ["3302", "", "单位", "地址", "315000", "", ""],
    ])
    response = office_client.post(reverse("admin:reference_originauthority_import"), {"file": upload})

    html = response.content.decode()
    assert response.status_code == 200
    assert "未导入任何数据" in html
    assert "第 3 行：区划代码前缀应为 2、4 或 6 位数字" in html
    assert "第 4 行：邮编应为 6 位数字，实际为“3100”" in html
    assert "第 5 行：区划代码前缀“99”不对应任何行政区划" in html
    assert "第 6 行：区划代码前缀“3301”与第 4 行重复" not in html  # row 4 itself was invalid
    assert "第 7 行：“生源地主管单位名称”不能为空；“电话”不能为空" in html
    assert OriginAuthority.objects.count() == before
    assert OriginAuthority.objects.get(region_prefix="31").name == original


def test_authority_import_rejects_a_foreign_file(office_client):
    bad_header = xlsx_upload([["31", "x"]], header=["代码", "名称"])
    html = office_client.post(reverse("admin:reference_originauthority_import"), {"file": bad_header}).content.decode()
    assert "第 1 行缺少列" in html
    from django.core.files.uploadedfile import SimpleUploadedFile

    not_xlsx = SimpleUploadedFile("a.xlsx", b"not a workbook")
    html = office_client.post(reverse("admin:reference_originauthority_import"), {"file": not_xlsx}).content.decode()
    assert "无法读取文件" in html


def test_authority_roundtrip_export_then_import_changes_nothing(office_client):
    exported = office_client.get(reverse("admin:reference_originauthority_export")).content
    before = list(OriginAuthority.objects.order_by("region_prefix").values())
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = office_client.post(reverse("admin:reference_originauthority_import"),
                                  {"file": SimpleUploadedFile("x.xlsx", exported)}, follow=True)
    assert f"新增 0 条，更新 {len(before)} 条" in response.content.decode()
    assert list(OriginAuthority.objects.order_by("region_prefix").values()) == before


# --- code tables, classes and counselors, graduation-year settings -----------------------------------------


def test_code_tables_are_searchable_and_codes_fixed_once_created(office_client):
    html = office_client.get(reverse("admin:reference_orgnature_changelist"), {"q": "机关"}).content.decode()
    assert "机关" in html and "部队" not in html
    html = office_client.get(reverse("admin:reference_region_changelist"), {"q": "钱塘"}).content.decode()
    assert "330114" in html
    html = office_client.get(reverse("admin:reference_destinationcategory_changelist"), {"q": "自由职业"}).content.decode()
    assert "76" in html
    change = office_client.get(reverse("admin:reference_orgnature_change", args=["10"])).content.decode()
    assert 'name="code"' not in change and 'name="name"' in change
    add = office_client.get(reverse("admin:reference_orgnature_add")).content.decode()
    assert 'name="code"' in add


def test_class_counselors_offer_counselors_only(office_client):
    counselor = make_counselor(username="fdy-test", full_name="吴老师")
    retired = make_counselor(username="fdy-left", is_active=False)
    school_class = SchoolClassFactory(counselor=counselor)
    officer = make_college_officer(college=school_class.major.college, username="mishu-test")
    student = StudentFactory(school_class=school_class)

    html = office_client.get(reverse("admin:roster_schoolclass_change", args=[school_class.pk])).content.decode()
    assert 'id="id_counselors"' in html and "SelectFilter" in html  # filter_horizontal
    assert f'value="{counselor.pk}"' in html
    for other in (officer, student.user, retired):
        assert f'value="{other.pk}"' not in html

    new_counselor = make_counselor(username="fdy-new")
    response = office_client.post(reverse("admin:roster_schoolclass_change", args=[school_class.pk]), {
        "name": school_class.name, "major": school_class.major_id, "counselors": [counselor.pk, new_counselor.pk]})
    assert response.status_code == 302
    assert set(SchoolClass.objects.get(pk=school_class.pk).counselors.all()) == {counselor, new_counselor}
    response = office_client.post(reverse("admin:roster_schoolclass_change", args=[school_class.pk]), {
        "name": school_class.name, "major": school_class.major_id, "counselors": [officer.pk]})
    assert response.status_code == 200  # refused: not a counselor
    html = office_client.get(reverse("admin:roster_schoolclass_changelist"), {"q": "吴老师"}).content.decode()
    assert school_class.name in html


def test_office_sets_the_change_deadline_of_a_year(office_client):
    response = office_client.post(reverse("admin:roster_cohort_add"), {"year": "2027", "change_deadline": "2027-09-15"})
    assert response.status_code == 302
    assert Cohort.objects.get(year=2027).effective_change_deadline.isoformat() == "2027-09-15"
    html = office_client.get(reverse("admin:roster_cohort_changelist")).content.decode()
    assert "毕业年份设置" in html and "实际截止日期" in html
    change = office_client.get(reverse("admin:roster_cohort_change", args=[2027])).content.decode()
    assert 'name="year"' not in change and 'name="change_deadline"' in change


# --- accounts ---------------------------------------------------------------------------------------------


@pytest.fixture
def superuser_client(client):
    admin_user = UserFactory(username="root-test", role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    client.user = admin_user
    return client


def test_user_admin_lists_accounts_and_never_shows_a_password_hash(superuser_client):
    student = StudentFactory(name="陈同学")
    counselor = make_counselor(full_name="孙老师")
    changelist = superuser_client.get(reverse("admin:accounts_user_changelist")).content.decode()
    change = superuser_client.get(reverse("admin:accounts_user_change", args=[student.user.pk])).content.decode()

    assert student.user.username in changelist and "孙老师" in changelist and "辅导员" in changelist
    for user in (student.user, counselor):
        hash_part = user.password.split("$")[-1]
        assert hash_part not in changelist and hash_part not in change
    assert "md5$" not in change and "pbkdf2" not in change
    assert "密码以不可逆方式保存，不显示" in change
    assert reverse("admin:auth_user_password_change", args=[student.user.pk]) in change
    searched = superuser_client.get(reverse("admin:accounts_user_changelist"), {"q": "陈同学"}).content.decode()
    assert student.user.username in searched and counselor.username not in searched


def test_reset_to_initial_password_for_students_only(superuser_client):
    student = StudentFactory()
    student.user.set_password("Changed-Later-1")
    student.user.must_change_password = False
    student.user.save()
    counselor = make_counselor()
    changelist = reverse("admin:accounts_user_changelist")

    response = superuser_client.post(changelist, {
        "action": "reset_initial_password", "_selected_action": [student.user.pk, counselor.pk], "index": "0"},
        follow=True)

    html = response.content.decode()
    assert "已将 1 个学生账号重置为初始密码" in html and "1 个账号不是学生账号" in html
    student.user.refresh_from_db()
    assert student.user.check_password(student.national_id[-6:]) and student.user.must_change_password
    counselor.refresh_from_db()
    assert counselor.check_password("Quxiang-Test-1")
    entry = AuditEntry.objects.get(student_id=student.pk)
    assert entry.actor == superuser_client.user and entry.detail == {"username": student.user.username}


def test_office_opens_accounts_but_staff_without_the_group_cannot(office_client, client):
    # The office group carries view/change of accounts (to reset a student's initial password).
    assert office_client.get(reverse("admin:accounts_user_changelist")).status_code == 200
    bare = UserFactory(username="staff-bare", role=Role.COUNSELOR, is_staff=True)
    client.force_login(bare)
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403


def test_office_with_account_permissions_cannot_grant_privileges(office_client):
    office = office_client.user
    office.user_permissions.add(*Permission.objects.filter(content_type__app_label="accounts", codename__in=[
        "view_user", "change_user"]))
    root = UserFactory(username="root-x", role=Role.ADMIN, is_staff=True, is_superuser=True)
    counselor = make_counselor()

    change = office_client.get(reverse("admin:accounts_user_change", args=[counselor.pk])).content.decode()
    assert 'name="is_superuser"' not in change and 'name="groups"' not in change and 'name="is_staff"' not in change
    assert 'value="admin"' not in change  # the role 系统管理员 is not offered
    assert 'value="college_officer"' in change
    # A superuser's page is read-only for the office.
    root_page = office_client.get(reverse("admin:accounts_user_change", args=[root.pk])).content.decode()
    assert 'name="full_name"' not in root_page
    # A college officer needs a college.
    response = office_client.post(reverse("admin:accounts_user_change", args=[counselor.pk]), {
        "username": counselor.username, "full_name": "x", "email": "", "role": "college_officer", "college": "",
        "is_active": "on"})
    assert "学院就业秘书须指定所属学院" in response.content.decode()
