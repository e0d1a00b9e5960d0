"""Reads of the national export: the cohort's rows, one per student, and their cell text (SPEC §4).
Everything goes through `scope()`; a student's state is decided as on the statistics page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet

from quxiang.accounts.access import scope
from quxiang.accounts.models import User
from quxiang.core.validators import mask_national_id
from quxiang.reference.models import OrgKind
from quxiang.registrations.models import Status
from quxiang.reports.selectors import ABROAD_STUDY_CATEGORY, _with_records, state_labels
from quxiang.roster.models import EducationLevel, Gender, Student

# --- the national export ---------------------------------------------------------------------------

# The columns of SPEC §4 in its order, plus 身份证号 (after 性别) and our own 登记状态 (last).
EXPORT_COLUMNS: list[str] = [
    "学号", "考生号", "姓名", "性别", "身份证号", "出生日期", "生源地代码", "生源地名称", "民族", "政治面貌", "城乡生源",
    "学历层次", "专业名称", "专业代码", "入学年月", "毕业日期", "培养方式", "学习形式",
    "毕业去向类别代码", "毕业去向", "签约日期",
    "单位名称", "统一社会信用代码", "单位性质代码", "单位性质名称", "单位行业代码", "单位行业名称",
    "单位所在地代码", "单位所在地名称", "单位地址", "工作职位类别代码", "工作职位类别名称",
    "留学国家地区", "留学院校中文名称", "留学院校外文名称", "留学专业中文名称", "留学专业外文名称",
    "档案转寄单位名称", "档案转寄单位地址", "档案转寄单位邮编",
    "登记状态",
]

_EXPORT_FIELDS = (
    "student_number", "exam_number", "name", "gender", "national_id", "origin_region_id",
    "origin_region__full_name", "ethnicity", "political_status", "urban_rural", "education_level",
    "major__name", "major__code", "enrolled_on", "graduation_date", "training_mode", "study_form",
    "state", "v__destination_type__category_id", "v__destination_type__category__name",
    "v__destination_type__org_kind", "v__signed_on", "v__org_name", "v__org_uscc",
    "v__org_nature_id", "v__org_nature__name", "v__org_industry_id", "v__org_industry__name",
    "v__org_region_id", "v__org_region__full_name", "v__org_address", "v__job_category_id",
    "v__job_category__name", "v__abroad_country__name_zh", "v__abroad_name_original", "v__programme",
    "v__programme_original", "v__archive_unit", "v__archive_address", "v__archive_postcode",
)


def national_export_rows(*, user: User, year: int, verified_only: bool = False, by_college: bool = False) -> QuerySet:
    """The cohort as tuples of `_EXPORT_FIELDS` (no model instances), one per student, by 学号; with
    `by_college`, by college code and then 学号, each tuple led by the college's code and name.
    Use `.iterator(chunk_size=…)`: on PostgreSQL that is a server-side cursor."""
    students = scope(user=user, queryset=Student.objects.filter(graduation_year=year))
    qs = _with_records(students)
    if verified_only:
        qs = qs.filter(state=Status.VERIFIED)
    if by_college:
        return qs.order_by("college__code", "student_number").values_list(
            "college__code", "college__name", *_EXPORT_FIELDS)
    return qs.order_by("student_number").values_list(*_EXPORT_FIELDS)


def _date(value: dt.date | None, fmt: str = "%Y-%m-%d") -> str:
    return value.strftime(fmt) if value else ""


def _birth_date(national_id: str) -> str:
    if len(national_id) == 18 and national_id[6:14].isdigit():
        return f"{national_id[6:10]}-{national_id[10:12]}-{national_id[12:14]}"
    return ""


def export_cells(rows: Iterable[tuple], *, full_id: bool) -> Iterator[list[str]]:
    """Turn `national_export_rows` tuples into the text of `EXPORT_COLUMNS`, in order.

    Students without a verified record keep their student columns and an empty destination, with their
    state (未登记 / 草稿 / 待鉴证 / 已退回) in 登记状态: no category is made up for them. 留学 columns are
    filled for 境外留学 (category 85); a verified 出国工作 record puts the foreign employer in 单位名称 and
    the country in 单位所在地名称."""
    genders = {k: str(v) for k, v in Gender.choices}
    levels = {k: str(v) for k, v in EducationLevel.choices}
    states = state_labels()
    for (number, exam, name, gender, nid, origin, origin_name, ethnicity, political, urban_rural, level,
         major_name, major_code, enrolled_on, graduation_date, training_mode, study_form,
         state, cat_code, cat_name, org_kind, signed_on, org_name, uscc, nature, nature_name, industry,
         industry_name, region, region_name, address, job, job_name, country, name_original, programme,
         programme_original, archive_unit, archive_address, archive_postcode) in rows:
        nid = nid or ""
        abroad = org_kind == OrgKind.ABROAD
        study_abroad = abroad and cat_code == ABROAD_STUDY_CATEGORY
        yield [
            number, exam, name, genders.get(gender, gender), nid if full_id else mask_national_id(nid),
            _birth_date(nid), origin, origin_name, ethnicity, political, urban_rural, levels.get(level, level),
            major_name, major_code, _date(enrolled_on, "%Y-%m"), _date(graduation_date), training_mode, study_form,
            cat_code or "", cat_name or "", _date(signed_on),
            "" if study_abroad else org_name or "", uscc or "", nature or "", nature_name or "",
            industry or "", industry_name or "", region or "",
            (country or "") if abroad and not study_abroad else region_name or "", address or "",
            job or "", job_name or "",
            (country or "") if study_abroad else "", (org_name or "") if study_abroad else "",
            (name_original or "") if study_abroad else "", (programme or "") if study_abroad else "",
            (programme_original or "") if study_abroad else "",
            archive_unit or "", archive_address or "", archive_postcode or "",
            states.get(state, state),
        ]
