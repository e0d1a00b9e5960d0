"""python manage.py seed_demo — load the demo school (idempotent; see quxiang/roster/demo/)."""

import time

from django.core.management.base import BaseCommand

from quxiang.reference.models import Region
from quxiang.roster.demo import DEMO_GRADUATION_YEAR, accounts_block, load_demo_school, sample_students


class Command(BaseCommand):
    help = "创建演示学校：学院、专业、班级、教职工账号、300 名毕业生及单位库（可重复运行，不会重复创建）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--full-strength-hashes",
            action="store_true",
            help="Hash initial student passwords with the full default work factor (slow: ~1 min).",
        )
        parser.add_argument("--quiet-accounts", action="store_true", help="Do not print the demo accounts.")

    def handle(self, *args, full_strength_hashes=False, quiet_accounts=False, **options):
        started = time.monotonic()
        school, summary = load_demo_school(full_strength_hashes=full_strength_hashes)
        elapsed = time.monotonic() - started
        if summary.total_created:
            details = "，".join(f"{label} {n}" for label, n in summary.created.items() if n)
            self.stdout.write(
                self.style.SUCCESS(f"演示数据已创建 / demo data created: {details}（{elapsed:.1f} s）")
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"演示数据已存在，未作任何修改 / demo data already present, nothing changed ({elapsed:.1f} s)"
                )
            )
        self.stdout.write(f"毕业年份 / graduation year: {DEMO_GRADUATION_YEAR}")
        if not quiet_accounts:
            codes = {s.origin_code for s in sample_students(school)}
            names = dict(Region.objects.filter(code__in=codes).values_list("code", "full_name"))
            self.stdout.write(accounts_block(school, region_names=names))
