"""Integrity checks: the warning signs of fake employment data that ministry verification campaigns
look for (SPEC §3). Each check is one function returning findings — the records involved and a Chinese
reason — computed by SQL aggregation over the records on file (`selectors.records_current`), so that a
cohort of 15,000 costs a handful of grouped queries, not a loop over rows.

A finding is a warning for a person to look at, not a verdict: every check has an innocent look-alike
it deliberately does not flag (see the tests)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Length, Replace, Substr, Upper
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from quxiang.evidence.fields import org_name_abbreviates
from quxiang.evidence.models import EvidenceFile
from quxiang.evidence.selectors import org_names_match
from quxiang.integrity.conf import integrity_setting
from quxiang.integrity.selectors import records_current
from quxiang.reference.models import Region, RegionLevel
from quxiang.registrations.models import Registration, Status


@dataclass(frozen=True)
class Finding:
    reason: str
    registration_ids: tuple[int, ...]


@dataclass(frozen=True)
class Check:
    key: str
    title: str | Promise
    explanation: str | Promise
    run: Callable[..., list[Finding]]


# --- SQL expressions ------------------------------------------------------------------------------

# Spacing and bracket width are how the same name is typed differently; they do not make a new name.
_NAME_NOISE = ((" ", ""), ("\u3000", ""), ("\t", ""), ("（", "("), ("）", ")"))
_PHONE_NOISE = (("-", ""), ("－", ""), (" ", ""), ("\u3000", ""), ("(", ""), (")", ""), ("（", ""), ("）", ""))


def _cleaned(field: str, noise, *, upper: bool = False):
    expr = Upper(field) if upper else F(field)
    for old, new in noise:
        expr = Replace(expr, Value(old), Value(new))
    return expr


def name_normalised(value: str) -> str:
    """The Python twin of the SQL normalisation (for display and tests)."""
    value = value.upper()
    for old, new in _NAME_NOISE:
        value = value.replace(old, new)
    return value


def _group(rows) -> dict:
    grouped: dict = defaultdict(list)
    for key, *rest in rows:
        grouped[key].append(rest)
    return grouped


def _ids(items) -> tuple[int, ...]:
    return tuple(sorted({i[0] for i in items}))


def _quote_names(names) -> str:
    return "、".join(f"“{n}”" for n in names)


# --- (a) the same evidence file on records of different students -----------------------------------


def evidence_reuse_check(*, year: int | None = None) -> list[Finding]:
    files = EvidenceFile.objects.filter(registration__in=records_current(year=year).values("pk"))
    shared = (
        files.order_by().values("sha256")
        .annotate(students=Count("registration__student", distinct=True))
        .filter(students__gt=1)
        .values_list("sha256", "students")
    )
    counts = dict(shared)
    if not counts:
        return []
    rows = files.filter(sha256__in=counts).order_by("sha256", "registration_id").values_list(
        "sha256", "registration_id", "original_name"
    )
    findings = []
    for sha, items in sorted(_group(rows).items()):
        names = sorted({name for _reg, name in items})
        findings.append(Finding(
            reason=_("同一份佐证材料（%(names)s，SHA-256 %(sha)s…）出现在 %(n)d 名不同学生的记录中。")
            % {"names": "、".join(names), "sha": sha[:12], "n": counts[sha]},
            registration_ids=_ids(items),
        ))
    return findings


# --- (b) one USCC under different names; a location that contradicts the USCC ------------------------


def _same_organisation_names(names: list[str]) -> list[list[str]]:
    """The typed names grouped into organisations: two names are one organisation when they match as the
    record page matches them (有限公司 / 有限责任公司 / 股份 / brackets / spaces / full-width folded, one
    containing the other, an OCR-sized slip) or one abbreviates the other (中国移动崇明分公司)."""
    groups: list[list[str]] = []
    for name in names:
        for group in groups:
            if any(org_names_match(name, other) or org_name_abbreviates(name, other) or org_name_abbreviates(other, name)
                   for other in group):
                group.append(name)
                break
        else:
            groups.append([name])
    return groups


def uscc_name_conflict_check(*, year: int | None = None) -> list[Finding]:
    """SQL finds the codes typed with more than one name (spaces and bracket width aside); a code is flagged
    when those names are more than one organisation (_same_organisation_names): 上海示范科技有限公司 and
    上海 示范科技股份有限公司 under one code are one company typed twice, not a reused code."""
    qs = records_current(year=year).exclude(org_uscc="").annotate(
        name_key=_cleaned("org_name", _NAME_NOISE, upper=True)
    )
    conflicting = (
        qs.order_by().values("org_uscc").annotate(names=Count("name_key", distinct=True)).filter(names__gt=1)
        .values_list("org_uscc", flat=True)
    )
    rows = qs.filter(org_uscc__in=list(conflicting)).order_by("org_uscc", "pk").values_list(
        "org_uscc", "pk", "org_name"
    )
    findings = []
    for uscc, items in sorted(_group(rows).items()):
        by_key: dict[str, str] = {}
        for _pk, name in items:
            by_key.setdefault(name_normalised(name), name)
        organisations = _same_organisation_names(sorted(by_key.values()))
        if len(organisations) < 2:
            continue
        findings.append(Finding(
            reason=_("统一社会信用代码 %(uscc)s 在不同记录中登记为 %(n)d 个不同的单位名称：%(names)s。")
            % {"uscc": uscc, "n": len(organisations), "names": _quote_names(g[0] for g in organisations)},
            registration_ids=_ids(items),
        ))
    return findings


def uscc_region_conflict_check(*, year: int | None = None) -> list[Finding]:
    """Characters 3–8 of a USCC are the region code of the registering authority (登记管理机关). Compared
    at province level; codes that are not a province (national-level authorities, 100000) are tolerated."""
    provinces = dict(
        Region.objects.filter(level=RegionLevel.PROVINCE).values_list("code", "name")
    )
    prefixes = sorted({code[:2] for code in provinces})
    qs = (
        records_current(year=year)
        .filter(org_region__isnull=False)
        .annotate(
            uscc_length=Length("org_uscc"), uscc_province=Substr("org_uscc", 3, 2),
            region_province=Substr("org_region_id", 1, 2),
        )
        .filter(uscc_length=18, uscc_province__in=prefixes)
        .filter(~Q(uscc_province=F("region_province")))
        .order_by("org_uscc", "pk")
        .values_list("org_uscc", "pk", "org_name", "org_region__full_name")
    )
    findings = []
    for uscc, items in sorted(_group(qs).items()):
        places = sorted({place for _pk, _name, place in items})
        names = sorted({name for _pk, name, _place in items})
        findings.append(Finding(
            reason=_("%(names)s 的统一社会信用代码 %(uscc)s 第 3–8 位登记管理机关代码 %(code)s 属于%(province)s，"
                     "但填报的单位所在地为%(places)s。")
            % {"names": _quote_names(names), "uscc": uscc, "code": uscc[2:8],
               "province": provinces.get(uscc[2:4] + "0000", uscc[2:4]), "places": "、".join(places)},
            registration_ids=_ids(items),
        ))
    return findings


# --- (c) one contact phone for several organisations ---------------------------------------------------


def _with_phone(qs: QuerySet[Registration]) -> QuerySet[Registration]:
    return qs.exclude(org_contact_phone="").annotate(phone_key=_cleaned("org_contact_phone", _PHONE_NOISE))


def phone_shared_check(*, year: int | None = None) -> list[Finding]:
    """The same number given as the contact of organisations with different USCCs (branches of one
    organisation share a USCC and are not flagged). When one code clearly dominates the number (at least
    PHONE_MAJORITY_MIN_RECORDS records and PHONE_MAJORITY_RATIO × all the others together: a big employer's
    switchboard), the records of the other codes are the ones to look at and the majority is named in the
    reason, not flagged: one record typing the employer's phone with another code does not put the
    employer's hundred graduates on the list."""
    qs = _with_phone(records_current(year=year).exclude(org_uscc=""))
    shared = (
        qs.order_by().values("phone_key").annotate(orgs=Count("org_uscc", distinct=True)).filter(orgs__gt=1)
        .values_list("phone_key", "orgs")
    )
    counts = dict(shared)
    rows = qs.filter(phone_key__in=list(counts)).order_by("phone_key", "pk").values_list(
        "phone_key", "pk", "org_name", "org_uscc", "org_contact_phone"
    )
    majority_min = int(integrity_setting("PHONE_MAJORITY_MIN_RECORDS"))
    majority_ratio = float(integrity_setting("PHONE_MAJORITY_RATIO"))
    findings = []
    for phone, items in sorted(_group(rows).items()):
        orgs = sorted({f"{name}（{uscc}）" for _pk, name, uscc, _typed in items})
        typed = sorted({typed.strip() for *_rest, typed in items})
        per_code: dict[str, int] = defaultdict(int)
        for _pk, _name, uscc, _typed in items:
            per_code[uscc] += 1
        top, top_n = max(per_code.items(), key=lambda kv: (kv[1], kv[0]))
        flagged, note = items, ""
        if top_n >= majority_min and top_n >= majority_ratio * (len(items) - top_n):
            flagged = [i for i in items if i[2] != top]
            top_name = next(name for _pk, name, uscc, _t in items if uscc == top)
            note = _("其中 %(n)d 条记录为“%(name)s”（%(uscc)s），占多数，未列入；") % {
                "n": top_n, "name": top_name, "uscc": top}
        findings.append(Finding(
            reason=_("联系电话 %(phone)s 出现在 %(n)d 家不同单位（统一社会信用代码不同）的记录中：%(orgs)s。")
            % {"phone": " / ".join(typed), "n": counts[phone], "orgs": "、".join(orgs)} + note,
            registration_ids=_ids(flagged),
        ))
    return findings


