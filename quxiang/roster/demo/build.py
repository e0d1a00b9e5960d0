"""Generate the demo school: pure and deterministic (random.Random(seed)), no database access.

The order of the generator's draws is part of the result: reordering any call below changes every
student, ID number and USCC after it (tests/test_seed_demo.py pins them)."""

from __future__ import annotations

import datetime as dt
import random

from stdnum.cn import ric as stdnum_ric

from quxiang.accounts.models import Role
from quxiang.core.validators import USCC_ALPHABET, uscc_check_char
from quxiang.roster.demo.data import (
    AREA_CODE_BY_CITY,
    AREA_CODES,
    BIRTH_YEARS,
    COLLEGES,
    COMPOUND_SURNAMES,
    DEMO_GRADUATION_YEAR,
    DEMO_SEED,
    GIVEN_FEMALE,
    GIVEN_MALE,
    MAJORS,
    MIN_ID_ENDING_X,
    MIN_PROVINCES,
    MOBILE_PREFIXES,
    ORGANISATIONS,
    ORIGIN_WEIGHTS,
    POSTCODES,
    REQUIRED_ORIGINS,
    SCHOOL_ORGANISATION,
    STUDENT_COUNT,
    STUDENTS_BY_LEVEL,
    STUDY_YEARS,
    SURNAME_WEIGHTS,
    SURNAMES,
)
from quxiang.roster.demo.specs import (
    ClassSpec,
    DemoSchool,
    MajorSpec,
    OrganisationSpec,
    StaffSpec,
    StudentSpec,
)
from quxiang.roster.models import EducationLevel, Gender


def _person_name(rng: random.Random, gender: str) -> str:
    if rng.random() < 0.01:
        surname = rng.choice(COMPOUND_SURNAMES)
    else:
        surname = rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]  # 王、李、张… are the most common
    chars = GIVEN_MALE if gender == Gender.MALE else GIVEN_FEMALE
    if rng.random() < 0.3:
        return surname + rng.choice(chars)
    first = rng.choice(chars)
    second = rng.choice([c for c in chars if c != first])
    return surname + first + second


def _mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _national_id(rng: random.Random, region: str, birth: dt.date, gender: str, want_x: bool = False) -> str:
    """GB 11643-1999: region(6) + birth(8) + sequence(3, odd = male) + MOD 11-2 check."""
    for _ in range(200):
        seq = rng.randrange(0, 500) * 2 + (1 if gender == Gender.MALE else 0)
        body = f"{region}{birth:%Y%m%d}{seq:03d}"
        check = stdnum_ric.calc_check_digit(body + "0")
        if want_x and check != "X":
            continue
        return body + check
    raise RuntimeError("could not generate a national ID")  # pragma: no cover


def _random_birth(rng: random.Random, level: str) -> dt.date:
    first, last = BIRTH_YEARS[level]
    start = dt.date(first, 1, 1)
    span = (dt.date(last, 12, 31) - start).days
    return start + dt.timedelta(days=rng.randrange(span + 1))


def _origins(rng: random.Random, counties_by_province: dict[str, list[str]], count: int) -> list[str]:
    provinces = [p for p in ORIGIN_WEIGHTS if counties_by_province.get(p)]
    origins = [
        c for c in REQUIRED_ORIGINS if c[:2] in counties_by_province and c in counties_by_province[c[:2]]
    ]
    # At least one student from each of the larger provinces, so that the spread is guaranteed.
    by_weight = sorted(provinces, key=lambda p: (-ORIGIN_WEIGHTS[p], p))
    for province in by_weight[:MIN_PROVINCES]:
        origins.append(rng.choice(counties_by_province[province]))
    weights = [ORIGIN_WEIGHTS[p] for p in provinces]
    while len(origins) < count:
        province = rng.choices(provinces, weights=weights)[0]
        origins.append(rng.choice(counties_by_province[province]))
    rng.shuffle(origins)
    return origins[:count]


def _uscc(rng: random.Random, kind: str, region: str) -> str:
    body = "".join(rng.choice("0123456789") for _ in range(8)) + rng.choice(USCC_ALPHABET)
    first17 = f"{kind}{region}{body}"
    return first17 + uscc_check_char(first17)


def _landline(rng: random.Random, region: str) -> str:
    area = AREA_CODE_BY_CITY.get(region[:4]) or AREA_CODES.get(region[:2], "021")
    return f"{area}-{rng.randrange(5, 9)}{rng.randrange(10**7):07d}"


