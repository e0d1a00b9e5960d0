"""What the demo school is made of, as plain frozen records (no database): `build` makes them, `load` writes them."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from quxiang.roster.models import EducationLevel


@dataclass(frozen=True)
class MajorSpec:
    college_code: str
    code: str
    name: str
    level: str
    abbreviation: str
    number: str  # two digits, unique within the college; part of the 学号


@dataclass(frozen=True)
class ClassSpec:
    name: str
    major: MajorSpec
    counselor_username: str


@dataclass(frozen=True)
class StaffSpec:
    username: str
    full_name: str
    role: str
    college_code: str | None = None
    is_staff: bool = False
    is_superuser: bool = False


@dataclass(frozen=True)
class StudentSpec:
    student_number: str
    name: str
    gender: str
    national_id: str
    level: str
    school_class: ClassSpec
    origin_code: str
    phone: str
    email: str

    @property
    def initial_password(self) -> str:
        return self.national_id[-settings.QUXIANG["INITIAL_PASSWORD_DIGITS"] :]


@dataclass(frozen=True)
class OrganisationSpec:
    uscc: str
    name: str
    shanghai_reg_no: str
    nature_code: str
    industry_code: str
    region_code: str
    address: str
    postcode: str
    contact_name: str
    contact_phone: str


@dataclass
class DemoSchool:
    school_name: str
    colleges: list[tuple[str, str]]
    majors: list[MajorSpec]
    classes: list[ClassSpec]
    staff: list[StaffSpec]
    students: list[StudentSpec]
    organisations: list[OrganisationSpec]

    def samples(self) -> list[tuple[str, StudentSpec]]:
        """A handful of students worth trying, with why each is interesting."""
        chosen: list[tuple[str, StudentSpec]] = []
        used: set[str] = set()

        def pick(label: str, predicate) -> None:
            for s in self.students:
                if s.student_number not in used and predicate(s):
                    chosen.append((label, s))
                    used.add(s.student_number)
                    return

        bachelor = EducationLevel.BACHELOR
        pick(
            "本科，上海生源 / undergraduate from Shanghai",
            lambda s: (
                s.level == bachelor and s.origin_code.startswith("31") and not s.national_id.endswith("X")
            ),
        )
        pick(
            "本科，生源地 330114 杭州市钱塘区（2021 年新设）/ origin in a county created 2021",
            lambda s: s.level == bachelor and s.origin_code == "330114",
        )
        pick(
            "本科，身份证号末位为 X（登录时小写 x 亦可）/ ID ends in X (lower-case x accepted)",
            lambda s: s.level == bachelor and s.national_id.endswith("X"),
        )
        pick(
            "硕士研究生（无需填写档案信息）/ master's student (no archive step)",
            lambda s: s.level == EducationLevel.MASTER,
        )
        pick(
            "本科，生源地 653228 和康县（2024 年新设）/ origin in a county created 2024",
            lambda s: s.level == bachelor and s.origin_code == "653228",
        )
        return chosen

