"""The statistics' maintained per-student state stays equal to a full recount from the records.

Random (seeded) sequences of what students and staff do — start a record, change its type, submit,
withdraw, return, verify, open and cancel a change request (the cancel deletes the draft), import new
students — all through the real services. After every sequence the statistics page's figures are
compared with a recount written here from the definitions of 统计口径 (SPEC; reports/selectors.py),
reading only the registration rows — not the maintained columns, not the production query."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from quxiang.core.errors import DomainError
from quxiang.evidence.services import evidence_add
from quxiang.imports import services as imports
from quxiang.reference.models import DestinationType
from quxiang.registrations import changes, services
from quxiang.registrations.forms import ArchiveForm
from quxiang.registrations.models import EDITABLE_STATUSES, OPEN_STATUSES, Registration, Status, Step
from quxiang.registrations.selectors import registration_steps
from quxiang.registrations.state import student_state_refresh, student_states_recount
from quxiang.reports.selectors import cohort_statistics
from quxiang.reviews import services as reviews
from quxiang.roster.models import Gender, Student
from quxiang.testing.factories import (
    CollegeFactory,
    SchoolClassFactory,
    StudentFactory,
    counselor_of,
    fill_organisation,
    make_counselor,
    make_office,
    make_verified,
    pdf_upload,
    roster_row,
    roster_upload,
)

pytestmark = pytest.mark.django_db

YEAR = 2027
EDITABLE = tuple(EDITABLE_STATUSES)
TYPES = ["dispatch_general", "labour_contract", "study_master", "abroad_study", "awaiting_job_hunting",
         "not_seeking_study", "flexible_freelance"]


# --- the recount, from the definitions ------------------------------------------------------------


def recount(*, year: int) -> dict:
    """Figures of the cohort from the registration rows alone: a verified record wins, else the open
    record's status, else 未登记; placed = verified record of a placed category; 含待鉴证 also counts a
    待鉴证 record of a placed category; 知晓率 counts every verified record."""
    records = defaultdict(list)
    for student_id, status, category, is_placed in Registration.objects.filter(
        student__graduation_year=year
    ).values_list("student_id", "status", "destination_type__category_id", "destination_type__category__is_placed"):
        records[student_id].append((status, category, bool(is_placed)))
    overall, by_college, by_gender = Counter(), defaultdict(Counter), defaultdict(Counter)
    verified_by_category, pending_by_category = Counter(), Counter()
    for student_id, college_code, gender in Student.objects.filter(graduation_year=year).values_list(
        "pk", "college__code", "gender"
    ):
        mine = records.get(student_id, [])
        verified = [r for r in mine if r[0] == Status.VERIFIED]
        open_ = [r for r in mine if r[0] in OPEN_STATUSES]
        assert len(verified) <= 1 and len(open_) <= 1
        state = "verified" if verified else (open_[0][0] if open_ else "none")
        placed = bool(verified) and verified[0][2]
        pending = bool(open_) and open_[0][0] == Status.SUBMITTED and open_[0][2]
        if verified:
            verified_by_category[verified[0][1]] += 1
        if open_ and open_[0][0] == Status.SUBMITTED:
            pending_by_category[open_[0][1]] += 1
        for counter in (overall, by_college[college_code], by_gender[gender]):
            counter["total"] += 1
            counter[state] += 1
            counter["placed"] += placed
            counter["pending"] += placed or pending
    return {"overall": dict(overall), "college": {k: dict(v) for k, v in by_college.items()},
            "gender": {k: dict(v) for k, v in by_gender.items()},
            "verified": dict(verified_by_category), "pending": dict(pending_by_category)}


def shown(*, user, year: int) -> dict:
    """The same figures as the statistics page computes them."""
    stats = cohort_statistics(user=user, year=year)

    def counts(t) -> dict:
        out = {"total": t.total, "placed": t.placed, "pending": t.placed_incl_pending}
        out.update({k: v for k, v in t.states.items() if v})
        return {k: v for k, v in out.items() if v}

    return {
        "overall": counts(stats.overall) if stats.overall.total else {},
        "college": {t.extra["code"]: counts(t) for t in stats.by_college},
        "gender": {t.key: counts(t) for t in stats.by_gender},
        "verified": {c.code: c.verified for c in stats.by_category if c.verified},
        "pending": {c.code: c.pending for c in stats.by_category if c.pending},
    }


def without_zeros(figures: dict) -> dict:
    def clean(d):
        return {k: clean(v) if isinstance(v, dict) else v for k, v in d.items() if v}
    return clean(figures)


# --- the actions ------------------------------------------------------------------------------------


def complete(reg: Registration) -> Registration:
    """Fill whatever step the record's type still needs, through the services (as the wizard would)."""
    reg = Registration.objects.select_related("destination_type", "student").get(pk=reg.pk)
    dtype = reg.destination_type
    if dtype.needs_organisation and not reg.organisation_done:
        reg = fill_organisation(reg)
    if dtype.needs_evidence and not reg.evidence_files.exists():
        evidence_add(registration=reg, upload=pdf_upload("协议书.pdf", text=f"r{reg.pk}"), actor=reg.student.user)
    if Step.ARCHIVE in registration_steps(registration=reg) and not reg.archive_done:
        form = ArchiveForm(services.archive_match_authority(registration=reg))
        assert form.is_valid(), form.errors
        reg = services.registration_save_archive(registration=reg, data=form.cleaned_data)
    return reg


