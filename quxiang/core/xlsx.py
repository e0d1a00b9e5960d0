"""xlsx helpers every download shares: the content type, the formula-injection guard and the response."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel (and LibreOffice) run a cell that starts with one of these as a formula, even a text cell.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """The cell text with a leading apostrophe when it would otherwise be read as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in _FORMULA_STARTS else text


def xlsx_response(*, content: bytes, stem: str, stamp: bool = True) -> HttpResponse:
    """A download named `<stem>-<local time>.xlsx` (or `<stem>.xlsx`); never cached, it holds personal data."""
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    name = f"{stem}-{timezone.localtime():%Y%m%d-%H%M}" if stamp else stem
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}.xlsx"
    response["Cache-Control"] = "private, no-store"
    return response
