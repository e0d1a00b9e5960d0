"""The national export's background job: kind KIND_EXPORT, run by the generic Celery task `jobs.run`."""

from django.utils.translation import gettext_lazy

from quxiang.jobs.registry import job_kind_register
from quxiang.reports.jobs import KIND_EXPORT, national_export_handler

job_kind_register(KIND_EXPORT, handler=national_export_handler, label=gettext_lazy("毕业去向上报导出"))
