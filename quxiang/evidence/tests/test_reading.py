"""Reading evidence files (issue 12): OCR from the installed wheel, the PDF text layer, bad input, and
idempotence. OCR tests are marked `ocr` (a few seconds each; `-m "not ocr"` leaves them out)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from quxiang.evidence import reading
from quxiang.evidence.models import EvidenceReading, ReadingStatus
from quxiang.evidence.reading import evidence_read
from quxiang.evidence.services import evidence_add
from quxiang.evidence.tests.helpers import (
    agreement_lines,
    image_bytes,
    image_pdf_bytes,
    render_agreement,
    text_pdf_bytes,
)
from quxiang.jobs.models import Job, JobStatus
from quxiang.registrations.models import Registration, Status
from quxiang.testing.factories import make_registration, make_uscc

pytestmark = pytest.mark.django_db

ORG = "上海测试科技有限公司"  # what fill_organisation types (factories.employer_org_data)


@pytest.fixture
def reg():
    return make_registration(organisation=True, name="李明华")


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to reach the network (a model download) fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("the reader tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def upload(reg, name, data, **captured):
    return evidence_add(registration=reg, upload=SimpleUploadedFile(name, data), actor=reg.student.user)


def agreement(reg, **overrides):
    values = {"org": ORG, "uscc": make_uscc(), "name": reg.student.name, **overrides}
    return render_agreement(**values)


@pytest.mark.ocr
def test_ocr_model_comes_from_the_installed_wheel_and_reads_a_rendered_agreement_offline(reg, no_network):
    import rapidocr_onnxruntime

    from quxiang.evidence.ocr import ocr_engine

    wheel_dir = Path(rapidocr_onnxruntime.__file__).parent
    assert (wheel_dir / "models" / "ch_PP-OCRv4_rec_infer.onnx").is_file()
    evidence = upload(reg, "协议书.jpg", image_bytes(agreement(reg), quality=85))
    result = evidence_read(evidence_id=evidence.pk)
    assert result.status == ReadingStatus.READ
    assert ocr_engine()  # loaded by the read above, from the wheel's models (no network allowed)
    assert "PP-OCRv4" in result.engine and result.ocr_pages == 1
    assert result.confidence > 0.9
    assert result.fields["orgs"] == [ORG]
    assert result.fields["usccs"] == [make_uscc()]
    assert result.fields["persons"] == [reg.student.name]
    assert "2027-03-01" in result.fields["dates"]


@pytest.mark.ocr
@pytest.mark.parametrize("angle", [90, 180])
def test_a_page_turned_on_its_side_or_upside_down_is_read(reg, angle):
    turned = agreement(reg).rotate(angle, expand=True)
    evidence = upload(reg, "协议书.png", image_bytes(turned, "PNG"))
    result = evidence_read(evidence_id=evidence.pk)
    assert result.status == ReadingStatus.READ
    assert result.fields["orgs"] == [ORG] and result.fields["usccs"] == [make_uscc()]
    # The lines come out in reading order, not reversed.
    assert result.text.index("甲方") < result.text.index("乙方")


@pytest.mark.ocr
def test_exif_orientation_is_applied_before_ocr(reg):
    stored_sideways = agreement(reg).rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display": what a phone writes for a portrait photo
    evidence = upload(reg, "照片.jpg", image_bytes(stored_sideways, exif=exif.tobytes()))
    result = evidence_read(evidence_id=evidence.pk)
    assert result.status == ReadingStatus.READ and result.fields["orgs"] == [ORG]


@pytest.mark.ocr
def test_a_scanned_pdf_page_without_text_is_read_by_ocr(reg):
    evidence = upload(reg, "扫描件.pdf", image_pdf_bytes(agreement(reg)))
    result = evidence_read(evidence_id=evidence.pk)
    assert result.status == ReadingStatus.READ and result.ocr_pages == 1
    assert result.fields["orgs"] == [ORG]


def test_a_pdf_with_a_text_layer_is_read_without_ocr(reg, monkeypatch):
    monkeypatch.setattr(reading, "_ocr", lambda *a, **k: pytest.fail("OCR ran on a page with text"))
    lines = agreement_lines(org=ORG, uscc=make_uscc(), name=reg.student.name)
    evidence = upload(reg, "协议书.pdf", text_pdf_bytes(lines))
    result = evidence_read(evidence_id=evidence.pk)
    assert result.status == ReadingStatus.READ
    assert result.ocr_pages == 0 and result.confidence is None and result.engine.startswith("pypdfium2")
    assert result.fields["orgs"] == [ORG] and result.fields["persons"] == [reg.student.name]


def test_only_the_first_pages_of_a_long_pdf_are_read(reg, settings):
    settings.QUXIANG = {**settings.QUXIANG, "EVIDENCE_READING": {"MAX_PAGES": 2}}
    evidence = upload(reg, "长文件.pdf", text_pdf_bytes(["甲方：上海测试科技有限公司"], pages=50))
    result = evidence_read(evidence_id=evidence.pk)
    assert (result.pages_read, result.pages_total) == (2, 50)
    assert "第 2 页" in result.text and "第 3 页" not in result.text


@pytest.mark.ocr
def test_a_blank_image_is_unreadable_not_a_mismatch(reg):
    evidence = upload(reg, "空白.png", image_bytes(Image.new("RGB", (1200, 1600), "white"), "PNG"))
    result = evidence_read(evidence_id=evidence.pk)
    assert result.status == ReadingStatus.UNREADABLE and result.fields == {}


def test_reading_again_does_nothing_new_and_a_replaced_file_is_read_again(reg, monkeypatch):
    calls = []
    real = reading._extract

    def counting(data, content_type, deadline):
        calls.append(1)
        return real(data, content_type, deadline)

    monkeypatch.setattr(reading, "_extract", counting)
    evidence = upload(reg, "协议书.pdf", text_pdf_bytes(["甲方：上海测试科技有限公司"]))
    first = evidence_read(evidence_id=evidence.pk)
    assert evidence_read(evidence_id=evidence.pk).read_at == first.read_at
    assert len(calls) == 1
    # The stored file is replaced (an administrator fixes a file): its new content is read.
    with evidence.file.storage.open(evidence.file.name, "wb") as handle:
        handle.write(text_pdf_bytes(["甲方：北京远方物流有限公司"]))
    second = evidence_read(evidence_id=evidence.pk)
    assert len(calls) == 2 and second.fields["orgs"] == ["北京远方物流有限公司"]
    assert EvidenceReading.objects.filter(evidence=evidence).count() == 1


def test_the_same_bytes_on_another_file_reuse_its_reading(reg, monkeypatch):
    data = text_pdf_bytes(["甲方：上海测试科技有限公司"])
    first = evidence_read(evidence_id=upload(reg, "a.pdf", data).pk)
    monkeypatch.setattr(reading, "_extract", lambda *a: pytest.fail("read twice"))
    copy = evidence_read(evidence_id=upload(reg, "b.pdf", data).pk)
    assert copy.pk != first.pk and copy.fields == first.fields and copy.status == ReadingStatus.READ


def test_a_crash_marks_only_that_reading_failed(reg, monkeypatch):
    evidence = upload(reg, "协议书.pdf", text_pdf_bytes(["甲方：上海测试科技有限公司"]))
    monkeypatch.setattr(reading, "_read_pdf", lambda *a: 1 / 0)
    result = evidence_read(evidence_id=evidence.pk)
    assert result.status == ReadingStatus.FAILED and "ZeroDivisionError" in result.error
    assert Registration.objects.get(pk=reg.pk).status == Status.DRAFT
    monkeypatch.undo()
    # A failed reading is tried again.
    assert evidence_read(evidence_id=evidence.pk).status == ReadingStatus.READ


def test_a_reading_past_its_time_budget_is_failed(reg, monkeypatch, settings):
    import threading

    settings.QUXIANG = {**settings.QUXIANG, "EVIDENCE_READING": {"TIME_BUDGET_SECONDS": 0.3}}
    release = threading.Event()
    monkeypatch.setattr(reading, "_extract", lambda *a: release.wait(5))
    evidence = upload(reg, "协议书.pdf", text_pdf_bytes(["甲方"]))
    try:
        result = evidence_read(evidence_id=evidence.pk)
    finally:
        release.set()
    assert result.status == ReadingStatus.FAILED and "超时" in result.error


def test_a_file_removed_before_its_reading_ran_is_skipped(reg):
    evidence = upload(reg, "协议书.pdf", text_pdf_bytes(["甲方：上海测试科技有限公司"]))
    evidence.delete()
    assert evidence_read(evidence_id=evidence.pk) is None


def test_an_upload_queues_a_reading_job_once_it_commits(reg, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        evidence = upload(reg, "协议书.pdf", text_pdf_bytes(["甲方：上海测试科技有限公司"]))
    job = Job.objects.get(kind=reading.KIND_READ)
    assert job.params == {"evidence": evidence.pk} and job.status == JobStatus.DONE  # eager in the tests
    assert EvidenceReading.objects.get(evidence=evidence).fields["orgs"] == [ORG]


def test_a_reading_that_cannot_be_queued_leaves_the_upload_standing(reg, monkeypatch, django_capture_on_commit_callbacks):
    def broken(**kwargs):
        raise RuntimeError("broker down")

    monkeypatch.setattr(reading, "evidence_reading_schedule", broken)
    with django_capture_on_commit_callbacks(execute=True):
        evidence = upload(reg, "协议书.pdf", text_pdf_bytes(["甲方"]))
    assert reg.evidence_files.filter(pk=evidence.pk).exists()
    assert not EvidenceReading.objects.exists()


def test_a_job_that_died_marks_the_reading_failed(reg):
    from quxiang.evidence.tasks import evidence_read_on_fail

    evidence = upload(reg, "协议书.pdf", text_pdf_bytes(["甲方"]))
    evidence_read_on_fail(Job(kind=reading.KIND_READ, params={"evidence": evidence.pk}, error="任务多次中断"))
    assert EvidenceReading.objects.get(evidence=evidence).status == ReadingStatus.FAILED
