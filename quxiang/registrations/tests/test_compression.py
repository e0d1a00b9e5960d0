"""Production compresses HTML and JSON (quxiang/core/compression.py), never evidence files."""

from __future__ import annotations

import gzip

from django.http import FileResponse, HttpResponse, JsonResponse
from django.test import RequestFactory

from quxiang.core.compression import TextGZipMiddleware


def _through(response):
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    return TextGZipMiddleware(lambda r: response)(request)


def test_html_and_json_are_gzipped_with_random_padding():
    page = "<p>毕业去向录入</p>" * 400
    r = _through(HttpResponse(page, content_type="text/html; charset=utf-8"))
    assert r["Content-Encoding"] == "gzip" and gzip.decompress(r.content).decode() == page
    assert len(r.content) < len(page.encode()) / 10
    r = _through(JsonResponse({"rows": ["上海市"] * 400}))
    assert r["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in r["Vary"]


def test_files_are_left_alone(tmp_path):
    pdf = tmp_path / "协议书.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + b"0" * 5000 + b"\n%%EOF")
    with pdf.open("rb") as fh:
        r = _through(FileResponse(fh, content_type="application/pdf"))
        assert not r.has_header("Content-Encoding")
    r = _through(HttpResponse(b"\x89PNG" + b"0" * 5000, content_type="image/png"))
    assert not r.has_header("Content-Encoding")
