"""Idempotency-Key: a retry on a bad mobile network gets the first answer again — no second submission, no
duplicate file."""

from __future__ import annotations

from unittest import mock

import pytest
from django.utils import timezone

from quxiang.api.models import IdempotencyRecord
from quxiang.api.tests.helpers import ApiUser, assert_error
from quxiang.evidence.models import EvidenceFile
from quxiang.registrations.models import EventKind, Registration, RegistrationEvent, Status
from quxiang.testing.factories import employer_org_data, make_pdf_bytes, make_png_bytes

pytestmark = pytest.mark.django_db


def at_evidence_step(user: ApiUser) -> None:
    user.ok(user.post("/registration"))
    user.ok(user.put("/registration/type", {"destination_type": "dispatch_general"}))
    user.ok(user.put("/registration/organisation", employer_org_data()))


def stored_evidence_names() -> list[str]:
    storage = EvidenceFile._meta.get_field("file").storage
    names: list[str] = []

    def walk(path: str) -> None:
        if not storage.exists(path or "."):
            return
        dirs, files = storage.listdir(path)
        names.extend(f"{path}/{f}" for f in files)
        for d in dirs:
            walk(f"{path}/{d}" if path else d)

    walk("")
    return names


def ready_to_submit(user: ApiUser) -> None:
    at_evidence_step(user)
    user.ok(user.upload(make_pdf_bytes()), 201)
    user.ok(user.put("/registration/archive", user.ok(user.post("/registration/archive/match"))))


def test_submit_twice_with_the_same_key_gives_identical_answers_and_one_submission(bound_student):
    ready_to_submit(bound_student)

    first = bound_student.post("/registration/submit", key="submit-1")
    second = bound_student.post("/registration/submit", key="submit-1")

    assert first.status_code == second.status_code == 200
    assert first.content == second.content  # byte for byte: the replay, not a new answer
    assert first.json()["submitted"] is True
    assert RegistrationEvent.objects.filter(kind=EventKind.SUBMIT).count() == 1
    assert Registration.objects.get().status == Status.SUBMITTED
    # Without the key, a second submit is answered by the state ("already submitted"), still one event.
    third = bound_student.ok(bound_student.post("/registration/submit"))
    assert third["already_submitted"] is True and third["submitted"] is False
    assert RegistrationEvent.objects.filter(kind=EventKind.SUBMIT).count() == 1


def test_upload_twice_with_the_same_key_stores_one_file(bound_student):
    at_evidence_step(bound_student)

    first = bound_student.upload(make_pdf_bytes("one"), name="协议书.pdf", key="upload-1")
    second = bound_student.upload(make_pdf_bytes("one"), name="协议书.pdf", key="upload-1")

    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert first.content == second.content
    assert EvidenceFile.objects.count() == 1
    assert EvidenceFile.objects.get().pk == first.json()["id"]
    assert len(bound_student.ok(bound_student.get("/registration/evidence"))) == 1


def test_a_different_key_uploads_a_second_file(bound_student):
    at_evidence_step(bound_student)
    a = bound_student.ok(bound_student.upload(make_pdf_bytes("a"), key="upload-a"), 201)
    b = bound_student.ok(bound_student.upload(make_pdf_bytes("b"), key="upload-b"), 201)
    assert a["id"] != b["id"]
    assert EvidenceFile.objects.count() == 2


def test_uploads_without_a_key_are_not_deduplicated(bound_student):
    at_evidence_step(bound_student)
    for _ in range(2):
        bound_student.ok(bound_student.upload(make_pdf_bytes()), 201)
    assert EvidenceFile.objects.count() == 2
    assert not IdempotencyRecord.objects.exists()


def test_a_failed_request_can_be_retried_with_the_same_key_after_fixing_it(bound_student):
    at_evidence_step(bound_student)

    bad = bound_student.upload(b"<html>not a pdf</html>", name="协议书.pdf", key="retry-1")
    assert_error(bad, 422, "invalid_file")
    assert not IdempotencyRecord.objects.exists()  # the failure is not remembered

    good = bound_student.upload(make_png_bytes(), name="协议书.png", content_type="image/png", key="retry-1")

    assert good.status_code == 201, good.content
    assert good.json()["content_type"] == "image/png"
    assert EvidenceFile.objects.count() == 1
    replay = bound_student.upload(make_png_bytes(), name="协议书.png", content_type="image/png", key="retry-1")
    assert replay.json() == good.json()


def test_a_submit_refused_for_a_missing_step_can_be_retried_with_the_same_key(bound_student):
    at_evidence_step(bound_student)
    assert_error(bound_student.post("/registration/submit", key="submit-early"), 409, "step_not_ready")
    bound_student.ok(bound_student.upload(make_pdf_bytes()), 201)
    bound_student.ok(bound_student.put("/registration/archive",
                                       bound_student.ok(bound_student.post("/registration/archive/match"))))

    r = bound_student.ok(bound_student.post("/registration/submit", key="submit-early"))

    assert r["submitted"] is True


