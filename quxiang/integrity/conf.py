"""Thresholds of the integrity checks. Defaults live here; a deployment overrides any of them with
settings.QUXIANG_INTEGRITY = {"FLEXIBLE_SHARE_RATIO": 1.5, ...}. Read at call time, so a changed setting
(or override_settings in a test) takes effect without a restart of this module."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # (d) a college whose share of 灵活就业 / 自由职业 / 自主创业 among its placed records is at least
    # RATIO × the school's share, with at least MIN_RECORDS such records.
    "FLEXIBLE_SHARE_RATIO": 2.0,
    "FLEXIBLE_MIN_RECORDS": 5,
    # National categories that count as "flexible": 75 自主创业, 76 自由职业, plus 12 其他录用形式就业
    # only when chosen under these wizard groups (12 also covers 出国工作, which is not flexible).
    "FLEXIBLE_CATEGORY_CODES": ("75", "76"),
    "FLEXIBLE_GROUP_CATEGORY": ("flexible", "12"),
    # (c) the organisation's phone is the student's own mobile — except where the student is the
    # organisation (75 自主创业).
    "OWN_PHONE_EXEMPT_CATEGORY_CODES": ("75",),
    # (e) verified within QUICK_SECONDS of submission, and at least MIN_RECORDS such records by the same
    # verifier within ±WINDOW_SECONDS of each other.
    "QUICK_VERIFY_SECONDS": 60,
    "QUICK_VERIFY_WINDOW_SECONDS": 600,
    "QUICK_VERIFY_MIN_RECORDS": 3,
    # Sampling (抽查): default percentage offered on the form.
    "SAMPLE_DEFAULT_PERCENTAGE": 5,
}


def integrity_setting(name: str) -> Any:
    overrides = getattr(settings, "QUXIANG_INTEGRITY", {}) or {}
    if name in overrides:
        return overrides[name]
    return DEFAULTS[name]
