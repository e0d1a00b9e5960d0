"""Evidence in object storage (issue 11) against a real S3 endpoint (moto's server on 127.0.0.1, see
quxiang/core/tests/s3.py): uploads through the wizard and the API land in the bucket with their row,
downloads stream through the authorised view only, a refused or failed upload leaves no object and no
row, a removal takes the object away once it commits, a rollback leaves nothing behind, reading works."""

from __future__ import annotations

import gc
import hashlib
import os
import time
import tracemalloc
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.db import transaction

from quxiang.api.services import api_token_issue
from quxiang.core.errors import DomainError
from quxiang.core.tests.s3 import s3_endpoint_fixture, s3_fixture  # noqa: F401 (pytest fixtures)
from quxiang.evidence.models import EvidenceFile, ReadingStatus
from quxiang.evidence.reading import evidence_read
from quxiang.evidence.services import evidence_add, evidence_carry_over, evidence_remove
from quxiang.evidence.tests.helpers import text_pdf_bytes
from quxiang.registrations.models import Registration
from quxiang.testing.factories import (
    SchoolClassFactory,
    StudentFactory,
    make_counselor,
    make_pdf_bytes,
    make_registration,
    pdf_upload,
)

pytestmark = pytest.mark.django_db

EVIDENCE_STEP = "/registration/step/evidence/"
MB = 1024 * 1024


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def body_of(response) -> bytes:
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


@pytest.fixture
def reg(s3):
    """A draft at the evidence step, its files going to the test's bucket."""
    return make_registration(organisation=True)


@pytest.fixture
def owner_client(client, reg):
    client.force_login(reg.student.user)
    return client


def upload_in_wizard(client, name: str, data: bytes):
    return client.post(EVIDENCE_STEP, {"action": "upload", "file": SimpleUploadedFile(name, data)}, follow=True)


# --- uploads land in the bucket, with their row ------------------------------------------------------

def test_wizard_upload_stores_the_object_in_the_bucket(s3, owner_client, reg):
    data = make_pdf_bytes("wizard")
    r = upload_in_wizard(owner_client, "就业协议书.pdf", data)
    assert any("已上传" in m for m in messages_of(r))
    ev = reg.evidence_files.get()
    assert s3.keys() == [ev.file.name]
    assert ev.file.name.startswith("evidence/") and ev.file.name.endswith(".pdf")
    assert "就业协议书" not in ev.file.name  # the student's name never reaches the store
    assert s3.body(ev.file.name) == data
    assert ev.sha256 == hashlib.sha256(data).hexdigest() and ev.size == len(data)
    # Private: the object has no public grant.
    grants = s3.client.get_object_acl(Bucket=s3.name, Key=ev.file.name)["Grants"]
    assert not [g for g in grants if "AllUsers" in g["Grantee"].get("URI", "")]


