"""xlsx downloads for staff. IDs and numbers are text cells; cells are escaped against formula injection."""

from __future__ import annotations

import io

import xlsxwriter
from django.http import HttpResponse

from quxiang.core.xlsx import safe_cell, xlsx_response
from quxiang.registrations.models import Status


def unregistered_xlsx(*, students) -> HttpResponse:
    labels = dict(Status.choices)
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False})
    sheet = book.add_worksheet("未登记名单")
    header = ["学号", "姓名", "学院", "专业", "班级", "状态", "退回原因", "手机号", "电子邮箱"]
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, header, bold)
    for row, s in enumerate(students, start=1):
        status = labels.get(s.record_status, "未登记") if s.record_status else "未登记"
        values = [s.student_number, s.name, s.college.name, s.major.name, s.school_class.name, status,
                  s.return_reason or "", s.phone, s.email]
        for col, value in enumerate(values):
            sheet.write_string(row, col, safe_cell(value))
    sheet.set_column(0, 0, 14)
    sheet.set_column(1, 8, 16)
    book.close()
    return xlsx_response(content=buf.getvalue(), stem="unregistered")
