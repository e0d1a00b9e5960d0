"""The national export's writer writes, byte for byte, the workbook xlsxwriter's own write_string would
write for the same cells (the row writer of reports/exports.py builds that XML itself, for speed)."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
import xlsxwriter

from quxiang.core.xlsx import safe_cell
from quxiang.reports import exports
from quxiang.reports.exports import SHEET_TITLE, national_export_write
from quxiang.reports.national import EXPORT_COLUMNS, export_cells, national_export_rows

WIDTH = len(EXPORT_COLUMNS)


def reference_xlsx(sheets: list[tuple[str, list[list[str]]]]) -> bytes:
    """The workbook written cell by cell with xlsxwriter's write_string (what the export did before)."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"constant_memory": True, **exports._SAFE_OPTIONS})
    bold = book.add_format({"bold": True})
    for title, rows in sheets:
        sheet = book.add_worksheet(title)
        sheet.freeze_panes(1, 0)
        sheet.set_column(0, WIDTH - 1, 14)
        for col, name in enumerate(EXPORT_COLUMNS):
            sheet.write_string(0, col, name, bold)
        for line, cells in enumerate(rows, start=1):
            for col, value in enumerate(cells):
                if value:
                    sheet.write_string(line, col, safe_cell(value))
    book.close()
    return buf.getvalue()


def parts(data: bytes) -> dict[str, bytes]:
    """Every part of the package but docProps/core.xml (it holds the time of writing)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist() if name != "docProps/core.xml"}


def written(rows: list[list[str]], **options) -> bytes:
    out, _count = national_export_write(rows=rows, full_id=False, out=io.BytesIO(), **options)
    return out.getvalue()


@pytest.fixture
def cells_as_given(monkeypatch):
    """Feed cell lists straight to the writer (export_cells has its own tests)."""
    monkeypatch.setattr(exports, "export_cells", lambda rows, *, full_id: iter(rows))


def row(*values: str) -> list[str]:
    return [*values, *[""] * (WIDTH - len(values))]


AWKWARD = [
    row("2023001", "", "张三", "男"),
    row(" leading", "trailing ", "\u3000全角空格", "中\u3000", "\tTab", "line\nbreak", "a\r\nb"),
    row("A&B <公司> \"引号\" 'single'", "<r>&</r>", "<r><t>rich?</t></r>", "]]>", "&amp;"),
    row("=SUM(A1:A2)", "+86 21", "-1", "@handle", "\rcr", "=HYPERLINK(\"http://evil\")"),
    row("bell\x07", "\x00nul", "_x0041_ looks escaped", "_x004G_ does not", "\x1f\x0b\x0c", "_x0000_\x01"),
    row("😀 emoji 𠀋", "é ñ ü", "ﾊﾝｶｸ", "\u00a0nbsp", "\u2028sep"),
    row("长" * 40_000, "😀" * 20_000, "x" * 32_767),
    row(*(f"c{i}" for i in range(WIDTH))),  # every column filled
    row("", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
        "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "only the last"),
]


def test_awkward_cells_are_written_as_write_string_writes_them(cells_as_given):
    expected = parts(reference_xlsx([(SHEET_TITLE, AWKWARD)]))
    got = parts(written(AWKWARD))
    # On purpose the one difference: xlsxwriter writes a cell of the form "<r>…</r>" unescaped, as rich
    # text ("<r>&</r>" makes the package unreadable); ours stays text.
    sheet = "xl/worksheets/sheet1.xml"
    assert b"<is><r>&</r></is>" in expected[sheet]
    assert b"<t>&lt;r&gt;&amp;&lt;/r&gt;</t>" in got[sheet]
    assert b"<t>&lt;r&gt;&lt;t&gt;rich?&lt;/t&gt;&lt;/r&gt;</t>" in got[sheet]
    plain = [[c for c in r] for r in AWKWARD]
    plain[2][1] = plain[2][2] = "rich"  # the same sheet without the two rich-text look-alikes
    expected = parts(reference_xlsx([(SHEET_TITLE, plain)]))
    assert parts(written(plain)) == expected


def test_the_workbook_reads_back_as_the_cells(cells_as_given):
    book = openpyxl.load_workbook(io.BytesIO(written(AWKWARD)), read_only=True)
    rows = list(book[SHEET_TITLE].iter_rows(values_only=True))
    assert list(rows[0]) == EXPORT_COLUMNS
    assert rows[1][:4] == ("2023001", None, "张三", "男")
    assert rows[2][:6] == (" leading", "trailing ", "\u3000全角空格", "中\u3000", "'\tTab", "line\nbreak")
    assert rows[2][6] == "a_x000D_\nb"  # Excel reads _x000D_ back as the carriage return; openpyxl leaves it
    assert rows[3][:2] == ("A&B <公司> \"引号\" 'single'", "<r>&</r>")
    assert rows[4][0] == "'=SUM(A1:A2)" and rows[4][5] == "'=HYPERLINK(\"http://evil\")"
    assert rows[6][0] == "😀 emoji 𠀋"
    assert len(rows[7][0]) == 32_767 and rows[7][2] == "x" * 32_767  # Excel's cell limit, as xlsxwriter cuts
    assert rows[9][WIDTH - 1] == "only the last" and set(rows[9][:-1]) == {None}


def test_sheets_per_college_and_past_the_row_limit_match_write_string(cells_as_given, monkeypatch):
    monkeypatch.setattr(exports, "SHEET_ROW_LIMIT", 4)  # 3 students a sheet
    rows = [("001", "一院", *row(f"s{i}", "", f"学生{i}")) for i in range(5)]
    rows += [("002", "二院", *row("t1", "", "学生t1"))]
    monkeypatch.setattr(exports, "export_cells", lambda rows, *, full_id: ([*r] for r in rows))
    expected = reference_xlsx([
        ("001 一院", [row(f"s{i}", "", f"学生{i}") for i in range(3)]),
        ("001 一院 (2)", [row(f"s{i}", "", f"学生{i}") for i in range(3, 5)]),
        ("002 二院", [row("t1", "", "学生t1")]),
    ])
    assert parts(written(rows, by_college=True)) == parts(expected)


def test_no_students_gives_the_header_alone(cells_as_given):
    assert parts(written([])) == parts(reference_xlsx([(SHEET_TITLE, [])]))


@pytest.mark.django_db
@pytest.mark.parametrize("full_id", [False, True])
def test_the_crafted_cohort_is_written_as_write_string_writes_it(cohort, full_id):
    """The real rows of conftest.py's cohort (every state, 境外留学, formula-like names) end to end."""
    office = cohort.users["office"]
    cells = list(export_cells(national_export_rows(user=office, year=2027), full_id=full_id))
    assert len(cells) == 11
    out, count = national_export_write(rows=national_export_rows(user=office, year=2027).iterator(),
                                       full_id=full_id, out=io.BytesIO())
    assert count == 11
    assert parts(out.getvalue()) == parts(reference_xlsx([(SHEET_TITLE, cells)]))
