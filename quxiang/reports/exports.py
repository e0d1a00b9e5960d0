"""xlsx files of the reports. Text cells are written with write_string and escaped (`safe_cell`), so IDs and
codes stay text and nothing is read as a formula; counts and rates are numbers."""

from __future__ import annotations

import io
import itertools
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO

import xlsxwriter
from xlsxwriter.utility import _utf16_len, _utf16_truncate, xl_col_to_name

from quxiang.core.xlsx import safe_cell
from quxiang.reports.models import HeaderMode
from quxiang.reports.national import EXPORT_COLUMNS, export_cells
from quxiang.reports.profiles import CompiledProfile, profile_cells
from quxiang.reports.tables import Pct, Table

_SAFE_OPTIONS = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
EXPORT_CHUNK_SIZE = 2000
# Excel's rows per sheet (the header row included); past it a sheet goes on in another one.
SHEET_ROW_LIMIT = 1_048_576
SHEET_TITLE = "毕业去向"


def table_xlsx(*, table: Table, title: str) -> bytes:
    """One statistics table as a small workbook (built in memory: a table has at most a few hundred rows)."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, **_SAFE_OPTIONS})
    sheet = book.add_worksheet(table.title[:31].replace("/", "-"))
    bold = book.add_format({"bold": True})
    pct = book.add_format({"num_format": "0.0%"})
    sheet.write_string(0, 0, safe_cell(title), bold)
    for col, name in enumerate(table.columns):
        sheet.write_string(2, col, safe_cell(name), bold)
    for r, row in enumerate(table.rows, start=3):
        for col, cell in enumerate(row):
            if isinstance(cell, Pct):
                if cell.value is None:
                    sheet.write_blank(r, col, None)
                else:
                    sheet.write_number(r, col, cell.value / 100, pct)
            elif isinstance(cell, int) and col >= table.text_columns:
                sheet.write_number(r, col, cell)
            else:
                sheet.write_string(r, col, safe_cell(cell))
    sheet.set_column(0, max(table.text_columns - 1, 0), 22)
    sheet.set_column(table.text_columns, len(table.columns) - 1, 12)
    book.close()
    return buf.getvalue()


def national_export_write(
    *, rows: Iterable[tuple], full_id: bool, out: IO[bytes] | None = None, by_college: bool = False,
    progress: Callable[[int], None] | None = None, progress_every: int = EXPORT_CHUNK_SIZE,
) -> tuple[IO[bytes], int]:
    """Write the national export of `rows` (tuples of `national_export_rows`) with constant memory.

    xlsxwriter's constant_memory mode flushes every row to a temporary file as it goes (and writes strings
    inline instead of a shared-string table), so memory does not grow with the cohort. The data rows are
    written by `_RowWriter`: the XML xlsxwriter's write_string writes, built a row at a time (6× faster;
    pinned byte for byte by test_export_cells.py). `by_college`: rows of `national_export_rows(by_college=True)`,
    one sheet per college. A sheet that reaches Excel's row limit goes on in a new sheet ("… (2)"):
    xlsxwriter would otherwise drop the rows past it without a word. `progress(n)` is called every
    `progress_every` students. The workbook goes to `out` or to an anonymous temporary file that disappears
    when it is closed. Returns (file at offset 0, students)."""
    out = out if out is not None else tempfile.TemporaryFile(prefix="quxiang-export-", suffix=".xlsx")
    book = xlsxwriter.Workbook(out, {"constant_memory": True, **_SAFE_OPTIONS})
    bold = book.add_format({"bold": True})
    names: set[str] = set()

    def new_sheet(title: str) -> _RowWriter:
        sheet = book.add_worksheet(_sheet_name(title, names))
        sheet.freeze_panes(1, 0)
        sheet.set_column(0, len(EXPORT_COLUMNS) - 1, 14)
        for col, name in enumerate(EXPORT_COLUMNS):
            sheet.write_string(0, col, name, bold)
        return _RowWriter(sheet)

    count = 0
    for title, group in _groups(rows, by_college=by_college):
        writer, part = new_sheet(title), 1
        for cells in export_cells(group, full_id=full_id):
            if writer.rows >= SHEET_ROW_LIMIT - 1:  # the header takes one row of each sheet
                writer.close()
                part += 1
                writer = new_sheet(f"{title} ({part})")
            writer.write(cells)
            count += 1
            if progress is not None and count % progress_every == 0:
                progress(count)
        writer.close()
    if not names:  # nobody to export: the header alone
        new_sheet(SHEET_TITLE).close()
    book.close()
    out.seek(0)
    return out, count


def profile_export_write(
    *, rows: Iterable[tuple], compiled: CompiledProfile, clean_only: bool = False, out: IO[bytes] | None = None,
    progress: Callable[[int], None] | None = None, progress_every: int = EXPORT_CHUNK_SIZE,
) -> tuple[IO[bytes], int]:
    """Write `rows` (tuples of `profiles.profile_rows`) in the layout of an export profile, with constant memory
    like `national_export_write`: the field codes as the first row, the Chinese names as the second row or on a
    “说明” sheet after the data (the loader reads the first sheet), every cell text. With `clean_only`, records
    with a pre-check problem are left out. `progress(n)` counts the students read. Returns (file at 0, rows written)."""
    out = out if out is not None else tempfile.TemporaryFile(prefix="quxiang-export-", suffix=".xlsx")
    book = xlsxwriter.Workbook(out, {"constant_memory": True, **_SAFE_OPTIONS})
    bold = book.add_format({"bold": True})
    names: set[str] = set()
    two_rows = compiled.header_mode == HeaderMode.TWO_ROWS
    columns = len(compiled.columns)

    def new_sheet(title: str) -> _RowWriter:
        sheet = book.add_worksheet(_sheet_name(title, names))
        sheet.freeze_panes(2 if two_rows else 1, 0)
        for col, column in enumerate(compiled.columns):
            sheet.set_column(col, col, min(max(column.width, len(column.code)) + 2, 40))
        for col, code in enumerate(compiled.codes):
            sheet.write_string(0, col, code, bold)
        if two_rows:
            for col, name in enumerate(compiled.names):
                sheet.write_string(1, col, safe_cell(name), bold)
        return _RowWriter(sheet, columns=columns, header_rows=2 if two_rows else 1)

    read = 0

    def counted(source: Iterable[tuple]) -> Iterator[tuple]:
        nonlocal read
        for t in source:
            read += 1
            if progress is not None and read % progress_every == 0:
                progress(read)
            yield t

    title = compiled.sheet_title or SHEET_TITLE
    limit = SHEET_ROW_LIMIT - (2 if two_rows else 1)
    writer, part, count = new_sheet(title), 1, 0
    for cells in profile_cells(counted(rows), compiled=compiled, clean_only=clean_only):
        if writer.rows >= limit:
            writer.close()
            part += 1
            writer = new_sheet(f"{title} ({part})")
        writer.write(cells)
        count += 1
    writer.close()
    if not two_rows:
        notes = book.add_worksheet(_sheet_name("说明", names))
        for col, head in enumerate(["字段代码", "中文名称", "宽度", "定长", "代码表", "日期格式", "必填条件"]):
            notes.write_string(0, col, head, bold)
        for r, c in enumerate(compiled.columns, start=1):
            required = "*" if c.required_all else ",".join(sorted(c.required_codes))
            for col, value in enumerate([c.code, c.name, str(c.width), "是" if c.fixed else "", c.table,
                                         c.date_format.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD"),
                                         required]):
                notes.write_string(r, col, safe_cell(value))
        notes.set_column(0, 6, 16)
    book.close()
    out.seek(0)
    return out, count


# What xlsxwriter changes in a string cell (quxiang.core.xlsx.safe_cell has run before): XML's &, < and >,
# control characters (→ _xHHHH_) and text that already looks like such an escape (→ _x005F_xHHHH_).
_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b-\x1f]|_x[0-9a-fA-F]{4}_")
_CONTROL_ESCAPE_LIKE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
# A cell's text is at most 32,767 UTF-16 units; a string shorter than half of it cannot exceed it.
_MAX_CHARS_UNCHECKED = 32_767 // 2


class _RowWriter:
    """Appends rows of text cells below the header of an xlsxwriter worksheet in constant_memory mode.

    It writes into the worksheet's own row file what `sheet.write_string(row, col, text)` for each
    non-empty cell would have written there — `<row r="…"><c r="A2" t="inlineStr"><is><t>…</t></is></c>…`,
    the same escapes, the same xml:space="preserve" — but one string per row instead of six calls per cell
    (~1 µs per cell instead of ~6 µs). One difference, on purpose: xlsxwriter writes a cell that starts with
    "<r>" and ends with "</r>" unescaped, as rich text; here it is text like any other (a student's "<r>&</r>"
    would otherwise break the whole file). `close()` hands the sheet back to xlsxwriter with its dimensions."""

    def __init__(self, sheet, *, columns: int = len(EXPORT_COLUMNS), header_rows: int = 1) -> None:
        self.sheet = sheet
        self.rows = 0
        self._header_rows = header_rows
        self._max_col = columns - 1
        # Flush the header row(s); xlsxwriter now expects row `header_rows` (0-based) onwards.
        sheet._write_single_row(header_rows)
        self._write = sheet.fh.write
        self._refs = [f'<c r="{xl_col_to_name(col)}' for col in range(columns)]

    def write(self, cells: list[str]) -> None:
        self.rows += 1
        n = str(self.rows + self._header_rows)  # Excel's row number: the header is row 1 (and 2)
        escape = _NEEDS_ESCAPE.search("".join(cells)) is not None  # rare: escape cell by cell only then
        parts = [f'<row r="{n}">']
        for ref, value in zip(self._refs, cells, strict=True):
            if not value:
                continue
            value = safe_cell(value)
            if escape or len(value) > _MAX_CHARS_UNCHECKED:
                value = _inline_text(value)
            if value[0].isspace() or value[-1].isspace():
                parts.append(f'{ref}{n}" t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>')
            else:
                parts.append(f'{ref}{n}" t="inlineStr"><is><t>{value}</t></is></c>')
        parts.append("</row>")
        self._write("".join(parts))

    def close(self) -> None:
        if self.rows:
            self.sheet._check_dimensions(self.rows + self._header_rows - 1, self._max_col)
        self.sheet.previous_row = self.rows + self._header_rows


def _inline_text(value: str) -> str:
    """xlsxwriter's treatment of a long or unusual string: truncated to Excel's cell limit, control characters
    escaped as _xHHHH_, then XML-escaped."""
    if _utf16_len(value) > 32_767:
        value = _utf16_truncate(value, 32_767)
    value = _CONTROL_ESCAPE_LIKE.sub(r"_x005F\1", value)
    value = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _groups(rows: Iterable[tuple], *, by_college: bool) -> Iterator[tuple[str, Iterable[tuple]]]:
    """(sheet title, rows) pairs: one sheet, or one per college (rows sorted by college code, which the
    first two fields of each row carry: code and name)."""
    if not by_college:
        yield SHEET_TITLE, rows
        return
    for (code, name), group in itertools.groupby(rows, key=lambda r: (r[0], r[1])):
        yield f"{code} {name}".strip(), (r[2:] for r in group)


def _sheet_name(title: str, taken: set[str]) -> str:
    """A name Excel accepts: at most 31 characters, none of []:*?/\\, no apostrophe at either end, unique
    (ignoring case)."""
    clean = re.sub(r"[\[\]:*?/\\]", "-", title).strip("'") or SHEET_TITLE
    name, n = clean[:31].rstrip("'"), 1
    while name.casefold() in taken:
        n += 1
        suffix = f"~{n}"
        name = clean[:31 - len(suffix)].rstrip("'") + suffix
    taken.add(name.casefold())
    return name
