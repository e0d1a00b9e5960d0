"""Factories for tests: build data the way the product does (valid IDs, real code tables)."""

from __future__ import annotations

import io
import itertools

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from stdnum.cn import ric

from quxiang.accounts.models import Role, User
from quxiang.core.validators import uscc_check_char
from quxiang.roster.models import College, EducationLevel, Gender, Major, SchoolClass, Student

_seq = itertools.count(1)


def make_national_id(*, region: str = "310104", birth: str = "20030512", seq: int | None = None, sex: str = "M") -> str:
    n = seq if seq is not None else next(_seq)
    order = f"{(n % 99) + 1:02d}" + ("1" if sex == "M" else "2")
    body = f"{region}{birth}{order}"
    # python-stdnum's calc_check_digit expects the full 18 characters and ignores the last one.
    return body + ric.calc_check_digit(body + "0")


def make_uscc(*, region: str = "310115", serial: str = "MA1FL0001") -> str:
    first17 = f"91{region}{serial}"
    return first17 + uscc_check_char(first17)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n:04d}")
    full_name = factory.Sequence(lambda n: f"职员{n}")
    role = Role.OFFICE
    password = factory.django.Password("Quxiang-Test-1")


class CollegeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = College
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n:02d}")
    name = factory.Sequence(lambda n: f"测试学院{n}")


class MajorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Major

    # Outside the real 专业代码 range the tests use by hand (080202, 080999 …): a sequence of "08…" met them
    # once enough majors had been made, depending on test order.
    code = factory.Sequence(lambda n: f"9{n:05d}")
    name = factory.Sequence(lambda n: f"测试专业{n}")
    college = factory.SubFactory(CollegeFactory)
    level = EducationLevel.BACHELOR


class SchoolClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolClass
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"测试班{n}")
    major = factory.SubFactory(MajorFactory)

    @factory.post_generation
    def counselor(self, create, extracted, **kwargs):
        if create:
            self.counselors.add(extracted or UserFactory(role=Role.COUNSELOR))


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    class Params:
        level = EducationLevel.BACHELOR
        origin = "310104"

    student_number = factory.Sequence(lambda n: f"2390{n:06d}")
    name = factory.Sequence(lambda n: f"学生{n}")
    gender = Gender.MALE
    national_id = factory.LazyAttribute(lambda o: make_national_id(region=o.origin))
    education_level = factory.SelfAttribute("level")
    school_class = factory.SubFactory(SchoolClassFactory, major__level=factory.SelfAttribute("...level"))
    major = factory.SelfAttribute("school_class.major")
    college = factory.SelfAttribute("school_class.major.college")
    origin_region_id = factory.SelfAttribute("origin")
    graduation_year = 2027
    phone = "13800138000"
    user = factory.LazyAttribute(
        lambda o: UserFactory(username=o.student_number, role=Role.STUDENT, full_name=o.name)
    )


def make_png_bytes() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 90, 200)).save(buf, format="PNG")
    return buf.getvalue()


