"""xlsx files the import page hands out: the blank roster template and the list of problem rows."""

from __future__ import annotations

import io
from collections.abc import Sequence

import xlsxwriter
from stdnum.cn import ric

from quxiang.core.xlsx import safe_cell
from quxiang.imports.columns import COLUMNS, EXAMPLE_MARK
from quxiang.imports.models import ImportJob

TEMPLATE_ROWS = 20_000  # rows that get the drop-down lists of 性别 and 学历层次


def example_national_id() -> str:
    """A valid ID from 钱塘区 (330114, created 2021) for the example row."""
    body = "33011420050512123"
    return body + ric.calc_check_digit(body + "0")


def template_xlsx_build(*, majors: Sequence[tuple[str, str, str, str]]) -> bytes:
    """The roster template: 毕业生名单 (header, text-formatted ID/code columns, one example row),
    填写说明 (one line per column) and 专业代码表 (the colleges and majors the system knows).
    `majors` holds (college name, major code, major name, level label)."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False})
    head = book.add_format({"bold": True, "bg_color": "#DCE6F2", "border": 1, "align": "center"})
    head_required = book.add_format({"bold": True, "bg_color": "#DCE6F2", "border": 1, "align": "center",
                                     "font_color": "#C0392B"})
    text = book.add_format({"num_format": "@"})
    example = book.add_format({"num_format": "@", "font_color": "#6B7480", "italic": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})

    sheet = book.add_worksheet("毕业生名单")
    college, code, major_name, level = majors[0] if majors else ("机械工程学院", "080202", "机械设计制造及其自动化", "本科")
    sample = {c.key: c.example for c in COLUMNS}
    sample.update(national_id=example_national_id(), college=college, major_code=code, major_name=major_name,
                  education_level=level)
    for col, column in enumerate(COLUMNS):
        sheet.set_column(col, col, column.width, text if column.text else None)
        sheet.write_string(0, col, column.header, head_required if column.required else head)
        sheet.write_string(1, col, sample[column.key], example)
    sheet.freeze_panes(1, 0)
    keys = [c.key for c in COLUMNS]
    sheet.data_validation(1, keys.index("gender"), TEMPLATE_ROWS, keys.index("gender"),
                          {"validate": "list", "source": ["男", "女"]})
    sheet.data_validation(1, keys.index("education_level"), TEMPLATE_ROWS, keys.index("education_level"),
                          {"validate": "list", "source": ["本科", "硕士", "博士"]})

    notes = book.add_worksheet("填写说明")
    notes.set_column(0, 0, 14)
    notes.set_column(1, 1, 8)
    notes.set_column(2, 2, 70)
    notes.set_column(3, 3, 24)
    for col, title in enumerate(["列名", "是否必填", "填写要求", "示例"]):
        notes.write_string(0, col, title, head)
    for row, column in enumerate(COLUMNS, start=1):
        notes.write_string(row, 0, column.header)
        notes.write_string(row, 1, "必填" if column.required else "选填")
        notes.write_string(row, 2, column.help, wrap)
        notes.write_string(row, 3, sample[column.key])
    general = [
        "· 第一行为表头，列名须与模板一致（列的顺序可以调整，多余的列会被忽略）；从第二行起每行一名毕业生。",
        f"· 姓名以“{EXAMPLE_MARK}”结尾的行是示例，导入时自动跳过；可直接删除。",
        "· 按学号判断：系统中没有的学号新建学生和登录账号（用户名为学号，初始密码为身份证号后几位，首次登录须修改）；"
        "已有的学号更新其信息，不会改动已有账号的密码。",
        "· 选填列整列不存在时，不改动已有学生的该项信息；列存在而单元格为空时，清空该项。",
        "· 身份证号、学号、代码等请设置为文本格式；数字格式的长号码会被 Excel 截断。",
        "· 上传后先显示检查结果（每个有问题的行及原因），确认后再导入；有问题的行不会导入。",
    ]
    start = len(COLUMNS) + 2
    for i, line in enumerate(general):
        notes.merge_range(start + i, 0, start + i, 3, line, wrap)
        notes.set_row(start + i, 30)

    codes = book.add_worksheet("专业代码表")
    for col, (title, width) in enumerate([("学院", 26), ("专业代码", 12), ("专业名称", 28), ("学历层次", 10)]):
        codes.set_column(col, col, width, text)
        codes.write_string(0, col, title, head)
    for row, values in enumerate(majors, start=1):
        for col, value in enumerate(values):
            codes.write_string(row, col, safe_cell(value))
    codes.freeze_panes(1, 0)
    sheet.activate()
    book.close()
    return buf.getvalue()


def problems_xlsx_build(*, job: ImportJob) -> bytes:
    """One line per problem row: Excel row number, 学号, 姓名, reasons."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False})
    head = book.add_format({"bold": True, "bg_color": "#DCE6F2", "border": 1})
    sheet = book.add_worksheet("问题行")
    for col, (title, width) in enumerate([("行号", 8), ("学号", 14), ("姓名", 12), ("问题", 100)]):
        sheet.set_column(col, col, width)
        sheet.write_string(0, col, title, head)
    for row, problem in enumerate(job.problems, start=1):
        sheet.write_number(row, 0, problem["row"])
        sheet.write_string(row, 1, safe_cell(problem.get("student_number", "")))
        sheet.write_string(row, 2, safe_cell(problem.get("name", "")))
        sheet.write_string(row, 3, safe_cell("；".join(problem.get("reasons", []))))
    sheet.freeze_panes(1, 0)
    book.close()
    return buf.getvalue()
