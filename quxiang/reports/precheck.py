"""预检 (issue 14): every record in the user's scope checked against a profile before the file is uploaded.

The checks are the export's own (`CompiledProfile.evaluate`): required fields for the record's 去向 code, values
in the code tables, widths, the ID and USCC check digits, the school's codes. The office sees the whole cohort,
a counselor their classes, a college officer their college (`scope()`), each with who can fix each problem."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field

import xlsxwriter
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from quxiang.accounts.models import User
from quxiang.core.xlsx import safe_cell
from quxiang.reports.exports import EXPORT_CHUNK_SIZE
from quxiang.reports.models import ExportProfile, Fixer
from quxiang.reports.profiles import Problem, profile_compile, profile_rows

# The page lists this many problems; the xlsx has all of them.
PAGE_LIMIT = 500


@dataclass
class PrecheckResult:
    profile: ExportProfile
    year: int
    students: int = 0
    clean: int = 0
    problems: list[Problem] = field(default_factory=list)
    settings_problems: list[str] = field(default_factory=list)  # the school's codes: said once, stop the export

    @property
    def failing(self) -> int:
        return self.students - self.clean

    @property
    def by_field(self) -> list[tuple[str, int]]:
        return Counter(p.field_name for p in self.problems).most_common()

    @property
    def by_fixer(self) -> list[tuple[str, int]]:
        counts = Counter(p.fixer for p in self.problems)
        return [(str(label), counts[value]) for value, label in Fixer.choices if counts[value]]


def precheck_run(*, user: User, profile: ExportProfile, year: int) -> PrecheckResult:
    """Check every student of the cohort `year` in `user`'s scope against `profile`."""
    compiled = profile_compile(profile=profile, full_id=False)
    result = PrecheckResult(profile=profile, year=year, settings_problems=compiled.settings_problems())
    for t in profile_rows(user=user, year=year).iterator(chunk_size=EXPORT_CHUNK_SIZE):
        result.students += 1
        found = compiled.problems_of(t)
        if found:
            result.problems.extend(found)
        else:
            result.clean += 1
    return result


def problem_url(problem: Problem) -> str:
    """The staff record page of the problem's record, or the 未登记 list for a student without one."""
    if problem.record_id:
        return reverse("reviews:record", kwargs={"pk": problem.record_id})
    return reverse("reviews:unregistered")


PRECHECK_HEADERS = ["学号", "姓名", "班级", "字段代码", "字段", "问题", "由谁修改", "记录链接"]


def precheck_xlsx(*, result: PrecheckResult, base_url: str) -> bytes:
    """Every problem of `result` as a workbook (text cells; the link is the full address of the record page)."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                                     "strings_to_urls": False})
    sheet = book.add_worksheet(_("预检问题"))
    bold = book.add_format({"bold": True})
    title = _("%(y)d 届 · %(p)s · 预检（%(at)s）：%(n)d 名毕业生，%(c)d 名通过，%(f)d 名有问题") % {
        "y": result.year, "p": str(result.profile), "at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "n": result.students, "c": result.clean, "f": result.failing}
    sheet.write_string(0, 0, safe_cell(title), bold)
    for col, name in enumerate(PRECHECK_HEADERS):
        sheet.write_string(2, col, name, bold)
    for r, p in enumerate(result.problems, start=3):
        cells = [p.student_number, p.name, p.class_name, p.field_code, p.field_name, p.message, p.fixer_label,
                 base_url + problem_url(p)]
        for col, value in enumerate(cells):
            sheet.write_string(r, col, safe_cell(value))
    sheet.freeze_panes(3, 0)
    sheet.set_column(0, 4, 14)
    sheet.set_column(5, 5, 40)
    sheet.set_column(6, 7, 16)
    book.close()
    return buf.getvalue()
