"""Idempotency-Key: a retried request on a bad mobile network gets the first answer, not a second
submission or a duplicate file."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
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
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(user=request.auth, scope=scope, key=key)
    except IntegrityError:
        record = IdempotencyRecord.objects.get(user=request.auth, scope=scope, key=key)
        if record.status_code is None:
            raise ApiError(409, "in_progress", _("相同的请求正在处理中，请稍后查看结果。")) from None
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
