"""The national export's background job: kind KIND_EXPORT, run by the generic Celery task `jobs.run`."""

from quxiang.jobs.registry import job_kind_register
from quxiang.reports.jobs import KIND_EXPORT, national_export_handler

job_kind_register(KIND_EXPORT, handler=national_export_handler)
