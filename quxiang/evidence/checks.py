"""Content checks for evidence files: the bytes decide the type, never the name."""

from __future__ import annotations

import hashlib
import io
import os
import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

ALLOWED = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
_MARKUP = re.compile(rb"<\s*(html|script|body|iframe|svg|!doctype)", re.IGNORECASE)


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    size: int
    sha256: str
    safe_name: str


def safe_display_name(name: str, *, ext: str) -> str:
    """The original name for display only: no path, no control characters, at most 100 characters."""
    base = os.path.basename((name or "").replace("\\", "/"))
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    stem, _dot, _old = base.rpartition(".") if "." in base else (base, "", "")
    stem = stem.strip(" .") or "file"
    return stem[: 100 - len(ext)] + ext


def _sniff(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def _check_png(data: bytes) -> None:
    end = data.rfind(b"IEND")
    # IEND chunk = length(4) 'IEND' crc(4); anything after it is smuggled content.
    if end < 0 or len(data) != end + 8:
        raise ValidationError(_("PNG 图片结尾含有多余内容，请重新导出图片后上传。"), code="png_trailing")


def _check_jpeg(data: bytes) -> None:
    if data.rstrip(b"\x00\r\n ")[-2:] != b"\xff\xd9":
        raise ValidationError(_("JPEG 图片不完整或结尾含有多余内容，请重新导出后上传。"), code="jpeg_trailing")


def _check_image(data: bytes) -> None:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
    except Exception:
        raise ValidationError(_("图片文件已损坏，无法打开。"), code="image_broken") from None


def _check_pdf(data: bytes) -> None:
    from pypdf import PdfReader

    if b"%%EOF" not in data[-2048:]:
        raise ValidationError(_("PDF 文件不完整（可能上传中断），请重新上传。"), code="pdf_truncated")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if len(reader.pages) < 1:
            raise ValueError
    except Exception:
        raise ValidationError(_("PDF 文件已损坏或加密，无法打开。"), code="pdf_broken") from None


def check_evidence_file(upload: UploadedFile, *, max_bytes: int) -> CheckedFile:
    """Raise ValidationError (Chinese message) unless the file is a sound PDF, JPEG or PNG."""
    size = upload.size or 0
    if size == 0:
        raise ValidationError(_("文件是空的（0 字节），请重新选择。"), code="empty")
    if size > max_bytes:
        raise ValidationError(
            _("文件超过 %(mb)d MB 上限，请压缩后再上传。") % {"mb": max_bytes // (1024 * 1024)}, code="too_large"
        )
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    content_type = _sniff(data[:16])
    if content_type is None or _MARKUP.search(data[:1024]):
        raise ValidationError(
            _("只能上传 PDF、JPG 或 PNG 文件（按文件内容判断，改扩展名无效）。"), code="type"
        )
    if content_type == "application/pdf":
        _check_pdf(data)
    else:
        _check_image(data)
        (_check_png if content_type == "image/png" else _check_jpeg)(data)
    return CheckedFile(
        content_type=content_type,
        size=size,
        sha256=hashlib.sha256(data).hexdigest(),
        safe_name=safe_display_name(upload.name, ext=ALLOWED[content_type]),
    )
