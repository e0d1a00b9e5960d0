"""The audit log itself: what an entry records, the caller's address, and that history cannot be
deleted out from under it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import ProtectedError
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from quxiang.audit.models import AuditAction, AuditEntry
from quxiang.audit.services import audit_record
from quxiang.core.http import client_ip
from quxiang.testing.factories import StudentFactory, make_office, make_registration_row

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
    assert (entry.registration, entry.student, entry.ip, entry.detail) == (None, None, None, {})


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


def test_history_cannot_be_deleted_with_the_user_or_the_record():
    student = StudentFactory()
    reg = make_registration_row(student=student)
    office = make_office()
    audit_record(actor=office, action=AuditAction.VERIFY, registration=reg)
    with pytest.raises(ProtectedError):
        office.delete()
    with pytest.raises(ProtectedError):
        reg.delete()
    assert AuditEntry.objects.count() == 1


def test_newest_first():
    office = make_office()
    first = audit_record(actor=office, action=AuditAction.EXPORT)
    second = audit_record(actor=office, action=AuditAction.REMIND)
    assert list(AuditEntry.objects.all()) == [second, first]


def test_audit_page_query_count_does_not_grow(client):
    office = make_office()
    client.force_login(office)
    counts = []
    for n in (3, 27):
        for _ in range(n):
            student = StudentFactory()
            audit_record(actor=student.user, action=AuditAction.SUBMIT, ip="10.0.0.1",
                         registration=make_registration_row(student=student))
        with CaptureQueriesContext(connection) as ctx:
            r = client.get(reverse("reviews:audit"))
        assert r.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert len(r.context["page"].object_list) == 30
    assert counts[0] == counts[1], counts
