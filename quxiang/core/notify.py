"""Messages to students. Goes through Django's email backend (a setting): console in development,
SMTP in production; a WeChat or SMS notifier can replace this one function."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import get_connection, send_mass_mail


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
