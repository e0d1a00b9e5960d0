"""The 审核结果通知 job (issue 10): kind KIND_REVIEW_NOTIFY, run by the generic task `jobs.run`."""

from django.utils.translation import gettext_lazy

from quxiang.api.notify import KIND_REVIEW_NOTIFY, review_notification_send
from quxiang.jobs.models import Job
from quxiang.jobs.registry import job_kind_register


def review_notify_handler(job: Job) -> None:
    review_notification_send(registration_id=int(job.params["registration"]), status=str(job.params["status"]))


job_kind_register(KIND_REVIEW_NOTIFY, handler=review_notify_handler, label=gettext_lazy("微信审核结果通知"))
