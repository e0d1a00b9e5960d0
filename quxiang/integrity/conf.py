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
    # (c) one phone for several USCCs: a code holding at least PHONE_MAJORITY_MIN_RECORDS of the number's
    # records and PHONE_MAJORITY_RATIO × all the other codes' records together is the number's owner; only the
    # other codes' records are flagged.
    "PHONE_MAJORITY_MIN_RECORDS": 3,
    "PHONE_MAJORITY_RATIO": 2.0,
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
    # --- Checks on what the evidence says (issue 12, integrity/evidence_checks.py) ---
    # Near-duplicate content (evidence/similarity.py): a gram in documents about at least TEMPLATE_MIN_DOCS
    # different persons is template and removed (the form's text, and what several students' papers share:
    # an employer's address and phone, a university's name); what is left — one person's filled-in content —
    # must hold at least MIN_GRAMS grams, and two documents of different students whose contents have an
    # estimated Jaccard similarity of at least SIMILARITY are the same document. Since the ASCII runs are whole
    # grams (a student number, an ID number is one gram) an agreement's content is a handful of grams: the
    # planted-cohort bench (bench/trust, docs/benchmarks.md) measured 4–7 for an agreement and 0.83–1.0 between
    # a re-encoded copy and its original; were 5 / 20 / 0.65 when every digit pair was a gram.
    "NEAR_DUPLICATE_TEMPLATE_MIN_DOCS": 3,
    "NEAR_DUPLICATE_MIN_GRAMS": 4,
    "NEAR_DUPLICATE_SIMILARITY": 0.7,
    # ... but two documents that each name their own record's student (different persons) are two students'
    # own agreements unless nearly all their content is the same (a copy with only the name edited).
    "NEAR_DUPLICATE_OWN_NAMED_SIMILARITY": 0.9,
    # Class clusters: a class with at least CLASS_MIN_PLACED placed records and CLASS_MIN_FLEXIBLE flexible
    # ones whose flexible share is at least CLASS_SHARE_RATIO × the share of its college and of the school
    # (both computed without the class) and at least CLASS_SHARE_MIN_GAP above the higher of them.
    "CLASS_MIN_PLACED": 10,
    "CLASS_MIN_FLEXIBLE": 5,
    "CLASS_SHARE_RATIO": 2.0,
    "CLASS_SHARE_MIN_GAP": 0.25,
    # ... and at least TEXT_MIN_RECORDS flexible records whose typed free text (organisation, address,
    # contact, programme) is near-identical (character-bigram Jaccard ≥ TEXT_SIMILARITY), submitted within
    # TEXT_WINDOW_MINUTES of each other and verified within TEXT_WINDOW_MINUTES of each other.
    "TEXT_MIN_RECORDS": 3,
    "TEXT_SIMILARITY": 0.7,
    "TEXT_WINDOW_MINUTES": 30,
}


def integrity_setting(name: str) -> Any:
    overrides = getattr(settings, "QUXIANG_INTEGRITY", {}) or {}
    if name in overrides:
        return overrides[name]
    return DEFAULTS[name]
