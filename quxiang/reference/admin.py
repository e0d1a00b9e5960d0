"""Code tables are edited by the employment office (SPEC §5: they change). Codes are primary keys that
records reference, so they are fixed once created (a new code is a new row). The origin-authority table
(生源地主管单位) also travels as an xlsx: export, edit in Excel, import back (validated, all or nothing)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import openpyxl
import xlsxwriter
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from quxiang.core.xlsx import safe_cell, xlsx_response
from quxiang.reference.models import (
    Country,
    DestinationCategory,
    DestinationType,
    Industry,
    JobCategory,
    OrgNature,
    OriginAuthority,
    Region,
)

admin.site.site_header = _("去向 · 毕业去向登记管理")
admin.site.site_title = _("去向 · 毕业去向登记管理")
admin.site.index_title = _("数据管理")


class CodeEntryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "sort_order", "is_active"]
    list_editable = ["sort_order", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    search_help_text = _("按代码或名称搜索")
    ordering = ["sort_order", "code"]

    def get_readonly_fields(self, request, obj=None):
        # The code is the key records point at; fixed once created.
        return ["code"] if obj is not None else []


@admin.register(OrgNature)
class OrgNatureAdmin(CodeEntryAdmin):
    pass


@admin.register(Industry)
class IndustryAdmin(CodeEntryAdmin):
    pass


@admin.register(JobCategory)
class JobCategoryAdmin(CodeEntryAdmin):
    pass


@admin.register(DestinationCategory)
class DestinationCategoryAdmin(CodeEntryAdmin):
    list_display = ["code", "name", "is_placed", "sort_order", "is_active"]
    list_filter = ["is_placed", "is_active"]


class DestinationTypeChildInline(admin.TabularInline):
    model = DestinationType
    fk_name = "parent"
    fields = [
        "key",
        "name",
        "category",
        "org_kind",
        "needs_evidence",
        "needs_archive",
        "sort_order",
        "is_active",
    ]
    extra = 0
    show_change_link = True
    verbose_name = verbose_name_plural = _("二级去向")


@admin.register(DestinationType)
class DestinationTypeAdmin(admin.ModelAdmin):
    list_display = [
        "key",
        "name",
        "parent",
        "category",
        "implied_nature",
        "org_kind",
        "needs_evidence",
        "needs_archive",
        "sort_order",
        "is_active",
    ]
    list_filter = ["parent", "org_kind", "needs_evidence", "needs_archive", "is_active"]
    list_select_related = ["parent", "category", "implied_nature"]
    search_fields = ["key", "name", "explanation", "evidence_hint"]
    ordering = ["parent__sort_order", "sort_order"]
    inlines = [DestinationTypeChildInline]
    fieldsets = [
        (None, {"fields": ["key", "name", "parent", "sort_order", "is_active"]}),
        (_("国家上报"), {"fields": ["category", "implied_nature"]}),
        (
            _("填报要求"),
            {"fields": ["org_kind", "needs_evidence", "needs_archive", "explanation", "evidence_hint"]},
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        # The key is referenced by code and registrations; fixed once created.
        return ["key"] if obj is not None else []


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "full_name", "level", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["code", "name", "full_name"]
    search_help_text = _("按行政区划代码或名称搜索")
    autocomplete_fields = ["parent"]
    list_per_page = 50

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "is_china_region", "sort_order"]
    list_editable = ["sort_order"]
    list_filter = ["is_china_region"]
    search_fields = ["code", "name_zh", "name_en"]
    search_help_text = _("按代码、中文或英文名称搜索")

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []


# --- 生源地主管单位: xlsx import and export -----------------------------------------------------------

# (field, column header). The export writes these headers; the import reads columns by header, in any order.
AUTHORITY_COLUMNS = [
    ("region_prefix", "区划代码前缀"),
    ("name", "生源地主管单位名称"),
    ("archive_unit", "档案接收单位"),
    ("address", "地址"),
    ("postcode", "邮编"),
    ("contact", "联系人"),
    ("phone", "电话"),
]
AUTHORITY_HEADER_ALIASES = {"联系电话": "phone", "邮政编码": "postcode", "档案接收单位名称": "archive_unit",
                            "档案接收地址": "address", "行政区划代码前缀": "region_prefix"}
AUTHORITY_REQUIRED = ("region_prefix", "name", "archive_unit", "address", "postcode", "phone")
PREFIX_RE = re.compile(r"^(\d{2}|\d{4}|\d{6})$")
POSTCODE_RE = re.compile(r"^\d{6}$")


@dataclass
class AuthorityImport:
    rows: list[dict[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0


def _cell_text(value, *, digits: int = 0) -> str:
    """Text of a cell. Numbers typed into Excel lose leading zeros (邮编 010010 → 10010): put them back."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        text = str(value)
        return text.zfill(digits) if digits else text
    text = str(value).strip()
    if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):  # our export's formula escape
        text = text[1:]
    return text


