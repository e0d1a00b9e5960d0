"""The roster import's background jobs: the two kinds the generic Celery task `jobs.run` runs."""

from django.utils.translation import gettext_lazy

from quxiang.imports.jobs import (
    KIND_APPLY,
    KIND_CHECK,
    import_apply_handler,
    import_check_handler,
    import_job_on_fail,
)
from quxiang.jobs.registry import job_kind_register

job_kind_register(KIND_CHECK, handler=import_check_handler, on_fail=import_job_on_fail,
                  label=gettext_lazy("名单导入检查"))
job_kind_register(KIND_APPLY, handler=import_apply_handler, on_fail=import_job_on_fail,
                  label=gettext_lazy("名单导入"))