def test_keys_are_per_user(bound_student, make_bound_student):
    other = make_bound_student()
    at_evidence_step(bound_student)
    at_evidence_step(other)

    mine = bound_student.ok(bound_student.upload(make_pdf_bytes("mine"), key="same-key"), 201)
    theirs = other.ok(other.upload(make_pdf_bytes("theirs"), key="same-key"), 201)

    assert mine["id"] != theirs["id"]
    assert EvidenceFile.objects.get(pk=theirs["id"]).registration.student == other.student
    assert IdempotencyRecord.objects.filter(key="same-key").count() == 2


def test_keys_are_per_operation(bound_student):
    """The same key on an upload and on the submit does not replay the upload as the submit's answer."""
    at_evidence_step(bound_student)
    bound_student.ok(bound_student.upload(make_pdf_bytes(), key="k"), 201)
    bound_student.ok(bound_student.put("/registration/archive",
                                       bound_student.ok(bound_student.post("/registration/archive/match"))))
    r = bound_student.ok(bound_student.post("/registration/submit", key="k"))
    assert r["submitted"] is True and r["registration"]["status"] == "submitted"


@pytest.mark.parametrize(("key", "status"), [("k" * 100, 201), ("k" * 101, 400)])
def test_a_key_longer_than_100_characters_is_refused(bound_student, key, status):
    at_evidence_step(bound_student)
    r = bound_student.upload(make_pdf_bytes(), key=key)
    if status == 400:
        body = assert_error(r, 400, "bad_idempotency_key")
        assert "100" in body["message"]
        assert not EvidenceFile.objects.exists()
        assert_error(bound_student.post("/registration/submit", key=key), 400, "bad_idempotency_key")
    else:
        assert r.status_code == 201, r.content


def test_a_blank_key_means_no_key(bound_student):
    at_evidence_step(bound_student)
    for _ in range(2):
        bound_student.ok(bound_student.upload(make_pdf_bytes(), key="   "), 201)
    assert EvidenceFile.objects.count() == 2
    assert not IdempotencyRecord.objects.exists()


def test_the_replay_is_byte_identical_whatever_the_timestamps(bound_student):
    at_evidence_step(bound_student)
    at = timezone.now().replace(microsecond=500)  # (still within the token's lifetime)
    with mock.patch("django.utils.timezone.now", return_value=at):
        first = bound_student.upload(make_pdf_bytes(), key="clock")
    second = bound_student.upload(make_pdf_bytes(), key="clock")
    assert first.status_code == second.status_code == 201
    assert first.content == second.content, (first.json()["uploaded_at"], second.json()["uploaded_at"])


def test_a_request_that_dies_after_its_write_leaves_neither_the_write_nor_the_key(bound_student):
    """The cluster drill: an app server killed mid-request. Here the answer cannot be stored after the file
    was written (as if the process died there): the whole attempt rolls back — no file, no key — and the
    mini-program's 重试 with the same key uploads once and is answered at once (no 409 "in progress")."""
    at_evidence_step(bound_student)
    save = IdempotencyRecord.save

    def dies_before_answering(record, *args, **kwargs):
        if kwargs.get("update_fields"):  # storing the answer, after the upload was written
            raise RuntimeError("killed")
        return save(record, *args, **kwargs)

    before = set(stored_evidence_names())
    with mock.patch.object(IdempotencyRecord, "save", dies_before_answering):
        died = bound_student.upload(make_pdf_bytes("one"), key="upload-dead")
    assert died.status_code == 500
    assert not EvidenceFile.objects.exists()
    assert not IdempotencyRecord.objects.exists()
    assert set(stored_evidence_names()) == before  # the file written before the failure went with the row

    retried = bound_student.upload(make_pdf_bytes("one"), key="upload-dead")
    assert retried.status_code == 201
    assert EvidenceFile.objects.count() == 1
    assert len(set(stored_evidence_names()) - before) == 1
    assert bound_student.upload(make_pdf_bytes("one"), key="upload-dead").content == retried.content


def test_a_key_stored_without_an_answer_is_answered_by_the_next_request(bound_student):
    """A row committed without its answer (only possible for rows written before claims committed with
    their answers) does not block the student: the retry runs and submits once."""
    ready_to_submit(bound_student)
    IdempotencyRecord.objects.create(user=bound_student.student.user, scope="submit", key="submit-old")

    retried = bound_student.post("/registration/submit", key="submit-old")
    assert retried.status_code == 200 and retried.json()["submitted"] is True
    assert RegistrationEvent.objects.filter(kind=EventKind.SUBMIT).count() == 1
    answered = IdempotencyRecord.objects.get(user=bound_student.student.user, scope="submit", key="submit-old")
    assert answered.status_code == 200
    assert bound_student.post("/registration/submit", key="submit-old").content == retried.content
