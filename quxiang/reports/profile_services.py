"""Writes of the export profiles: a new version, the profile as an xlsx (to read, edit and load back) and the
school's codes. A profile is never changed under an export: loading an xlsx always makes a new version."""

from __future__ import annotations

import io
from typing import IO

import openpyxl
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from quxiang.accounts.models import User
from quxiang.audit.models import AuditAction
from quxiang.audit.services import audit_record
from quxiang.core.errors import DomainError
from quxiang.core.xlsx import safe_cell
from quxiang.reports.models import (
    MAPPED_TABLES,
    CodeTable,
    DateFormat,
    ExportProfile,
    Fixer,
    HeaderMode,
    ProfileCode,
    ProfileField,
    SchoolSettings,
)
from quxiang.reports.profiles import SOURCES, parse_required

FIELD_SHEET, CODE_SHEET, ABOUT_SHEET = "字段", "代码表", "格式"
FIELD_HEADERS = ["序号", "字段代码", "中文名称", "取值", "宽度", "定长", "代码表", "日期格式", "必填条件", "由谁修改"]
CODE_HEADERS = ["代码表", "本系统中的值", "代码"]
ABOUT_KEYS = [("key", "标识"), ("name", "名称"), ("year", "适用年份"), ("header_mode", "表头"),
              ("sheet_title", "工作表名称"), ("notes", "说明与依据")]


def _next_version(*, key: str, year: int) -> int:
    top = ExportProfile.objects.filter(key=key, year=year).aggregate(v=Max("version"))["v"]
    return (top or 0) + 1


@transaction.atomic
def profile_copy(*, profile: ExportProfile, actor: User, year: int | None = None) -> ExportProfile:
    """A new version of `profile` (for `year`, default the same year) with all its fields and code values; the
    old version stays as it was, so last year's file can still be produced."""
    year = year or profile.year
    new = ExportProfile.objects.create(
        key=profile.key, name=profile.name, year=year, version=_next_version(key=profile.key, year=year),
        header_mode=profile.header_mode, sheet_title=profile.sheet_title, notes=profile.notes,
    )
    ProfileField.objects.bulk_create([
        ProfileField(profile=new, position=f.position, code=f.code, name=f.name, source=f.source, width=f.width,
                     fixed_width=f.fixed_width, code_table=f.code_table, date_format=f.date_format,
                     required_for=f.required_for, fixer=f.fixer)
        for f in profile.fields.all()
    ])
    ProfileCode.objects.bulk_create([
        ProfileCode(profile=new, table=c.table, label=c.label, code=c.code) for c in profile.codes.all()
    ])
    audit_record(actor=actor, action=AuditAction.SETTINGS_CHANGE,
                 detail={"what": "export_profile_copy", "from": profile.pk, "to": new.pk})
    return new


def profile_config_xlsx(*, profile: ExportProfile) -> bytes:
    """The profile as a workbook: 格式 (name, year, header), 字段 (one row per field) and 代码表."""
    book = openpyxl.Workbook()
    about = book.active
    about.title = ABOUT_SHEET
    values = {"key": profile.key, "name": profile.name, "year": str(profile.year),
              "header_mode": profile.header_mode, "sheet_title": profile.sheet_title, "notes": profile.notes}
    for key, label in ABOUT_KEYS:
        about.append([label, safe_cell(values[key])])
    about.append([])
    about.append(["版本", str(profile.version)])
    fields = book.create_sheet(FIELD_SHEET)
    fields.append(FIELD_HEADERS)
    for f in profile.fields.order_by("position"):
        fields.append([str(f.position), f.code, safe_cell(f.name), f.source, str(f.width), "是" if f.fixed_width else "",
                       f.code_table, _format_label(f.date_format), safe_cell(f.required_for), f.fixer])
    codes = book.create_sheet(CODE_SHEET)
    codes.append(CODE_HEADERS)
    for c in profile.codes.order_by("table", "code", "label"):
        codes.append([c.table, safe_cell(c.label), c.code])
    for sheet in (fields, codes):
        for row in sheet.iter_rows():
            for cell in row:
                cell.number_format = "@"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _format_label(fmt: str) -> str:
    return dict(DateFormat.choices).get(fmt, fmt) if fmt else ""


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text[1:] if text.startswith("'") else text


