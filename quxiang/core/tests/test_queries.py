"""PreparedLookup gives what the ORM gives: the same fields, the same related rows, None for no row."""

from __future__ import annotations

import pytest
from django.db import models

from quxiang.accounts.models import User
from quxiang.core.queries import PreparedLookup
from quxiang.registrations import selectors
from quxiang.registrations.models import Registration
from quxiang.testing.factories import StudentFactory, make_evidence_row, make_office, make_registration

pytestmark = pytest.mark.django_db


def _values(obj: models.Model) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _user_query(pk):
    return User.objects.select_related("student__college", "student__major").filter(pk=pk)


USER = PreparedLookup(_user_query, pk=-55_555_001)


def test_user_with_student_college_and_major_as_the_orm_loads_them():
    student = StudentFactory()
    prepared, orm = USER.get(pk=student.user_id), _user_query(student.user_id).get()
    assert _values(prepared) == _values(orm)
    assert _values(prepared.student) == _values(orm.student)
    assert _values(prepared.student.college) == _values(orm.student.college)
    assert prepared.student.major.name == orm.student.major.name
    assert prepared._state.adding is False and prepared._state.db == "default"


def test_staff_user_has_no_student_and_a_missing_pk_is_none():
    office = make_office()
    user = USER.get(pk=office.pk)
    assert _values(user) == _values(_user_query(office.pk).get())
    with pytest.raises(User.student.RelatedObjectDoesNotExist):
        user.student  # noqa: B018 - the empty LEFT JOIN is cached as "no student", as the ORM does
    assert USER.get(pk=10**9) is None


def test_annotations_and_converted_fields():
    """The wizard's open record with its evidence count; JSON and dates come back as Python values."""
    reg = make_registration(student=StudentFactory())
    reg.pending_input = {"organisation": {"org_name": "上海某某"}}
    reg.save()
    assert selectors.registration_get_open_for_step(student=reg.student).evidence_count == 0
    make_evidence_row(registration=reg, sha256="a" * 64)
    prepared = selectors.registration_get_open_for_step(student=reg.student)
    orm = Registration.objects.annotate(evidence_count=models.Count("evidence_files")).get(pk=reg.pk)
    assert _values(prepared) == _values(orm)
    assert prepared.evidence_count == orm.evidence_count == 1
    assert prepared.pending_input == {"organisation": {"org_name": "上海某某"}}
    assert prepared.created_at == orm.created_at and prepared.created_at.tzinfo is not None
    assert selectors.registration_get_open_for_step(student=StudentFactory()) is None


def test_more_than_one_row_is_an_error():
    a, b = StudentFactory(), StudentFactory()
    lookup = PreparedLookup(lambda n: User.objects.filter(pk__gt=n), n=-55_555_003)
    with pytest.raises(User.MultipleObjectsReturned):
        lookup.get(n=min(a.user_id, b.user_id) - 1)


def test_sentinels_must_be_unambiguous_ints_or_strs():
    with pytest.raises(TypeError):
        PreparedLookup(lambda flag: User.objects.filter(is_active=flag), flag=True)
    twice = PreparedLookup(lambda n: User.objects.filter(pk=n) | User.objects.filter(pk__lt=n), n=-55_555_004)
    with pytest.raises(ValueError, match="occurs 2 times"):
        twice.get(n=1)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # outside a transaction; the seeded tables come back
def test_a_locking_lookup_needs_a_transaction():
    from django.db import transaction
    from django.db.transaction import TransactionManagementError

    lock = PreparedLookup(lambda pk: User.objects.select_for_update().filter(pk=pk), pk=-55_555_005)
    with pytest.raises(TransactionManagementError):
        lock.get(pk=1)
    with transaction.atomic():
        assert lock.get(pk=10**9) is None


def test_values_list_rows_in_the_order_asked_for():
    """The maintained state's recount (annotations named out of their own order) as the ORM returns it."""
    from quxiang.registrations.state import _EXPECTED, _expected
    from quxiang.roster.models import Student

    submitted = make_registration(student=StudentFactory())
    for student_id in (submitted.student_id, StudentFactory().pk):
        assert _EXPECTED.get(pk=student_id) == _expected(Student.objects.filter(pk=student_id)).get()
    assert _EXPECTED.get(pk=10**9) is None


def test_all_rows_in_the_query_order_as_prefetch_related_gives_them(django_assert_num_queries):
    """A record's evidence and events (with their actors) read through prepared queries and kept on the
    record: the same rows, the same order, and `.all()` answers them without another query."""
    from django.db.models import Prefetch, prefetch_related_objects

    from quxiang.evidence.models import EvidenceFile
    from quxiang.registrations.models import RegistrationEvent

    reg = make_registration(student=StudentFactory())
    for letter in "cab":  # same upload time for two: the id decides, as the ORM orders them
        make_evidence_row(registration=reg, sha256=letter * 64, name=f"{letter}.pdf")
    other = make_registration(student=StudentFactory())
    make_evidence_row(registration=other, sha256="d" * 64)

    orm = Registration.objects.get(pk=reg.pk)
    prefetch_related_objects([orm], Prefetch("evidence_files", queryset=EvidenceFile.objects.order_by("uploaded_at", "id")),
                             Prefetch("events", queryset=RegistrationEvent.objects.select_related("actor")))
    selectors.registration_get_full(pk=other.pk)  # the code tables into process memory
    with django_assert_num_queries(3):
        prepared = selectors.registration_get_full(pk=reg.pk)
    with django_assert_num_queries(0):
        files, events = list(prepared.evidence_files.all()), list(prepared.events.all())
        assert [_values(f) for f in files] == [_values(f) for f in orm.evidence_files.all()]
        assert [f.original_name for f in files] == ["c.pdf", "a.pdf", "b.pdf"]
        assert all(f.registration is prepared for f in files)
        assert [_values(e) for e in events] == [_values(e) for e in orm.events.all()] and events
        assert [e.actor.username for e in events] == [e.actor.username for e in orm.events.all()]
        assert prepared.evidence_files.count() == 3  # a prefetched manager counts its rows
    assert selectors.registration_prefetch_evidence(registration=Registration.objects.get(pk=other.pk))[0].sha256 == "d" * 64
    assert USER.all(pk=10**9) == []
    with pytest.raises(Registration.DoesNotExist):
        selectors.registration_get_full(pk=10**9)