def open_record(student: Student) -> Registration | None:
    return Registration.objects.filter(student=student, status__in=OPEN_STATUSES).first()


class World:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.office = make_office()
        self.college = CollegeFactory(code="S1", name="状态测试学院")
        counselor = make_counselor(username="fdy_state")
        self.classes = [SchoolClassFactory(major__college=self.college, counselor=counselor),
                        SchoolClassFactory(counselor=counselor)]
        self.students = [StudentFactory(school_class=rng.choice(self.classes), graduation_year=YEAR,
                                        gender=rng.choice([Gender.MALE, Gender.FEMALE])) for _ in range(6)]
        self.imported = 0
        self.done = Counter()

    def act(self) -> None:
        rng = self.rng
        action = rng.choice(["start", "start", "type", "submit", "submit", "submit", "withdraw", "return",
                             "verify", "verify", "change", "cancel", "import"])
        # Most actions need a record in a given status: pick among the students who have one (sometimes
        # any student, so that refusals are exercised too).
        wanted = {"type": EDITABLE, "submit": EDITABLE, "withdraw": (Status.SUBMITTED,),
                  "return": (Status.SUBMITTED,), "verify": (Status.SUBMITTED,), "cancel": EDITABLE,
                  "change": (Status.VERIFIED,)}.get(action)
        candidates = self.students
        if wanted and rng.random() < 0.85:
            ids = set(Registration.objects.filter(student__in=self.students, status__in=wanted)
                      .values_list("student_id", flat=True))
            candidates = [s for s in self.students if s.pk in ids] or self.students
        student = rng.choice(candidates)
        reg = open_record(student)
        try:
            if action == "start":
                reg = services.registration_start(student=student, actor=student.user)
                reg = services.registration_set_type(
                    registration=reg, destination_type=DestinationType.objects.get(key=rng.choice(TYPES)))
                complete(reg)
            elif action == "type" and reg is not None:
                reg = services.registration_set_type(
                    registration=reg, destination_type=DestinationType.objects.get(key=rng.choice(TYPES)))
                if rng.random() < 0.7:
                    complete(reg)
            elif action == "submit" and reg is not None:
                services.registration_submit(registration=reg, actor=student.user)
            elif action == "withdraw" and reg is not None:
                changes.registration_withdraw(registration=reg, actor=student.user)
            elif action == "return" and reg is not None:
                reviews.registration_return(registration=reg, actor=counselor_of(student), reason="材料不清晰")
            elif action == "verify" and reg is not None:
                reviews.registration_verify(registration=reg, actor=counselor_of(student))
            elif action == "change":
                reg = changes.registration_change_start(student=student, actor=self.office, reopen=True)
                if rng.random() < 0.5:  # a change to another type
                    reg = services.registration_set_type(
                        registration=reg, destination_type=DestinationType.objects.get(key=rng.choice(TYPES)))
                    complete(reg)
            elif action == "cancel":
                changes.registration_change_cancel(student=student, actor=student.user)
            elif action == "import":
                self.import_students(rng.randint(1, 2))
            else:
                return
            self.done[action] += 1
        except DomainError:
            self.done[f"{action} refused"] += 1  # the service said no: nothing changed

    def import_students(self, n: int) -> None:
        rows = [roster_row(n=900 + self.imported + i, college=self.college.name,
                           major_code=self.classes[0].major.code, class_name=self.classes[0].name)
                for i in range(n)]
        job = imports.import_job_create(upload=roster_upload(rows), actor=self.office)
        imports.import_job_start_check(job=job)
        job.refresh_from_db()
        assert imports.import_job_start_import(job=job, actor=self.office)
        self.imported += n
        self.students = list(Student.objects.filter(graduation_year=YEAR))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_changes_keep_the_statistics_equal_to_a_full_recount(seed):
    world = World(random.Random(seed))
    for step in range(120):
        world.act()
        if step % 10 == 9:
            assert without_zeros(shown(user=world.office, year=YEAR)) == without_zeros(recount(year=YEAR)), (
                step, world.done)
    assert without_zeros(shown(user=world.office, year=YEAR)) == without_zeros(recount(year=YEAR))
    assert student_states_recount(fix=False).mismatched == 0
    # The sequence really exercised the doors (not only refusals).
    for action in ("start", "submit", "verify", "return", "withdraw", "change", "import"):
        assert world.done[action] > 0, world.done


