"""What the evidence says next to what was typed, on the counselor's record page (issue 12)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from quxiang.evidence.models import EvidenceReading, ReadingStatus
from quxiang.evidence.reading import evidence_read
from quxiang.evidence.selectors import MATCH, MISMATCH, UNKNOWN, registration_evidence_comparison
from quxiang.evidence.services import evidence_add
from quxiang.evidence.tests.helpers import agreement_lines, image_bytes, text_pdf_bytes
from quxiang.registrations import services
from quxiang.registrations.models import Registration
from quxiang.testing.factories import counselor_of, make_registration, make_uscc

pytestmark = pytest.mark.django_db

ORG = "上海测试科技有限公司"  # what fill_organisation types
NAME = "李明华"


def submitted_with(files: list[tuple[str, bytes]], *, read: bool = True) -> Registration:
    reg = make_registration(complete=True, name=NAME)
    reg.evidence_files.all().delete()  # make_registration's blank placeholder PDF
    for name, data in files:
        evidence = evidence_add(registration=reg, upload=SimpleUploadedFile(name, data), actor=reg.student.user)
        if read:
            evidence_read(evidence_id=evidence.pk)
    assert services.registration_submit(registration=reg, actor=reg.student.user)
    return Registration.objects.get(pk=reg.pk)


def verdicts(reg) -> dict[str, str]:
    return {i.key: i.verdict for i in registration_evidence_comparison(registration=reg).items}


def agreement_pdf(**overrides) -> bytes:
    values = {"org": ORG, "uscc": make_uscc(), "name": NAME, **overrides}
    return text_pdf_bytes(agreement_lines(**values))


def record_page(client, reg) -> str:
    client.force_login(counselor_of(reg.student))
    response = client.get(reverse("reviews:record", args=[reg.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_evidence_that_says_what_was_typed_is_a_match():
    assert verdicts(submitted_with([("协议书.pdf", agreement_pdf())])) == {"org": MATCH, "uscc": MATCH, "name": MATCH}


def test_typing_variants_of_the_organisation_still_match():
    reg = submitted_with([("协议书.pdf", agreement_pdf(org="上海 测试科技有限责任公司"))])
    assert verdicts(reg)["org"] == MATCH


def test_evidence_of_another_organisation_another_code_and_another_student_is_a_mismatch():
    other = make_uscc(region="110105", serial="MA01ABCD1")
    reg = submitted_with([("协议书.pdf", agreement_pdf(org="北京远方物流有限公司", uscc=other, name="王小红"))])
    comparison = registration_evidence_comparison(registration=reg)
    assert {i.key: i.verdict for i in comparison.items} == {"org": MISMATCH, "uscc": MISMATCH, "name": MISMATCH}
    assert next(i for i in comparison.items if i.key == "org").found == ["北京远方物流有限公司"]


def test_nothing_read_yet_is_unknown_never_a_mismatch():
    reg = submitted_with([("协议书.pdf", agreement_pdf(org="北京远方物流有限公司"))], read=False)
    assert set(verdicts(reg).values()) == {UNKNOWN}


def test_an_unreadable_file_is_unknown_never_a_mismatch():
    reg = submitted_with([("空白.png", image_bytes(Image.new("RGB", (400, 400), "white"), "PNG"))], read=False)
    evidence = reg.evidence_files.get()
    EvidenceReading.objects.create(evidence=evidence, sha256=evidence.sha256, status=ReadingStatus.UNREADABLE)
    assert set(verdicts(reg).values()) == {UNKNOWN}


def test_a_reading_of_a_replaced_file_is_not_used():
    reg = submitted_with([("协议书.pdf", agreement_pdf())])
    reg.evidence_files.update(sha256="0" * 64)  # the file changed since it was read
    assert set(verdicts(reg).values()) == {UNKNOWN}


def test_one_matching_file_among_several_is_enough():
    reg = submitted_with([("成绩单.pdf", text_pdf_bytes(["成绩单 课程 成绩"])), ("协议书.pdf", agreement_pdf())])
    assert verdicts(reg) == {"org": MATCH, "uscc": MATCH, "name": MATCH}


def test_record_page_shows_a_tick_for_the_matching_organisation(client):
    page = record_page(client, submitted_with([("协议书.pdf", agreement_pdf())]))
    assert "材料核对" in page
    row = page[page.index('id="evidence-check-org"'):]
    row = row[: row.index("</tr>")]
    assert 'data-verdict="match"' in row and "✓" in row and ORG in row


def test_record_page_shows_a_cross_for_a_mismatching_organisation(client):
    page = record_page(client, submitted_with([("协议书.pdf", agreement_pdf(org="北京远方物流有限公司"))]))
    row = page[page.index('id="evidence-check-org"'):]
    row = row[: row.index("</tr>")]
    assert 'data-verdict="mismatch"' in row and "✗" in row and "北京远方物流有限公司" in row


def test_record_page_says_unknown_for_evidence_not_read(client):
    page = record_page(client, submitted_with([("协议书.pdf", agreement_pdf())], read=False))
    row = page[page.index('id="evidence-check-org"'):]
    row = row[: row.index("</tr>")]
    assert "未识别" in row and "✗" not in row


def test_a_different_name_with_the_typed_uscc_on_the_paper_is_a_cross_that_says_so(client):
    """The counselor still compares the two names (✗), told that the code on the paper is the typed one."""
    page = record_page(client, submitted_with([("协议书.pdf", agreement_pdf(org="北京远方物流有限公司"))]))
    row = page[page.index('id="evidence-check-org"'):]
    row = row[: row.index("</tr>")]
    assert 'data-verdict="mismatch"' in row and "材料中的信用代码与填写的一致" in row
