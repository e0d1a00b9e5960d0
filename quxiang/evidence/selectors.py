"""What the evidence says next to what was typed (issue 12): the counselor's 鉴证 page shows, per item, ✓ (the
evidence says the same), ✗ (it says something else) or 未识别 (nothing could be read, or the evidence does
not name the item). 未识别 is never turned into ✗: an unreadable photo is not a mismatch."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from quxiang.evidence.fields import org_name_normalise, person_name_normalise, text_fold
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


def _compact(text: str) -> str:
    return text_fold(text).replace(" ", "").replace("\n", "").upper()


def _org_item(typed: str, orgs: list[str], texts: str) -> ComparisonItem:
    label = _("单位名称")
    if any(org_names_match(typed, org) for org in orgs) or (
            len(org_name_normalise(typed)) >= 4 and org_name_normalise(typed) in org_name_normalise(texts)):
        return ComparisonItem("org", label, typed, orgs, MATCH)
    if orgs:
        return ComparisonItem("org", label, typed, orgs, MISMATCH, _("材料中的单位与填写的不一致"))
    return ComparisonItem("org", label, typed, orgs, UNKNOWN, _("材料中未找到单位名称"))


def _uscc_item(typed: str, usccs: list[str], texts: str) -> ComparisonItem:
    label = _("统一社会信用代码")
    code = _compact(typed)
    if code in usccs or (len(code) == 18 and code in _compact(texts)):
        return ComparisonItem("uscc", label, typed, usccs, MATCH)
    if usccs:
        return ComparisonItem("uscc", label, typed, usccs, MISMATCH, _("材料中的信用代码与填写的不一致"))
    return ComparisonItem("uscc", label, typed, usccs, UNKNOWN, _("材料中未找到有效的信用代码"))


def _name_item(typed: str, persons: list[str], texts: str) -> ComparisonItem:
    label = _("学生姓名")
    name = person_name_normalise(typed)
    if name in persons:
        return ComparisonItem("name", label, typed, persons, MATCH)
    if persons:
        return ComparisonItem("name", label, typed, persons, MISMATCH, _("材料中的姓名与学生不一致"))
    if len(name) >= 2 and name in _compact(texts):
        return ComparisonItem("name", label, typed, persons, MATCH)
    return ComparisonItem("name", label, typed, persons, UNKNOWN, _("材料中未找到姓名"))


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
    readings = [f.reading for f, summary in zip(files, comparison.files, strict=True)
                if summary.status == ReadingStatus.READ]
    orgs = list(dict.fromkeys(o for r in readings for o in r.fields.get("orgs", [])))
    usccs = list(dict.fromkeys(c for r in readings for c in r.fields.get("usccs", [])))
    persons = list(dict.fromkeys(p for r in readings for p in r.fields.get("persons", [])))
    texts = "\n".join(r.text for r in readings)
    typed = [("org", registration.org_name), ("uscc", registration.org_uscc), ("name", registration.student.name)]
    for key, value in typed:
        if not value:
            continue
        if not readings:
            label = {"org": _("单位名称"), "uscc": _("统一社会信用代码"), "name": _("学生姓名")}[key]
            note = _("材料尚未识别或无法识别") if files else _("未上传佐证材料")
            comparison.items.append(ComparisonItem(key, label, value, [], UNKNOWN, note))
            continue
        build = {"org": _org_item, "uscc": _uscc_item, "name": _name_item}[key]
        comparison.items.append(build(value, {"org": orgs, "uscc": usccs, "name": persons}[key], texts))
    return comparison
