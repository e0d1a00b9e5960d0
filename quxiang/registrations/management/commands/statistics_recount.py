"""`manage.py statistics_recount [--check] [--year N]`: recount every student's state from their records,
report the students whose maintained copy (roster.Student.record_state …) differs, and repair them."""

import time

from django.core.management.base import BaseCommand, CommandError

from quxiang.registrations.state import Recount, student_states_recount
from quxiang.roster.models import Student


class Command(BaseCommand):
    help = "按登记记录重新统计每名毕业生的登记状态，报告并修正与统计表不一致的学生（迁移后回填、批量导入数据后使用）。"

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="只检查不修正；有不一致时以非零状态退出")
        parser.add_argument("--year", type=int, default=None, help="只处理该毕业年份")
        parser.add_argument("--batch", type=int, default=5000, help="每批修正的学生数（每批一个短事务）")

    def handle(self, *args, check=False, year=None, batch=5000, **options):
        if batch < 1:
            raise CommandError("每批学生数必须为正数。")
        students = Student.objects.all() if year is None else Student.objects.filter(graduation_year=year)
        started = time.monotonic()

        def progress(r: Recount) -> None:
            self.stdout.write(f"  已修正 {r.fixed} 名…")

        result = student_states_recount(fix=not check, students=students, batch=batch,
                                        on_progress=progress if options["verbosity"] > 1 else None)
        for number, have, want in result.examples:
            self.stdout.write(f"  学号 {number}：统计为 {have}，按记录应为 {want}")
        self.stdout.write(
            f"共 {result.students} 名毕业生，不一致 {result.mismatched} 名，已修正 {result.fixed} 名"
            f"（{time.monotonic() - started:.1f} 秒）。"
        )
        if check and result.mismatched:
            raise CommandError(f"{result.mismatched} 名毕业生的统计状态与登记记录不一致，请运行 statistics_recount 修正。")
