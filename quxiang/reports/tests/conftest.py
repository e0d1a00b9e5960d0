"""A crafted cohort with known numbers, built through the real services.

College A (code 007): class A1 (bachelor, major 080202, counselor_a1) and class A2 (master, counselor_a2).
College B (code 008): class B1 (bachelor).

| student | college/class | gender | level | record(s) | state | placed |
|---|---|---|---|---|---|---|
| s1  | A1 | M | 本科 | verified 一般单位录用 (10)                | 已鉴证 | yes |
| s2  | A1 | F | 本科 | verified 考研 (801)                       | 已鉴证 | yes |
| s3  | B1 | M | 本科 | verified 出国深造 (85), 美国               | 已鉴证 | yes |
| s4  | A2 | F | 硕士 | verified 求职中 (70, 待就业)               | 已鉴证 | no  |
| s5  | A1 | M | 本科 | submitted 一般单位录用 (10)               | 待鉴证 | pending |
| s6  | B1 | F | 本科 | returned 劳动合同 (11)                    | 已退回 | no  |
| s7  | B1 | M | 本科 | draft                                     | 草稿   | no  |
| s8  | A1 | F | 本科 | —                                         | 未登记 | no  |
| s9  | A2 | M | 硕士 | —                                         | 未登记 | no  |
| s10 | B1 | F | 本科 | —                                         | 未登记 | no  |
| s11 | A1 | M | 本科 | verified v1 劳动合同 (11) + change draft v2 | 已鉴证 | yes |

Plus one student of another year (2026, verified), who must not be counted in 2027."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from quxiang.accounts.models import User
from quxiang.registrations.changes import registration_change_start
from quxiang.registrations.models import Registration
from quxiang.reviews.services import registration_return
from quxiang.roster.models import EducationLevel, Gender, SchoolClass, Student
from quxiang.testing.factories import (
    CollegeFactory,
    SchoolClassFactory,
    StudentFactory,
    make_college_officer,
    make_counselor,
    make_office,
    make_registration,
    make_submitted,
    make_verified,
)


@dataclass
class Cohort:
    students: dict[str, Student]
    classes: dict[str, SchoolClass]
    users: dict[str, User]
    records: dict[str, Registration] = field(default_factory=dict)


@pytest.fixture
def cohort(db) -> Cohort:
    college_a = CollegeFactory(code="007", name="机械工程学院")
    college_b = CollegeFactory(code="008", name="=HYPERLINK(\"http://evil\")学院")
    counselor_a1, counselor_a2, counselor_b1 = make_counselor(), make_counselor(), make_counselor()
    a1 = SchoolClassFactory(name="机设2301", major__college=college_a, major__code="080202",
                            major__name="机械设计制造及其自动化", counselor=counselor_a1)
    a2 = SchoolClassFactory(name="机械研2401", major__college=college_a, major__code="080200", major__name="机械工程",
                            major__level=EducationLevel.MASTER, counselor=counselor_a2)
    b1 = SchoolClassFactory(name="材料2301", major__college=college_b, major__code="080401",
                            major__name="+材料科学与工程", counselor=counselor_b1)
    office = make_office()
    M, F = Gender.MALE, Gender.FEMALE
    bachelor, master = EducationLevel.BACHELOR, EducationLevel.MASTER
    plan = {
        "s1": (a1, M, bachelor), "s2": (a1, F, bachelor), "s3": (b1, M, bachelor), "s4": (a2, F, master),
        "s5": (a1, M, bachelor), "s6": (b1, F, bachelor), "s7": (b1, M, bachelor), "s8": (a1, F, bachelor),
        "s9": (a2, M, master), "s10": (b1, F, bachelor), "s11": (a1, M, bachelor),
    }
    students = {
        key: StudentFactory(school_class=cls, gender=gender, level=level, graduation_year=2027)
        for key, (cls, gender, level) in plan.items()
    }
    records = {
        "s1": make_verified(student=students["s1"], destination_type="dispatch_general"),
        "s2": make_verified(student=students["s2"], destination_type="study_master"),
        "s3": make_verified(student=students["s3"], destination_type="abroad_study"),
        "s4": make_verified(student=students["s4"], destination_type="awaiting_job_hunting"),
        "s5": make_submitted(student=students["s5"], destination_type="dispatch_general"),
        "s6": make_submitted(student=students["s6"], destination_type="labour_contract"),
        "s7": make_registration(student=students["s7"], destination_type="dispatch_general"),
        "s11": make_verified(student=students["s11"], destination_type="labour_contract"),
    }
    records["s6"] = registration_return(registration=records["s6"], actor=counselor_b1, reason="协议书不清晰")
    records["s11v2"] = registration_change_start(student=students["s11"], actor=office, reopen=True)
    old = StudentFactory(school_class=a1, graduation_year=2026)
    make_verified(student=old, destination_type="dispatch_general")
    return Cohort(
        students=students, classes={"a1": a1, "a2": a2, "b1": b1}, records=records,
        users={"office": office, "counselor_a1": counselor_a1, "counselor_b1": counselor_b1,
               "officer_b": make_college_officer(college=college_b)},
    )