def phone_is_students_own_check(*, year: int | None = None) -> list[Finding]:
    """The organisation's contact phone is the student's own mobile from the roster. 自主创业 is exempt:
    there the student is the organisation."""
    qs = (
        _with_phone(records_current(year=year).exclude(student__phone=""))
        .exclude(destination_type__category_id__in=integrity_setting("OWN_PHONE_EXEMPT_CATEGORY_CODES"))
        .filter(phone_key=F("student__phone"))
        .order_by("pk")
        .values_list("pk", "org_name", "phone_key")
    )
    return [
        Finding(
            reason=_("单位“%(name)s”的联系电话 %(phone)s 与学生本人在名册中的手机号相同。")
            % {"name": name, "phone": phone},
            registration_ids=(pk,),
        )
        for pk, name, phone in qs
    ]


# --- (d) a college with an unusually high share of flexible employment --------------------------------


def flexible_q() -> Q:
    group, category = integrity_setting("FLEXIBLE_GROUP_CATEGORY")
    return Q(destination_type__category_id__in=integrity_setting("FLEXIBLE_CATEGORY_CODES")) | Q(
        destination_type__category_id=category, destination_type__parent_id=group
    )


def flexible_share_by_class(*, year: int | None = None) -> list[dict]:
    """Per class: placed records and flexible ones, with the class's and its college's names and ids."""
    placed = records_current(year=year).filter(destination_type__category__is_placed=True)
    return list(
        placed.order_by().values("student__school_class_id", "student__school_class__name", "student__college_id",
                                 "student__college__name")
        .annotate(placed=Count("id"), flexible=Count("id", filter=flexible_q()))
    )


