"""Messages to students. Goes through Django's email backend (a setting): console in development,
SMTP in production; a WeChat or SMS notifier can replace this one function."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.mail import get_connection, send_mass_mail
from django.db import transaction

logger = logging.getLogger(__name__)


def notify_students(*, students, subject: str, body: str) -> int:
    school = settings.QUXIANG["SCHOOL_NAME"]
    messages = [
        (f"[{school}] {subject}", f"{s.name}同学：\n\n{body}\n\n{school}就业指导中心", settings.DEFAULT_FROM_EMAIL, [s.email])
        for s in students
        if s.email
    ]
    if not messages:
        return 0
    return send_mass_mail(messages, fail_silently=False, connection=get_connection())


# --- decision channels (issue 10) -----------------------------------------------------------------
# A staff decision (鉴证 / 退回) is announced through every registered channel once it has committed. The
# reviews app cannot import the WeChat code (layers contract: api sits above reviews), so the api app
# registers its channel here from ApiConfig.ready(). A channel gets the registration id and must not raise
# for an expected failure; anything it does raise is logged here and never reaches the decision.
DecisionChannel = Callable[[int], None]
_DECISION_CHANNELS: dict[str, DecisionChannel] = {}


def decision_channel_register(name: str, channel: DecisionChannel) -> None:
    _DECISION_CHANNELS[name] = channel


def notify_decision(*, registration_id: int) -> None:
    """Run every channel for a committed decision (call it from transaction.on_commit)."""
    for name, channel in list(_DECISION_CHANNELS.items()):
        try:
            channel(registration_id)
        except Exception:
            logger.exception("decision notification channel %s failed for registration %s", name, registration_id)


def notify_decision_on_commit(*, registration_id: int) -> None:
    transaction.on_commit(functools.partial(notify_decision, registration_id=registration_id))