def make_pdf_bytes(text: str = "agreement") -> bytes:
    """A small, valid one-page PDF built with pypdf."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Title": text})
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def make_jpeg_bytes() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, format="JPEG")
    return buf.getvalue()


def pdf_upload(name: str = "协议书.pdf", text: str = "agreement") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_pdf_bytes(text), content_type="application/pdf")


# --- Helpers for the wizard, evidence and access tests ------------------------------------------


def make_counselor(**kwargs) -> User:
    return UserFactory(role=Role.COUNSELOR, **kwargs)


def make_college_officer(*, college: College, **kwargs) -> User:
    return UserFactory(role=Role.COLLEGE_OFFICER, college=college, **kwargs)


def employer_org_data(**overrides) -> dict[str, str]:
    """Valid POST data of the organisation step for an employer in Shanghai (浦东新区)."""
    data = {
        "org_uscc": make_uscc(), "org_name": "上海测试科技有限公司", "org_shanghai_reg_no": "1234567",
        "org_nature": "39", "org_industry": "I", "org_region": "310115", "org_address": "上海市浦东新区张江路1号",
        "org_postcode": "201203", "org_contact_name": "王经理", "org_contact_phone": "021-58881234",
        "job_category": "13", "signed_on": "2027-03-01",
    }
    data.update(overrides)
    return data


def school_org_data(**overrides) -> dict[str, str]:
    """Valid POST data of the organisation step for an admitting school (考研 / 考双)."""
    data = {"org_uscc": make_uscc(region="310000", serial="425006211"), "org_name": "复旦大学", "org_region": "310110"}
    data.update(overrides)
    return data


def abroad_org_data(**overrides) -> dict[str, str]:
    """Valid POST data of the organisation step for study or work abroad."""
    data = {"abroad_country": "US", "org_name": "哥伦比亚大学", "abroad_name_original": "Columbia University",
            "programme": "计算机科学", "programme_original": "Computer Science", "signed_on": "2027-02-01"}
    data.update(overrides)
    return data


def make_registration(
    *, student: Student | None = None, destination_type: str = "dispatch_general", complete: bool = False,
    evidence: int = 0, status: str | None = None, organisation: bool = False, **student_kwargs,
):
    """A student's open record built through the services, as the wizard would build it.

    complete=True fills every step the type needs (organisation, at least one evidence file, archive by
    匹配); organisation=True fills only the organisation step; `evidence` uploads that many PDFs (after
    the organisation step, which it fills too);
    `status` is then forced with a plain UPDATE (e.g. returned)."""
    from quxiang.evidence.services import evidence_add
    from quxiang.reference.models import DestinationType
    from quxiang.registrations import services
    from quxiang.registrations.forms import ArchiveForm
    from quxiang.registrations.models import Registration, Step
    from quxiang.registrations.selectors import registration_steps

    student = student or StudentFactory(**student_kwargs)
    reg = services.registration_start(student=student, actor=student.user)
    dtype = DestinationType.objects.get(key=destination_type)
    reg = services.registration_set_type(registration=reg, destination_type=dtype)
    if (complete or organisation or evidence) and dtype.needs_organisation:
        reg = fill_organisation(reg)  # as in the wizard, evidence comes after the organisation step
    files = max(evidence, 1 if complete and dtype.needs_evidence else 0)
    for i in range(files):
        evidence_add(registration=reg, upload=pdf_upload(f"材料{i + 1}.pdf", text=f"evidence {i}"), actor=student.user)
    if complete and Step.ARCHIVE in registration_steps(registration=reg):
        form = ArchiveForm(services.archive_match_authority(registration=reg))
        assert form.is_valid(), form.errors
        reg = services.registration_save_archive(registration=reg, data=form.cleaned_data)
    if status is not None:
        Registration.objects.filter(pk=reg.pk).update(status=status)
        # Written straight to the table: the student's maintained state follows as a service would make it.
        from quxiang.registrations.state import student_state_refresh
        student_state_refresh(student_id=reg.student_id)
    return Registration.objects.get(pk=reg.pk)


def fill_organisation(registration, **overrides):
    """Save a valid organisation step for the record's destination type (through the form and service)."""
    from quxiang.reference.models import OrgKind
    from quxiang.registrations import services
    from quxiang.registrations.forms import OrganisationForm

    dtype = registration.destination_type
    if dtype.implied_nature_id and dtype.org_kind == OrgKind.EMPLOYER:
        overrides.setdefault("org_nature", dtype.implied_nature_id)  # 部队录用 → 部队, 公务员录用 → 机关
    data = {OrgKind.EMPLOYER: employer_org_data, OrgKind.SCHOOL: school_org_data,
            OrgKind.ABROAD: abroad_org_data}[dtype.org_kind](**overrides)
    form = OrganisationForm(data, destination_type=dtype)
    assert form.is_valid(), form.errors
    return services.registration_save_organisation(registration=registration, data=form.cleaned_data)


# --- Helpers for the review (鉴证) tests -----------------------------------------------------------


def make_office(**kwargs) -> User:
    return UserFactory(role=Role.OFFICE, **kwargs)


def counselor_of(student: Student) -> User:
    """The (first) counselor of the student's class."""
    return student.school_class.counselors.order_by("pk").first()


def make_submitted(*, student: Student | None = None, destination_type: str = "dispatch_general",
                   ip: str | None = None, **student_kwargs):
    """A complete record submitted through the services (待鉴证)."""
    from quxiang.registrations import services
    from quxiang.registrations.models import Registration

    reg = make_registration(student=student, destination_type=destination_type, complete=True, **student_kwargs)
    assert services.registration_submit(registration=reg, actor=reg.student.user, ip=ip)
    return Registration.objects.get(pk=reg.pk)


def make_verified(*, student: Student | None = None, destination_type: str = "dispatch_general",
                  verifier: User | None = None, **student_kwargs):
    """A complete record submitted and verified (已鉴证) through the services, by the class counselor."""
    from quxiang.registrations.models import Registration
    from quxiang.reviews.services import registration_verify

    reg = make_submitted(student=student, destination_type=destination_type, **student_kwargs)
    registration_verify(registration=reg, actor=verifier or counselor_of(reg.student))
    return Registration.objects.get(pk=reg.pk)


