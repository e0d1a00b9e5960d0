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

    code = factory.Sequence(lambda n: f"08{n:04d}")
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


def png_upload(name: str = "证明.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_png_bytes(), content_type="image/png")


def jpeg_upload(name: str = "证明.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_jpeg_bytes(), content_type="image/jpeg")


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
    匹配); organisation=True fills only the organisation step; `evidence` uploads that many PDFs;
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
    if (complete or organisation) and dtype.needs_organisation:
        reg = fill_organisation(reg)
    files = max(evidence, 1 if complete and dtype.needs_evidence else 0)
    for i in range(files):
        evidence_add(registration=reg, upload=pdf_upload(f"材料{i + 1}.pdf", text=f"evidence {i}"), actor=student.user)
    if complete and Step.ARCHIVE in registration_steps(registration=reg):
        form = ArchiveForm(services.archive_match_authority(registration=reg))
        assert form.is_valid(), form.errors
        reg = services.registration_save_archive(registration=reg, data=form.cleaned_data)
    if status is not None:
        Registration.objects.filter(pk=reg.pk).update(status=status)
    return Registration.objects.get(pk=reg.pk)


def fill_organisation(registration, **overrides):
    """Save a valid organisation step for the record's destination type (through the form and service)."""
    from quxiang.reference.models import OrgKind
    from quxiang.registrations import services
    from quxiang.registrations.forms import OrganisationForm

    dtype = registration.destination_type
    data = {OrgKind.EMPLOYER: employer_org_data, OrgKind.SCHOOL: school_org_data,
            OrgKind.ABROAD: abroad_org_data}[dtype.org_kind](**overrides)
    form = OrganisationForm(data, org_kind=dtype.org_kind, is_study=dtype.key == "abroad_study")
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
    return Registration.objects.create(student=student, status=status, destination_type_id=destination_type,
                                       version=version, **defaults)
