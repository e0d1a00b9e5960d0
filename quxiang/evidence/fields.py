"""Key fields found in the text of an evidence file (issue 12): organisation names, USCCs, person names and
dates. Pure functions on text, so they are tested on samples without OCR.

The text comes from a PDF's text layer or from OCR, one line per text line. Typing variants are folded
first (NFKC: full-width brackets, colons, digits and letters become ASCII), so that one pattern matches
甲方（用人单位）： and 甲方(用人单位): alike."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import asdict, dataclass, field

from quxiang.core.validators import USCC_ALPHABET, uscc_check_char

# Labels after which an organisation's name is written (就业协议书, 录用通知, 录取通知书, 劳动合同…).
ORG_LABELS = (
    "用人单位名称", "用人单位", "单位名称", "录取学校", "录取院校", "录取单位", "招聘单位", "接收单位", "聘用单位",
    "工作单位", "公司名称", "甲方",
)
PERSON_LABELS = ("毕业生姓名", "学生姓名", "乙方", "姓名", "毕业生", "学生")

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff"
# A label, then an optional bracketed qualifier (甲方（用人单位）, 乙方(毕业生)), then a colon or a space:
# without one, 甲方同意… or 毕业生就业协议书 would read as a label and its value.
_QUALIFIER = r"\s*\([^()]{0,12}\)"
_SEP = r"(?:" + _QUALIFIER + r"\s*:?\s*|\s*:\s*|\s+|$)"
_ORG_RE = re.compile(
    r"(?:" + "|".join(ORG_LABELS) + r")" + _SEP + r"(?P<name>[" + _HAN + r"A-Za-z0-9()&·\- ]{0,80})"
)
_PERSON_RE = re.compile(
    r"(?:" + "|".join(PERSON_LABELS) + r")" + _SEP + r"(?P<name>[" + _HAN + r"·]{0,12}(?: [" + _HAN + r"]{1,3})?)"
)
# Where an organisation's name stops: a seal note or the next field's label on the same line.
_ORG_STOP = re.compile(
    r"\s{2,}|\((?:盖章|签章|公章|签字|签名)\)|(?:盖章|签章|地址|住所|电话|联系人|邮编|法定代表人|统一社会信用代码|"
    r"信用代码|乙方|姓名|日期)"
)
# The name ends with the last of these (a trailing branch in brackets is kept).
_ORG_ENDINGS = re.compile(
    r"(?:公司|大学|学院|学校|研究院|研究所|研究中心|医院|银行|分行|支行|中心|集团|委员会|事务所|合作社|厂|局|部队|幼儿园)"
    r"(?:\([^()]{1,20}\))?"
)
_ORG_SUFFIXES = ("有限责任公司", "股份有限公司", "有限公司", "股份公司", "集团公司", "公司")
# Words that follow a person label but are not a name (乙方 签字, 姓名 性别 …).
_NOT_NAMES = {"签字", "签名", "盖章", "性别", "姓名", "本人", "同意", "毕业", "学号", "专业", "身份", "承诺", "声明"}
_USCC_CHARS = "[" + re.escape(USCC_ALPHABET) + "]"
_USCC_RE = re.compile(r"(?<![0-9A-Z])" + _USCC_CHARS + r"{18}(?![0-9A-Z])")
_DATE_RE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*(?:年\s*(?P<m1>\d{1,2})\s*月\s*(?P<d1>\d{1,2})\s*日"
    r"|[-/.](?P<m2>\d{1,2})[-/.](?P<d2>\d{1,2})(?!\d))"
)


@dataclass
class EvidenceFields:
    orgs: list[str] = field(default_factory=list)
    usccs: list[str] = field(default_factory=list)
    persons: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return asdict(self)


def text_fold(text: str) -> str:
    """NFKC (full-width → ASCII), ideographic spaces and tabs as plain spaces, one line per line."""
    text = unicodedata.normalize("NFKC", text or "").replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"[ \t\u3000\xa0]+", " ", text)


def org_name_normalise(name: str) -> str:
    """The comparable core of an organisation's name: no brackets' content difference in form, no spaces,
    no legal-form suffix (有限公司 / 有限责任公司 / 股份有限公司 …). 上海 示范科技(集团)有限责任公司 and
    上海示范科技（集团）有限公司 give the same key."""
    s = text_fold(name).replace(" ", "").strip("，,。.;；:")
    s = re.sub(r"[()\[\]【】〔〕]", "", s)
    for suffix in _ORG_SUFFIXES:
        if s.endswith(suffix) and len(s) > len(suffix) + 1:
            s = s[: -len(suffix)]
            break
    return s.replace("股份", "").upper()


def org_name_abbreviates(short: str, long: str) -> bool:
    """`short` is an abbreviation of `long` as students type one: both normalised (org_name_normalise), at
    least 4 characters, the same first two, and every character of `short` found in `long` in order
    (中国移动崇明分公司 for 中国移动通信集团上海有限公司崇明分公司; 上海示范科技 for 上海示范数字科技). Not
    symmetric: the caller says which name is the short one."""
    a, b = org_name_normalise(short), org_name_normalise(long)
    if len(a) < 4 or len(a) >= len(b) or a[:2] != b[:2]:
        return False
    rest = iter(b)
    return all(ch in rest for ch in a)


def person_name_normalise(name: str) -> str:
    return text_fold(name).replace(" ", "").replace("•", "·").strip()


def uscc_is_valid(code: str) -> bool:
    """18 characters of the USCC alphabet, digits in positions 3–8 (the region), and a right check digit."""
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code) or not code[2:8].isdigit():
        return False
    return uscc_check_char(code[:17]) == code[17]


def _clean_org(raw: str) -> str:
    name = _ORG_STOP.split(raw, maxsplit=1)[0].strip(" -·&")
    endings = list(_ORG_ENDINGS.finditer(name))
    if endings:
        name = name[: endings[-1].end()]
    elif " " in name:
        name = name.split(" ")[0]  # no organisational ending: the first word only
    # An unclosed bracket at the end is the start of a note, not part of the name.
    if name.count("(") > name.count(")"):
        name = name[: name.rfind("(")].strip()
    return name.replace(" ", "") if len(name.replace(" ", "")) <= 60 else ""


def _clean_person(raw: str) -> str:
    words = raw.split(" ")
    # 张 三 (a name spaced out on a form) is one name; 张三 签订日期 is a name and the next field.
    name = words[0] + words[1] if len(words) > 1 and len(words[0]) == 1 else words[0]
    name = person_name_normalise(name)
    if "·" in name:  # names of some minorities: 买买提·艾力
        return name if 3 <= len(name) <= 12 and not name.startswith("·") and not name.endswith("·") else ""
    if not 2 <= len(name) <= 4 or name in _NOT_NAMES or any(name.startswith(w) for w in _NOT_NAMES):
        return ""
    return name


def _uscc_candidates(line: str) -> list[str]:
    found = []
    for variant in (line.upper(), re.sub(r"[\s\-]", "", line.upper())):
        found.extend(m.group(0) for m in _USCC_RE.finditer(variant))
    return found


def _dates(line: str) -> list[str]:
    out = []
    for m in _DATE_RE.finditer(line):
        month, day = m.group("m1") or m.group("m2"), m.group("d1") or m.group("d2")
        try:
            out.append(dt.date(int(m.group("y")), int(month), int(day)).isoformat())
        except ValueError:
            continue
    return out


def _after_labels(raw: str, labels) -> str:
    """The value without the labels in front of it: a table row read as one line puts the party, then
    the field's own label, then the value (甲方 单位名称 上海示范科技有限公司; 乙方 姓名 李明华)."""
    stripped = True
    while stripped:
        stripped = False
        for label in labels:
            if raw.startswith(label) and len(raw) > len(label):
                raw = raw[len(label):].lstrip(" :()")
                stripped = True
                break
    return raw


