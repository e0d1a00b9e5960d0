"""Integrity checks on what the evidence says and on clusters within a class (issue 12), registered in
checks.CHECKS next to the checks on typed fields:

- evidence_mismatch: the readable evidence names another organisation / another valid USCC than the one
  typed (and not the typed one), or another roster student instead of the owner;
- evidence_near_duplicate: one filled-in document (re-encoded, resized, cropped, photographed again) on
  records of different students, compared by content with the template removed (evidence/similarity.py);
- class_cluster: a class whose share of 灵活就业 / 自由职业 / 自主创业 is far above its college's and the
  school's (both without the class), and flexible records with near-identical wording submitted and
  verified within minutes of each other.

Evidence not read yet, 未识别 or 识别失败 is never a finding: only what a reading says counts, and a reading
that names nothing contradicts nothing (evidence/selectors.py gives the same 未识别 on the record page).
Like the other checks these are warnings for a person, each with innocent look-alikes in its tests
(integrity/tests/test_evidence_checks*.py)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from quxiang.evidence import similarity
from quxiang.evidence.fields import org_name_abbreviates, person_name_normalise
from quxiang.evidence.models import EvidenceReading, ReadingStatus
from quxiang.evidence.selectors import MATCH, MISMATCH, evidence_items_compare, evidence_says
from quxiang.integrity.checks import (
    Check,
    Finding,
    flexible_class_outliers,
    flexible_q,
    flexible_share_by_class,
)
from quxiang.integrity.conf import integrity_setting
from quxiang.integrity.selectors import records_current
from quxiang.registrations.models import Status
from quxiang.roster.models import Student


def _quoted(values, limit: int = 4) -> str:
    values = list(values)
    shown = "、".join(f"“{v}”" for v in values[:limit])
    return shown + (_("等 %(n)d 项") % {"n": len(values)} if len(values) > limit else "")


def readings_on_file(*, year: int | None = None):
    """The readable (已识别) readings of the evidence of the records on file — of the bytes now stored
    (a replaced file not read again yet does not count)."""
    return EvidenceReading.objects.filter(
        status=ReadingStatus.READ, sha256=F("evidence__sha256"),
        evidence__registration__in=records_current(year=year).values("pk"),
    )


# --- evidence does not match the record ------------------------------------------------------------------


def evidence_mismatch_check(*, year: int | None = None) -> list[Finding]:
    by_record: dict[int, list] = defaultdict(list)
    for reg_id, fields, text in readings_on_file(year=year).order_by("evidence_id").values_list(
            "evidence__registration_id", "fields", "text"):
        by_record[reg_id].append((fields, text))
    if not by_record:
        return []
    records = list(records_current(year=year).filter(pk__in=list(by_record)).order_by("pk").values_list(
        "pk", "org_name", "org_uscc", "student__name", "student__school_class_id"))
    says = {pk: evidence_says(by_record[pk]) for pk, *_rest in records}
    # Roster students named in the evidence, and classmates (whose names are looked for in the text too).
    named = {person_name_normalise(p) for s in says.values() for p in s.persons}
    roster = defaultdict(list)
    for name, number in Student.objects.filter(name__in=named).values_list("name", "student_number"):
        roster[person_name_normalise(name)].append(number)
    classmates = defaultdict(list)
    for class_id, name, number in Student.objects.filter(
            school_class_id__in={r[4] for r in records}).values_list("school_class_id", "name", "student_number"):
        classmates[class_id].append((person_name_normalise(name), number))
    findings = []
    for pk, org_name, uscc, student_name, class_id in records:
        said = says[pk]
        items = {i.key: i for i in evidence_items_compare(org_name=org_name, uscc=uscc, student_name=student_name,
                                                           says=said)}
        reasons = []
        # The name read differs, but the paper carries the typed USCC (the code names one organisation), or the
        # typed name is an abbreviation of the one read (中国移动崇明分公司): a way of writing the name, not
        # another organisation. (The record page still shows the two names side by side.)
        same_org = (items.get("uscc") is not None and items["uscc"].verdict == MATCH) or any(
            org_name_abbreviates(org_name, found) for found in said.orgs)
        if "org" in items and items["org"].verdict == MISMATCH and not same_org:
            reasons.append(_("材料中的单位是%(found)s，不是填写的“%(typed)s”") % {
                "found": _quoted(said.orgs), "typed": org_name})
        if "uscc" in items and items["uscc"].verdict == MISMATCH:
            reasons.append(_("材料中的统一社会信用代码是 %(found)s，不是填写的 %(typed)s") % {
                "found": "、".join(said.usccs[:4]), "typed": uscc})
        owner = person_name_normalise(student_name)
        if "name" in items and items["name"].verdict != MATCH:
            compact = said.text.replace(" ", "").replace("\n", "")
            others = {p for p in said.persons if p != owner and p in roster}
            others |= {n for n, _number in classmates[class_id] if n != owner and len(n) >= 2 and n in compact}
            if others:
                numbers = set().union(*(roster.get(n, []) for n in others))
                numbers |= {number for n, number in classmates[class_id] if n in others}
                reasons.append(_("材料中没有学生本人的姓名“%(owner)s”，却有名册中另一名学生的姓名%(others)s（学号 %(numbers)s）") % {
                    "owner": student_name, "others": _quoted(sorted(others)), "numbers": "、".join(sorted(numbers)[:4])})
        if reasons:
            findings.append(Finding(reason="；".join(reasons) + "。", registration_ids=(pk,)))
    return findings


# --- near-duplicate evidence across students -----------------------------------------------------------------


def _identity(fields: dict, sha256: str) -> str:
    """Whom a document is about, for counting documents: the persons it names; its bytes when it names none."""
    persons = sorted({person_name_normalise(p) for p in (fields or {}).get("persons", [])})
    return "|".join(persons) if persons else f"sha:{sha256}"


def _own_named(rows) -> set[int]:
    """Readings that name their own record's student (among the persons read in them)."""
    return {r[0] for r in rows
            if person_name_normalise(r[10]) in {person_name_normalise(p) for p in (r[2] or {}).get("persons", [])}}


