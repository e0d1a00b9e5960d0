"""Idempotency-Key: a retried request on a bad mobile network gets the first answer, not a second
submission or a duplicate file."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from quxiang.api.errors import ApiError
from quxiang.api.models import IdempotencyRecord


class _FullPrecision(DjangoJSONEncoder):
    """Timestamps keep their microseconds, so a replay renders exactly like the first answer."""

    def default(self, o):
        if isinstance(o, dt.datetime | dt.time):
            return o.isoformat()
        return super().default(o)


def idempotent(request, *, scope: str, run: Callable[[], tuple[int, dict]]) -> tuple[int, dict]:
    key = (request.headers.get("Idempotency-Key") or "").strip()
    if not key:
        return run()
    if len(key) > 100:
        raise ApiError(400, "bad_idempotency_key", _("Idempotency-Key 过长（最多 100 个字符）。"))
    record = _claim(request.auth, scope, key)
    if record.status_code is not None:
        return record.status_code, record.body
    try:
        status, body = run()
    except BaseException:
        record.delete()  # a failed attempt may be retried with the same key
        raise
    record.status_code = status
    record.body = json.loads(json.dumps(body, cls=_FullPrecision))
    record.save(update_fields=["status_code", "body"])
    return status, body


def _claim(user, scope: str, key: str) -> IdempotencyRecord:
    """The record this request answers through: a new one (status_code None), or the stored answer.

    A record still without an answer after IDEMPOTENCY_ABANDON_SECONDS (longer than gunicorn's request
    timeout) belongs to an attempt whose server died between claiming the key and answering (the cluster
    drill found it): it is taken over once, by a conditional delete, so the retry runs instead of getting
    409 for ever. Whatever that attempt committed is then met by the service's own state checks."""
    abandon_after = dt.timedelta(seconds=settings.QUXIANG.get("IDEMPOTENCY_ABANDON_SECONDS", 90))
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(user=user, scope=scope, key=key)
        except IntegrityError:
            record = IdempotencyRecord.objects.get(user=user, scope=scope, key=key)
            if record.status_code is not None:
                return record
            taken_over = IdempotencyRecord.objects.filter(
                pk=record.pk, status_code__isnull=True, created_at__lt=timezone.now() - abandon_after,
            ).delete()[0]
            if not taken_over:
                break
    raise ApiError(409, "in_progress", _("相同的请求正在处理中，请稍后查看结果。"))