def flexible_class_outliers(rows: list[dict]) -> list[tuple[dict, float, list[tuple[int, int]]]]:
    """The classes whose flexible share is at least CLASS_SHARE_RATIO × and CLASS_SHARE_MIN_GAP above the higher
    of its college's other classes and the school's other classes (≥ CLASS_MIN_PLACED placed, ≥
    CLASS_MIN_FLEXIBLE flexible): (row, share, [(flexible, placed) of the college's others, of the school's
    others]). The rule of class_cluster (evidence_checks.py); flexible_share leaves such a class out."""
    min_placed = int(integrity_setting("CLASS_MIN_PLACED"))
    min_flexible = int(integrity_setting("CLASS_MIN_FLEXIBLE"))
    ratio = float(integrity_setting("CLASS_SHARE_RATIO"))
    gap = float(integrity_setting("CLASS_SHARE_MIN_GAP"))
    school = (sum(r["placed"] for r in rows), sum(r["flexible"] for r in rows))
    colleges: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        colleges[r["student__college_id"]][0] += r["placed"]
        colleges[r["student__college_id"]][1] += r["flexible"]
    flagged = []
    for r in rows:
        if r["placed"] < min_placed or r["flexible"] < min_flexible:
            continue
        share = r["flexible"] / r["placed"]
        college = colleges[r["student__college_id"]]
        others = [(college[1] - r["flexible"], college[0] - r["placed"]), (school[1] - r["flexible"], school[0] - r["placed"])]
        shares = [f / p for f, p in others if p > 0]
        if not shares:
            continue  # the class is the whole school: nothing to compare with
        reference = max(shares)
        if share >= ratio * reference and share - reference >= gap:
            flagged.append((r, share, others))
    return flagged


