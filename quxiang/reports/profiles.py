"""Export profiles at work (issue 14): the rows of a cohort, what each profile field takes from them (SOURCES),
and one compiled, read-only copy of a profile (`CompiledProfile`) that turns a row into the profile's cells and
the row's problems in the same pass — so the pre-check and the export cannot disagree about a record.

Cells are text: codes keep their leading zeros (民族 "01", not 1), dates are written in the field's format,
a value that is not in its code table is written empty (and reported), the national ID is masked unless the
export is a full one. The profile itself is data (models.py); this module never changes it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from quxiang.accounts.access import scope
from quxiang.accounts.models import User
from quxiang.core.errors import DomainError
from quxiang.core.validators import mask_national_id, validate_national_id, validate_uscc
from quxiang.reference.models import DestinationCategory, Industry, JobCategory, OrgKind, OrgNature, Region
from quxiang.registrations.models import Status
from quxiang.reports.models import (
    MAPPED_TABLES,
    CodeTable,
    ExportProfile,
    Fixer,
    ProfileCode,
    SchoolSettings,
)
from quxiang.reports.selectors import ABROAD_STUDY_CATEGORY, _with_records, state_labels
from quxiang.roster.models import EducationLevel, Gender, Student

# --- the rows --------------------------------------------------------------------------------------

ROW_FIELDS: tuple[str, ...] = (
    "pk", "student_number", "exam_number", "name", "gender", "national_id", "origin_region_id",
    "origin_region__full_name", "ethnicity", "political_status", "urban_rural", "education_level",
    "major__name", "major__code", "enrolled_on", "graduation_date", "training_mode", "study_form",
    "state", "school_class__name", "v__id", "o__id",
    "v__destination_type__category_id", "v__destination_type__category__name", "v__destination_type__org_kind",
    "v__signed_on", "v__org_name", "v__org_uscc", "v__org_shanghai_reg_no", "v__org_nature_id",
    "v__org_nature__name", "v__org_industry_id", "v__org_industry__name", "v__org_region_id",
    "v__org_region__full_name", "v__org_address", "v__job_category_id", "v__job_category__name",
    "v__abroad_country__name_zh", "v__abroad_name_original", "v__programme", "v__programme_original",
    "v__archive_unit", "v__archive_address", "v__archive_postcode",
)
_INDEX = {name: i for i, name in enumerate(ROW_FIELDS)}
CATEGORY_INDEX = _INDEX["v__destination_type__category_id"]


def profile_rows(*, user: User, year: int, verified_only: bool = False) -> QuerySet:
    """The cohort `year` as `user` may see it, one tuple of ROW_FIELDS per student, by 学号. Use
    `.iterator(chunk_size=…)` (a server-side cursor on PostgreSQL)."""
    students = scope(user=user, queryset=Student.objects.filter(graduation_year=year))
    qs = _with_records(students)
    if verified_only:
        qs = qs.filter(state=Status.VERIFIED)
    return qs.order_by("student_number").values_list(*ROW_FIELDS)


class Row:
    """One tuple of ROW_FIELDS with the few derived values the sources share."""

    __slots__ = ("t", "category", "abroad", "study_abroad")

    def __init__(self, t: tuple) -> None:
        self.t = t
        self.category = t[CATEGORY_INDEX] or ""
        self.abroad = t[_INDEX["v__destination_type__org_kind"]] == OrgKind.ABROAD
        self.study_abroad = self.abroad and self.category == ABROAD_STUDY_CATEGORY

    def __getitem__(self, name: str) -> Any:
        return self.t[_INDEX[name]]

    @property
    def record_id(self) -> int | None:
        return self["v__id"] or self["o__id"]


# --- what a field can take -------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    label: str
    get: Callable[[Row, dict[str, str]], Any]
    fixer: str = Fixer.STUDENT
    check: Callable[[str], str] | None = None  # returns a problem in Chinese, or ""


def _field(name: str) -> Callable[[Row, dict[str, str]], Any]:
    return lambda row, _settings: row[name]


def _setting(name: str) -> Callable[[Row, dict[str, str]], Any]:
    return lambda _row, settings: settings.get(name, "")


def _birth_date(row: Row, _settings: dict[str, str]) -> dt.date | None:
    nid = row["national_id"] or ""
    if len(nid) == 18 and nid[6:14].isdigit():
        try:
            return dt.date(int(nid[6:10]), int(nid[10:12]), int(nid[12:14]))
        except ValueError:
            return None
    return None


def _check_id(value: str) -> str:
    try:
        validate_national_id(value)
    except ValidationError as exc:
        return " ".join(exc.messages)
    return ""


def _check_uscc(value: str) -> str:
    try:
        validate_uscc(value)
    except ValidationError as exc:
        return " ".join(exc.messages)
    return ""


def _check_school_code(value: str) -> str:
    return "" if re.fullmatch(r"\d{5}", value) else _("院校代码应为 5 位数字（在“院校信息”中修改）。")


# The roster's stored values as the Chinese words the code tables are keyed by (fixed here, not translated:
# the mapping must not change with the user's language).
_GENDER_TEXT = {Gender.MALE.value: "男", Gender.FEMALE.value: "女"}
_LEVEL_TEXT = {EducationLevel.BACHELOR.value: "本科", EducationLevel.MASTER.value: "硕士",
               EducationLevel.DOCTOR.value: "博士"}


def _gender(row: Row, _s: dict[str, str]) -> str:
    value = row["gender"] or ""
    return _GENDER_TEXT.get(value, value)


def _level(row: Row, _s: dict[str, str]) -> str:
    value = row["education_level"] or ""
    return _LEVEL_TEXT.get(value, value)


def _org_name(row: Row, _s: dict[str, str]) -> str:
    return "" if row.study_abroad else row["v__org_name"] or ""


def _org_region_name(row: Row, _s: dict[str, str]) -> str:
    if row.abroad and not row.study_abroad:
        return row["v__abroad_country__name_zh"] or ""
    return row["v__org_region__full_name"] or ""


def _abroad(name: str) -> Callable[[Row, dict[str, str]], Any]:
    return lambda row, _s: (row[name] or "") if row.study_abroad else ""


def _state(row: Row, _s: dict[str, str]) -> str:
    return state_labels().get(row["state"], row["state"])


_OFFICE, _COUNSELOR, _STUDENT = Fixer.OFFICE.value, Fixer.COUNSELOR.value, Fixer.STUDENT.value

# Our field → how to read it, who fixes it by default and any check beyond width and code table.
SOURCES: dict[str, Source] = {
    "school_code": Source(_("院校代码"), _setting("school_code"), _OFFICE, _check_school_code),
    "school_name": Source(_("院校名称"), _setting("school_name"), _OFFICE),
    "authority_code": Source(_("隶属部门代码"), _setting("authority_code"), _OFFICE),
    "authority_name": Source(_("隶属部门"), _setting("authority_name"), _OFFICE),
    "student_number": Source(_("学号"), _field("student_number"), _OFFICE),
    "exam_number": Source(_("考生号"), _field("exam_number"), _OFFICE),
    "name": Source(_("姓名"), _field("name"), _OFFICE),
    "national_id": Source(_("身份证号"), _field("national_id"), _OFFICE, _check_id),
    "gender": Source(_("性别"), _gender, _OFFICE),
    "birth_date": Source(_("出生日期（取自身份证号）"), _birth_date, _OFFICE),
    "ethnicity": Source(_("民族"), _field("ethnicity"), _COUNSELOR),
    "political_status": Source(_("政治面貌"), _field("political_status"), _COUNSELOR),
    "urban_rural": Source(_("城乡生源"), _field("urban_rural"), _OFFICE),
    "education_level": Source(_("学历层次"), _level, _OFFICE),
    "major_code": Source(_("专业代码"), _field("major__code"), _OFFICE),
    "major_name": Source(_("专业名称"), _field("major__name"), _OFFICE),
    "training_mode": Source(_("培养方式"), _field("training_mode"), _OFFICE),
    "study_form": Source(_("学习形式"), _field("study_form"), _OFFICE),
    "origin_region_code": Source(_("生源地代码"), _field("origin_region_id"), _OFFICE),
    "origin_region_name": Source(_("生源地名称"), _field("origin_region__full_name"), _OFFICE),
    "enrolled_on": Source(_("入学年月"), _field("enrolled_on"), _OFFICE),
    "graduation_date": Source(_("毕业日期"), _field("graduation_date"), _OFFICE),
    "category_code": Source(_("毕业去向类别代码"), _field("v__destination_type__category_id")),
    "category_name": Source(_("毕业去向"), _field("v__destination_type__category__name")),
    "signed_on": Source(_("签约日期"), _field("v__signed_on")),
    "org_name": Source(_("单位名称"), _org_name),
    "org_uscc": Source(_("统一社会信用代码"), _field("v__org_uscc"), _STUDENT, _check_uscc),
    "org_shanghai_reg_no": Source(_("单位信息登记号"), _field("v__org_shanghai_reg_no")),
    "org_nature_code": Source(_("单位性质代码"), _field("v__org_nature_id")),
    "org_nature_name": Source(_("单位性质名称"), _field("v__org_nature__name")),
    "org_industry_code": Source(_("单位行业代码"), _field("v__org_industry_id")),
    "org_industry_name": Source(_("单位行业名称"), _field("v__org_industry__name")),
    "org_region_code": Source(_("单位所在地代码"), _field("v__org_region_id")),
    "org_region_name": Source(_("单位所在地名称"), _org_region_name),
    "org_address": Source(_("单位地址"), _field("v__org_address")),
    "job_category_code": Source(_("工作职位类别代码"), _field("v__job_category_id")),
    "job_category_name": Source(_("工作职位类别名称"), _field("v__job_category__name")),
    "abroad_country": Source(_("留学国家（地区）"), _abroad("v__abroad_country__name_zh")),
    "abroad_school": Source(_("留学院校中文名称"), _abroad("v__org_name")),
    "abroad_school_original": Source(_("留学院校外文名称"), _abroad("v__abroad_name_original")),
    "abroad_programme": Source(_("留学专业中文名称"), _abroad("v__programme")),
    "abroad_programme_original": Source(_("留学专业外文名称"), _abroad("v__programme_original")),
    "archive_unit": Source(_("档案转寄单位名称"), _field("v__archive_unit")),
    "archive_address": Source(_("档案转寄单位地址"), _field("v__archive_address")),
    "archive_postcode": Source(_("档案转寄单位邮编"), _field("v__archive_postcode")),
    "state": Source(_("登记状态"), _state, _OFFICE),
}
SETTINGS_SOURCES = {"school_code", "school_name", "authority_code", "authority_name"}


def source_choices() -> list[tuple[str, str]]:
    return [(key, f"{key} · {source.label}") for key, source in SOURCES.items()]


# --- the school's codes ----------------------------------------------------------------------------


def school_settings_get() -> SchoolSettings:
    """The one settings row (an unsaved empty one before the office first fills it)."""
    return SchoolSettings.objects.filter(pk=1).first() or SchoolSettings(pk=1)


def school_settings_values() -> dict[str, str]:
    s = school_settings_get()
    return {"school_code": s.school_code.strip(), "school_name": s.school_name.strip(),
            "authority_code": s.authority_code.strip(), "authority_name": s.authority_name.strip()}


# --- a compiled profile ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    code: str
    name: str
    width: int
    fixed: bool
    table: str
    date_format: str
    required_all: bool
    required_codes: frozenset[str]
    fixer: str
    source_key: str
    source: Source
    mapping: dict[str, str] | None = None  # a mapped table: our text → code
    allowed: frozenset[str] | None = None  # a reference table: the codes that exist

    def required(self, category: str) -> bool:
        return self.required_all or category in self.required_codes


@dataclass(frozen=True)
class Problem:
    """One thing the national loader would refuse in one record."""

    student_id: int
    student_number: str
    name: str
    class_name: str
    record_id: int | None
    field_code: str
    field_name: str
    message: str
    fixer: str

    @property
    def fixer_label(self) -> str:
        return str(Fixer(self.fixer).label)


def parse_required(value: str) -> tuple[bool, frozenset[str]]:
    value = (value or "").strip()
    if value == "*":
        return True, frozenset()
    return False, frozenset(c.strip() for c in re.split(r"[,，\s]+", value) if c.strip())


def reference_codes(table: str) -> frozenset[str]:
    model = {CodeTable.CATEGORY: DestinationCategory, CodeTable.ORG_NATURE: OrgNature, CodeTable.INDUSTRY: Industry,
             CodeTable.JOB_CATEGORY: JobCategory, CodeTable.REGION: Region}[CodeTable(table)]
    return frozenset(model.objects.values_list("pk", flat=True))


@dataclass
class CompiledProfile:
    profile_id: int
    name: str
    key: str
    year: int
    version: int
    header_mode: str
    sheet_title: str
    columns: list[Column]
    settings: dict[str, str] = field(default_factory=dict)
    full_id: bool = False

    @property
    def codes(self) -> list[str]:
        return [c.code for c in self.columns]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def missing_settings(self) -> list[str]:
        """Names of the school's codes this profile uses that are still empty."""
        return [str(SOURCES[c.source_key].label) for c in self.columns
                if c.source_key in SETTINGS_SOURCES and not self.settings.get(c.source_key)]

    def settings_problems(self) -> list[str]:
        """What is wrong with the school's own codes (the same for every record, so said once, not per record):
        the export stops on any of these."""
        found = []
        missing = self.missing_settings()
        if missing:
            found.append(_("本校的%(what)s尚未填写") % {"what": "、".join(missing)})
        for col in self.columns:
            text = self.settings.get(col.source_key, "") if col.source_key in SETTINGS_SOURCES else ""
            if not text:
                continue
            if col.fixed and len(text) != col.width:
                found.append(_("%(name)s应为 %(w)d 位（现为 %(n)d 位）") % {"name": col.name, "w": col.width, "n": len(text)})
            elif len(text) > col.width:
                found.append(_("%(name)s超过 %(w)d 个字符（现为 %(n)d 个）") % {"name": col.name, "w": col.width, "n": len(text)})
            elif col.source.check is not None and col.source.check(text):
                found.append(col.source.check(text))
        return found

    def evaluate(self, t: tuple) -> tuple[Row, list[str], list[tuple[Column, str]]]:
        """The row's cells, in column order, and its problems as (column, message)."""
        row = Row(t)
        cells: list[str] = []
        problems: list[tuple[Column, str]] = []
        if not row.category:
            problems.append((None, _no_destination_message(row["state"])))  # type: ignore[arg-type]
        for col in self.columns:
            if col.source_key in SETTINGS_SOURCES:  # checked once, in settings_problems()
                cells.append(self.settings.get(col.source_key, ""))
                continue
            raw = col.source.get(row, self.settings)
            if isinstance(raw, dt.date):
                text = raw.strftime(col.date_format or "%Y-%m-%d")
            else:
                text = "" if raw is None else str(raw).strip()
            problem = ""
            if text and col.mapping is not None:
                code = col.mapping.get(text)
                if code is None and col.table == CodeTable.ETHNICITY:
                    code = col.mapping.get(text + "族")  # "汉" for "汉族"
                if code is None:
                    problem = _("%(name)s“%(value)s”不在代码表中") % {"name": col.name, "value": text}
                    text = ""
                else:
                    text = code
            elif text and col.allowed is not None and text not in col.allowed:
                problem = _("%(name)s“%(value)s”不在代码表中") % {"name": col.name, "value": text}
                text = ""
            if not problem:
                if not text:
                    # Without a destination, the one problem above says it (no second "缺少毕业去向类别代码").
                    if col.required(row.category) and (row.category or col.source_key != "category_code"):
                        problem = _("缺少%(name)s") % {"name": col.name}
                elif col.fixed and len(text) != col.width:
                    problem = _("%(name)s应为 %(w)d 位（现为 %(n)d 位）") % {"name": col.name, "w": col.width, "n": len(text)}
                elif len(text) > col.width:
                    problem = _("%(name)s超过 %(w)d 个字符（现为 %(n)d 个）") % {"name": col.name, "w": col.width, "n": len(text)}
                elif col.source.check is not None:
                    problem = col.source.check(text)
            if problem:
                problems.append((col, problem))
            if col.source_key == "national_id" and text and not self.full_id:
                text = mask_national_id(text)
            cells.append(text)
        return row, cells, problems

    def problems_of(self, t: tuple) -> list[Problem]:
        row, _cells, found = self.evaluate(t)
        return [self._problem(row, col, message) for col, message in found]

    def _problem(self, row: Row, col: Column | None, message: str) -> Problem:
        if col is None:
            fixer = Fixer.COUNSELOR if row["state"] == Status.SUBMITTED else Fixer.STUDENT
            code, name = "", str(_("毕业去向"))
        else:
            fixer, code, name = col.fixer, col.code, col.name
        return Problem(student_id=row["pk"], student_number=row["student_number"], name=row["name"],
                       class_name=row["school_class__name"] or "", record_id=row.record_id,
                       field_code=code, field_name=name, message=message, fixer=str(fixer))