def test_imported_students_count_as_not_registered():
    world = World(random.Random(0))
    world.import_students(3)
    figures = recount(year=YEAR)
    assert figures["overall"]["none"] == 9  # the 6 students without records and the 3 imported
    assert without_zeros(shown(user=world.office, year=YEAR)) == without_zeros(figures)


# --- the refresh and the recount command ------------------------------------------------------------


def test_refresh_reports_whether_it_changed_anything():
    reg = make_verified(destination_type="study_master")
    assert student_state_refresh(student_id=reg.student_id) is False  # the verification already did it
    Student.objects.filter(pk=reg.student_id).update(record_state="none", verified_type=None)
    assert student_state_refresh(student_id=reg.student_id) is True
    assert Student.objects.filter(pk=reg.student_id, record_state="verified", verified_type="study_master").exists()


def test_recount_command_reports_and_fixes_a_drifted_copy(capsys):
    reg = make_verified(destination_type="dispatch_general")
    other = StudentFactory()
    # A bulk load that bypassed the services: a record written straight to the table.
    Registration.objects.create(student=other, status=Status.SUBMITTED, destination_type_id="labour_contract")
    Student.objects.filter(pk=reg.student_id).update(record_state="draft")
    before = recount(year=YEAR)
    assert without_zeros(shown(user=make_office(), year=YEAR)) != without_zeros(before)

    with pytest.raises(CommandError, match="2 名毕业生的统计状态与登记记录不一致"):
        call_command("statistics_recount", "--check")
    assert "不一致 2 名，已修正 0 名" in capsys.readouterr().out

    call_command("statistics_recount")
    out = capsys.readouterr().out
    assert "不一致 2 名，已修正 2 名" in out and f"学号 {other.student_number}" in out
    assert without_zeros(shown(user=make_office(), year=YEAR)) == without_zeros(before)
    call_command("statistics_recount", "--check")  # clean now: no error
    assert "不一致 0 名" in capsys.readouterr().out


def test_recount_of_one_year_leaves_the_others_alone():
    old = make_verified(graduation_year=2026)
    new = make_verified(graduation_year=2027)
    Student.objects.filter(pk__in=[old.student_id, new.student_id]).update(record_state="none")
    result = student_states_recount(fix=True, students=Student.objects.filter(graduation_year=2027))
    assert (result.students, result.mismatched, result.fixed) == (1, 1, 1)
    assert Student.objects.get(pk=old.student_id).record_state == "none"
    assert Student.objects.get(pk=new.student_id).record_state == "verified"