def flexible_share_check(*, year: int | None = None) -> list[Finding]:
    """灵活就业（其他录用形式）、自由职业、自主创业 among a college's placed records, against the school's share.
    A class far above its college's other classes and the school (flexible_class_outliers: class_cluster's
    finding) is left out of its college's share: a college is flagged for its own spread, not for one class's (issue 12: one
    class suddenly flexible would otherwise put every flexible graduate of its college on the list)."""
    ratio = float(integrity_setting("FLEXIBLE_SHARE_RATIO"))
    minimum = int(integrity_setting("FLEXIBLE_MIN_RECORDS"))
    placed = records_current(year=year).filter(destination_type__category__is_placed=True)
    by_class = flexible_share_by_class(year=year)
    # Only a class with other classes beside it in its college: a college of one class is its own spread.
    outliers = {r["student__school_class_id"] for r, _share, ((_cf, cp), _school) in flexible_class_outliers(by_class)
                if cp > 0}
    colleges: dict[int, dict] = {}
    for r in by_class:
        row = colleges.setdefault(r["student__college_id"], {
            "student__college_id": r["student__college_id"], "student__college__name": r["student__college__name"],
            "placed": 0, "flexible": 0, "own_placed": 0, "own_flexible": 0})
        row["placed"] += r["placed"]
        row["flexible"] += r["flexible"]
        if r["student__school_class_id"] not in outliers:
            row["own_placed"] += r["placed"]
            row["own_flexible"] += r["flexible"]
    rows = list(colleges.values())
    total_placed = sum(r["placed"] for r in rows)
    total_flexible = sum(r["flexible"] for r in rows)
    if not total_placed or not total_flexible:
        return []
    school_share = total_flexible / total_placed
    flagged = {
        r["student__college_id"]: r for r in rows
        if r["own_flexible"] >= minimum and r["own_placed"] and r["own_flexible"] / r["own_placed"] >= ratio * school_share
    }
    if not flagged:
        return []
    ids = _group(
        placed.filter(flexible_q(), student__college_id__in=flagged).exclude(student__school_class_id__in=outliers)
        .order_by("pk").values_list("student__college_id", "pk")
    )
    findings = []
    for college_id, row in sorted(flagged.items(), key=lambda kv: kv[1]["student__college__name"]):
        share = row["flexible"] / row["placed"]
        findings.append(Finding(
            reason=_("%(college)s：灵活就业/自由职业/自主创业 %(f)d 条，占已落实去向 %(p)d 条的 %(share).0f%%；"
                     "全校为 %(school).0f%%（%(tf)d/%(tp)d），是全校的 %(times).1f 倍（预警线 %(ratio).1f 倍且不少于 %(min)d 条）。")
            % {"college": row["student__college__name"], "f": row["flexible"], "p": row["placed"],
               "share": share * 100, "school": school_share * 100, "tf": total_flexible, "tp": total_placed,
               "times": share / school_share, "ratio": ratio, "min": minimum},
            registration_ids=tuple(pk for (pk,) in ids[college_id]),
        ))
    return findings


# --- (e) verified in bulk within seconds of submission ------------------------------------------------