def test_api_upload_stores_the_object_in_the_bucket(s3, client, reg):
    token, _expires = api_token_issue(user=reg.student.user)
    data = make_pdf_bytes("api")
    r = client.post("/api/v1/registration/evidence",
                    {"file": SimpleUploadedFile("录用通知.pdf", data, content_type="application/pdf")},
                    HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 201, r.content
    ev = EvidenceFile.objects.get(pk=r.json()["id"])
    assert ev.registration_id == reg.pk
    assert s3.keys() == [ev.file.name] and s3.body(ev.file.name) == data


# --- downloads: through the view, after the access check ---------------------------------------------

@pytest.fixture
def people(s3):
    counselor = make_counselor()
    student = StudentFactory(school_class=SchoolClassFactory(counselor=counselor))
    reg = make_registration(student=student, evidence=1)
    return {
        "evidence": reg.evidence_files.get(), "owner": student.user, "counselor": counselor,
        "other_student": StudentFactory().user, "other_counselor": SchoolClassFactory().counselors.get(),
    }


@pytest.mark.parametrize("who,status", [("owner", 200), ("counselor", 200), ("other_student", 404),
                                        ("other_counselor", 404)])
def test_download_streams_from_the_bucket_after_the_access_check(s3, client, people, who, status):
    ev = people["evidence"]
    assert s3.keys() == [ev.file.name]
    client.force_login(people[who])
    r = client.get(f"/evidence/{ev.pk}/")
    assert r.status_code == status
    if status == 200:
        assert r.streaming and r["Content-Type"] == "application/pdf"
        assert r["Content-Length"] == str(ev.size)
        assert "private" in r["Cache-Control"] and r["X-Content-Type-Options"] == "nosniff"
        assert body_of(r) == s3.body(ev.file.name) == make_pdf_bytes("evidence 0")
    else:
        assert b"%PDF" not in r.content


def test_object_gone_from_the_bucket_is_404(s3, client, people):
    ev = people["evidence"]
    s3.client.delete_object(Bucket=s3.name, Key=ev.file.name)
    client.force_login(people["owner"])
    assert client.get(f"/evidence/{ev.pk}/").status_code == 404


def test_download_while_the_store_is_down_is_the_chinese_503_page(s3, client, people):
    client.force_login(people["owner"])
    s3.unreachable()
    started = time.monotonic()
    r = client.get(f"/evidence/{people['evidence'].pk}/")
    assert time.monotonic() - started < 10  # small timeouts and two attempts, not a hung request
    assert r.status_code == 503 and r["Retry-After"]
    assert "文件存储暂时无法连接" in r.content.decode()
    s3.reachable()
    assert body_of(client.get(f"/evidence/{people['evidence'].pk}/")) == make_pdf_bytes("evidence 0")


# --- nothing stored when the upload fails ------------------------------------------------------------

def test_refused_content_leaves_no_object_and_no_row(s3, owner_client, reg):
    r = upload_in_wizard(owner_client, "伪装.pdf", b"<html><script>alert(1)</script></html>")
    assert any("未上传" in m for m in messages_of(r))
    assert not reg.evidence_files.exists()
    assert s3.keys() == []


def test_checks_run_before_the_store_is_touched(s3, reg):
    with mock.patch("storages.backends.s3.S3Storage._save") as save, pytest.raises(ValidationError):
        evidence_add(registration=reg, upload=SimpleUploadedFile("坏.pdf", b"%PDF-1.4 broken"), actor=reg.student.user)
    save.assert_not_called()


def test_store_down_during_upload_gives_a_chinese_message_and_keeps_earlier_data(s3, owner_client, reg):
    upload_in_wizard(owner_client, "第一份.pdf", make_pdf_bytes("first"))
    first = reg.evidence_files.get()
    before = Registration.objects.filter(pk=reg.pk).values().get()
    s3.unreachable()
    started = time.monotonic()
    r = upload_in_wizard(owner_client, "第二份.pdf", make_pdf_bytes("second"))
    assert time.monotonic() - started < 10
    assert r.status_code == 200
    assert any("服务器暂时无法保存文件" in m for m in messages_of(r)), messages_of(r)
    assert list(reg.evidence_files.all()) == [first]
    after = Registration.objects.filter(pk=reg.pk).values().get()
    assert {k: v for k, v in after.items() if k != "updated_at"} == {k: v for k, v in before.items() if k != "updated_at"}
    s3.reachable()
    assert s3.keys() == [first.file.name] and s3.body(first.file.name) == make_pdf_bytes("first")


def test_store_down_during_api_upload_is_422_in_chinese_and_no_row(s3, client, reg):
    token, _expires = api_token_issue(user=reg.student.user)
    s3.unreachable()
    r = client.post("/api/v1/registration/evidence", {"file": pdf_upload("协议.pdf")},
                    HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 422 and "服务器暂时无法保存文件" in r.json()["message"]
    assert not reg.evidence_files.exists()
    s3.reachable()
    assert s3.keys() == []


def test_row_that_cannot_be_written_takes_its_object_away(s3, reg):
    with mock.patch.object(EvidenceFile, "save", side_effect=RuntimeError("database gone")), \
            pytest.raises(RuntimeError):
        evidence_add(registration=reg, upload=pdf_upload(), actor=reg.student.user)
    assert not EvidenceFile.objects.exists()
    assert s3.keys() == []


# --- removal and rollback ----------------------------------------------------------------------------

def test_removed_evidence_leaves_the_bucket_when_the_removal_commits(s3, reg, django_capture_on_commit_callbacks):
    ev = evidence_add(registration=reg, upload=pdf_upload(), actor=reg.student.user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        evidence_remove(evidence=ev, actor=reg.student.user)
    assert s3.keys() == [ev.file.name]  # not before the commit
    for callback in callbacks:
        callback()
    assert s3.keys() == [] and not EvidenceFile.objects.exists()


def test_removal_rolled_back_keeps_row_and_object(s3, reg, django_capture_on_commit_callbacks):
    ev = evidence_add(registration=reg, upload=pdf_upload(), actor=reg.student.user)
    pk = ev.pk
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            evidence_remove(evidence=ev, actor=reg.student.user)
            raise RuntimeError("the caller fails after the removal")
    assert EvidenceFile.objects.filter(pk=pk).exists()
    assert s3.keys() == [ev.file.name]


def test_removal_committed_while_the_store_is_down_does_not_fail(s3, reg, django_capture_on_commit_callbacks, caplog):
    ev = evidence_add(registration=reg, upload=pdf_upload(), actor=reg.student.user)
    s3.unreachable()
    with django_capture_on_commit_callbacks(execute=True):
        evidence_remove(evidence=ev, actor=reg.student.user)
    assert not EvidenceFile.objects.exists()
    assert "could not be removed" in caplog.text  # the orphan is logged for the operator


# --- reading (OCR / text layer) from the bucket --------------------------------------------------------

def test_reading_a_pdf_stored_in_the_bucket(s3, reg):
    lines = ["全国普通高等学校毕业生就业协议书", "甲方（用人单位）：上海测试科技有限公司", "统一社会信用代码：91310000MA1FL0XX1X"]
    ev = evidence_add(registration=reg, upload=SimpleUploadedFile("协议书.pdf", text_pdf_bytes(lines)),
                      actor=reg.student.user)
    reading = evidence_read(evidence_id=ev.pk)
    assert reading.status == ReadingStatus.READ
    assert "上海测试科技有限公司" in reading.text


def test_reading_while_the_store_is_down_is_failed_not_raised(s3, reg):
    ev = evidence_add(registration=reg, upload=pdf_upload(), actor=reg.student.user)
    s3.unreachable()
    reading = evidence_read(evidence_id=ev.pk)
    assert reading.status == ReadingStatus.FAILED and "文件存储" in reading.error


# --- memory: a large upload is streamed to the store, not held whole ---------------------------------

def test_a_10_mb_upload_goes_to_the_store_without_being_held_in_memory(s3):
    size = 10 * MB
    upload = TemporaryUploadedFile("大文件.pdf", "application/pdf", size, None)
    upload.write(os.urandom(size))
    upload.flush()
    upload.seek(0)
    default_storage.exists("evidence/warm-up")  # the client and its service model are made once per process
    gc.collect()
    tracemalloc.start()
    try:
        name = default_storage.save("evidence/memory-check.pdf", upload)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        upload.close()
    assert s3.keys() == [name]
    assert s3.client.head_object(Bucket=s3.name, Key=name)["ContentLength"] == upload.size
    # The whole file would be 10 MB; the PUT is sent from the temporary file in blocks (about 2 MB
    # measured: botocore hashes the payload 1 MB at a time).
    assert peak < 3 * MB, f"peak {peak / MB:.1f} MB"


# --- a change request's carried-over evidence is copied inside the bucket ----------------------------

def test_carried_over_evidence_is_copied_in_the_bucket(s3):
    source = make_registration(evidence=2)
    target = make_registration(organisation=True)
    originals = {ev.file.name: s3.body(ev.file.name) for ev in source.evidence_files.all()}
    copies = evidence_carry_over(source=source, target=target)
    assert len(copies) == 2
    assert set(s3.keys()) == set(originals) | {c.file.name for c in copies}
    assert sorted(s3.body(c.file.name) for c in copies) == sorted(originals.values())


def test_carry_over_with_the_store_down_copies_nothing(s3):
    source = make_registration(evidence=1)
    target = make_registration(organisation=True)
    before = s3.keys()
    s3.unreachable()
    with pytest.raises(DomainError) as caught:
        evidence_carry_over(source=source, target=target)
    assert caught.value.code == "storage" and "暂时无法复制" in caught.value.message
    assert not target.evidence_files.exists()
    s3.reachable()
    assert s3.keys() == before
