"""A sound image with huge dimensions is refused as too large in pixels, never as 已损坏."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from quxiang.evidence.checks import check_evidence_file


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def huge_png(width: int, height: int) -> bytes:
    """A complete, valid 1-bit PNG of width × height, small on disk (every row is white)."""
    row = b"\x00" + b"\xff" * ((width + 7) // 8)  # filter byte 0 + packed pixels
    z = zlib.compressobj(9)
    parts = [z.compress(row) for _ in range(height)]
    data = b"".join(parts) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit, greyscale
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def huge_jpeg(width: int, height: int) -> bytes:
    """A real JPEG whose SOF header claims width × height (Pillow reads the size from the header)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (16, 16), 255).save(buf, format="JPEG")
    data = bytearray(buf.getvalue())
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def refusal(name: str, data: bytes) -> str:
    with pytest.raises(ValidationError) as info:
        check_evidence_file(SimpleUploadedFile(name, data), max_bytes=10 * 1024 * 1024)
    return info.value.messages[0]


def test_30000_square_png_is_small_on_disk_and_decodes():
    data = huge_png(30000, 30000)
    assert len(data) < 1024 * 1024  # well under the 10 MB byte limit: only the pixels are too many
    from PIL import Image

    Image.MAX_IMAGE_PIXELS, saved = None, Image.MAX_IMAGE_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as img:
            assert img.size == (30000, 30000)
            img.verify()  # a sound file, not a broken one
    finally:
        Image.MAX_IMAGE_PIXELS = saved


@pytest.mark.parametrize("name,data", [
    ("扫描.png", huge_png(30000, 30000)),  # far over the limit (Pillow raises a decompression-bomb error)
    ("扫描.png", huge_png(12000, 9000)),  # 1.08 亿 pixels: Pillow only warns
    ("照片.jpg", huge_jpeg(30000, 30000)),
])
def test_huge_image_refused_as_too_many_pixels_with_the_limit(name, data):
    message = refusal(name, data)
    assert "损坏" not in message
    assert "像素" in message and "过大" in message
    # The limit is stated as a number of 万像素 (SPEC: a clear message saying what to do).
    assert re.search(r"\d+ 万像素", message), message
    assert "缩小" in message


def test_dimensions_named_when_known():
    message = refusal("扫描.png", huge_png(12000, 9000))
    assert "12000 × 9000" in message


def test_large_but_normal_photo_accepted():
    # 48 MP, the full resolution of many phone cameras.
    checked = check_evidence_file(SimpleUploadedFile("照片.png", huge_png(8000, 6000)), max_bytes=10 * 1024 * 1024)
    assert checked.content_type == "image/png"