def quick_verification_check(*, year: int | None = None) -> list[Finding]:
    """Records verified less than QUICK_VERIFY_SECONDS after submission, when the same verifier did at
    least QUICK_VERIFY_MIN_RECORDS such records within ±QUICK_VERIFY_WINDOW_SECONDS: verification without
    looking. One quick verification alone (the student stood at the counselor's desk) is not flagged.

    SQL selects the quick verifications (and, grouped by verifier, only verifiers with enough of them); the
    windows are then found in one ordered pass per verifier — linear, where a correlated "neighbours within
    the window" subquery would be quadratic in exactly the case worth finding (thousands at once)."""
    quick_limit = dt.timedelta(seconds=int(integrity_setting("QUICK_VERIFY_SECONDS")))
    window = dt.timedelta(seconds=int(integrity_setting("QUICK_VERIFY_WINDOW_SECONDS")))
    minimum = int(integrity_setting("QUICK_VERIFY_MIN_RECORDS"))
    quick = (
        Registration.objects.filter(
            status__in=[Status.VERIFIED, Status.SUPERSEDED], verified_at__isnull=False, submitted_at__isnull=False,
            verified_by__isnull=False,
        )
        .annotate(lag=ExpressionWrapper(F("verified_at") - F("submitted_at"), output_field=DurationField()))
        .filter(lag__lt=quick_limit)
    )
    if year:
        quick = quick.filter(student__graduation_year=year)
    verifiers = (
        quick.order_by().values("verified_by").annotate(n=Count("pk")).filter(n__gte=minimum)
        .values_list("verified_by", flat=True)
    )
    rows = (
        quick.filter(verified_by__in=list(verifiers))
        .order_by("verified_by_id", "verified_at", "pk")
        .values_list("verified_by_id", "pk", "verified_at", "verified_by__full_name", "verified_by__username")
    )
    findings = []
    for _verifier, items in _group(rows).items():
        # items: [pk, verified_at, full_name, username], in time order. Flag every verification that lies in
        # a ±window around one of them holding at least `minimum`; both pointers only move forward.
        times = [i[1] for i in items]
        flagged = [False] * len(items)
        lo = hi = 0
        marked_until = -1
        for index, at in enumerate(times):
            while times[lo] < at - window:
                lo += 1
            hi = max(hi, index)
            while hi + 1 < len(times) and times[hi + 1] <= at + window:
                hi += 1
            if hi - lo + 1 >= minimum:
                for j in range(max(lo, marked_until + 1), hi + 1):
                    flagged[j] = True
                marked_until = max(marked_until, hi)
        keep = [item for item, hit in zip(items, flagged, strict=True) if hit]
        clusters: list[list] = []
        for item in keep:  # one finding per run of flagged verifications no more than a window apart
            if clusters and item[1] - clusters[-1][-1][1] <= window:
                clusters[-1].append(item)
            else:
                clusters.append([item])
        for cluster in clusters:
            start, end = timezone.localtime(cluster[0][1]), timezone.localtime(cluster[-1][1])
            who = cluster[0][2] or cluster[0][3]
            findings.append(Finding(
                reason=_("%(who)s 在 %(start)s–%(end)s 之间鉴证了 %(n)d 条记录，每条都在学生提交后 %(s)d 秒内完成。")
                % {"who": who, "start": f"{start:%Y-%m-%d %H:%M:%S}", "end": f"{end:%H:%M:%S}", "n": len(cluster),
                   "s": int(quick_limit.total_seconds())},
                registration_ids=tuple(sorted(i[0] for i in cluster)),
            ))
    return findings


from quxiang.integrity.evidence_checks import EVIDENCE_CHECKS  # noqa: E402 (it builds on Check and Finding above)

CHECKS: list[Check] = [
    Check("evidence_reuse", gettext_lazy("佐证材料重复使用"),
          gettext_lazy("同一份文件（按内容指纹 SHA-256 比对）出现在不同学生的记录中。同一学生重复上传不算。"),
          evidence_reuse_check),
    Check("uscc_name", gettext_lazy("同一信用代码、不同单位名称"),
          gettext_lazy("同一统一社会信用代码在不同记录中登记了不同的单位名称（已忽略空格和全角/半角括号的差别）。"),
          uscc_name_conflict_check),
    Check("uscc_region", gettext_lazy("单位所在地与信用代码不符"),
          gettext_lazy("信用代码第 3–8 位是登记管理机关的行政区划代码，与填报的单位所在地不在同一省份。"
                       "国家级登记机关（如 100000）的代码不参与比对。"),
          uscc_region_conflict_check),
    Check("phone_shared", gettext_lazy("多家单位使用同一联系电话"),
          gettext_lazy("同一联系电话出现在信用代码不同的多家单位的记录中。同一单位（相同信用代码）的不同部门不算。"),
          phone_shared_check),
    Check("phone_own", gettext_lazy("单位电话为学生本人手机"),
          gettext_lazy("单位联系电话与学生本人在名册中登记的手机号相同（自主创业除外）。"),
          phone_is_students_own_check),
    Check("flexible_share", gettext_lazy("灵活就业、自由职业、自主创业比例异常"),
          gettext_lazy("学院的灵活就业（其他录用形式）、自由职业、自主创业占已落实去向的比例远高于全校水平。"),
          flexible_share_check),
    Check("quick_verify", gettext_lazy("提交后数秒内批量鉴证"),
          gettext_lazy("同一鉴证人在短时间内连续鉴证多条记录，且每条都在学生提交后很短时间内完成。"),
          quick_verification_check),
    *EVIDENCE_CHECKS,  # issue 12: what the evidence says, class clusters (evidence_checks.py)
]


def checks_run(*, year: int | None = None) -> list[tuple[Check, list[Finding]]]:
    return [(check, check.run(year=year)) for check in CHECKS]