def make_registration_row(*, student: Student, status: str = "submitted", destination_type: str = "dispatch_general",
                          version: int = 1, **fields):
    """A record written straight to the table (no services, no files): for lists and query counts,
    where hundreds of complete wizard runs would only slow the suite down."""
    from django.utils import timezone

    from quxiang.registrations.models import Registration

    now = timezone.now()
    defaults = {"org_name": "上海测试科技有限公司", "organisation_done": True, "archive_done": True}
    if status in ("submitted", "verified", "returned", "superseded"):
        defaults["submitted_at"] = now
    defaults.update(fields)
    reg = Registration.objects.create(student=student, status=status, destination_type_id=destination_type,
                                      version=version, **defaults)
    from quxiang.registrations.state import student_state_refresh
    student_state_refresh(student_id=student.pk)
    return reg


# --- Helpers for the reports (statistics, national export) and the benchmarks ----------------------

# A late-season snapshot of a cohort: share of students per current state. A verified student may also
# have an open change draft (v2); SAMPLE_CHANGE_SHARE of the verified ones do.
SAMPLE_STATE_MIX = {"none": 6, "draft": 5, "submitted": 10, "returned": 3, "verified": 76}
SAMPLE_CHANGE_SHARE = 0.03
# Destination types of records, weighted roughly like a Shanghai engineering school's report.
SAMPLE_TYPE_MIX = {
    "dispatch_general": 30, "labour_contract": 12, "study_master": 17, "abroad_study": 6, "abroad_work": 1,
    "flexible_other": 4, "flexible_freelance": 2, "dispatch_civil_service": 3, "dispatch_military": 1,
    "dispatch_startup": 1, "research_assistant": 2, "grassroots_sanzhiyifu": 1, "grassroots_west": 1,
    "grassroots_xuandiao": 1, "study_second_degree": 1, "awaiting_job_hunting": 8, "awaiting_signing": 3,
    "not_seeking_study": 4, "not_seeking_other": 2,
}


def make_sample_records(*, students, seed: int = 2026) -> int:
    """Give `students` records in the SAMPLE_*_MIX proportions, written straight to the table (no files,
    no events): for demos, screenshots and benchmarks, not for tests of the flow. Employers come from the
    organisation directory. Returns the number of records created."""
    import random

    from django.utils import timezone

    from quxiang.organisations.models import Organisation
    from quxiang.reference.models import Country, DestinationType, OrgKind
    from quxiang.registrations.models import Registration

    rng = random.Random(seed)
    kinds = dict(DestinationType.objects.filter(key__in=SAMPLE_TYPE_MIX).values_list("key", "org_kind"))
    type_keys = [k for k in SAMPLE_TYPE_MIX if k in kinds]
    type_weights = [SAMPLE_TYPE_MIX[k] for k in type_keys]
    orgs = list(Organisation.objects.values("uscc", "name", "nature_id", "industry_id", "region_id", "address",
                                            "postcode", "contact_name", "contact_phone"))
    countries = list(Country.objects.filter(code__in=["US", "GB", "AU", "JP", "DE", "SG", "HK", "CA"])
                     .values_list("code", flat=True)) or [None]
    states, state_weights = list(SAMPLE_STATE_MIX), list(SAMPLE_STATE_MIX.values())
    now = timezone.now()
    rows = []
    for student in students:
        state = rng.choices(states, state_weights)[0]
        if state == "none":
            continue
        key = rng.choices(type_keys, type_weights)[0]
        fields = {"student": student, "version": 1, "status": state, "destination_type_id": key,
                  "organisation_done": True, "archive_done": True}
        kind = kinds[key]
        if kind in (OrgKind.EMPLOYER, OrgKind.SCHOOL) and orgs:
            org = rng.choice(orgs)
            fields.update(org_name=org["name"], org_uscc=org["uscc"], org_nature_id=org["nature_id"],
                          org_industry_id=org["industry_id"], org_region_id=org["region_id"],
                          org_address=org["address"], org_postcode=org["postcode"],
                          org_contact_name=org["contact_name"], org_contact_phone=org["contact_phone"],
                          job_category_id="13" if kind == OrgKind.EMPLOYER else None,
                          signed_on=now.date() if kind == OrgKind.EMPLOYER else None)
        elif kind == OrgKind.ABROAD:
            fields.update(abroad_country_id=rng.choice(countries), org_name="示例大学",
                          abroad_name_original="Example University", programme="计算机科学",
                          programme_original="Computer Science", signed_on=now.date())
        if state != "draft":
            fields["submitted_at"] = now
        if state == "returned":
            fields["return_reason"] = "请上传协议书第一联的清晰扫描件。"
        if state == "verified":
            fields.update(verified_at=now, verification_no=f"S{seed % 10000:04d}{student.pk:010d}")
        rows.append(Registration(**fields))
        if state == "verified" and rng.random() < SAMPLE_CHANGE_SHARE:
            change = {k: v for k, v in fields.items() if k not in ("verified_at", "verification_no", "submitted_at")}
            change.update(version=2, status="draft")
            rows.append(Registration(**change))
    Registration.objects.bulk_create(rows, batch_size=1000)
    from quxiang.registrations.state import student_states_recount
    student_states_recount(fix=True, students=Student.objects.filter(pk__in=[s.pk for s in students]))
    return len(rows)