def _texts(pks) -> dict[int, str]:
    texts: dict[int, str] = {}
    pks = list(pks)
    for start in range(0, len(pks), 2000):
        texts.update(EvidenceReading.objects.filter(pk__in=pks[start:start + 2000]).values_list("pk", "text"))
    return texts


def _cache_write(params: list[tuple]) -> None:
    """params: (content_for, content_shingles, content_key, content_signature, pk) per reading. Write the cache
    columns only (read_at does not move), one prepared UPDATE for all rows: bulk_update's
    CASE expressions cost 50 s for 13,600 readings of the bench's first run, this well under a second."""
    meta = EvidenceReading._meta
    names = ["content_for", "content_shingles", "content_key", "content_signature"]
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(meta.get_field(n).column)} = %s" for n in names)
    sql = f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(meta.pk.column)} = %s"
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(params), 2000):
            cursor.executemany(sql, params[start:start + 2000])


def evidence_near_duplicate_check(*, year: int | None = None) -> list[Finding]:
    """The cache (EvidenceReading.content_*) is filled here: a reading's grams once per sha256, its
    signature again only when the corpus changes which of its grams are template (evidence/similarity.py)."""
    min_docs = int(integrity_setting("NEAR_DUPLICATE_TEMPLATE_MIN_DOCS"))
    min_grams = int(integrity_setting("NEAR_DUPLICATE_MIN_GRAMS"))
    threshold = float(integrity_setting("NEAR_DUPLICATE_SIMILARITY"))
    rows = list(readings_on_file(year=year).values_list(
        "pk", "sha256", "fields", "content_for", "content_shingles", "content_key", "content_signature",
        "evidence__registration_id", "evidence__registration__student_id", "evidence__original_name",
        "evidence__registration__student__name"))
    if len(rows) < 2:
        return []
    cached = {r[0]: similarity.shingles_from_bytes(r[4]) for r in rows if r[3] == r[1]}
    # Not cached yet, cached for other bytes, or cached in an older format: made from the text.
    texts = _texts(r[0] for r in rows if cached.get(r[0]) is None)
    grams = {r[0]: similarity.text_shingles(texts[r[0]]) if r[0] in texts else cached[r[0]] for r in rows}
    docs = {r[1]: (grams[r[0]], _identity(r[2], r[1])) for r in rows}  # one per distinct bytes
    template = similarity.template_shingles(docs.values(), min_docs=min_docs)
    signatures: dict[int, bytes] = {}
    updated = []
    for pk, sha, _fields, _for, _grams, key, signature, *_rest in rows:
        content = similarity.content_shingles(grams[pk], template)
        new_key = similarity.content_fingerprint(content, min_grams=min_grams)
        if pk not in texts and new_key == key:
            signatures[pk] = bytes(signature or b"")
            continue
        signatures[pk] = similarity.content_signature(content, min_grams=min_grams)
        updated.append((sha, similarity.shingles_to_bytes(grams[pk]), new_key, signatures[pk], pk))
    if updated:
        _cache_write(updated)
    info = {r[0]: r for r in rows}
    own_named = _own_named(rows)
    own_threshold = float(integrity_setting("NEAR_DUPLICATE_OWN_NAMED_SIMILARITY"))
    pairs = [
        (a, b, s) for a, b, s in similarity.similar_pairs(signatures, threshold=threshold)
        if info[a][8] != info[b][8] and info[a][1] != info[b][1]  # other students; byte copies: evidence_reuse
        and (s >= own_threshold or not (a in own_named and b in own_named))
    ]
    best: dict[int, float] = defaultdict(float)
    for a, b, s in pairs:
        best[a], best[b] = max(best[a], s), max(best[b], s)
    findings = []
    for group in similarity.groups(pairs):
        registrations = sorted({info[pk][7] for pk in group})
        students = {info[pk][8] for pk in group}
        if len(students) < 2:
            continue
        low = min(best[pk] for pk in group)
        findings.append(Finding(
            reason=_("%(n)d 名学生的佐证材料内容几乎相同（去除同一模板的共同文字后，填写内容相似度不低于 %(sim).0f%%）："
                     "%(files)s。可能是同一份材料重新保存、缩放、裁剪或翻拍后用于不同学生。")
            % {"n": len(students), "sim": low * 100, "files": _quoted(sorted({info[pk][9] for pk in group}), 6)},
            registration_ids=tuple(registrations),
        ))
    return findings


