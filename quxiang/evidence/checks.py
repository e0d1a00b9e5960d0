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
from django.template.defaultfilters import filesizeformat
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
    """Walk the chunks to the first IEND; anything after it is smuggled content (a polyglot)."""
    pos = 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        pos += 12 + length
        if kind == b"IEND":
            if pos != len(data):
                raise ValidationError(_("PNG 图片结尾含有多余内容，请重新导出图片后上传。"), code="png_trailing")
            return
    raise ValidationError(_("PNG 图片不完整（可能上传中断），请重新上传。"), code="png_truncated")


def _jpeg_end(data: bytes) -> int | None:
    """Offset just past the first real EOI marker, following segments and entropy-coded scans."""
    pos = 2
    n = len(data)
    while pos + 2 <= n:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:
            return pos + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        if pos + 4 > n:
            return None
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        pos += 2 + length
        if marker == 0xDA:  # start of scan: skip entropy-coded data up to the next real marker
            while pos + 1 < n:
                if data[pos] == 0xFF and data[pos + 1] != 0x00 and not 0xD0 <= data[pos + 1] <= 0xD7:
                    break
                pos += 1
    return None


def _check_jpeg(data: bytes) -> None:
    end = _jpeg_end(data)
    if end is None:
        raise ValidationError(_("JPEG 图片不完整（可能上传中断），请重新上传。"), code="jpeg_truncated")
    if data[end:].strip(b"\x00\r\n \t"):
        raise ValidationError(_("JPEG 图片结尾含有多余内容，请重新导出后上传。"), code="jpeg_trailing")


# Pillow's own decompression-bomb threshold (~8900 万像素, e.g. 9459 × 9459): far above any phone photo or
# scan a student uploads, and the point past which decoding one image would take gigabytes of memory.
MAX_IMAGE_PIXELS = 89_478_485


def too_many_pixels_message(size: tuple[int, int] | None = None) -> str:
    limit = _("%(n)s 万像素") % {"n": MAX_IMAGE_PIXELS // 10_000}
    if size is None:
        return _("图片尺寸过大（超过 %(limit)s 上限），请缩小图片尺寸后再上传。") % {"limit": limit}
    return _("图片尺寸过大（%(w)d × %(h)d 像素，超过 %(limit)s 上限），请缩小图片尺寸后再上传。") % {
        "w": size[0], "h": size[1], "limit": limit,
    }


def _check_image(data: bytes) -> None:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            size = img.size
            img.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):  # the warning when warnings are errors
        # A sound file whose dimensions are huge is not 损坏: say what is wrong and what the limit is.
        raise ValidationError(too_many_pixels_message(), code="image_too_many_pixels") from None
    except Exception:
        raise ValidationError(_("图片文件已损坏，无法打开。"), code="image_broken") from None
    # Between the limit and twice the limit Pillow only warns; refuse those too, with their dimensions.
    if size[0] * size[1] > MAX_IMAGE_PIXELS:
        raise ValidationError(too_many_pixels_message(size), code="image_too_many_pixels")


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


def too_large_message(max_bytes: int | None = None) -> str:
    from django.conf import settings

    limit = max_bytes if max_bytes is not None else settings.QUXIANG["EVIDENCE_MAX_BYTES"]
    return _("文件超过 %(limit)s 上限，请压缩后再上传。") % {"limit": size_text(limit)}


def size_text(n: int) -> str:
    """10485760 → "10 MB", 524288 → "512 KB"; other sizes as Django formats them."""
    for unit, name in ((1024 * 1024, "MB"), (1024, "KB")):
        if n >= unit and n % unit == 0:
            return f"{n // unit} {name}"
    return filesizeformat(n)


def check_evidence_file(upload: UploadedFile, *, max_bytes: int) -> CheckedFile:
    """Raise ValidationError (Chinese message) unless the file is a sound PDF, JPEG or PNG."""
    size = upload.size or 0
    if size == 0:
        raise ValidationError(_("文件是空的（0 字节），请重新选择。"), code="empty")
    if size > max_bytes:
        raise ValidationError(too_large_message(max_bytes), code="too_large")
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
