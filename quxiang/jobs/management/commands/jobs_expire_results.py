"""`manage.py jobs_expire_results [--days N]`: remove old job result files from storage (the rows stay)."""

from django.core.management.base import BaseCommand, CommandError

from quxiang.jobs.conf import jobs_setting
from quxiang.jobs.services import job_results_expire


class Command(BaseCommand):
    help = "删除超过保存期限的后台任务结果文件（任务记录保留，显示“文件已过期”）。"

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None,
                            help="保存天数（默认取设置 QUXIANG['JOBS']['RESULT_DAYS']）")

    def handle(self, *args, days=None, **options):
        days = jobs_setting("RESULT_DAYS") if days is None else days
        if days < 0:
            raise CommandError("保存天数不能为负数。")
        expired = job_results_expire(days=days)
        self.stdout.write(f"已删除 {expired} 个超过 {days} 天的任务结果文件。")
