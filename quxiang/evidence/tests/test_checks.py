"""What an uploaded evidence file must be (by content, not by name) and how it is stored."""

from __future__ import annotations

import io
import os
import random
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from quxiang.evidence.checks import check_evidence_file, safe_display_name
from quxiang.evidence.models import EvidenceFile
from quxiang.evidence.services import evidence_add, evidence_remove
from quxiang.registrations.models import Status
from quxiang.registrations.services import RegistrationStateError
from quxiang.testing.factories import make_jpeg_bytes, make_pdf_bytes, make_png_bytes, make_registration

MB = 1024 * 1024
HTML = b"<html><script>alert(document.cookie)</script></html>"
CJK = re.compile(r"[\u4e00-\u9fff]")


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def check(name: str, data: bytes, max_bytes: int = 10 * MB):
    return check_evidence_file(upload(name, data), max_bytes=max_bytes)


def refused(name: str, data: bytes, max_bytes: int = 10 * MB) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        check(name, data, max_bytes)
    assert CJK.search(info.value.messages[0]), info.value.messages
    return info.value


def noisy_image_bytes(fmt: str) -> bytes:
    """An image well over 1 KB (so that anything appended lies past the first kilobyte)."""
    from PIL import Image

    rnd = random.Random(7)
    img = Image.frombytes("RGB", (64, 64), bytes(rnd.randrange(256) for _ in range(64 * 64 * 3)))
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    assert len(buf.getvalue()) > 2048
    return buf.getvalue()


def stored_files() -> list[str]:
    root = Path(default_storage.location)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


# --- accepted ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,data,ctype,ext", [
    ("协议书.pdf", make_pdf_bytes(), "application/pdf", ".pdf"),
    ("照片.jpg", make_jpeg_bytes(), "image/jpeg", ".jpg"),
    ("照片.JPEG", noisy_image_bytes("JPEG"), "image/jpeg", ".jpg"),
    ("扫描.png", make_png_bytes(), "image/png", ".png"),
    ("扫描.png", noisy_image_bytes("PNG"), "image/png", ".png"),
])
def test_real_files_accepted(name, data, ctype, ext):
    checked = check(name, data)
    assert checked.content_type == ctype
    assert checked.size == len(data)
    assert checked.safe_name.endswith(ext)
    assert len(checked.sha256) == 64


def test_content_decides_type_not_name():
    checked = check("协议书.pdf", make_png_bytes())
    assert checked.content_type == "image/png"
    assert checked.safe_name == "协议书.png"
    assert check("scan", make_jpeg_bytes()).safe_name == "scan.jpg"


# --- refused -------------------------------------------------------------------------------------

def test_empty_file_refused():
    assert refused("协议书.pdf", b"").code == "empty"


def test_over_limit_refused():
    err = refused("协议书.pdf", make_pdf_bytes(), max_bytes=100)
    assert err.code == "too_large"
    assert "上限" in err.messages[0]


def test_exactly_at_limit_accepted():
    data = make_pdf_bytes()
    assert check("a.pdf", data, max_bytes=len(data)).size == len(data)


def test_over_limit_message_states_a_real_limit():
    err = refused("a.pdf", make_pdf_bytes() + b" " * 600_000, max_bytes=512 * 1024)
    assert "0 MB" not in err.messages[0]