def origin_authorities_parse(*, upload) -> AuthorityImport:
    """Read and validate every row; nothing is written. Errors name the Excel row and column."""
    result = AuthorityImport()
    try:
        book = openpyxl.load_workbook(upload, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 — any unreadable upload gets the same message
        result.errors.append(gettext("无法读取文件，请上传 Excel（.xlsx）文件。"))
        return result
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    names = {label: name for name, label in AUTHORITY_COLUMNS} | AUTHORITY_HEADER_ALIASES
    positions = {names[str(h).strip()]: i for i, h in enumerate(header) if h is not None and str(h).strip() in names}
    missing = [label for name, label in AUTHORITY_COLUMNS if name in AUTHORITY_REQUIRED and name not in positions]
    if missing:
        result.errors.append(gettext("第 1 行缺少列：%(cols)s。请使用“导出”得到的表格作为模板。") % {"cols": "、".join(missing)})
        return result
    labels = dict(AUTHORITY_COLUMNS)
    limits = {name: OriginAuthority._meta.get_field(name).max_length for name, _label in AUTHORITY_COLUMNS}
    region_codes = set(Region.objects.values_list("code", flat=True))
    known_prefixes = {code[:n] for code in region_codes for n in (2, 4, 6)}
    seen: dict[str, int] = {}
    for number, values in enumerate(rows, start=2):
        row = {
            name: _cell_text(values[i] if i < len(values) else None, digits=6 if name == "postcode" else 0)
            for name, i in positions.items()
        }
        if not any(row.values()):
            continue
        problems = []
        for name in AUTHORITY_REQUIRED:
            if not row.get(name):
                problems.append(gettext("“%(col)s”不能为空") % {"col": labels[name]})
        prefix = row.get("region_prefix", "")
        if prefix and not PREFIX_RE.match(prefix):
            problems.append(gettext("区划代码前缀应为 2、4 或 6 位数字（省、市、县），实际为“%(v)s”") % {"v": prefix})
        elif prefix and prefix not in known_prefixes:
            problems.append(gettext("区划代码前缀“%(v)s”不对应任何行政区划") % {"v": prefix})
        elif prefix in seen:
            problems.append(gettext("区划代码前缀“%(v)s”与第 %(n)d 行重复") % {"v": prefix, "n": seen[prefix]})
        postcode = row.get("postcode", "")
        if postcode and not POSTCODE_RE.match(postcode):
            problems.append(gettext("邮编应为 6 位数字，实际为“%(v)s”") % {"v": postcode})
        for name, value in row.items():
            if len(value) > limits[name]:
                problems.append(gettext("“%(col)s”超过 %(n)d 个字") % {"col": labels[name], "n": limits[name]})
        if problems:
            result.errors.append(gettext("第 %(n)d 行：%(p)s。") % {"n": number, "p": "；".join(problems)})
        else:
            seen[prefix] = number
            result.rows.append(row)
    if not result.rows and not result.errors:
        result.errors.append(gettext("表格中没有数据。"))
    return result


def origin_authorities_import(*, upload) -> AuthorityImport:
    """Validate the whole file; if every row is valid, create or update by 区划代码前缀 (rows not in the file
    are kept). Any error: nothing is written."""
    result = origin_authorities_parse(upload=upload)
    if result.errors:
        return result
    with transaction.atomic():
        for row in result.rows:
            values = {k: v for k, v in row.items() if k != "region_prefix"}
            _obj, created = OriginAuthority.objects.update_or_create(region_prefix=row["region_prefix"], defaults=values)
            if created:
                result.created += 1
            else:
                result.updated += 1
    return result


def origin_authorities_xlsx(*, queryset) -> bytes:
    """Every cell a text cell (prefixes and postcodes keep their leading zeros); formula-like text escaped."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False})
    sheet = book.add_worksheet("生源地主管单位")
    text = book.add_format({"num_format": "@"})
    sheet.write_row(0, 0, [label for _name, label in AUTHORITY_COLUMNS], book.add_format({"bold": True}))
    for row, obj in enumerate(queryset.order_by("region_prefix"), start=1):
        for col, (name, _label) in enumerate(AUTHORITY_COLUMNS):
            sheet.write_string(row, col, safe_cell(getattr(obj, name)), text)
    sheet.set_column(0, 0, 12, text)
    sheet.set_column(1, 3, 30, text)
    sheet.set_column(4, 6, 14, text)
    book.close()
    return buf.getvalue()


class AuthorityImportForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件（.xlsx）"),
                           help_text=_("第一行为列名：区划代码前缀、生源地主管单位名称、档案接收单位、地址、邮编、联系人、电话。"
                                       "按区划代码前缀新增或更新，表中没有的行保持不变；任何一行有误则全部不导入。"))


@admin.register(OriginAuthority)
class OriginAuthorityAdmin(admin.ModelAdmin):
    list_display = ["region_prefix", "name", "archive_unit", "address", "postcode", "contact", "phone"]
    search_fields = ["region_prefix", "name", "archive_unit", "address"]
    search_help_text = _("按区划代码前缀、单位名称或地址搜索")
    change_list_template = "integrity/admin/originauthority_change_list.html"
    actions = ["export_selected"]
    fieldsets = [
        (None, {"fields": ["region_prefix", "name"]}),
        (_("档案接收信息"), {"fields": ["archive_unit", "address", "postcode", "contact", "phone"]}),
    ]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="reference_originauthority_import"),
            path("export/", view(self.export_view), name="reference_originauthority_export"),
            *super().get_urls(),
        ]

    @admin.action(description=_("导出所选（Excel）"), permissions=["view"])
    def export_selected(self, request, queryset):
        return xlsx_response(content=origin_authorities_xlsx(queryset=queryset), stem="origin-authorities")

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return xlsx_response(content=origin_authorities_xlsx(queryset=OriginAuthority.objects.all()),
                             stem="origin-authorities")

    def import_view(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        result = None
        if request.method == "POST":
            form = AuthorityImportForm(request.POST, request.FILES)
            if form.is_valid():
                result = origin_authorities_import(upload=form.cleaned_data["file"])
                if not result.errors:
                    self.message_user(
                        request,
                        gettext("导入完成：新增 %(c)d 条，更新 %(u)d 条。") % {"c": result.created, "u": result.updated},
                        messages.SUCCESS,
                    )
                    return redirect("admin:reference_originauthority_changelist")
        else:
            form = AuthorityImportForm()
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("导入生源地主管单位"), "opts": self.model._meta, "form": form, "result": result,
        }
        return TemplateResponse(request, "integrity/admin/originauthority_import.html", context)
