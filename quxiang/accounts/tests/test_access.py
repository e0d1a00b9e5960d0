"""The one access helper: who sees which students, records, events and evidence files."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from quxiang.accounts.access import get_for_user, scope
from quxiang.accounts.models import Role
from quxiang.evidence.models import EvidenceFile
from quxiang.registrations.models import Registration, RegistrationEvent
from quxiang.roster.models import Student
from quxiang.testing.factories import (
    CollegeFactory,
    SchoolClassFactory,
    StudentFactory,
    UserFactory,
    make_college_officer,
    make_counselor,
    make_registration,
)

pytestmark = pytest.mark.django_db

MODELS = [Student, Registration, EvidenceFile, RegistrationEvent]


@pytest.fixture
def world():
    """College A: class A1 (counselor ca, 2 students) and class A2 (counselor ca2, 1 student).
    College B: class B1 (counselor cb, 1 student). Every student has a record with one evidence file."""
    college_a, college_b = CollegeFactory(), CollegeFactory()
    ca, ca2, cb = make_counselor(), make_counselor(), make_counselor()
    class_a1 = SchoolClassFactory(major__college=college_a, counselor=ca)
    class_a2 = SchoolClassFactory(major__college=college_a, counselor=ca2)
    class_b1 = SchoolClassFactory(major__college=college_b, counselor=cb)
    a1 = [StudentFactory(school_class=class_a1) for _ in range(2)]
    a2 = [StudentFactory(school_class=class_a2)]
    b1 = [StudentFactory(school_class=class_b1)]
    regs = {s.pk: make_registration(student=s, evidence=1) for s in a1 + a2 + b1}
    return {
        "college_a": college_a, "college_b": college_b, "ca": ca, "ca2": ca2, "cb": cb,
        "class_a1": class_a1, "class_a2": class_a2, "class_b1": class_b1,
        "a1": a1, "a2": a2, "b1": b1, "regs": regs,
        "officer_b": make_college_officer(college=college_b), "officer_a": make_college_officer(college=college_a),
        "office": UserFactory(role=Role.OFFICE), "admin": UserFactory(role=Role.ADMIN),
    }


def visible_students(user, model):
    qs = scope(user=user, queryset=model.objects.all())
    path = {Student: "pk", Registration: "student_id", EvidenceFile: "registration__student_id",
            RegistrationEvent: "registration__student_id"}[model]
    return sorted(qs.values_list(path, flat=True))


def ids(students):
    return sorted(s.pk for s in students)


@pytest.mark.parametrize("model", MODELS)
def test_student_sees_only_own(world, model):
    me = world["a1"][0]
    assert visible_students(me.user, model) == [me.pk]


@pytest.mark.parametrize("model", MODELS)
def test_counselor_sees_their_class_only(world, model):
    assert visible_students(world["ca"], model) == ids(world["a1"])
    assert visible_students(world["cb"], model) == ids(world["b1"])


@pytest.mark.parametrize("model", MODELS)
def test_college_officer_sees_their_college(world, model):
    assert visible_students(world["officer_b"], model) == ids(world["b1"])
    assert visible_students(world["officer_a"], model) == ids(world["a1"] + world["a2"])


@pytest.mark.parametrize("role", ["office", "admin"])
@pytest.mark.parametrize("model", MODELS)
def test_office_and_admin_see_everything(world, model, role):
    everyone = world["a1"] + world["a2"] + world["b1"]
    assert visible_students(world[role], model) == ids(everyone)
    assert scope(user=world[role], queryset=model.objects.all()).count() == model.objects.count()


@pytest.mark.parametrize("model", MODELS)
def test_counselor_of_two_classes_sees_each_row_once(world, model):
    world["class_a2"].counselors.add(world["ca"])
    qs = scope(user=world["ca"], queryset=model.objects.all())
    expected = ids(world["a1"] + world["a2"])
    assert visible_students(world["ca"], model) == expected  # a list: duplicates would show
    assert qs.count() == model.objects.filter(pk__in=qs.values("pk")).count()
    if model is Student:
        assert qs.count() == 3


def test_two_counselors_of_one_class_both_see_it(world):
    world["class_a1"].counselors.add(world["cb"])
    assert visible_students(world["cb"], Student) == ids(world["a1"] + world["b1"])




@pytest.mark.parametrize("model", MODELS)
def test_anonymous_sees_nothing(world, model):
    assert scope(user=AnonymousUser(), queryset=model.objects.all()).count() == 0


def test_get_for_user_anonymous_is_404(world):
    reg = world["regs"][world["a1"][0].pk]
    with pytest.raises(Http404):
        get_for_user(user=AnonymousUser(), model=Registration, pk=reg.pk)


@pytest.mark.parametrize("model", MODELS)
def test_inactive_users_see_nothing(world, model):
    for key in ("office", "ca", "officer_b"):
        user = world[key]
        user.is_active = False
        user.save()
        assert scope(user=user, queryset=model.objects.all()).count() == 0
    student = world["a1"][0]
    student.user.is_active = False
    student.user.save()
    assert scope(user=student.user, queryset=model.objects.all()).count() == 0


def _one_object(world, model, student):
    reg = world["regs"][student.pk]
    return {
        Student: student,
        Registration: reg,
        EvidenceFile: reg.evidence_files.get(),
        RegistrationEvent: reg.events.first(),
    }[model]


@pytest.mark.parametrize("model", MODELS)
def test_get_for_user_inside_and_outside_scope(world, model):
    mine, theirs = world["a1"][0], world["b1"][0]
    own = _one_object(world, model, mine)
    other = _one_object(world, model, theirs)
    cases = [
        (mine.user, own, True), (mine.user, other, False),
        (world["a1"][1].user, own, False),
        (world["ca"], own, True), (world["ca"], other, False),
        (world["cb"], own, False), (world["cb"], other, True),
        (world["officer_b"], own, False), (world["officer_b"], other, True),
        (world["officer_a"], own, True),
        (world["office"], own, True), (world["office"], other, True),
    ]
    for user, obj, allowed in cases:
        if allowed:
            assert get_for_user(user=user, model=model, pk=obj.pk) == obj
        else:
            with pytest.raises(Http404):
                get_for_user(user=user, model=model, pk=obj.pk)


@pytest.mark.parametrize("bad", [999999, "abc", None, "1 OR 1=1"])
def test_get_for_user_unknown_or_garbage_id_is_404(world, bad):
    with pytest.raises(Http404):
        get_for_user(user=world["office"], model=Registration, pk=bad)


def test_get_for_user_accepts_a_queryset(world):
    reg = world["regs"][world["a1"][0].pk]
    qs = Registration.objects.select_related("student")
    assert get_for_user(user=world["ca"], model=qs, pk=reg.pk) == reg
    with pytest.raises(Http404):
        get_for_user(user=world["cb"], model=qs, pk=reg.pk)


def test_counselor_without_classes_sees_nothing(world):
    lonely = make_counselor()
    for model in MODELS:
        assert scope(user=lonely, queryset=model.objects.all()).count() == 0


def test_unknown_model_is_refused(world):
    from quxiang.organisations.models import Organisation

    with pytest.raises(LookupError):
        scope(user=world["office"], queryset=Organisation.objects.all())
