"""Build the planned cohort in the bench's database through the real services.

The roster (colleges, majors, classes, a counselor per class, students with their accounts) is written
with bulk inserts and one shared password hash, as bench/import_bench.py's school is: the roster is not what
this bench measures. Every record then goes through the services a student and a counselor use:
registration_start → registration_set_type → the organisation step (OrganisationForm, then
registration_save_organisation) → evidence_add → the archive step (ArchiveForm on 匹配) →
registration_submit → registration_verify. A simulated clock (django.utils.timezone.now) puts each step
at the planned time of the season, so submission and verification times are those of the plan; the
services themselves are not changed. Reading is off while building (MODE "off"); run.py reads every file
afterwards with the real reader."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import time
import zlib

from bench.trust import render
from bench.trust.cohort import Cohort, Plan


class SimClock:
    """django.utils.timezone.now, moved by hand."""

    def __init__(self) -> None:
        self.at: dt.datetime | None = None

    @contextlib.contextmanager
    def installed(self):
        from django.utils import timezone

        real = timezone.now
        timezone.now = lambda: self.at or real()
        try:
            yield self
        finally:
            timezone.now = real


def resolve_regions() -> dict[str, str]:
    from quxiang.reference.models import Region

    wanted = {"sh_pudong": ["310115"], "sh_xuhui": ["310104"], "sh_yangpu": ["310110"], "sh_minhang": ["310112"],
              "sh_chongming": ["310151", "310230"], "sh_city": ["310101", "310106"], "bj": ["110108", "110105"],
              "hz": ["330106", "330105"], "sz": ["440305", "440304"], "sz2": ["320506", "320505", "320508"]}
    codes = set(Region.objects.values_list("code", flat=True))
    out = {}
    for role, options in wanted.items():
        found = [c for c in options if c in codes]
        if not found:
            raise SystemExit(f"no region for {role} among {options}")
        out[role] = found[0]
    return out


def origins_with_authority() -> list[str]:
    """生源地 codes whose 主管单位 exists (the archive step's 匹配 needs one)."""
    from quxiang.reference.models import Region
    from quxiang.reference.selectors import origin_authority_match

    return [c for c in ("310104", "310115", "320506", "330106", "410102", "510104", "370102")
            if Region.objects.filter(code=c).exists() and origin_authority_match(region_code=c) is not None] or ["310104"]


def build_roster(cohort: Cohort, *, year: int = 2027):
    """Colleges, majors, classes with one counselor each, students with accounts. Returns
    ({number: Student}, {class index: counselor User})."""
    from django.contrib.auth.hashers import make_password

    from quxiang.accounts.models import Role, User
    from quxiang.roster.models import College, EducationLevel, Major, SchoolClass, Student

    password = make_password("Bench-Trust-2026!")
    colleges = [College.objects.create(code=f"T{i + 1}", name=name) for i, name in enumerate(cohort.colleges)]
    majors, classes, counselors = {}, {}, {}
    for index, (name, college) in enumerate(cohort.classes):
        major_name = next(p.major for p in cohort.plans if p.class_index == index)
        key = (college, major_name)
        if key not in majors:
            majors[key] = Major.objects.create(code=f"08{len(majors) + 1:04d}", name=major_name,
                                               college=colleges[college], level=EducationLevel.BACHELOR)
        cls = SchoolClass.objects.create(name=name, major=majors[key])
        counselor = User.objects.create(username=f"tfdy{index + 1:02d}", full_name=f"辅导员{index + 1:02d}",
                                        role=Role.COUNSELOR, password=password)
        cls.counselors.add(counselor)
        classes[index], counselors[index] = cls, counselor
    users = User.objects.bulk_create([User(username=p.number, full_name=p.name, role=Role.STUDENT, password=password)
                                      for p in cohort.plans], batch_size=500)
    students = []
    for i, (p, user) in enumerate(zip(cohort.plans, users, strict=True)):
        cls = classes[p.class_index]
        students.append(Student(user=user, student_number=p.number, name=p.name, gender="M" if i % 2 else "F",
                                national_id=p.national_id, education_level=EducationLevel.BACHELOR,
                                college=cls.major.college, major=cls.major, school_class=cls,
                                origin_region_id=p.origin, graduation_year=year, phone=p.phone))
    Student.objects.bulk_create(students, batch_size=500)
    return {s.student_number: s for s in Student.objects.select_related("user", "school_class")}, counselors


def evidence_bytes(p: Plan, cache: dict[str, list[tuple[bytes, str]]], seed: int) -> list[tuple[bytes, str]]:
    """The files of a record: (bytes, file name). A copy re-encodes its source's first file."""
    if p.number in cache:
        return cache[p.number]
    rng = random.Random(f"{seed}:{p.number}")
    out = []
    for i, ev in enumerate(p.evidence):
        if ev.form == "pdf":
            data, ext = render.pdf_bytes(ev.doc), ".pdf"
        elif ev.form == "scan":
            data, ext = render.scan_image(ev.doc, rng), ".jpg"
        elif ev.form == "photo":
            data, ext = render.photo_image(ev.doc, rng), ".jpg"
        elif ev.form == "copy":
            source = cache[ev.source][0][0]
            data, ext = render.reencode(source, ev.how, rng)
        else:
            raise ValueError(ev.form)
        out.append((data, f"{ev.name}{'' if i == 0 else i + 1}{ext}"))
    cache[p.number] = out
    return out


def _organisation_data(p: Plan, dtype) -> dict:
    from quxiang.reference.models import OrgKind

    if dtype.org_kind == OrgKind.SCHOOL:
        return {"org_uscc": p.typed_uscc, "org_name": p.typed_name, "org_region": p.org.region}
    if dtype.org_kind == OrgKind.ABROAD:
        return {"abroad_country": "US", "org_name": p.typed_name, "abroad_name_original": p.note,
                "programme": "计算机科学", "programme_original": "Computer Science", "signed_on": "2027-02-01"}
    org = p.org
    return {
        "org_uscc": p.typed_uscc, "org_name": p.typed_name,
        "org_shanghai_reg_no": f"{zlib.crc32(org.uscc.encode()) % 10**7:07d}" if org.region.startswith("31") else "",
        "org_nature": "39", "org_industry": "I", "org_region": org.region,
        "org_address": p.note if p.dtype == "flexible_other" and p.note else org.address,
        "org_postcode": "200000", "org_contact_name": org.contact, "org_contact_phone": org.phone,
        "job_category": "13", "signed_on": "2026-10-15",
    }


def build_records(cohort: Cohort, students: dict, counselors: dict, *, seed: int, log) -> dict[str, int]:
    """Register, submit and verify every planned record at its planned time. Returns {number: registration id}."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from quxiang.evidence.services import evidence_add
    from quxiang.reference.models import DestinationType
    from quxiang.registrations import services
    from quxiang.registrations.forms import ArchiveForm, OrganisationForm
    from quxiang.registrations.models import Step
    from quxiang.registrations.selectors import registration_steps
    from quxiang.reviews.services import registration_verify

    types = {t.key: t for t in DestinationType.objects.all()}
    clock = SimClock()
    cache: dict[str, list[tuple[bytes, str]]] = {}
    ids: dict[str, int] = {}
    plans = sorted((p for p in cohort.plans if p.dtype), key=lambda p: (p.label == "copy", p.submit_at))
    started = time.perf_counter()
    with clock.installed():
        for n, p in enumerate(plans, 1):
            student = students[p.number]
            actor = student.user
            dtype = types[p.dtype]
            clock.at = p.submit_at - dt.timedelta(minutes=12)
            reg = services.registration_start(student=student, actor=actor)
            reg = services.registration_set_type(registration=reg, destination_type=dtype)
            if dtype.needs_organisation:
                form = OrganisationForm(_organisation_data(p, dtype), destination_type=dtype)
                if not form.is_valid():
                    raise SystemExit(f"{p.number} {p.label}/{p.variant}: organisation form {form.errors.as_json()}")
                reg = services.registration_save_organisation(registration=reg, data=form.cleaned_data)
            for data, name in evidence_bytes(p, cache, seed):
                clock.at += dt.timedelta(minutes=2)
                evidence_add(registration=reg, upload=SimpleUploadedFile(name, data), actor=actor)
            if Step.ARCHIVE in registration_steps(registration=reg):
                form = ArchiveForm(services.archive_match_authority(registration=reg))
                if not form.is_valid():
                    raise SystemExit(f"{p.number}: archive form {form.errors.as_json()}")
                reg = services.registration_save_archive(registration=reg, data=form.cleaned_data)
            clock.at = p.submit_at
            if not services.registration_submit(registration=reg, actor=actor):
                raise SystemExit(f"{p.number}: not submitted")
            ids[p.number] = reg.pk
            if n % 100 == 0:
                log(f"  {n}/{len(plans)} records registered ({time.perf_counter() - started:.0f} s)")
        verify = sorted((p for p in plans if p.verify_at is not None), key=lambda p: p.verify_at)
        from quxiang.registrations.models import Registration

        for p in verify:
            clock.at = p.verify_at
            reg = Registration.objects.get(pk=ids[p.number])
            registration_verify(registration=reg, actor=counselors[p.class_index])
    log(f"  {len(plans)} records registered, {len(verify)} verified ({time.perf_counter() - started:.0f} s)")
    return ids
