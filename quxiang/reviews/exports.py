"""xlsx files for staff. IDs and numbers are text cells; cells are escaped against formula injection."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import IO

import xlsxwriter
from django.utils.translation import gettext as _

from quxiang.core.xlsx import safe_cell
from quxiang.registrations.models import Status

# Excel's last row (1,048,576) less the header: a longer list goes on in a second sheet.
SHEET_ROWS = 1_048_575
UNREGISTERED_STEM = "unregistered"


def unregistered_xlsx_write(
    *, students: Iterable, out: IO[bytes], progress: Callable[[int], None] | None = None, progress_every: int = 1000,
) -> int:
    """Write the 未登记 list of `students` (rows of reviews.selectors.students_unregistered) to `out` with
    constant memory (xlsxwriter flushes each row to a temporary file; strings are written inline). A list
    longer than an Excel sheet goes on in "未登记名单 (2)". Returns the number of students written."""
    labels = dict(Status.choices)
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                     "strings_to_numbers": False, "strings_to_urls": False})
    bold = book.add_format({"bold": True})
    header = [_("学号"), _("姓名"), _("学院"), _("专业"), _("班级"), _("状态"), _("退回原因"), _("手机号"), _("电子邮箱")]
    title = _("未登记名单")
    not_registered = _("未登记")

    def new_sheet(number: int):
        sheet = book.add_worksheet(title if number == 1 else f"{title} ({number})")
        sheet.set_column(0, 0, 14)
        sheet.set_column(1, 8, 16)
        sheet.write_row(0, 0, header, bold)
        return sheet

    sheets = 1
    sheet = new_sheet(sheets)
    row = 0
    count = 0
    for s in students:
        if row == SHEET_ROWS:
            sheets += 1
            sheet, row = new_sheet(sheets), 0
        row += 1
        count += 1
        status = labels.get(s.record_status, not_registered) if s.record_status else not_registered
        values = [s.student_number, s.name, s.college.name, s.major.name, s.school_class.name, status,
                  s.return_reason or "", s.phone, s.email]
        for col, value in enumerate(values):
            sheet.write_string(row, col, safe_cell(value))
        if progress is not None and count % progress_every == 0:
            progress(count)
    book.close()
    out.seek(0)
    return count