# --- Helpers for the roster import tests (quxiang/imports) ---------------------------------------------

ROSTER_HEADERS = ["学号", "姓名", "性别", "身份证号", "学历层次", "学院", "专业代码", "专业名称", "班级", "辅导员工号",
                  "生源地代码", "毕业年份", "手机号", "电子邮箱", "考生号", "民族", "政治面貌", "城乡生源", "入学年月",
                  "毕业日期", "培养方式", "学习形式"]


def roster_row(*, n: int, college: str, major_code: str, class_name: str = "导入班01", counselor: str = "",
               region: str = "310104", level: str = "本科", **overrides) -> dict:
    """One valid line of the roster file (keys are the Chinese headers); `n` makes 学号 and 身份证号 unique."""
    sex = "男" if n % 2 else "女"
    row = {
        "学号": f"27{n:08d}", "姓名": f"导入学生{n}", "性别": sex,
        "身份证号": make_national_id(region=region, seq=n, sex="M" if sex == "男" else "F",
                                 birth=f"2004{(n % 12) + 1:02d}{(n % 28) + 1:02d}"),
        "学历层次": level, "学院": college, "专业代码": major_code, "专业名称": "", "班级": class_name,
        "辅导员工号": counselor, "生源地代码": region, "毕业年份": "2027", "手机号": f"139{n:08d}",
        "电子邮箱": f"s{n}@stu.example.edu.cn", "考生号": "", "民族": "汉族", "政治面貌": "共青团员", "城乡生源": "城镇",
        "入学年月": "2023-09", "毕业日期": "2027-06-30", "培养方式": "非定向", "学习形式": "全日制",
    }
    row.update(overrides)
    return row


def make_roster_xlsx(rows: list[dict], *, headers: list[str] | None = None) -> bytes:
    """An .xlsx built with openpyxl, as an office would save it: header row, then one row per dict.
    Values are written as given (str, int, float, date), so tests can craft numeric IDs or Excel dates."""
    from openpyxl import Workbook

    headers = headers or ROSTER_HEADERS
    book = Workbook()
    sheet = book.active
    sheet.title = "毕业生名单"
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h) for h in headers])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def roster_upload(rows: list[dict], *, name: str = "名单.xlsx", headers: list[str] | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, make_roster_xlsx(rows, headers=headers),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# --- Helpers for the integrity (数据核查, 抽查) tests ------------------------------------------------------


def make_evidence_row(*, registration, sha256: str, name: str = "协议书.pdf"):
    """An evidence file row with a chosen content hash (no bytes stored): for duplicate-file checks."""
    import uuid

    from quxiang.evidence.models import EvidenceFile

    return EvidenceFile.objects.create(
        registration=registration, file=f"evidence/test/{uuid.uuid4().hex}.pdf", original_name=name,
        content_type="application/pdf", size=1024, sha256=sha256, uploaded_by=registration.student.user,
    )


def make_verified_row(*, student: Student, verifier: User | None = None, submitted_at=None, verified_at=None,
                      destination_type: str = "dispatch_general", **fields):
    """A verified record written straight to the table, with chosen submission and verification times."""
    import datetime as dt

    from django.utils import timezone

    verified_at = verified_at or timezone.now()
    submitted_at = submitted_at or verified_at - dt.timedelta(days=2)
    return make_registration_row(
        student=student, status="verified", destination_type=destination_type, submitted_at=submitted_at,
        verified_at=verified_at, verified_by=verifier or counselor_of(student), **fields,
    )
