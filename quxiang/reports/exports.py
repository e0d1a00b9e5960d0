"""xlsx files of the reports. Text cells are written with write_string and escaped (`safe_cell`), so IDs and
codes stay text and nothing is read as a formula; counts and rates are numbers."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterable
from typing import IO

import xlsxwriter

from quxiang.core.xlsx import safe_cell
from quxiang.reports.selectors import EXPORT_COLUMNS, export_cells
from quxiang.reports.tables import Pct, Table

_SAFE_OPTIONS = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
EXPORT_CHUNK_SIZE = 2000


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


def national_export_write(*, rows: Iterable[tuple], full_id: bool, out: IO[bytes] | None = None) -> tuple[IO[bytes], int]:
    """Write the national export of `rows` (tuples of `national_export_rows`) with constant memory.

    xlsxwriter's constant_memory mode flushes every row to a temporary file as it goes (and writes strings
    inline instead of a shared-string table), so memory does not grow with the cohort. The workbook goes to
    `out` or to an anonymous temporary file that disappears when it is closed. Returns (file at offset 0,
    number of students)."""
    out = out if out is not None else tempfile.TemporaryFile(prefix="quxiang-export-", suffix=".xlsx")
    book = xlsxwriter.Workbook(out, {"constant_memory": True, **_SAFE_OPTIONS})
    sheet = book.add_worksheet("毕业去向")
    bold = book.add_format({"bold": True})
    sheet.freeze_panes(1, 0)
    sheet.set_column(0, len(EXPORT_COLUMNS) - 1, 14)
    for col, name in enumerate(EXPORT_COLUMNS):
        sheet.write_string(0, col, name, bold)
    write = sheet.write_string
    count = 0
    for count, cells in enumerate(export_cells(rows, full_id=full_id), start=1):
        for col, value in enumerate(cells):
            if value:
                write(count, col, safe_cell(value))
    book.close()
    out.seek(0)
    return out, count