def _no_destination_message(state: str) -> str:
    if state == Status.SUBMITTED:
        return _("去向记录待鉴证：鉴证通过后才能上报")
    if state == Status.RETURNED:
        return _("去向记录已退回，学生修改后重新提交")
    if state == Status.DRAFT:
        return _("去向记录仍是草稿，学生尚未提交")
    return _("尚未登记毕业去向")


def profile_compile(*, profile: ExportProfile, full_id: bool = False,
                    settings: dict[str, str] | None = None) -> CompiledProfile:
    """A read-only copy of `profile` with its code tables loaded, for one pre-check or one export."""
    mapped: dict[str, dict[str, str]] = {}
    for table, label, code in ProfileCode.objects.filter(profile=profile).values_list("table", "label", "code"):
        mapped.setdefault(table, {})[label.strip()] = code.strip()
    reference: dict[str, frozenset[str]] = {}
    columns = []
    for f in profile.fields.order_by("position"):
        source = SOURCES.get(f.source)
        if source is None:
            raise DomainError(_("上报格式“%(p)s”的字段 %(c)s 取值“%(s)s”不存在，请在格式中修改。")
                              % {"p": profile.name, "c": f.code, "s": f.source}, code="profile_source")
        required_all, required_codes = parse_required(f.required_for)
        mapping = allowed = None
        if f.code_table in MAPPED_TABLES:
            mapping = mapped.get(f.code_table, {})
        elif f.code_table:
            if f.code_table not in reference:
                reference[f.code_table] = reference_codes(f.code_table)
            allowed = reference[f.code_table]
        columns.append(Column(
            code=f.code, name=f.name, width=f.width, fixed=f.fixed_width, table=f.code_table,
            date_format=f.date_format, required_all=required_all, required_codes=required_codes,
            fixer=f.fixer or source.fixer, source_key=f.source, source=source, mapping=mapping, allowed=allowed,
        ))
    return CompiledProfile(
        profile_id=profile.pk, name=profile.name, key=profile.key, year=profile.year, version=profile.version,
        header_mode=profile.header_mode, sheet_title=profile.sheet_title or "毕业生", columns=columns,
        settings=settings if settings is not None else school_settings_values(), full_id=full_id,
    )