_ORG_ROW_LABELS = tuple(sorted({*ORG_LABELS, "名称", "全称"}, key=len, reverse=True))
_PERSON_ROW_LABELS = tuple(sorted(set(PERSON_LABELS), key=len, reverse=True))


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def evidence_fields_extract(*, text: str) -> EvidenceFields:
    """Organisation names after 甲方 / 用人单位 / 单位名称 / 录取学校 / 招聘单位 …; USCC-shaped strings whose
    check digit is right (an OCR slip gives a wrong one, and a wrong one must not count as "another
    organisation's code"); person names after 乙方 / 姓名 / 学生; dates (ISO). A label alone at the end of a
    line takes its value from the next line (a table cell read as its own line)."""
    lines = [ln.strip() for ln in text_fold(text).split("\n")]
    lines = [ln for ln in lines if ln]
    fields = EvidenceFields()
    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else ""
        for m in _ORG_RE.finditer(line):
            # A label alone at the end of its line (a table cell): its value is the next line.
            raw = m.group("name").strip() or (following if m.end() == len(line) else "")
            name = _clean_org(_after_labels(raw, _ORG_ROW_LABELS))
            if len(re.findall("[" + _HAN + "A-Za-z]", name)) >= 2:
                fields.orgs.append(name)
        for m in _PERSON_RE.finditer(line):
            raw = m.group("name").strip() or (following if m.end() == len(line) else "")
            fields.persons.append(_clean_person(_after_labels(raw, _PERSON_ROW_LABELS)))
        fields.usccs.extend(c for c in _uscc_candidates(line) if uscc_is_valid(c))
        fields.dates.extend(_dates(line))
    fields.orgs = _unique(fields.orgs)
    fields.usccs = _unique(fields.usccs)
    fields.persons = _unique(fields.persons)
    fields.dates = _unique(fields.dates)
    return fields
