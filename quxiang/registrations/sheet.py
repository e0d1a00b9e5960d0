"""去向登记信息表: the PDF a student carries to the archive or household office, with a QR code that
opens the public verification page."""

from __future__ import annotations

import io
from urllib.parse import quote

import segno
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from quxiang.audit.models import AuditAction
from quxiang.audit.services import audit_record
from quxiang.core.http import client_ip
from quxiang.registrations.models import Registration, Status

# A CID font the PDF reader supplies: no font file to ship, and the text stays extractable.
FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def verification_url(*, registration: Registration) -> str:
    base = settings.QUXIANG["PUBLIC_BASE_URL"].rstrip("/")
    return base + reverse("public_verify", kwargs={"code": registration.verification_no})


def _rows(reg: Registration) -> list[tuple[str, str]]:
    s = reg.student
    dtype = reg.destination_type
    rows = [
        ("学校", settings.QUXIANG["SCHOOL_NAME"]),
        ("学号", s.student_number), ("姓名", s.name), ("性别", s.get_gender_display()),
        ("身份证号", s.masked_national_id), ("学历层次", s.get_education_level_display()),
        ("学院", s.college.name), ("专业", s.major.name), ("生源地", s.origin_region.full_name),
        ("毕业去向", str(dtype) if dtype else ""),
        ("毕业去向类别代码", f"{dtype.category.code} {dtype.category.name}" if dtype and dtype.category else ""),
    ]
    if reg.org_name:
        rows += [("单位/学校名称", reg.org_name + (f"（{reg.abroad_name_original}）" if reg.abroad_name_original else ""))]
    if reg.abroad_country_id:
        rows += [("国家（地区）", f"境外 · {reg.abroad_country.name_zh}")]
    if reg.org_uscc:
        rows += [("统一社会信用代码", reg.org_uscc)]
    if reg.org_region_id:
        rows += [("单位所在地", reg.org_region.full_name)]
    if reg.org_nature_id:
        rows += [("单位性质", reg.org_nature.name)]
    if reg.org_address:
        rows += [("单位地址", f"{reg.org_address} {reg.org_postcode}")]
    if reg.archive_unit:
        rows += [
            ("生源地主管单位", reg.origin_authority_name),
            ("档案接收单位", reg.archive_unit),
            ("档案接收地址", f"{reg.archive_address} {reg.archive_postcode}"),
            ("档案接收电话", reg.archive_phone),
        ]
    rows += [
        ("鉴证时间", timezone.localtime(reg.verified_at).strftime("%Y-%m-%d %H:%M") if reg.verified_at else ""),
        ("验证编号", reg.verification_no or ""),
    ]
    return rows


def registration_sheet_pdf(*, registration: Registration) -> bytes:
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    width, height = A4
    pdf.setTitle(f"去向登记信息表 {registration.student.student_number}")
    pdf.setFont(FONT, 18)
    pdf.drawCentredString(width / 2, height - 25 * mm, "毕业去向登记信息表")
    pdf.setFont(FONT, 10)
    pdf.drawCentredString(width / 2, height - 32 * mm, f"{settings.QUXIANG['SCHOOL_NAME']} · 第 {registration.version} 版")

    y = height - 45 * mm
    for label, value in _rows(registration):
        pdf.setFont(FONT, 10.5)
        pdf.drawString(20 * mm, y, label)
        for i, chunk in enumerate(_wrap(value, 38)):
            pdf.drawString(58 * mm, y - i * 5.5 * mm, chunk)
        y -= max(1, len(_wrap(value, 38))) * 5.5 * mm + 2 * mm
        pdf.setStrokeGray(0.85)
        pdf.line(20 * mm, y + 3.5 * mm, width - 20 * mm, y + 3.5 * mm)

    qr = segno.make(verification_url(registration=registration), error="m")
    png = io.BytesIO()
    qr.save(png, kind="png", scale=6, border=2)
    png.seek(0)
    pdf.drawImage(ImageReader(png), width - 60 * mm, 22 * mm, width=40 * mm, height=40 * mm)
    pdf.setFont(FONT, 8.5)
    pdf.drawString(width - 62 * mm, 18 * mm, "扫码核验本表真伪")

    pdf.setFont(FONT, 10.5)
    pdf.drawString(20 * mm, 55 * mm, "学校就业部门（盖章）：")
    pdf.rect(20 * mm, 22 * mm, 70 * mm, 30 * mm)
    pdf.drawString(20 * mm, 15 * mm, "本表信息以二维码核验结果为准。")
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def _wrap(text: str, width: int) -> list[str]:
    text = text or ""
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def registration_sheet_response(*, request: HttpRequest, registration: Registration) -> HttpResponse | None:
    """The PDF download, audited; None while the record has no verification number."""
    if registration.status not in (Status.VERIFIED, Status.SUPERSEDED) or not registration.verification_no:
        return None
    pdf = registration_sheet_pdf(registration=registration)
    audit_record(actor=request.user, action=AuditAction.SHEET_DOWNLOAD, ip=client_ip(request), registration=registration)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"去向登记信息表-{registration.student.student_number}-v{registration.version}.pdf"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response["Cache-Control"] = "private, no-store"
    return response
