"""Roster import, step 1: read every row of the workbook and apply the format checks that need no database
(`import_file_parse`). The result (`ParsedFile`) is stored next to the file, so the import does not parse
the workbook again."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _

from quxiang.core.validators import mask_national_id, validate_mobile, validate_national_id
from quxiang.imports.columns import BY_KEY, COLUMNS, EXAMPLE_MARK, OPTIONAL_TEXT_FIELDS, REQUIRED_KEYS
from quxiang.imports.progress import Progress
from quxiang.imports.reader import (
    RosterFileError,
    cell_code,
    cell_date,
    cell_is_lossy_number,
    cell_text,
    cell_token,
    rows_read,
)
from quxiang.roster.models import EducationLevel, Gender

LEVELS = {
    "本科": EducationLevel.BACHELOR, "本科生": EducationLevel.BACHELOR,
    "硕士": EducationLevel.MASTER, "硕士研究生": EducationLevel.MASTER,
    "博士": EducationLevel.DOCTOR, "博士研究生": EducationLevel.DOCTOR,
}
GENDERS = {"男": Gender.MALE, "女": Gender.FEMALE, "男性": Gender.MALE, "女性": Gender.FEMALE}
LEVEL_LABELS = dict(EducationLevel.choices)
STUDENT_NUMBER_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_")
_email = EmailValidator()


def _date_or_error(raw: Any, header: str, reasons: list[str], example: str) -> dt.date | None:
    try:
        return cell_date(raw)
    except ValueError:
        reasons.append(_("%(col)s无法识别：%(value)s（应如 %(example)s）") % {
            "col": header, "value": cell_text(raw), "example": example})
        return None


def row_clean(raw: dict[str, Any], present: set[str]) -> tuple[dict[str, Any], list[str]]:
    """Format checks of one row, independent of the database. Returns cleaned values and reasons."""
    reasons: list[str] = []
    v: dict[str, Any] = {
        "student_number": cell_token(raw.get("student_number")),
        "name": cell_text(raw.get("name")),
        "college": cell_text(raw.get("college")),
        "major_code": cell_code(raw.get("major_code")),
        "class_name": cell_text(raw.get("class_name")),
        "counselor": cell_token(raw.get("counselor")),
        "origin_region": cell_code(raw.get("origin_region")),
    }
    missing = [c.header for c in COLUMNS if c.key in REQUIRED_KEYS and not cell_text(raw.get(c.key))]
    if missing:
        reasons.append(_("缺少必填项：%(cols)s") % {"cols": "、".join(missing)})

    number = v["student_number"]
    if number and (len(number) > 20 or not set(number) <= STUDENT_NUMBER_CHARS):
        reasons.append(_("学号“%(value)s”格式不正确（最多 20 位字母或数字）") % {"value": number})
    if len(v["name"]) > 50:
        reasons.append(_("姓名超过 50 个字"))

    gender_text = cell_text(raw.get("gender"))
    v["gender"] = GENDERS.get(gender_text, "")
    if gender_text and not v["gender"]:
        reasons.append(_("性别应为“男”或“女”，而不是“%(value)s”") % {"value": gender_text})

    raw_id = raw.get("national_id")
    v["national_id"] = cell_code(raw_id)
    if v["national_id"] and cell_is_lossy_number(raw_id):
        # Even when the digits left over happen to pass the check, they are not the student's number.
        reasons.append(_("身份证号 %(value)s 被 Excel 存成了数字，只保留了前 15 位有效数字；请把身份证号列设为文本后重新录入") % {
            "value": mask_national_id(v["national_id"])})
        v["national_id"] = ""
    elif v["national_id"]:
        try:
            v["national_id"] = validate_national_id(v["national_id"])
        except ValidationError as exc:
            reasons.append(_("身份证号 %(value)s：%(msg)s") % {
                "value": mask_national_id(v["national_id"]), "msg": exc.messages[0]})
            v["national_id"] = ""
        else:
            id_gender = Gender.MALE if int(v["national_id"][16]) % 2 else Gender.FEMALE
            if v["gender"] and v["gender"] != id_gender:
                reasons.append(_("性别与身份证号不一致（身份证号第 17 位表示%(g)s）") % {
                    "g": Gender(id_gender).label})

    level_text = cell_text(raw.get("education_level"))
    v["education_level"] = LEVELS.get(level_text, "")
    if level_text and not v["education_level"]:
        reasons.append(_("学历层次应为“本科”“硕士”或“博士”，而不是“%(value)s”") % {"value": level_text})

    if len(v["class_name"]) > 100:
        reasons.append(_("班级名称超过 100 个字"))
    region = v["origin_region"]
    if region and (len(region) != 6 or not region.isdigit()):
        reasons.append(_("生源地代码“%(value)s”应为 6 位数字") % {"value": region})

    year_text = cell_code(raw.get("graduation_year")).removesuffix("届").removesuffix("年")
    v["graduation_year"] = int(year_text) if year_text.isdigit() and len(year_text) == 4 else None
    if year_text and (v["graduation_year"] is None or not 1990 <= v["graduation_year"] <= 2100):
        reasons.append(_("毕业年份“%(value)s”应为 4 位年份，如 2027") % {"value": cell_text(raw.get("graduation_year"))})

    if "phone" in present:
        v["phone"] = cell_code(raw.get("phone")).replace("-", "").removeprefix("+86")
        if v["phone"]:
            try:
                v["phone"] = validate_mobile(v["phone"])
            except ValidationError as exc:
                reasons.append(_("手机号 %(value)s：%(msg)s") % {"value": v["phone"], "msg": exc.messages[0]})
    if "email" in present:
        v["email"] = cell_text(raw.get("email")).replace(" ", "")
        if v["email"]:
            try:
                _email(v["email"])
                if len(v["email"]) > 254:
                    raise ValidationError("too long")
            except ValidationError:
                reasons.append(_("电子邮箱“%(value)s”格式不正确") % {"value": v["email"]})
    for key, max_length in OPTIONAL_TEXT_FIELDS.items():
        if key in present:
            v[key] = cell_code(raw.get(key)) if key == "exam_number" else cell_text(raw.get(key))
            if len(v[key]) > max_length:
                reasons.append(_("%(col)s超过 %(n)d 个字") % {"col": BY_KEY[key].header, "n": max_length})
    if "enrolled_on" in present:
        v["enrolled_on"] = _date_or_error(raw.get("enrolled_on"), BY_KEY["enrolled_on"].header, reasons, "2023-09")
    if "graduation_date" in present:
        v["graduation_date"] = _date_or_error(
            raw.get("graduation_date"), BY_KEY["graduation_date"].header, reasons, "2027-06-30")
    return v, reasons


@dataclass
class ParsedFile:
    """The rows of a file after the format checks (`row_clean`), before any database lookup."""

    present: list[str]  # column keys present in the file
    rows: list[tuple[int, dict[str, Any], list[str]]]  # (Excel row, cleaned values, reasons)

    DATE_KEYS = ("enrolled_on", "graduation_date")

    def to_bytes(self) -> bytes:
        def encode(v: dict[str, Any]) -> dict[str, Any]:
            return {k: (x.isoformat() if k in self.DATE_KEYS and x is not None else x) for k, x in v.items()}

        data = {"version": 1, "present": self.present, "rows": [[n, encode(v), r] for n, v, r in self.rows]}
        return gzip.compress(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(), compresslevel=1)

    @classmethod
    def from_bytes(cls, blob: bytes) -> ParsedFile:
        data = json.loads(gzip.decompress(blob))
        if data.get("version") != 1:
            raise ValueError("unknown version")
        rows = []
        for n, v, r in data["rows"]:
            for k in cls.DATE_KEYS:
                if v.get(k):
                    v[k] = dt.date.fromisoformat(v[k])
            rows.append((n, v, r))
        return cls(present=data["present"], rows=rows)


def import_file_parse(*, fileobj, progress: Progress | None = None) -> ParsedFile:
    """Read every row and apply the format checks. Raises RosterFileError for a file-level problem."""

    def read_progress(done: int, total: int) -> None:
        if progress is not None:
            progress.set(done / max(total, 1))

    present: list[str] | None = None
    rows: list[tuple[int, dict[str, Any], list[str]]] = []
    for row_no, raw in rows_read(fileobj=fileobj, on_progress=read_progress):
        if present is None:
            present = sorted(raw)
        v, reasons = row_clean(raw, set(present))
        if v["name"].endswith(EXAMPLE_MARK):
            continue  # the template's example row
        rows.append((row_no, v, reasons))
    if not rows:  # the header (and perhaps the template's example) alone: nothing to preview or import
        raise RosterFileError(_("名单中没有学生数据（只有表头），请在表头下逐行填写学生后重新上传。"))
    return ParsedFile(present=present or [], rows=rows)
