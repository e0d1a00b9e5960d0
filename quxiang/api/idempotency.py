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
    """Run the request once per (user, operation, key) and replay its first answer to every retry.

    The key is claimed, the request runs and its answer is stored in one transaction, so they commit
    together or not at all: a retry sent while the first attempt still runs waits on the key's unique
    index (PostgreSQL) and then replays its answer; an attempt that fails, or whose app server dies
    mid-request (the cluster drill kills one), rolls back with its claim, and the retry simply runs. No key
    is ever left "in progress" and nothing the attempt wrote survives without its answer."""
    key = (request.headers.get("Idempotency-Key") or "").strip()
    if not key:
        return run()
    if len(key) > 100:
        raise ApiError(400, "bad_idempotency_key", _("Idempotency-Key 过长（最多 100 个字符）。"))
    with transaction.atomic():
        record, answered = _claim(request.auth, scope, key)
        if answered:
            return record.status_code, record.body
        status, body = run()
        record.status_code = status
        record.body = json.loads(json.dumps(body, cls=_FullPrecision))
        record.save(update_fields=["status_code", "body"])
    return status, body


def _claim(user, scope: str, key: str) -> tuple[IdempotencyRecord, bool]:
    """(record, True) with the stored answer, or (a new record, False) that this request answers. The
    insert waits for a concurrent attempt with the same key to commit or roll back."""
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(user=user, scope=scope, key=key), False
    except IntegrityError:
        pass
    record = IdempotencyRecord.objects.select_for_update().get(user=user, scope=scope, key=key)
    if record.status_code is None:
        # Committed without an answer: only rows written before claims committed with their answers can
        # look like this; nothing is running for them, so this request answers it.
        return record, False
    return record, True