@transaction.atomic
def profile_config_import(*, file: IO[bytes], actor: User) -> ExportProfile:
    """Load a workbook written by `profile_config_xlsx` (edited by the office) as a NEW version of the profile it
    names (key + year). Every row is checked first; one bad row refuses the whole file with every problem listed."""
    try:
        book = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:
        raise DomainError(_("无法读取该文件，请上传由“下载格式”得到的 xlsx 文件。"), code="profile_file") from exc
    missing = [s for s in (ABOUT_SHEET, FIELD_SHEET, CODE_SHEET) if s not in book.sheetnames]
    if missing:
        raise DomainError(_("文件缺少工作表：%(s)s。") % {"s": "、".join(missing)}, code="profile_file")
    about = {_text(r[0]): _text(r[1]) for r in book[ABOUT_SHEET].iter_rows(values_only=True) if r and r[0] is not None
             and len(r) > 1}
    labels = dict(ABOUT_KEYS)
    info = {key: about.get(label, "") for key, label in labels.items()}
    errors: list[str] = []
    if not info["key"] or not info["name"]:
        errors.append(_("“格式”工作表须填写标识和名称。"))
    if not info["year"].isdigit():
        errors.append(_("“格式”工作表的适用年份应为 4 位数字。"))
    if info["header_mode"] not in HeaderMode.values:
        info["header_mode"] = HeaderMode.TWO_ROWS
    formats = {label: value for value, label in DateFormat.choices if value}
    fields, positions, codes_seen = [], set(), set()
    for n, row in enumerate(book[FIELD_SHEET].iter_rows(min_row=2, values_only=True), start=2):
        cells = [_text(v) for v in (row or ())] + [""] * 10
        if not any(cells[:10]):
            continue
        pos, code, name, source, width, fixed, table, fmt, req, fixer = cells[:10]
        where = _("“字段”第 %(n)d 行") % {"n": n}
        if not pos.isdigit() or int(pos) in positions:
            errors.append(_("%(w)s：序号应为不重复的数字。") % {"w": where})
        if not code or not code.replace("_", "").isalnum() or not code[0].isalpha():
            errors.append(_("%(w)s：字段代码只能由字母、数字和下划线组成。") % {"w": where})
        elif code in codes_seen:
            errors.append(_("%(w)s：字段代码 %(c)s 重复。") % {"w": where, "c": code})
        if source not in SOURCES:
            errors.append(_("%(w)s：取值“%(s)s”不存在。") % {"w": where, "s": source})
        if not width.isdigit() or not 0 < int(width) <= 1000:
            errors.append(_("%(w)s：宽度应为 1–1000 的数字。") % {"w": where})
        if table and table not in CodeTable.values:
            errors.append(_("%(w)s：代码表“%(t)s”不存在。") % {"w": where, "t": table})
        if fmt and fmt not in formats and fmt not in formats.values():
            errors.append(_("%(w)s：日期格式“%(f)s”不认识。") % {"w": where, "f": fmt})
        if fixer not in Fixer.values:
            fixer = Fixer.STUDENT
        parse_required(req)
        positions.add(int(pos) if pos.isdigit() else -n)
        codes_seen.add(code)
        fields.append(dict(position=int(pos) if pos.isdigit() else 0, code=code, name=name or code, source=source,
                           width=int(width) if width.isdigit() else 1, fixed_width=fixed in ("是", "1", "true", "True"),
                           code_table=table, date_format=formats.get(fmt, fmt), required_for=req, fixer=fixer))
    if not fields:
        errors.append(_("“字段”工作表没有字段。"))
    codes, labels_seen = [], set()
    for n, row in enumerate(book[CODE_SHEET].iter_rows(min_row=2, values_only=True), start=2):
        cells = [_text(v) for v in (row or ())] + [""] * 3
        if not any(cells[:3]):
            continue
        table, label, code = cells[:3]
        if table not in MAPPED_TABLES or not label or not code:
            errors.append(_("“代码表”第 %(n)d 行：代码表、本系统中的值和代码都要填写（代码表为 %(t)s 之一）。")
                          % {"n": n, "t": "、".join(sorted(MAPPED_TABLES))})
            continue
        if (table, label) in labels_seen:
            errors.append(_("“代码表”第 %(n)d 行：%(t)s 中“%(l)s”重复。") % {"n": n, "t": table, "l": label})
            continue
        labels_seen.add((table, label))
        codes.append(dict(table=table, label=label, code=code))
    if errors:
        raise DomainError(_("格式文件有误，没有导入：") + "；".join(errors[:20]), code="profile_file")
    year = int(info["year"])
    profile = ExportProfile.objects.create(
        key=info["key"][:40], name=info["name"][:100], year=year,
        version=_next_version(key=info["key"][:40], year=year), header_mode=info["header_mode"],
        sheet_title=(info["sheet_title"] or "毕业生")[:31], notes=info["notes"],
    )
    ProfileField.objects.bulk_create([ProfileField(profile=profile, **f) for f in fields])
    ProfileCode.objects.bulk_create([ProfileCode(profile=profile, **c) for c in codes])
    audit_record(actor=actor, action=AuditAction.SETTINGS_CHANGE,
                 detail={"what": "export_profile_import", "to": profile.pk})
    return profile


def school_settings_update(*, actor: User, school_code: str, school_name: str, authority_code: str,
                           authority_name: str) -> SchoolSettings:
    settings, _created = SchoolSettings.objects.update_or_create(pk=1, defaults={
        "school_code": school_code.strip(), "school_name": school_name.strip(),
        "authority_code": authority_code.strip(), "authority_name": authority_name.strip(),
    })
    audit_record(actor=actor, action=AuditAction.SETTINGS_CHANGE, detail={"what": "school_settings"})
    return settings
