"""审核结果通知: a WeChat subscribe message to the student when a counselor verifies or returns their record.

The decision commits first (quxiang/reviews/services.py → core.notify.notify_decision_on_commit); the
channel registered here (ApiConfig.ready) then queues a job (quxiang/api/tasks.py) so that a slow or absent
WeChat never holds the counselor's request — a bulk 鉴证 of a class would otherwise wait up to the read
timeout per student. Every failure is logged (and kept on the job row); none reaches the decision."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from quxiang.api.models import WeChatBinding
from quxiang.api.wechat import WeChatError, wechat_subscribe_send
from quxiang.core.errors import DomainError
from quxiang.registrations.models import Registration, Status

logger = logging.getLogger(__name__)

KIND_REVIEW_NOTIFY = "api.review_notify"
NO_SUBSCRIPTION = 43101  # the student refused, or used up, the one-time subscription: not retried
# WeChat's limits on template values: thing ≤ 20 characters, phrase ≤ 5.
_THING_MAX = 20


def _clip(text: str, limit: int = _THING_MAX) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def review_notification_data(*, registration: Registration) -> dict[str, str]:
    """The template data, keyed by the keywords of settings QUXIANG["WECHAT"]["REVIEW_TEMPLATE_FIELDS"]."""
    fields = settings.QUXIANG["WECHAT"]["REVIEW_TEMPLATE_FIELDS"]
    verified = registration.status == Status.VERIFIED
    when = timezone.localtime(registration.verified_at if verified and registration.verified_at
                              else registration.updated_at)
    values = {
        "name": _clip(registration.student.name),
        "result": _("鉴证通过") if verified else _("已退回"),
        "reason": _clip(registration.return_reason) if not verified else _("无"),
        "time": when.strftime("%Y-%m-%d %H:%M"),
    }
    return {fields[key]: str(value) for key, value in values.items() if fields.get(key)}


def review_notification_queue(registration_id: int) -> None:
    """The decision channel (runs after COMMIT): queue a send for a bound student, else do nothing."""
    from quxiang.jobs.services import job_create, job_enqueue

    if not settings.QUXIANG["WECHAT"].get("REVIEW_TEMPLATE_ID"):
        logger.info("review notification skipped for registration %s: no template id set", registration_id)
        return
    reg = Registration.objects.select_related("student").filter(pk=registration_id).first()
    if reg is None or reg.status not in (Status.VERIFIED, Status.RETURNED):
        return
    if not WeChatBinding.objects.filter(user_id=reg.student.user_id).exists():
        return  # the student never bound the mini-program: nobody to tell through WeChat
    # The decision as it committed: a later change of the record does not alter this message.
    job = job_create(kind=KIND_REVIEW_NOTIFY, params={"registration": reg.pk, "status": reg.status})
    job_enqueue(job=job)


def review_notification_send(*, registration_id: int, status: str) -> bool:
    """Send the message (the job's body). True when WeChat accepted it; False when there is nothing to send
    or the student has no subscription (43101, logged); other failures are logged and raised as DomainError
    so that the job row records them."""
    reg = Registration.objects.select_related("student").filter(pk=registration_id).first()
    binding = WeChatBinding.objects.filter(user_id=reg.student.user_id).first() if reg else None
    if reg is None or binding is None:
        return False
    reg.status = status
    conf = settings.QUXIANG["WECHAT"]
    try:
        wechat_subscribe_send(openid=binding.openid, template_id=conf["REVIEW_TEMPLATE_ID"],
                              data=review_notification_data(registration=reg), page=conf.get("REVIEW_PAGE", ""))
    except WeChatError as exc:
        if exc.code == f"wechat_errcode_{NO_SUBSCRIPTION}":
            logger.info("review notification for registration %s not sent: no subscription (43101)", reg.pk)
            return False
        logger.warning("review notification for registration %s failed: %s %s", reg.pk, exc.code, exc.message)
        raise DomainError(_("审核结果通知未能发送到微信（%(code)s）。") % {"code": exc.code},
                          code="wechat_notify_failed") from None
    logger.info("review notification sent for registration %s", reg.pk)
    return True
