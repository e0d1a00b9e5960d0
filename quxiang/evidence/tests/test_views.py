"""Uploading through the wizard and downloading through the one authorised view."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import Resolver404, resolve

from quxiang.accounts.models import Role
from quxiang.evidence.models import EvidenceFile
from quxiang.registrations.models import Registration, Status
from quxiang.testing.factories import (
    SchoolClassFactory,
    StudentFactory,
    UserFactory,
    make_college_officer,
    make_counselor,
    make_pdf_bytes,
    make_png_bytes,
    make_registration,
    pdf_upload,
)

pytestmark = pytest.mark.django_db

EVIDENCE_STEP = "/registration/step/evidence/"
MB = 1024 * 1024


def stored_files() -> list[str]:
    root = Path(default_storage.location)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def reg():
    """A draft at the evidence step (type and organisation done, no files yet)."""
    return make_registration(organisation=True)


@pytest.fixture
def owner_client(client, reg):
    client.force_login(reg.student.user)
    return client


def post_upload(client, name, data, **extra):
    return client.post(EVIDENCE_STEP, {"action": "upload", "file": SimpleUploadedFile(name, data)}, follow=True,
                       **extra)


def snapshot(reg: Registration) -> dict:
    reg = Registration.objects.get(pk=reg.pk)
    return {f.attname: getattr(reg, f.attname) for f in Registration._meta.concrete_fields if f.attname != "updated_at"}


# --- upload through the wizard -------------------------------------------------------------------

def test_upload_pdf_lists_it(owner_client, reg):
    r = post_upload(owner_client, "就业协议书.pdf", make_pdf_bytes())
    assert r.redirect_chain[-1] == (EVIDENCE_STEP, 302)
    assert any("已上传" in m for m in messages_of(r))
    ev = reg.evidence_files.get()
    assert ev.original_name == "就业协议书.pdf"
    html = r.content.decode()
    assert "就业协议书.pdf" in html
    assert f"/evidence/{ev.pk}/" in html


def test_upload_bad_content_refused_with_reason(owner_client, reg):
    before = stored_files()
    r = post_upload(owner_client, "协议书.pdf", b"MZ\x90\x00" + b"\x00" * 500)
    msgs = " ".join(messages_of(r))
    assert "未上传" in msgs and "协议书.pdf" in msgs and "PDF" in msgs
    assert reg.evidence_files.count() == 0
    assert stored_files() == before


def test_upload_without_choosing_a_file(owner_client, reg):
    r = owner_client.post(EVIDENCE_STEP, {"action": "upload"}, follow=True)
    assert any("选择文件" in m for m in messages_of(r))


def test_too_large_upload_is_cut_short_with_chinese_message(owner_client, reg):
    """An 11 MB file against the default 10 MB limit: the upload handler stops reading, the page says why,
    the draft is untouched and nothing reaches storage."""
    assert django_settings.QUXIANG["EVIDENCE_MAX_BYTES"] == 10 * MB
    before_files, before_reg = stored_files(), snapshot(reg)
    data = b"%PDF-1.7\n" + b"0" * (11 * MB) + b"\n%%EOF\n"
    r = owner_client.post(EVIDENCE_STEP, {"action": "upload", "file": SimpleUploadedFile("大文件.pdf", data)})
    assert r.status_code == 302 and r.url == EVIDENCE_STEP
    r = owner_client.get(r.url)
    assert r.status_code == 200
    assert any("超过 10 MB" in m for m in messages_of(r)), messages_of(r)
    assert reg.evidence_files.count() == 0
    assert stored_files() == before_files
    assert snapshot(reg) == before_reg


def test_upload_limit_is_a_setting(owner_client, reg, settings):
    settings.QUXIANG = {**settings.QUXIANG, "EVIDENCE_MAX_BYTES": 1 * MB}
    before = stored_files()
    r = post_upload(owner_client, "scan.pdf", b"%PDF-1.7\n" + b"0" * (MB + 10) + b"\n%%EOF\n")
    assert any("超过 1 MB" in m for m in messages_of(r))
    assert stored_files() == before
    r = post_upload(owner_client, "scan.pdf", make_pdf_bytes())
    assert reg.evidence_files.count() == 1


def test_fourth_file_refused_in_the_wizard(owner_client, reg):
    for i in range(3):
        post_upload(owner_client, f"{i}.pdf", make_pdf_bytes(str(i)))
    r = owner_client.get(EVIDENCE_STEP)
    assert "已达到 3 个文件的上限" in r.content.decode()
    before = stored_files()
    r = post_upload(owner_client, "4.png", make_png_bytes())
    assert any("最多只能上传 3 个文件" in m for m in messages_of(r))
    assert reg.evidence_files.count() == 3
    assert stored_files() == before


def test_next_needs_a_file(owner_client, reg):
    r = owner_client.post(EVIDENCE_STEP, {"action": "next"}, follow=True)
    assert r.redirect_chain[-1][0] == EVIDENCE_STEP
    assert any("至少上传 1 个" in m for m in messages_of(r))
    post_upload(owner_client, "a.pdf", make_pdf_bytes())
    r = owner_client.post(EVIDENCE_STEP, {"action": "next"})
    assert r.url == "/registration/step/archive/"


def test_remove_own_file(owner_client, reg, django_capture_on_commit_callbacks):
    post_upload(owner_client, "a.pdf", make_pdf_bytes())
    ev = reg.evidence_files.get()
    with django_capture_on_commit_callbacks(execute=True):
        r = owner_client.post(EVIDENCE_STEP, {"action": "remove", "evidence_id": ev.pk}, follow=True)
    assert any("已删除" in m for m in messages_of(r))
    assert not EvidenceFile.objects.filter(pk=ev.pk).exists()
    assert not default_storage.exists(ev.file.name)


@pytest.mark.parametrize("evidence_id", ["other", "abc", "", "999999", None])
def test_remove_someone_elses_or_garbage_id_is_404(owner_client, reg, evidence_id):
    other = make_registration(evidence=1)
    target = other.evidence_files.get()
    data = {"action": "remove"}
    if evidence_id is not None:
        data["evidence_id"] = target.pk if evidence_id == "other" else evidence_id
    r = owner_client.post(EVIDENCE_STEP, data)
    assert r.status_code == 404
    assert EvidenceFile.objects.filter(pk=target.pk).exists()


def test_upload_to_submitted_record_is_refused(client):
    reg = make_registration(complete=True, status=Status.SUBMITTED)
    client.force_login(reg.student.user)
    before = stored_files()
    r = client.post(EVIDENCE_STEP, {"action": "upload", "file": pdf_upload()}, follow=True)
    assert r.redirect_chain[-1][0] == "/registration/"
    assert reg.evidence_files.count() == 1
    assert stored_files() == before


# --- download ------------------------------------------------------------------------------------

@pytest.fixture
def people():
    """One evidence file of a student in class A (college A) and every kind of viewer."""
    counselor = make_counselor()
    klass = SchoolClassFactory(counselor=counselor)
    student = StudentFactory(school_class=klass)
    reg = make_registration(student=student, evidence=1)
    other_class = SchoolClassFactory()
    return {
        "evidence": reg.evidence_files.get(),
        "owner": student.user,
        "other_student": StudentFactory().user,
        "counselor": counselor,
        "other_counselor": other_class.counselors.get(),
        "officer_in": make_college_officer(college=student.college),
        "officer_out": make_college_officer(college=other_class.major.college),
        "office": UserFactory(role=Role.OFFICE),
    }


def body_of(response) -> bytes:
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


@pytest.mark.parametrize("who,status", [
    ("owner", 200), ("other_student", 404), ("counselor", 200), ("other_counselor", 404),
    ("officer_in", 200), ("officer_out", 404), ("office", 200),
])
def test_download_by_role(client, people, who, status):
    ev = people["evidence"]
    client.force_login(people[who])
    r = client.get(f"/evidence/{ev.pk}/")
    assert r.status_code == status
    if status == 200:
        assert r["Content-Type"] == "application/pdf"
        assert r["X-Content-Type-Options"] == "nosniff"
        assert r["Content-Disposition"] == f"inline; filename*=UTF-8''{quote(ev.original_name)}"
        assert "private" in r["Cache-Control"]
        assert body_of(r) == make_pdf_bytes("evidence 0")


def test_download_as_attachment(client, people):
    ev = people["evidence"]
    client.force_login(people["owner"])
    r = client.get(f"/evidence/{ev.pk}/?download=1")
    assert r["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
    assert quote("材料1.pdf") in r["Content-Disposition"]
    body_of(r)


def test_download_anonymous_goes_to_login(client, people):
    r = client.get(f"/evidence/{people['evidence'].pk}/")
    assert r.status_code == 302
    assert r.url.startswith("/accounts/login/?next=/evidence/")


def test_download_unknown_id_is_404(client, people):
    client.force_login(people["office"])
    assert client.get("/evidence/999999/").status_code == 404


def test_download_is_get_only(client, people):
    client.force_login(people["owner"])
    assert client.post(f"/evidence/{people['evidence'].pk}/").status_code == 405


def test_download_when_file_missing_from_storage_is_404(client, people):
    ev = people["evidence"]
    default_storage.delete(ev.file.name)
    client.force_login(people["owner"])
    assert client.get(f"/evidence/{ev.pk}/").status_code == 404


def test_no_public_url_serves_evidence(client, people):
    ev = people["evidence"]
    # No MEDIA_URL is configured (Django reports the bare script prefix) and no route serves the storage.
    assert django_settings.MEDIA_URL in ("", "/")
    client.force_login(people["office"])
    for url in [f"/{ev.file.name}", default_storage.url(ev.file.name), f"/media/{ev.file.name}", f"/private-media/{ev.file.name}",
                f"/static/{ev.file.name}"]:
        with pytest.raises(Resolver404):
            resolve(url)
        assert client.get(url).status_code == 404, url
