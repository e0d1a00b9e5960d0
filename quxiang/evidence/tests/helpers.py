"""Agreements rendered offline for the reading tests: images drawn with Pillow and a CJK font, PDFs with a
text layer drawn with reportlab's built-in STSong-Light CID font."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def agreement_lines(*, org: str, uscc: str, name: str) -> list[str]:
    return [
        "全国普通高等学校毕业生就业协议书",
        f"甲方（用人单位）：{org}",
        f"统一社会信用代码：{uscc}",
        f"乙方（毕业生）：{name}",
        "经甲乙双方协商一致，乙方自愿到甲方工作，签订本协议。",
        "签订日期：2027年3月1日",
    ]


def render_agreement(*, org: str, uscc: str, name: str, size: tuple[int, int] = (1654, 2339), font_px: int = 44):
    """A white A4 page at 200 dpi (about 3.9 MP) with the agreement's lines; skipped without the font."""
    from PIL import Image, ImageDraw, ImageFont

    if not CJK_FONT.exists():
        pytest.skip(f"CJK font {CJK_FONT} is not installed (apt-get install fonts-noto-cjk)")
    font = ImageFont.truetype(str(CJK_FONT), font_px, index=2)  # index 2: Noto Sans CJK SC
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(agreement_lines(org=org, uscc=uscc, name=name)):
        draw.text((int(size[0] * 0.07), int(size[1] * 0.06) + i * int(font_px * 2.2)), line, fill="black", font=font)
    return img


def image_bytes(img, fmt: str = "JPEG", **options) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **options)
    return buf.getvalue()


def text_pdf_bytes(lines: list[str], *, pages: int = 1) -> bytes:
    """A PDF whose pages carry the lines as real text (no OCR needed to read them)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    for page in range(pages):
        pdf.setFont("STSong-Light", 14)
        for i, line in enumerate(lines):
            pdf.drawString(60, 780 - i * 24, line)
        pdf.drawString(60, 60, f"第 {page + 1} 页")
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def image_pdf_bytes(img) -> bytes:
    """A scanned PDF: one page holding only an image, no text layer."""
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="PDF", resolution=200)
    return buf.getvalue()