@pytest.mark.parametrize("name,data", [
    ("协议书.pdf", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200),  # Linux executable
    ("协议书.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200 + b"This program cannot be run in DOS mode"),
    ("协议书.pdf", b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"),
    ("协议书.pdf", b"<html><body>%PDF-1.7</body></html>"),
    ("协议书.pdf", b"  <script>alert(1)</script>"),
    ("协议书.pdf", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
    ("协议书.pdf", b"PK\x03\x04" + b"\x00" * 100),  # zip / docx
    ("协议书.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100),  # old Office
    ("照片.gif", b"GIF89a" + b"\x00" * 100),
    ("a.pdf", b"%PDF-1.4\n<html><script>alert(1)</script>\n%%EOF\n"),  # markup in the head of a PDF
])
def test_wrong_content_refused_whatever_the_name(name, data):
    err = refused(name, data)
    assert err.code == "type"
    assert "PDF" in err.messages[0]


def test_small_png_with_html_after_iend_refused():
    err = refused("照片.png", make_png_bytes() + HTML)
    assert err.code in {"type", "png_trailing"}


def test_png_with_trailing_data_after_iend_refused():
    err = refused("照片.png", noisy_image_bytes("PNG") + HTML)
    assert err.code == "png_trailing"


def test_jpeg_with_trailing_data_refused():
    err = refused("照片.jpg", noisy_image_bytes("JPEG") + HTML)
    assert err.code == "jpeg_trailing"


def test_png_with_smuggled_content_and_fake_iend_refused():
    refused("照片.png", noisy_image_bytes("PNG") + HTML + b"IEND\xaeB`\x82")


def test_jpeg_with_smuggled_content_and_fake_eoi_refused():
    refused("照片.jpg", noisy_image_bytes("JPEG") + HTML + b"\xff\xd9")


def test_truncated_pdf_refused():
    data = make_pdf_bytes()
    err = refused("协议书.pdf", data[: len(data) // 2])
    assert err.code == "pdf_truncated"
    assert "不完整" in err.messages[0]


def test_pdf_with_eof_but_broken_body_refused():
    err = refused("协议书.pdf", b"%PDF-1.7\n" + os.urandom(300).replace(b"<", b"(") + b"\n%%EOF\n")
    assert err.code == "pdf_broken"


def test_png_header_with_garbage_refused():
    err = refused("照片.png", b"\x89PNG\r\n\x1a\n" + b"\x11" * 200 + b"IEND\xaeB`\x82")
    assert err.code == "image_broken"


def test_truncated_jpeg_refused():
    data = noisy_image_bytes("JPEG")
    err = refused("照片.jpg", data[: len(data) // 2])
    assert err.code in {"jpeg_trailing", "jpeg_truncated", "image_broken"}


# --- display names -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "../../etc/passwd.pdf", "..\\..\\windows\\system32\\协议.pdf", "/abs/path/协议书.pdf", "C:\\Users\\张三\\协议书.pdf",
    "a\x00b\nc\r\t.pdf", "." * 10, "", "../", "协议书" * 80 + ".pdf", "x" * 200, "名" * 300,
    "\u202egpj.exe", "con.pdf", ".bashrc",
])
def test_safe_display_name(name):
    safe = safe_display_name(name, ext=".pdf")
    assert "/" not in safe and "\\" not in safe
    assert ".." not in safe.replace(".pdf", "")
    assert len(safe) <= 100
    assert safe.endswith(".pdf")
    assert not any(ord(ch) < 32 or ch == "\u202e" for ch in safe)
    assert safe[:-4].strip() != ""


def test_safe_display_name_keeps_chinese_and_takes_the_real_extension():
    assert safe_display_name("../../etc/passwd.pdf", ext=".pdf") == "passwd.pdf"
    assert safe_display_name("就业协议书（第一联）.PDF", ext=".pdf") == "就业协议书（第一联）.pdf"
    assert safe_display_name("offer.letter.jpg", ext=".png") == "offer.letter.png"


# --- the service: storage, limits, cleanup --------------------------------------------------------


@pytest.fixture
def reg(db):
    return make_registration(organisation=True)  # at the evidence step


@pytest.mark.django_db
def test_stored_under_generated_name_with_safe_display_name(reg):
    before = stored_files()
    ev = evidence_add(registration=reg, upload=upload("../../etc/passwd.pdf", make_pdf_bytes()), actor=reg.student.user)
    assert ev.original_name == "passwd.pdf"
    assert re.fullmatch(r"evidence/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", ev.file.name), ev.file.name
    assert "passwd" not in ev.file.name
    assert default_storage.exists(ev.file.name)
    assert stored_files() == sorted([*before, ev.file.name])
    with default_storage.open(ev.file.name) as fh:
        assert fh.read() == make_pdf_bytes()
    assert ev.content_type == "application/pdf"
    assert ev.uploaded_by == reg.student.user


@pytest.mark.django_db
def test_long_name_shortened_to_100(reg):
    ev = evidence_add(registration=reg, upload=upload("签" * 200 + ".png", make_png_bytes()), actor=reg.student.user)
    assert len(ev.original_name) <= 100
    assert ev.original_name.endswith(".png")
    assert ev.file.name.endswith(".png")
    EvidenceFile.objects.get(pk=ev.pk)  # it fits the column


@pytest.mark.django_db
def test_fourth_file_refused_and_not_stored(reg):
    for i in range(3):
        evidence_add(registration=reg, upload=upload(f"{i}.pdf", make_pdf_bytes(str(i))), actor=reg.student.user)
    before = stored_files()
    with pytest.raises(ValidationError) as info:
        evidence_add(registration=reg, upload=upload("4.pdf", make_pdf_bytes("4")), actor=reg.student.user)
    assert info.value.code == "too_many"
    assert "最多只能上传 3 个文件" in info.value.messages[0]
    assert reg.evidence_files.count() == 3
    assert stored_files() == before


@pytest.mark.django_db
def test_max_files_is_a_setting(reg, settings):
    settings.QUXIANG = {**settings.QUXIANG, "EVIDENCE_MAX_FILES": 1}
    evidence_add(registration=reg, upload=upload("1.pdf", make_pdf_bytes()), actor=reg.student.user)
    with pytest.raises(ValidationError, match="1 个文件"):
        evidence_add(registration=reg, upload=upload("2.pdf", make_pdf_bytes()), actor=reg.student.user)


@pytest.mark.django_db
def test_refused_content_leaves_nothing(reg):
    before = stored_files()
    with pytest.raises(ValidationError):
        evidence_add(registration=reg, upload=upload("a.pdf", b"MZ" + b"\x00" * 100), actor=reg.student.user)
    assert stored_files() == before
    assert reg.evidence_files.count() == 0


@pytest.mark.django_db
def test_size_limit_setting_applies_in_service(reg, settings):
    settings.QUXIANG = {**settings.QUXIANG, "EVIDENCE_MAX_BYTES": 100}
    with pytest.raises(ValidationError) as info:
        evidence_add(registration=reg, upload=upload("a.pdf", make_pdf_bytes()), actor=reg.student.user)
    assert info.value.code == "too_large"


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.VERIFIED])
def test_no_upload_to_a_record_that_is_not_editable(status):
    reg = make_registration(complete=True, status=status)
    before = stored_files()
    with pytest.raises(RegistrationStateError):
        evidence_add(registration=reg, upload=upload("a.pdf", make_pdf_bytes()), actor=reg.student.user)
    assert stored_files() == before
    assert reg.evidence_files.count() == 1


@pytest.mark.django_db
def test_remove_deletes_row_and_file_after_commit(reg, django_capture_on_commit_callbacks):
    ev = evidence_add(registration=reg, upload=upload("a.pdf", make_pdf_bytes()), actor=reg.student.user)
    name = ev.file.name
    with django_capture_on_commit_callbacks(execute=True):
        evidence_remove(evidence=ev, actor=reg.student.user)
    assert not EvidenceFile.objects.filter(pk=ev.pk).exists()
    assert not default_storage.exists(name)


@pytest.mark.django_db
def test_remove_from_submitted_record_refused(django_capture_on_commit_callbacks):
    reg = make_registration(complete=True, status=Status.SUBMITTED)
    ev = reg.evidence_files.get()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RegistrationStateError):
        evidence_remove(evidence=ev, actor=reg.student.user)
    assert EvidenceFile.objects.filter(pk=ev.pk).exists()
    assert default_storage.exists(ev.file.name)
