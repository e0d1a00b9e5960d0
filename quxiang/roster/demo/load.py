"""Write the demo school to the database: whatever is missing is created, what exists is never changed,
so running it again creates nothing and alters nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from quxiang.accounts.models import Role, User
from quxiang.accounts.passwords import initial_password_hasher
from quxiang.accounts.services import user_role_rights_sync
from quxiang.organisations.models import Organisation, OrganisationSource
from quxiang.reference.models import Industry, OrgNature, Region, RegionLevel
from quxiang.roster.demo.build import build_demo_school
from quxiang.roster.demo.data import DEMO_GRADUATION_YEAR, STAFF_PASSWORD
from quxiang.roster.demo.specs import DemoSchool
from quxiang.roster.models import College, Major, SchoolClass, Student


@dataclass
class LoadSummary:
    created: dict[str, int] = field(default_factory=dict)

    @property
    def total_created(self) -> int:
        return sum(self.created.values())


def counties_by_province_from_db() -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    rows = (
        Region.objects.filter(level=RegionLevel.COUNTY, is_active=True)
        .order_by("code")
        .values_list("code", flat=True)
    )
    for code in rows:
        result.setdefault(code[:2], []).append(code)
    return result



@transaction.atomic
def load_demo_school(
    *, school: DemoSchool | None = None, full_strength_hashes: bool = False
) -> tuple[DemoSchool, LoadSummary]:
    """Create whatever part of the demo school is missing. Existing rows are left exactly as they are."""
    if school is None:
        school = build_demo_school(
            counties_by_province=counties_by_province_from_db(), school_name=settings.QUXIANG["SCHOOL_NAME"]
        )
    summary = LoadSummary()

    # Colleges and majors.
    colleges = {c.code: c for c in College.objects.filter(code__in=[code for code, _ in school.colleges])}
    new = [College(code=code, name=name) for code, name in school.colleges if code not in colleges]
    College.objects.bulk_create(new)
    summary.created["学院 colleges"] = len(new)
    colleges = {c.code: c for c in College.objects.filter(code__in=[code for code, _ in school.colleges])}

    existing_majors = {(m.code, m.level): m for m in Major.objects.all()}
    new_majors = [
        Major(code=m.code, name=m.name, level=m.level, college=colleges[m.college_code])
        for m in school.majors
        if (m.code, m.level) not in existing_majors
    ]
    Major.objects.bulk_create(new_majors)
    summary.created["专业 majors"] = len(new_majors)
    majors = {(m.code, m.level): m for m in Major.objects.all()}

    # Staff accounts (one hash of the shared demo password).
    existing_users = set(
        User.objects.filter(username__in=[s.username for s in school.staff]).values_list(
            "username", flat=True
        )
    )
    staff_hash = make_password(STAFF_PASSWORD)
    new_staff = [
        User(
            username=s.username,
            full_name=s.full_name,
            role=s.role,
            college=colleges[s.college_code] if s.college_code else None,
            is_staff=s.is_staff,
            is_superuser=s.is_superuser,
            must_change_password=False,
            password=staff_hash,
            email=f"{s.username}@example.edu.cn",
        )
        for s in school.staff
        if s.username not in existing_users
    ]
    User.objects.bulk_create(new_staff)
    summary.created["教职工账号 staff accounts"] = len(new_staff)
    staff_users = {
        u.username: u for u in User.objects.filter(username__in=[s.username for s in school.staff])
    }

    # Classes and their counselors (only for classes created now).
    existing_classes = set(
        SchoolClass.objects.filter(name__in=[c.name for c in school.classes]).values_list("name", flat=True)
    )
    new_classes = [
        SchoolClass(name=c.name, major=majors[(c.major.code, c.major.level)])
        for c in school.classes
        if c.name not in existing_classes
    ]
    SchoolClass.objects.bulk_create(new_classes)
    summary.created["班级 classes"] = len(new_classes)
    classes = {c.name: c for c in SchoolClass.objects.filter(name__in=[c.name for c in school.classes])}
    through = SchoolClass.counselors.through
    links = [
        through(schoolclass_id=classes[c.name].pk, user_id=staff_users[c.counselor_username].pk)
        for c in school.classes
        if c.name not in existing_classes and c.counselor_username in staff_users
    ]
    through.objects.bulk_create(links, ignore_conflicts=True)

    # Students and their accounts.
    numbers = [s.student_number for s in school.students]
    existing_students = set(
        Student.objects.filter(student_number__in=numbers).values_list("student_number", flat=True)
    )
    taken_ids = set(
        Student.objects.filter(national_id__in=[s.national_id for s in school.students]).values_list(
            "national_id", flat=True
        )
    )
    todo = [
        s
        for s in school.students
        if s.student_number not in existing_students and s.national_id not in taken_ids
    ]
    existing_accounts = set(
        User.objects.filter(username__in=[s.student_number for s in todo]).values_list("username", flat=True)
    )
    hasher = initial_password_hasher(full_strength=full_strength_hashes)
    new_accounts = [
        User(
            username=s.student_number,
            full_name=s.name,
            role=Role.STUDENT,
            email=s.email,
            password=make_password(s.initial_password, hasher=hasher),
            must_change_password=True,
        )
        for s in todo
        if s.student_number not in existing_accounts
    ]
    User.objects.bulk_create(new_accounts, batch_size=500)
    summary.created["学生账号 student accounts"] = len(new_accounts)
    accounts = {u.username: u for u in User.objects.filter(username__in=[s.student_number for s in todo])}
    regions = set(
        Region.objects.filter(code__in={s.origin_code for s in todo}).values_list("code", flat=True)
    )
    new_students = [
        Student(
            user=accounts[s.student_number],
            student_number=s.student_number,
            name=s.name,
            gender=s.gender,
            national_id=s.national_id,
            education_level=s.level,
            college=colleges[s.school_class.major.college_code],
            major=majors[(s.school_class.major.code, s.school_class.major.level)],
            school_class=classes[s.school_class.name],
            origin_region_id=s.origin_code,
            graduation_year=DEMO_GRADUATION_YEAR,
            phone=s.phone,
            email=s.email,
        )
        for s in todo
        if s.origin_code in regions and s.school_class.name in classes
    ]
    Student.objects.bulk_create(new_students, batch_size=500)
    summary.created["毕业生 students"] = len(new_students)

    # Organisation directory.
    existing_orgs = set(
        Organisation.objects.filter(uscc__in=[o.uscc for o in school.organisations]).values_list(
            "uscc", flat=True
        )
    )
    natures = set(OrgNature.objects.values_list("code", flat=True))
    industries = set(Industry.objects.values_list("code", flat=True))
    org_regions = dict(
        Region.objects.filter(code__in={o.region_code for o in school.organisations}).values_list(
            "code", "full_name"
        )
    )
    new_orgs = [
        Organisation(
            uscc=o.uscc,
            name=o.name,
            shanghai_reg_no=o.shanghai_reg_no,
            nature_id=o.nature_code if o.nature_code in natures else None,
            industry_id=o.industry_code if o.industry_code in industries else None,
            region_id=o.region_code if o.region_code in org_regions else None,
            address=org_regions.get(o.region_code, "") + o.address,
            postcode=o.postcode,
            contact_name=o.contact_name,
            contact_phone=o.contact_phone,
            source=OrganisationSource.OFFICE,
        )
        for o in school.organisations
        if o.uscc not in existing_orgs
    ]
    Organisation.objects.bulk_create(new_orgs)
    summary.created["单位 organisations"] = len(new_orgs)

    # The office's admin rights come from accounts (post_migrate), not from this seeder.
    if "office" not in existing_users and "office" in staff_users:
        user_role_rights_sync(user=staff_users["office"])
    return school, summary
