"""Log scrubbing: no national ID number (身份证号) or mobile number (手机号) reaches a log in full.

`OutageNoiseFilter` (below) keeps a database restart from filling the log with one traceback per request.

`MaskPersonalDataFilter` is a `logging.Filter` meant for *handlers* (a filter on a logger does not see
records propagated from its children). It rewrites every record that passes: the formatted message
(msg % args), the traceback text and the stack text. Production installs it on every handler
(config/settings/production.py and config/gunicorn.conf.py); the snippet for other settings is:

    LOGGING["filters"] = {"mask_personal_data": {"()": "quxiang.core.logging.MaskPersonalDataFilter"}}
    LOGGING["handlers"]["console"]["filters"] = ["mask_personal_data"]

What is masked:
- 18-character national ID numbers (17 digits + digit/X), whether or not the check digit is right (a
  mistyped ID is still personal data): the first 4 and the last 4 characters stay,
  `310101199001011234` → `3101**********1234`.
- Mainland mobile numbers 1[3-9]x xxxx xxxx, also written with a +86/86 prefix or with spaces or dashes
  between the groups: `13800138000` → `138****8000`.
Digits that are part of a longer run of digits or letters (order numbers, hashes, timestamps) are left
alone. An all-digit 统一社会信用代码 has the shape of an ID and is masked too; that is the price of not
missing IDs.

The filter never drops a record (it always returns True) and never raises: a record that cannot be
formatted is masked part by part instead.
"""

from __future__ import annotations

import logging
import re
from typing import Any

# 6-digit region + 8-digit birth date + 3-digit sequence + check character. Not inside a longer token.
_NATIONAL_ID = re.compile(r"(?<![0-9A-Za-z])(\d{4})\d{10}(\d{3}[0-9Xx])(?![0-9A-Za-z])")
# 1[3-9]x, then 4 + 4 digits; optional +86 / 86 prefix and single space or dash separators.
_MOBILE = re.compile(
    r"(?<![0-9A-Za-z+])((?:\+?86[ -]?)?1[3-9]\d)([ -]?)\d{4}([ -]?)(\d{4})(?![0-9A-Za-z])"
)


def mask_personal_data(text: str) -> str:
    """Mask national IDs and mobile numbers in free text (see the module docstring)."""
    if not text or not any(ch.isdigit() for ch in text):
        return text
    text = _NATIONAL_ID.sub(lambda m: f"{m.group(1)}{'*' * 10}{m.group(2)}", text)
    return _MOBILE.sub(lambda m: f"{m.group(1)}{m.group(2)}****{m.group(3)}{m.group(4)}", text)


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask_personal_data(value)
    if isinstance(value, (bool, float)) or value is None:
        return value
    if isinstance(value, int):
        masked = mask_personal_data(str(value))
        return value if masked == str(value) else masked
    # Anything else (a model instance, a dict, an exception) is masked through its text.
    text = str(value)
    masked = mask_personal_data(text)
    return value if masked == text else masked


class MaskPersonalDataFilter(logging.Filter):
    """Masks national IDs and mobile numbers in the message, its arguments, the traceback and the stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            self._mask(record)
        except Exception:  # pragma: no cover - a log filter must never break logging
            record.msg, record.args = "[log record withheld: it could not be masked]", ()
        return True

    def _mask(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:
            # msg % args failed (a wrong format string): mask the parts, keep them apart.
            record.msg = mask_personal_data(str(record.msg))
            if isinstance(record.args, dict):
                record.args = {k: _mask_value(v) for k, v in record.args.items()}
            elif record.args:
                record.args = tuple(_mask_value(a) for a in record.args)
        else:
            # The formatted message is what reaches the log: mask it whole, so no argument type
            # (an int, a model instance, a dict) can carry a number past the filter.
            record.msg, record.args = mask_personal_data(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)


class OutageNoiseFilter(logging.Filter):
    """Drops Django's "Internal Server Error" record (with its traceback) for a request that failed
    because PostgreSQL or Redis was unreachable: the user got the 503 page and
    quxiang.core.health.ServiceUnavailableMiddleware has logged one line for it. Without this, a
    database restart writes a full traceback per request. Errors of one statement (a deadlock, a
    timeout) keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name != "django.request" or not record.exc_info or record.exc_info[1] is None:
            return True
        from quxiang.core.health import is_outage

        return not is_outage(record.exc_info[1])
