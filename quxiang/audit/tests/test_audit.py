"""The audit log itself: what an entry records, the caller's address, and that history cannot be
deleted out from under it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.models import ProtectedError
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from quxiang.audit.models import AuditAction, AuditEntry
from quxiang.audit.services import audit_record
from quxiang.core.http import client_ip
from quxiang.roster.models import Student
from quxiang.testing.factories import StudentFactory, make_office, make_registration_row

PAGE_QUERIES = 4

pytestmark = pytest.mark.django_db


def test_entry_takes_the_student_from_the_registration():
    student = StudentFactory()
    reg = make_registration_row(student=student)
    office = make_office()
    entry = audit_record(actor=office, action=AuditAction.VERIFY, ip="10.0.0.1", registration=reg,
                         detail={"verification_no": "QX2027-X"})
    entry.refresh_from_db()
    assert (entry.actor, entry.action, entry.ip, entry.registration_id, entry.student_id) == (
        office, AuditAction.VERIFY, "10.0.0.1", reg.pk, student.pk)
    assert entry.detail == {"verification_no": "QX2027-X"} and entry.at is not None
    assert office.username in str(entry) and "鉴证通过" in str(entry)


def test_entry_without_registration_or_detail():
    office = make_office()
    entry = audit_record(actor=office, action=AuditAction.EXPORT)
    assert (entry.registration_id, entry.student_id, entry.ip, entry.detail) == (None, None, None, {})


def test_entry_by_ids_or_by_student_alone():
    student = StudentFactory()
    reg = make_registration_row(student=student)
    by_ids = audit_record(action=AuditAction.SUBMIT, registration_id=reg.pk, student_id=student.pk)
    by_student = audit_record(action=AuditAction.PASSWORD_RESET, student=student)
    assert (by_ids.registration_id, by_ids.student_id) == (reg.pk, student.pk)
    assert (by_student.registration_id, by_student.student_id) == (None, student.pk)


def test_migrations_do_not_wait_for_the_apps_above_audit():
    """audit sits below roster and registrations: none of its migrations may depend on theirs, directly or
    through another app."""
    graph = MigrationLoader(connection, ignore_no_migrations=True).graph
    for node in [n for n in graph.nodes if n[0] == "audit"]:
        above = {app for app, _name in graph.forwards_plan(node)} & {"registrations", "roster", "evidence"}
        assert not above, (node, above)


def test_anonymous_actor_is_stored_as_nobody():
    entry = audit_record(actor=AnonymousUser(), action=AuditAction.SHEET_DOWNLOAD)
    assert entry.actor is None
    assert audit_record(actor=None, action=AuditAction.SHEET_DOWNLOAD).actor is None


def test_client_ip():
    rf = RequestFactory()
    assert client_ip(None) is None
    assert client_ip(rf.get("/", REMOTE_ADDR="203.0.113.7")) == "203.0.113.7"
    assert client_ip(rf.get("/", REMOTE_ADDR="")) is None
    # A forged header is not believed: behind nginx REMOTE_ADDR is set from X-Real-IP by the proxy.
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4")) == "10.0.0.5"


def test_history_outlives_the_record_and_keeps_the_actor(client):
    """The actor is a protected foreign key; the record and the student are ids, so an entry survives their
    rows (nothing in the product deletes them, but the admin or a shell could) and the log still says who."""
    student = StudentFactory()
    reg = make_registration_row(student=student)
    office = make_office()
    audit_record(actor=office, action=AuditAction.VERIFY, registration=reg)
    with pytest.raises(ProtectedError):
        office.delete()
    student_pk, reg_pk = student.pk, reg.pk
    reg.delete()
    student.delete()
    entry = AuditEntry.objects.get()
    assert (entry.registration_id, entry.student_id) == (reg_pk, student_pk)
    client.force_login(office)
    page = client.get(reverse("reviews:audit")).content.decode()
    assert f"已删除的学生 #{student_pk}" in page


def test_newest_first():
    office = make_office()
    first = audit_record(actor=office, action=AuditAction.EXPORT)
    second = audit_record(actor=office, action=AuditAction.REMIND)
    assert list(AuditEntry.objects.all()) == [second, first]


def test_audit_page_query_count_does_not_grow(client):
    office = make_office()
    client.force_login(office)
    counts = []
    shown: list[str] = []
    for n in (3, 27):
        for _ in range(n):
            student = StudentFactory()
            audit_record(actor=student.user, action=AuditAction.SUBMIT, ip="10.0.0.1",
                         registration=make_registration_row(student=student))
        with CaptureQueriesContext(connection) as ctx:
            r = client.get(reverse("reviews:audit"))
        assert r.status_code == 200
        counts.append(len(ctx.captured_queries))
        shown = [f"{s.student_number} {s.name}" for s in Student.objects.all()]
    assert len(r.context["page"].object_list) == 30
    page = r.content.decode()
    assert all(text in page for text in shown)  # each entry shows its student's 学号 and name
    # session + user, count, the page of entries (actor joined, student by subquery): fixed, not per row.
    assert counts == [PAGE_QUERIES, PAGE_QUERIES], counts


def test_audit_page_finds_a_student_by_number(client):
    office = make_office()
    client.force_login(office)
    one, other = StudentFactory(), StudentFactory()
    audit_record(actor=office, action=AuditAction.PASSWORD_RESET, student=one)
    audit_record(actor=office, action=AuditAction.PASSWORD_RESET, student=other)
    r = client.get(reverse("reviews:audit"), {"student": one.student_number})
    assert [(e.student_id, e.student_number, e.student_name) for e in r.context["page"].object_list] == [
        (one.pk, one.student_number, one.name)]
    assert list(client.get(reverse("reviews:audit"), {"student": "0000000000"}).context["page"].object_list) == []
