"""What the evidence says next to what was typed (issue 12): the counselor's 鉴证 page shows, per item, ✓ (the
evidence says the same), ✗ (it says something else) or 未识别 (nothing could be read, or the evidence does
not name the item). 未识别 is never turned into ✗: an unreadable photo is not a mismatch."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace

from django.utils.translation import gettext as _

from quxiang.evidence.fields import org_name_abbreviates, org_name_normalise, person_name_normalise, text_fold
from quxiang.evidence.models import EvidenceFile, ReadingStatus
from quxiang.registrations.models import Registration

MATCH, MISMATCH, UNKNOWN = "match", "mismatch", "unknown"
SYMBOLS = {MATCH: "✓", MISMATCH: "✗", UNKNOWN: "未识别"}
# Two normalised organisation names this similar are one name read with an OCR slip or typed slightly
# differently (上海示范科技 / 上海示范科枝: 0.83); below it they are two organisations.
ORG_SIMILARITY = 0.8


@dataclass(frozen=True)
class ComparisonItem:
    key: str  # "org" | "uscc" | "name"
    label: str
    typed: str
    found: list[str]
    verdict: str
    note: str = ""

    @property
    def symbol(self) -> str:
        return SYMBOLS[self.verdict] if self.verdict != UNKNOWN else _("未识别")


@dataclass(frozen=True)
class FileReading:
    name: str
    status: str  # a ReadingStatus, or "pending" (not read yet)
    label: str
    confidence: float | None
    pages: str
    error: str = ""


@dataclass
class EvidenceComparison:
    items: list[ComparisonItem] = field(default_factory=list)
    files: list[FileReading] = field(default_factory=list)

    @property
    def any_read(self) -> bool:
        return any(f.status == ReadingStatus.READ for f in self.files)


def org_names_match(typed: str, found: str) -> bool:
    """Fuzzy: 有限公司 / 有限责任公司 / 股份 / brackets / spacing folded away; then equal, one containing the
    other (a branch: 某某公司上海分公司), or nearly equal."""
    a, b = org_name_normalise(typed), org_name_normalise(found)
    if not a or not b:
        return False
    if a == b or (min(len(a), len(b)) >= 4 and (a in b or b in a)):
        return True
    return difflib.SequenceMatcher(None, a, b).ratio() >= ORG_SIMILARITY


# A branch names itself after its parent: 某某公司 → 某某公司崇明分公司, 某某银行 → 某某银行浦东支行.
_BRANCH_WORDS = ("分公司", "分行", "支行", "分院", "分店", "分部", "分所", "办事处", "营业部", "分中心", "分厂")


def org_branch_of(typed: str, found: str) -> bool:
    """One of the two names is the other plus a branch (某某公司崇明分公司 is a branch of 某某公司): the same
    organisation for the name, but a branch has a USCC of its own, so a different code is expected."""
    a, b = org_name_normalise(typed), org_name_normalise(found)
    if len(a) < 4 or len(b) < 4 or a == b:
        return False
    (short, _s), (long, long_raw) = sorted([(a, typed), (b, found)], key=lambda x: len(x[0]))
    # The branch word is looked for in the name as written: the normalised one has lost its 公司.
    return long.startswith(short) and any(word in text_fold(long_raw) for word in _BRANCH_WORDS)


@dataclass(frozen=True)
class EvidenceSays:
    """What a record's readable evidence says, all files together."""

    orgs: list[str]
    usccs: list[str]
    persons: list[str]
    text: str


def evidence_says(readings) -> EvidenceSays:
    """readings: (fields, text) of the record's readable (已识别) files."""
    readings = list(readings)
    return EvidenceSays(
        orgs=list(dict.fromkeys(o for f, _t in readings for o in (f or {}).get("orgs", []))),
        usccs=list(dict.fromkeys(c for f, _t in readings for c in (f or {}).get("usccs", []))),
        persons=list(dict.fromkeys(p for f, _t in readings for p in (f or {}).get("persons", []))),
        text="\n".join(t for _f, t in readings),
    )


def _compact(text: str) -> str:
    return text_fold(text).replace(" ", "").replace("\n", "").upper()


def _org_item(typed: str, says: EvidenceSays) -> ComparisonItem:
    label, orgs = _("单位名称"), says.orgs
    if any(org_names_match(typed, org) for org in orgs) or (
            len(org_name_normalise(typed)) >= 4 and org_name_normalise(typed) in org_name_normalise(says.text)):
        return ComparisonItem("org", label, typed, orgs, MATCH)
    if orgs:
        return ComparisonItem("org", label, typed, orgs, MISMATCH, _("材料中的单位与填写的不一致"))
    return ComparisonItem("org", label, typed, orgs, UNKNOWN, _("材料中未找到单位名称"))