# --- class-level clusters -----------------------------------------------------------------------------------


def _class_share_findings(year: int | None) -> list[Finding]:
    min_placed = int(integrity_setting("CLASS_MIN_PLACED"))
    ratio = float(integrity_setting("CLASS_SHARE_RATIO"))
    gap = float(integrity_setting("CLASS_SHARE_MIN_GAP"))
    placed = records_current(year=year).filter(destination_type__category__is_placed=True)
    flagged = flexible_class_outliers(flexible_share_by_class(year=year))
    findings = []
    for r, share, ((cf, cp), (sf, sp)) in sorted(flagged, key=lambda x: x[0]["student__school_class__name"]):
        ids = placed.filter(flexible_q(), student__school_class_id=r["student__school_class_id"]).order_by("pk")
        college_share = _("%(s).0f%%（%(f)d/%(p)d）") % {"s": cf / cp * 100, "f": cf, "p": cp} if cp else _("无其他班级")
        findings.append(Finding(
            reason=_("%(college)s %(cls)s：灵活就业/自由职业/自主创业 %(f)d 条，占已落实去向 %(p)d 条的 %(share).0f%%；"
                     "本学院其他班级为 %(college_share)s，全校其他班级为 %(school).0f%%（%(sf)d/%(sp)d）"
                     "（预警：不低于 %(ratio).1f 倍且高出 %(gap).0f 个百分点，班级至少 %(min)d 条已落实去向）。")
            % {"college": r["student__college__name"], "cls": r["student__school_class__name"], "f": r["flexible"],
               "p": r["placed"], "share": share * 100, "college_share": college_share, "school": sf / sp * 100,
               "sf": sf, "sp": sp, "ratio": ratio, "gap": gap * 100, "min": min_placed},
            registration_ids=tuple(ids.values_list("pk", flat=True)),
        ))
    return findings