def profile_settings_check(*, compiled: CompiledProfile) -> None:
    """Stop with a clear message when the profile uses a school code the office has not filled in (or one that
    does not fit the profile)."""
    missing = compiled.missing_settings()
    if missing:
        raise DomainError(
            _("上报格式“%(p)s”需要本校的%(what)s，尚未填写。请先在“院校信息”中填写后再导出。")
            % {"p": compiled.name, "what": "、".join(missing)},
            code="school_settings_missing",
        )
    wrong = compiled.settings_problems()
    if wrong:
        raise DomainError(_("院校信息有误：%(what)s。请先在“院校信息”中修改后再导出。") % {"what": "；".join(wrong)},
                          code="school_settings_invalid")


def profile_cells(rows: Iterable[tuple], *, compiled: CompiledProfile, clean_only: bool) -> Iterator[list[str]]:
    """The cells of each row, skipping rows with problems when `clean_only`."""
    for t in rows:
        _row, cells, problems = compiled.evaluate(t)
        if clean_only and problems:
            continue
        yield cells


def profile_list(*, active_only: bool = True) -> list[ExportProfile]:
    qs = ExportProfile.objects.all()
    if active_only:
        qs = qs.filter(is_active=True)
    return list(qs.order_by("key", "-year", "-version"))