def _uscc_item(typed: str, says: EvidenceSays, org_name: str) -> ComparisonItem:
    label, usccs = _("统一社会信用代码"), says.usccs
    code = _compact(typed)
    if code in usccs or (len(code) == 18 and code in _compact(says.text)):
        return ComparisonItem("uscc", label, typed, usccs, MATCH)
    if usccs and org_name and any(org_branch_of(org_name, org) for org in says.orgs):
        return ComparisonItem("uscc", label, typed, usccs, UNKNOWN,
                              _("材料出自分支机构，分支机构有自己的信用代码，与填写的不同属正常"))
    if usccs:
        return ComparisonItem("uscc", label, typed, usccs, MISMATCH, _("材料中的信用代码与填写的不一致"))
    return ComparisonItem("uscc", label, typed, usccs, UNKNOWN, _("材料中未找到有效的信用代码"))


def _name_item(typed: str, says: EvidenceSays) -> ComparisonItem:
    label, persons = _("学生姓名"), says.persons
    name = person_name_normalise(typed)
    if name in persons:
        return ComparisonItem("name", label, typed, persons, MATCH)
    if persons:
        return ComparisonItem("name", label, typed, persons, MISMATCH, _("材料中的姓名与学生不一致"))
    if len(name) >= 2 and name in _compact(says.text):
        return ComparisonItem("name", label, typed, persons, MATCH)
    return ComparisonItem("name", label, typed, persons, UNKNOWN, _("材料中未找到姓名"))


def evidence_items_compare(*, org_name: str, uscc: str, student_name: str,
                           says: EvidenceSays) -> list[ComparisonItem]:
    """✓ / ✗ / 未识别 for each typed item (left blank: not compared) against what readable evidence says.
    The one rule of the record page and of the integrity check evidence_mismatch."""
    items = []
    uscc_item = _uscc_item(uscc, says, org_name) if uscc else None
    if org_name:
        org_item = _org_item(org_name, says)
        # Still ✗ (the counselor compares the two names), but say what makes it likely the same organisation;
        # the integrity check evidence_mismatch does not flag these two cases.
        if org_item.verdict == MISMATCH and uscc_item is not None and uscc_item.verdict == MATCH:
            org_item = replace(org_item, note=_("名称写法与材料不同，但材料中的信用代码与填写的一致"))
        elif org_item.verdict == MISMATCH and any(org_name_abbreviates(org_name, o) for o in says.orgs):
            org_item = replace(org_item, note=_("填写的可能是材料中单位名称的简称"))
        items.append(org_item)
    if uscc_item is not None:
        items.append(uscc_item)
    if student_name:
        items.append(_name_item(student_name, says))
    return items


def _file_reading(evidence: EvidenceFile) -> FileReading:
    reading = getattr(evidence, "reading", None)
    if reading is None or reading.sha256 != evidence.sha256:
        return FileReading(evidence.original_name, "pending", _("尚未识别"), None, "")
    pages = ""
    if reading.pages_total > reading.pages_read:
        pages = _("已读前 %(n)d 页（共 %(total)d 页）") % {"n": reading.pages_read, "total": reading.pages_total}
    return FileReading(evidence.original_name, reading.status, reading.get_status_display(), reading.confidence,
                       pages, reading.error)


def registration_evidence_comparison(*, registration: Registration) -> EvidenceComparison:
    """Per typed item (organisation name, USCC, the student's name; an item left blank is not shown): what
    the record's readable evidence says and ✓ / ✗ / 未识别."""
    files = list(EvidenceFile.objects.filter(registration=registration).select_related("reading"))
    comparison = EvidenceComparison(files=[_file_reading(f) for f in files])
    readings = [(f.reading.fields, f.reading.text) for f, summary in zip(files, comparison.files, strict=True)
                if summary.status == ReadingStatus.READ]
    if readings:
        comparison.items = evidence_items_compare(
            org_name=registration.org_name, uscc=registration.org_uscc, student_name=registration.student.name,
            says=evidence_says(readings))
        return comparison
    note = _("材料尚未识别或无法识别") if files else _("未上传佐证材料")
    labels = {"org": _("单位名称"), "uscc": _("统一社会信用代码"), "name": _("学生姓名")}
    for key, value in (("org", registration.org_name), ("uscc", registration.org_uscc),
                       ("name", registration.student.name)):
        if value:
            comparison.items.append(ComparisonItem(key, labels[key], value, [], UNKNOWN, note))
    return comparison
