"""Which steps a record needs, which are done, and which record the student sees."""

from __future__ import annotations

import pytest

from quxiang.reference.models import DestinationType
from quxiang.registrations import selectors, services
from quxiang.registrations.models import Registration, Status, Step
from quxiang.roster.models import EducationLevel
from quxiang.testing.factories import StudentFactory, make_registration

pytestmark = pytest.mark.django_db

T, O, E, A, R = Step.TYPE, Step.ORGANISATION, Step.EVIDENCE, Step.ARCHIVE, Step.REVIEW  # noqa: E741
EMPLOYER_AND_SCHOOL = ["dispatch_general", "dispatch_startup", "dispatch_military", "dispatch_civil_service",
                       "study_master", "study_second_degree", "abroad_study", "abroad_work", "labour_contract",
                       "flexible_other", "research_assistant", "grassroots_sanzhiyifu", "grassroots_west",
                       "grassroots_xuandiao", "grassroots_local_other"]
NOT_PLACED = ["awaiting_job_hunting", "awaiting_signing", "awaiting_exam", "awaiting_startup",
              "not_seeking_study", "not_seeking_abroad", "not_seeking_other"]


def steps_for(key: str | None, level=EducationLevel.BACHELOR) -> list[Step]:
    student = StudentFactory.build(level=level)
    reg = Registration(student=student, destination_type=DestinationType.objects.get(key=key) if key else None)
    return selectors.registration_steps(registration=reg)


def test_every_seeded_leaf_is_covered():
    from quxiang.reference.selectors import destination_leaves

    assert set(destination_leaves().values_list("key", flat=True)) == set(EMPLOYER_AND_SCHOOL + NOT_PLACED) | {
        "flexible_freelance"}


def test_no_type_yet_shows_all_steps():
    assert steps_for(None) == [T, O, E, A, R]


@pytest.mark.parametrize("key", EMPLOYER_AND_SCHOOL)
def test_undergraduate_full_steps(key):
    assert steps_for(key) == [T, O, E, A, R]


@pytest.mark.parametrize("level", [EducationLevel.MASTER, EducationLevel.DOCTOR])
@pytest.mark.parametrize("key", EMPLOYER_AND_SCHOOL + ["flexible_freelance"])
def test_postgraduates_have_no_archive_step(key, level):
    steps = steps_for(key, level)
    assert A not in steps
    assert steps[0] == T and steps[-1] == R


@pytest.mark.parametrize("level", list(EducationLevel))
@pytest.mark.parametrize("key", NOT_PLACED)
def test_not_placed_types_have_type_and_review_only(key, level):
    assert steps_for(key, level) == [T, R]


def test_freelance_has_no_organisation_step():
    assert steps_for("flexible_freelance") == [T, E, A, R]
    assert steps_for("flexible_freelance", EducationLevel.MASTER) == [T, E, R]


def test_first_open_step_follows_progress():
    student = StudentFactory()
    reg = services.registration_start(student=student, actor=student.user)
    assert selectors.registration_first_open_step(registration=reg) == T
    reg = make_registration(student=student)
    assert selectors.registration_first_open_step(registration=reg) == O
    reg = make_registration(student=student, organisation=True)
    assert selectors.registration_first_open_step(registration=reg) == E
    reg = make_registration(student=student, evidence=1)
    assert selectors.registration_first_open_step(registration=reg) == A
    reg = make_registration(student=student, complete=True)
    assert selectors.registration_first_open_step(registration=reg) == R


def test_not_placed_is_complete_once_typed():
    reg = make_registration(destination_type="awaiting_job_hunting")
    assert selectors.registration_first_open_step(registration=reg) == R


def test_step_neighbours():
    reg = make_registration()
    assert selectors.registration_step_neighbours(registration=reg, step=T) == (None, O)
    assert selectors.registration_step_neighbours(registration=reg, step=E) == (O, A)
    assert selectors.registration_step_neighbours(registration=reg, step=R) == (A, None)
    pg = make_registration(level=EducationLevel.MASTER)
    assert selectors.registration_step_neighbours(registration=pg, step=R) == (E, None)
    free = make_registration(destination_type="flexible_freelance")
    assert selectors.registration_step_neighbours(registration=free, step=E) == (T, A)


def test_evidence_count_uses_prefetch(django_assert_num_queries):
    reg = make_registration(organisation=True, evidence=2)
    loaded = selectors.registration_detail_queryset().get(pk=reg.pk)
    with django_assert_num_queries(0):
        assert selectors.registration_evidence_count(registration=loaded) == 2
        assert selectors.registration_step_done(registration=loaded, step=E)
    plain = Registration.objects.get(pk=reg.pk)
    with django_assert_num_queries(1):
        assert selectors.registration_evidence_count(registration=plain) == 2


def test_open_and_current_record():
    reg = make_registration(complete=True, status=Status.VERIFIED)
    student = reg.student
    assert selectors.registration_get_open(student=student) is None
    assert selectors.registration_get_current(student=student).pk == reg.pk
    change = Registration.objects.create(student=student, version=2)
    assert selectors.registration_get_open(student=student).pk == change.pk
    assert selectors.registration_get_current(student=student).pk == change.pk
    Registration.objects.filter(pk=reg.pk).update(status=Status.SUPERSEDED)
    Registration.objects.filter(pk=change.pk).update(status=Status.VERIFIED)
    assert selectors.registration_get_current(student=student).pk == change.pk
    assert [r.version for r in selectors.registration_history(student=student)] == [2, 1]


def test_nothing_for_a_student_without_records():
    student = StudentFactory()
    assert selectors.registration_get_current(student=student) is None
    assert list(selectors.registration_history(student=student)) == []


def test_records_of_other_students_never_leak():
    mine = make_registration()
    make_registration(complete=True)
    assert selectors.registration_get_current(student=mine.student).pk == mine.pk
    assert [r.pk for r in selectors.registration_history(student=mine.student)] == [mine.pk]
