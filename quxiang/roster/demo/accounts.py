"""The demo accounts printed after seeding (Chinese and English)."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings

from quxiang.accounts.models import Role
from quxiang.roster.demo.data import DEMO_GRADUATION_YEAR, STAFF_PASSWORD
from quxiang.roster.demo.specs import DemoSchool, StudentSpec


def accounts_block(school: DemoSchool, *, region_names: dict[str, str] | None = None) -> str:
    """The demo accounts to print after seeding (Chinese and English)."""
    region_names = region_names or {}
    staff = {s.username: s for s in school.staff}
    counselor = next(s for s in school.staff if s.role == Role.COUNSELOR)
    officer = next(s for s in school.staff if s.role == Role.COLLEGE_OFFICER)
    college_names = dict(school.colleges)
    digits = settings.QUXIANG["INITIAL_PASSWORD_DIGITS"]
    counselor_count = sum(1 for s in school.staff if s.role == Role.COUNSELOR)
    officer_count = sum(1 for s in school.staff if s.role == Role.COLLEGE_OFFICER)
    counselor_classes = [c.name for c in school.classes if c.counselor_username == counselor.username]
    lines = [
        "=" * 78,
        f"  {school.school_name} · 演示账号 / Demo accounts (graduation year {DEMO_GRADUATION_YEAR})",
        "=" * 78,
        f"  教职工密码 / staff password: {STAFF_PASSWORD}",
        "",
        f"  就业指导中心 / employment office   office      {staff['office'].full_name}",
        f"  系统管理员 / system admin (/admin/) admin       {staff['admin'].full_name}",
        f"  辅导员 / counselor                  {counselor.username:<11} {counselor.full_name}"
        f"（{'、'.join(counselor_classes)}）",
        f"  学院就业秘书 / college officer      {officer.username:<11} {officer.full_name}"
        f"（{college_names[officer.college_code]}）",
        f"  其他辅导员 fdy01–fdy{counselor_count:02d}，各学院就业秘书 mishu01–mishu{officer_count:02d}，密码相同。",
        f"  Other counselors fdy01–fdy{counselor_count:02d} and college officers mishu01–mishu{officer_count:02d}"
        " use the same password.",
        "",
        f"  毕业生 / students: 用户名为学号，初始密码为身份证号后 {digits} 位；首次登录须修改密码。",
        f"  Login name = student number; initial password = last {digits} characters of the national ID;",
        "  the first login forces a password change.",
        "",
    ]
    for label, s in school.samples():
        c = staff[s.school_class.counselor_username]
        lines += [
            f"  · {label}",
            f"      学号 {s.student_number}  初始密码 {s.initial_password}  {s.name}  {s.school_class.name}"
            f"  生源地 {s.origin_code} {region_names.get(s.origin_code, '')}".rstrip(),
            f"      辅导员 / counselor: {c.username} {c.full_name}",
        ]
    lines.append("=" * 78)
    return "\n".join(lines)


def sample_students(school: DemoSchool) -> Sequence[StudentSpec]:
    return [s for _label, s in school.samples()]
