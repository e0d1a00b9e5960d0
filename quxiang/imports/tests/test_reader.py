"""Cell values as offices type them, and the file check."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError

from quxiang.imports.reader import cell_code, cell_date, cell_text, xlsx_check


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023-09", dt.date(2023, 9, 1)),
        ("2023/9", dt.date(2023, 9, 1)),
        ("2023.9", dt.date(2023, 9, 1)),
        ("2023年9月", dt.date(2023, 9, 1)),
        ("2023-09-01", dt.date(2023, 9, 1)),
        ("2027/6/30", dt.date(2027, 6, 30)),
        ("2027年6月30日", dt.date(2027, 6, 30)),
        ("202309", dt.date(2023, 9, 1)),
        (202309, dt.date(2023, 9, 1)),
        ("20270630", dt.date(2027, 6, 30)),
        (dt.datetime(2023, 9, 1), dt.date(2023, 9, 1)),
        (dt.date(2023, 9, 1), dt.date(2023, 9, 1)),
        (45170, dt.date(2023, 9, 1)),  # an Excel serial in a General cell
        ("", None),
        (None, None),
    ],
)
def test_dates_in_the_forms_offices_use(raw, expected):
    assert cell_date(raw) == expected


@pytest.mark.parametrize("raw", ["九月", "2023-13", "2023-02-30", "23-9"])
def test_unreadable_dates_raise(raw):
    with pytest.raises(ValueError):
        cell_date(raw)


def test_codes_lose_spaces_and_get_upper_case():
    assert cell_code(" 330114 2005\u30000512 123x ") == "33011420050512123X"
    assert cell_code(2700000001.0) == "2700000001"
    assert cell_code("３３０１１４") == "330114" and cell_code("１２３ｘ") == "123X"  # full-width, as some IMEs type
    assert cell_text("  张\u3000 三 ") == "张 三"
    assert cell_text(None) == ""


def test_xlsx_check_accepts_a_workbook():
    from quxiang.testing.factories import make_roster_xlsx

    xlsx_check(fileobj=io.BytesIO(make_roster_xlsx([])))


def test_xlsx_check_refuses_a_zip_bomb(monkeypatch):
    from quxiang.imports import reader
    from quxiang.testing.factories import make_roster_xlsx

    monkeypatch.setattr(reader, "MAX_UNCOMPRESSED_BYTES", 100)
    with pytest.raises(ValidationError, match="解压后过大"):
        xlsx_check(fileobj=io.BytesIO(make_roster_xlsx([])))
