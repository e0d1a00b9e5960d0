"""Idempotency-Key under real concurrency (PostgreSQL): the mini-program's 重试 can arrive while the first
attempt is still running on another app server. The retry waits for the first attempt and replays its
answer — one file, one submission, no 409 for the student to be stuck on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from quxiang.api.models import IdempotencyRecord
from quxiang.api.tests.helpers import ApiUser
from quxiang.api.tests.test_idempotency import at_evidence_step, ready_to_submit
from quxiang.evidence.models import EvidenceFile
from quxiang.registrations.models import EventKind, RegistrationEvent
from quxiang.registrations.tests.test_state_concurrency import _survive_a_foreign_flush, race  # noqa: F401
from quxiang.testing.factories import make_pdf_bytes

ON_POSTGRES = connection.vendor == "postgresql"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: concurrent connections on one unique key"),
    pytest.mark.django_db(transaction=True, serialized_rollback=ON_POSTGRES),
]


def together(jobs: list[Callable[[], Any]]) -> list[Any]:
    """The requests released at once, each on its own connection (registrations' race helper)."""
    return [result for result, _error in race(jobs)]


def same_student_elsewhere(user: ApiUser) -> ApiUser:
    """The same token on another client: another app server answering the retry."""
    return ApiUser(token=user.token, client=Client(), address=user.address, student=user.student)


def test_the_same_upload_sent_three_times_at_once_stores_one_file(bound_student):
    at_evidence_step(bound_student)
    clients = [bound_student] + [same_student_elsewhere(bound_student) for _ in range(2)]

    answers = together([lambda c=c: c.upload(make_pdf_bytes("one"), key="upload-race") for c in clients])

    assert [a.status_code for a in answers] == [201, 201, 201]
    assert len({a.content for a in answers}) == 1  # every retry got the first answer, byte for byte
    assert EvidenceFile.objects.count() == 1
    assert IdempotencyRecord.objects.get(key="upload-race").status_code == 201


def test_the_same_submit_sent_three_times_at_once_submits_once(bound_student):
    ready_to_submit(bound_student)
    clients = [bound_student] + [same_student_elsewhere(bound_student) for _ in range(2)]

    answers = together([lambda c=c: c.post("/registration/submit", key="submit-race") for c in clients])

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert len({a.content for a in answers}) == 1
    assert answers[0].json()["submitted"] is True
    assert RegistrationEvent.objects.filter(kind=EventKind.SUBMIT).count() == 1
