"""The demo school: colleges, majors, classes, staff accounts, 300 graduates and an organisation directory.

`build_demo_school` generates the data (pure, deterministic: random.Random(2026)); `load_demo_school`
writes what is missing to the database and never changes what is already there, so running it again
creates nothing and alters nothing. `python manage.py seed_demo` is the command-line wrapper.

Initial student passwords are the last N characters of the national ID (settings.QUXIANG
["INITIAL_PASSWORD_DIGITS"]). Hashing 300 of them with the full PBKDF2 work factor takes about a minute,
so when the default hasher is PBKDF2 they are hashed with a reduced iteration count
(quxiang.accounts.passwords). That costs nothing in practice: the password is derived from the ID
number and guessable from the birth date anyway, Django re-hashes it at full strength on the first
successful login (`must_update`), and the first login forces a password change."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from stdnum.cn import ric as stdnum_ric

from quxiang.accounts.models import Role, User
from quxiang.accounts.passwords import initial_password_hasher
from quxiang.accounts.services import user_role_rights_sync
from quxiang.core.validators import USCC_ALPHABET, uscc_check_char
from quxiang.organisations.models import Organisation, OrganisationSource
from quxiang.reference.models import Industry, OrgNature, Region, RegionLevel
from quxiang.roster.models import College, EducationLevel, Gender, Major, SchoolClass, Student

DEMO_GRADUATION_YEAR = 2027
DEMO_SEED = 2026
STUDENT_COUNT = 300
STAFF_PASSWORD = "Quxiang2026!"
MIN_PROVINCES = 24
MIN_ID_ENDING_X = 4

# --- the school's structure ------------------------------------------------------------------

COLLEGES = [
    ("01", "机械工程学院"),
    ("02", "光电信息与计算机工程学院"),
    ("03", "管理学院"),
    ("04", "外语学院"),
    ("05", "材料与化学学院"),
]

# (college, major code, name, level, class abbreviation, number of classes)
MAJORS = [
    ("01", "080202", "机械设计制造及其自动化", EducationLevel.BACHELOR, "机设", 2),
    ("01", "080207", "车辆工程", EducationLevel.BACHELOR, "车辆", 2),
    ("02", "080901", "计算机科学与技术", EducationLevel.BACHELOR, "计科", 2),
    ("02", "080701", "电子信息工程", EducationLevel.BACHELOR, "电信", 2),
    ("02", "080705", "光电信息科学与工程", EducationLevel.BACHELOR, "光电", 2),
    ("03", "120201K", "工商管理", EducationLevel.BACHELOR, "工商", 2),
    ("03", "120102", "信息管理与信息系统", EducationLevel.BACHELOR, "信管", 2),
    ("04", "050201", "英语", EducationLevel.BACHELOR, "英语", 2),
    ("04", "050207", "日语", EducationLevel.BACHELOR, "日语", 2),
    ("05", "080401", "材料科学与工程", EducationLevel.BACHELOR, "材料", 2),
    ("05", "081301", "化学工程与工艺", EducationLevel.BACHELOR, "化工", 2),
    ("01", "080200", "机械工程", EducationLevel.MASTER, "机械研", 1),
    ("02", "081200", "计算机科学与技术", EducationLevel.MASTER, "计算机研", 1),
    ("03", "120200", "工商管理", EducationLevel.MASTER, "工管研", 1),
    ("04", "055101", "英语笔译", EducationLevel.MASTER, "翻译研", 1),
    ("05", "080500", "材料科学与工程", EducationLevel.MASTER, "材料研", 1),
    ("01", "080200", "机械工程", EducationLevel.DOCTOR, "机械博", 1),
    ("02", "081200", "计算机科学与技术", EducationLevel.DOCTOR, "计算机博", 1),
]

STUDENTS_BY_LEVEL = {EducationLevel.BACHELOR: 240, EducationLevel.MASTER: 48, EducationLevel.DOCTOR: 12}
STUDY_YEARS = {EducationLevel.BACHELOR: 4, EducationLevel.MASTER: 3, EducationLevel.DOCTOR: 4}
BIRTH_YEARS = {
    EducationLevel.BACHELOR: (2000, 2004),
    EducationLevel.MASTER: (1997, 2001),
    EducationLevel.DOCTOR: (1992, 1998),
}

# 生源地: province prefix → weight. Shanghai is the largest group, as at a Shanghai university.
# fmt: off
ORIGIN_WEIGHTS = {
    "31": 70, "33": 20, "32": 20, "34": 18, "41": 15, "37": 14, "36": 12, "42": 10, "43": 10, "51": 10,
    "50": 8, "35": 8, "13": 8, "44": 6, "14": 6, "61": 6, "52": 6, "62": 5, "53": 5, "45": 5,
    "23": 4, "22": 4, "21": 4, "65": 4, "15": 3, "46": 2, "64": 2, "63": 2, "11": 2, "12": 2,
    "54": 1,
}
# fmt: on
REQUIRED_ORIGINS = ["330114", "330114", "653228"]  # a county created in 2021; a county created in 2024

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_SURNAME_WEIGHTS = [100 / (10 + i) for i in range(len(SURNAMES))]
COMPOUND_SURNAMES = ["欧阳", "司马", "上官", "诸葛"]
GIVEN_MALE = (
    "伟强磊军洋勇杰涛明超辉刚健鹏宇浩凯俊帆博文轩晨阳豪睿泽航鑫斌峰毅昊然翔哲宁铭逸瑞天嘉志家成思远新旭晗"
)
GIVEN_FEMALE = "静丽敏婷雪琳慧芳颖洁倩欣怡佳悦涵雨梦晴璐瑶琪萱诗彤妍婧思可心月嘉宁蕾菲薇雯晓文若语馨舒瑾"
# fmt: off
MOBILE_PREFIXES = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155",
    "156", "157", "158", "159", "166", "173", "177", "180", "181", "182", "183", "185", "186", "187",
    "188", "189", "191", "198", "199",
]
# fmt: on

# --- the organisation directory --------------------------------------------------------------

# (name, USCC kind, region, nature, industry, street address)
# USCC kind: "91" enterprise (registered with 市场监管), "12" public institution (事业单位).
ORGANISATIONS = [
    ("上海申联智能科技有限公司", "91", "310115", "39", "I", "张江路 665 号 3 幢 501 室"),
    ("上海浦江重工装备有限公司", "91", "310112", "31", "C", "江川路 1800 号"),
    ("上海汇星光电科技有限公司", "91", "310110", "39", "C", "国定东路 200 号 4 号楼 12 层"),
    ("上海长扬汽车零部件有限公司", "91", "310114", "32", "C", "安亭镇墨玉南路 888 号"),
    ("上海云帆信息技术有限公司", "91", "310104", "39", "I", "漕溪北路 398 号 15 楼"),
    ("上海东浦商业银行股份有限公司", "91", "310115", "31", "J", "世纪大道 1168 号"),
    ("上海申城建设工程集团有限公司", "91", "310106", "31", "E", "共和新路 3088 号"),
    ("上海华锐新材料有限公司", "91", "310116", "39", "C", "金山工业区亭卫公路 6558 号"),
    ("上海海湾国际物流有限公司", "91", "310115", "32", "G", "洋山港区同顺大道 200 号"),
    ("上海明致管理咨询有限公司", "91", "310101", "39", "L", "南京东路 300 号 21 楼"),
    ("杭州钱江数智科技有限公司", "91", "330114", "39", "I", "下沙街道文泽路 166 号"),
    ("深圳南海通信技术有限公司", "91", "440305", "39", "I", "粤海街道科技南十二路 18 号"),
    ("苏州吴越精密机械有限公司", "91", "320506", "32", "C", "吴中经济开发区东吴南路 58 号"),
    ("北京中科示范软件有限公司", "91", "110108", "39", "I", "中关村大街 99 号 8 层"),
    ("宁波港联国际贸易有限公司", "91", "330206", "39", "F", "新碶街道明州路 500 号"),
    ("合肥蓝天新能源科技有限公司", "91", "340104", "39", "C", "望江西路 860 号"),
    ("南京江宁智能装备有限公司", "91", "320115", "31", "C", "秣陵街道将军大道 159 号"),
    ("成都天府数据服务有限公司", "91", "510107", "39", "I", "天府大道北段 1700 号"),
    ("上海智能制造研究院", "12", "310115", "20", "M", "金科路 2999 号"),
    ("申江大学", "12", "310104", "21", "P", "漕宝路 1288 号"),
    ("京华大学", "12", "110108", "21", "P", "学院路 38 号"),
]
SCHOOL_ORGANISATION = ("__SCHOOL__", "12", "310110", "21", "P", "军工路 600 号")

# fmt: off
POSTCODES = {
    "310115": "201203", "310112": "200240", "310110": "200433", "310114": "201805", "310104": "200030",
    "310106": "200072", "310116": "201506", "310101": "200001", "330114": "310018", "440305": "518057",
    "320506": "215104", "110108": "100080", "330206": "315800", "340104": "230031", "320115": "211100",
    "510107": "610041",
}
# fmt: on
AREA_CODES = {"31": "021", "33": "0571", "44": "0755", "32": "0512", "11": "010", "34": "0551", "51": "028"}
AREA_CODE_BY_CITY = {"3302": "0574", "3201": "025"}


# --- specs -----------------------------------------------------------------------------------


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


@dataclass
class LoadSummary:
    created: dict[str, int] = field(default_factory=dict)

    @property
    def total_created(self) -> int:
        return sum(self.created.values())


# --- generation ------------------------------------------------------------------------------


def _person_name(rng: random.Random, gender: str) -> str:
    if rng.random() < 0.01:
        surname = rng.choice(COMPOUND_SURNAMES)
    else:
        surname = rng.choices(SURNAMES, weights=_SURNAME_WEIGHTS)[0]  # 王、李、张… are the most common
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


# --- loading ---------------------------------------------------------------------------------


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
