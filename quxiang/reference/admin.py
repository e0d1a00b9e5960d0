"""Code tables are edited by the employment office (SPEC §5: they change)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

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
    ordering = ["sort_order", "code"]


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
    autocomplete_fields = ["parent"]
    list_per_page = 50


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "is_china_region", "sort_order"]
    list_editable = ["sort_order"]
    list_filter = ["is_china_region"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(OriginAuthority)
class OriginAuthorityAdmin(admin.ModelAdmin):
    list_display = ["region_prefix", "name", "archive_unit", "postcode", "phone"]
    search_fields = ["region_prefix", "name", "archive_unit", "address"]
    fieldsets = [
        (None, {"fields": ["region_prefix", "name"]}),
        (_("档案接收信息"), {"fields": ["archive_unit", "address", "postcode", "contact", "phone"]}),
    ]
