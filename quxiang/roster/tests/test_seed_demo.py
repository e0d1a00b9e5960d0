import hashlib
import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from quxiang.accounts.models import Role, User
from quxiang.core.validators import validate_mobile, validate_national_id, validate_uscc
from quxiang.organisations.models import Organisation
from quxiang.roster.demo import (
    DEMO_GRADUATION_YEAR,
    STAFF_PASSWORD,
    build_demo_school,
    counties_by_province_from_db,
    sample_students,
)
from quxiang.roster.models import College, EducationLevel, Major, SchoolClass, Student

pytestmark = pytest.mark.django_db

MODELS = [College, Major, SchoolClass, Student, User, Organisation]


def _counts():
    return {m.__name__: m.objects.count() for m in MODELS} | {
        "counselor_links": SchoolClass.counselors.through.objects.count()
    }


@pytest.fixture
def seeded():
    call_command("seed_demo", quiet_accounts=True, stdout=io.StringIO())


def test_command_prints_demo_accounts():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    assert STAFF_PASSWORD in text and "office" in text and "admin" in text and "fdy01" in text
    assert "mishu01" in text and "首次登录须修改密码" in text and "330114" in text


def test_idempotent(seeded):
    first = _counts()
    passwords = dict(User.objects.values_list("username", "password"))
    call_command("seed_demo", quiet_accounts=True, stdout=io.StringIO())
    assert _counts() == first
    assert dict(User.objects.values_list("username", "password")) == passwords


def test_students(seeded):
    students = Student.objects.all()
    assert students.count() == 300
    assert students.filter(graduation_year=DEMO_GRADUATION_YEAR).count() == 300
    bachelors = students.filter(education_level=EducationLevel.BACHELOR).count()
    assert 0.75 <= bachelors / 300 <= 0.85
    for s in students:
        assert validate_national_id(s.national_id) == s.national_id
        assert s.national_id[:6] == s.origin_region_id
        assert (int(s.national_id[16]) % 2 == 1) == (s.gender == "M")
        assert validate_mobile(s.phone) == s.phone
        assert len(s.student_number) == 10 and s.student_number.isdigit()
        assert s.user.username == s.student_number and s.user.role == Role.STUDENT
        assert s.user.must_change_password
        assert s.major.level == s.education_level == s.school_class.major.level
        assert s.college_id == s.major.college_id
        if s.is_undergraduate:
            assert 2000 <= int(s.national_id[6:10]) <= 2004
    provinces = {code[:2] for code in students.values_list("origin_region_id", flat=True)}
    assert len(provinces) >= 20
    assert students.filter(origin_region_id="330114").exists()
    assert students.filter(origin_region_id="653228").exists()
    assert students.filter(origin_region__code__startswith="31").count() >= 40
    assert students.filter(national_id__endswith="X").count() >= 3


def test_structure_and_staff(seeded):
    assert College.objects.count() >= 4
    assert Major.objects.count() >= 10
    assert Major.objects.exclude(level=EducationLevel.BACHELOR).exists()
    for school_class in SchoolClass.objects.all():
        counselors = list(school_class.counselors.all())
        assert counselors and all(u.role == Role.COUNSELOR for u in counselors), school_class.name
    assert User.objects.filter(role=Role.COLLEGE_OFFICER).count() == College.objects.count()
    assert not User.objects.filter(role=Role.COLLEGE_OFFICER, college__isnull=True).exists()
    admin = User.objects.get(username="admin")
    assert admin.role == Role.ADMIN and admin.is_superuser and admin.is_staff
    assert User.objects.get(username="office").role == Role.OFFICE
    assert authenticate(username="fdy01", password=STAFF_PASSWORD) is not None
    assert authenticate(username="office", password=STAFF_PASSWORD).has_perm("reference.change_region")


def test_organisations(seeded):
    orgs = Organisation.objects.all()
    assert orgs.count() >= 20
    for org in orgs:
        assert validate_uscc(org.uscc) == org.uscc
        assert org.uscc[2:8] == org.region_id
        if org.region_id.startswith("31"):
            assert len(org.shanghai_reg_no) == 7 and org.shanghai_reg_no.isdigit()
        else:
            assert org.shanghai_reg_no == ""
    assert orgs.filter(uscc__startswith="12", nature_id="21").count() >= 2


def test_demo_student_can_log_in_with_initial_password(seeded):
    school = build_demo_school(
        counties_by_province=counties_by_province_from_db(), school_name="示范理工大学"
    )
    samples = sample_students(school)
    assert len(samples) == 5
    for spec in samples:
        user = authenticate(username=spec.student_number, password=spec.national_id[-6:])
        assert user is not None and user.must_change_password
    assert any(spec.national_id.endswith("X") for spec in samples)
    assert authenticate(username=samples[0].student_number, password="wrong1") is None


def test_generation_is_deterministic():
    counties = counties_by_province_from_db()
    a = build_demo_school(counties_by_province=counties, school_name="X")
    b = build_demo_school(counties_by_province=counties, school_name="X")
    assert a.students == b.students and a.organisations == b.organisations
    assert len({s.national_id for s in a.students}) == 300
    assert len({s.student_number for s in a.students}) == 300


def test_generation_is_pinned():
    """The demo students, staff and organisations are the ones documented and used by the e2e suite and
    the benchmarks: a refactor of the generator must not change a single draw. (The value changes only
    when the data or the region table does; then update it on purpose.)"""
    school = build_demo_school(counties_by_province=counties_by_province_from_db(), school_name="示范理工大学")
    rows = [(s.student_number, s.name, s.national_id, s.school_class.name, s.phone) for s in school.students]
    rows += [(o.uscc, o.name, o.shanghai_reg_no, o.contact_name, o.contact_phone) for o in school.organisations]
    rows += [(s.username, s.full_name) for s in school.staff]
    first = school.students[0]
    assert (first.student_number, first.name, first.national_id) == ("2301010001", "石成", "310151200210166450")
    assert hashlib.sha256(repr(rows).encode()).hexdigest() == (
        "bac498a427b37815a502e6a950ebb2c6a8e94d869a605bad240c9e7f645f1d8f"
    )