def build_demo_school(
    *, counties_by_province: dict[str, list[str]], school_name: str, seed: int = DEMO_SEED
) -> DemoSchool:
    """Generate the demo school. Deterministic for a given seed and region table.

    `counties_by_province` maps a 2-digit province prefix to the sorted six-digit codes of its
    counties (the 生源地 candidates)."""
    rng = random.Random(seed)

    majors: list[MajorSpec] = []
    per_college: dict[str, int] = {}
    for college, code, name, level, abbreviation, _classes in MAJORS:
        per_college[college] = per_college.get(college, 0) + 1
        majors.append(MajorSpec(college, code, name, level, abbreviation, f"{per_college[college]:02d}"))

    # Counselors: one per undergraduate major, one per college for its postgraduates.
    staff: list[StaffSpec] = []
    classes: list[ClassSpec] = []
    counselor_of: dict[tuple[str, str], str] = {}
    for major, (_c, _code, _name, level, _abbr, class_count) in zip(majors, MAJORS, strict=True):
        group = (major.college_code, major.code if level == EducationLevel.BACHELOR else "postgraduate")
        if group not in counselor_of:
            username = f"fdy{len(counselor_of) + 1:02d}"
            counselor_of[group] = username
            gender = rng.choice([Gender.MALE, Gender.FEMALE])
            staff.append(StaffSpec(username, _person_name(rng, gender), Role.COUNSELOR))
        entry = DEMO_GRADUATION_YEAR - STUDY_YEARS[level]
        for index in range(1, class_count + 1):
            classes.append(
                ClassSpec(f"{major.abbreviation}{entry % 100:02d}{index:02d}", major, counselor_of[group])
            )
    for index, (college_code, _name) in enumerate(COLLEGES, start=1):
        gender = rng.choice([Gender.MALE, Gender.FEMALE])
        staff.append(
            StaffSpec(f"mishu{index:02d}", _person_name(rng, gender), Role.COLLEGE_OFFICER, college_code)
        )
    staff.append(StaffSpec("office", "就业指导中心", Role.OFFICE, is_staff=True))
    staff.append(StaffSpec("admin", "系统管理员", Role.ADMIN, is_staff=True, is_superuser=True))

    # Students: spread each level's quota round-robin over its classes.
    counties_by_province = {p: sorted(codes) for p, codes in counties_by_province.items() if codes}
    origins = _origins(rng, counties_by_province, STUDENT_COUNT)
    assignments: list[ClassSpec] = []
    for level, quota in STUDENTS_BY_LEVEL.items():
        level_classes = [c for c in classes if c.major.level == level]
        assignments.extend(level_classes[i % len(level_classes)] for i in range(quota))
    assignments.sort(
        key=lambda c: (c.major.level != EducationLevel.BACHELOR, c.major.college_code, c.major.number, c.name)
    )

    students: list[StudentSpec] = []
    seen_ids: set[str] = set()
    sequence: dict[str, int] = {}
    x_positions = set(range(7, STUDENT_COUNT, STUDENT_COUNT // MIN_ID_ENDING_X))
    for position, (school_class, origin) in enumerate(zip(assignments, origins, strict=True)):
        major = school_class.major
        level = major.level
        entry = DEMO_GRADUATION_YEAR - STUDY_YEARS[level]
        prefix = f"{entry % 100:02d}{major.college_code}{major.number}"
        sequence[prefix] = sequence.get(prefix, 0) + 1
        student_number = f"{prefix}{sequence[prefix]:04d}"
        gender = rng.choice([Gender.MALE, Gender.FEMALE])
        name = _person_name(rng, gender)
        while True:
            national_id = _national_id(
                rng, origin, _random_birth(rng, level), gender, position in x_positions
            )
            if national_id not in seen_ids:
                break
        seen_ids.add(national_id)
        students.append(
            StudentSpec(
                student_number=student_number,
                name=name,
                gender=gender,
                national_id=national_id,
                level=level,
                school_class=school_class,
                origin_code=origin,
                phone=_mobile(rng),
                email=f"{student_number}@stu.example.edu.cn",
            )
        )

    organisations: list[OrganisationSpec] = []
    for name, kind, region, nature, industry, street in [*ORGANISATIONS, SCHOOL_ORGANISATION]:
        if name == "__SCHOOL__":
            name = school_name
        shanghai = region.startswith("31")
        organisations.append(
            OrganisationSpec(
                uscc=_uscc(rng, kind, region),
                name=name,
                shanghai_reg_no=f"{rng.randrange(1, 10**7):07d}" if shanghai else "",
                nature_code=nature,
                industry_code=industry,
                region_code=region,
                address=street,
                postcode=POSTCODES.get(region, ""),
                contact_name=rng.choice(SURNAMES)
                + ("老师" if kind == "12" else rng.choice(["先生", "女士"])),
                contact_phone=_landline(rng, region),
            )
        )

    return DemoSchool(
        school_name=school_name,
        colleges=list(COLLEGES),
        majors=majors,
        classes=classes,
        staff=staff,
        students=students,
        organisations=organisations,
    )