def _grams(text: str) -> frozenset[str]:
    return frozenset(text[i:i + 2] for i in range(len(text) - 1))


def _text_cluster_findings(year: int | None) -> list[Finding]:
    minimum = int(integrity_setting("TEXT_MIN_RECORDS"))
    threshold = float(integrity_setting("TEXT_SIMILARITY"))
    window = dt.timedelta(minutes=int(integrity_setting("TEXT_WINDOW_MINUTES")))
    rows = list(
        records_current(year=year).filter(flexible_q(), status=Status.VERIFIED, submitted_at__isnull=False,
                                          verified_at__isnull=False)
        .order_by("submitted_at", "pk")
        .values_list("pk", "submitted_at", "verified_at", "org_name", "org_address", "org_contact_name", "programme",
                     "student__school_class__name")
    )
    items = []
    for pk, submitted, verified, *typed, class_name in rows:
        text = similarity.line_normalise("".join(typed))
        if len(text) >= 6:
            items.append((pk, submitted, verified, _grams(text), typed[0] or typed[1], class_name))
    pairs = []
    for i, (pk, submitted, verified, grams, _shown, _cls) in enumerate(items):
        for other in items[i + 1:]:
            if other[1] - submitted > window:
                break  # sorted by submission: nothing further is within the window
            if abs(other[2] - verified) > window:
                continue
            overlap = len(grams & other[3]) / len(grams | other[3])
            if overlap >= threshold:
                pairs.append((pk, other[0], overlap))
    info = {item[0]: item for item in items}
    findings = []
    for group in similarity.groups(pairs):
        if len(group) < minimum:
            continue
        members = [info[pk] for pk in group]
        submitted = sorted(m[1] for m in members)
        verified = sorted(m[2] for m in members)
        findings.append(Finding(
            reason=_("%(n)d 条灵活就业/自由职业/自主创业记录的填写内容几乎相同（如%(text)s），在 %(s1)s–%(s2)s 内提交、"
                     "%(v1)s–%(v2)s 内鉴证；涉及班级：%(classes)s。")
            % {"n": len(group), "text": _quoted(sorted({m[4] for m in members}), 2),
               "s1": f"{timezone.localtime(submitted[0]):%Y-%m-%d %H:%M}", "s2": f"{timezone.localtime(submitted[-1]):%H:%M}",
               "v1": f"{timezone.localtime(verified[0]):%Y-%m-%d %H:%M}", "v2": f"{timezone.localtime(verified[-1]):%H:%M}",
               "classes": "、".join(sorted({m[5] for m in members}))},
            registration_ids=tuple(group),
        ))
    return findings


def class_cluster_check(*, year: int | None = None) -> list[Finding]:
    return _class_share_findings(year) + _text_cluster_findings(year)


EVIDENCE_CHECKS: list[Check] = [
    Check("evidence_mismatch", gettext_lazy("材料内容与登记不符"),
          gettext_lazy("已识别的佐证材料写的是另一家单位或另一个有效的信用代码（而不是填写的），或者没有学生本人的姓名、"
                       "却有名册中另一名学生的姓名。单位名称的有限公司/股份/括号/空格差别和分支机构不算；"
                       "尚未识别或无法识别的材料不参与比对。"),
          evidence_mismatch_check),
    Check("evidence_near_duplicate", gettext_lazy("不同学生的材料内容雷同"),
          gettext_lazy("按识别出的文字比对：去除同一模板共有的文字后，不同学生的材料填写内容几乎相同（重新保存、缩放、"
                       "裁剪、翻拍的同一份材料）。同一模板、内容不同的协议书不算；完全相同的文件见“佐证材料重复使用”。"),
          evidence_near_duplicate_check),
    Check("class_cluster", gettext_lazy("班级内灵活就业异常集中"),
          gettext_lazy("某班级的灵活就业、自由职业、自主创业比例远高于本学院其他班级和全校其他班级；或多条此类记录填写内容"
                       "几乎相同，并在短时间内集中提交和鉴证。"),
          class_cluster_check),
]
