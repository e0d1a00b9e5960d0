"""The organisation directory in the admin: edit, search, and merge two rows of the same organisation."""

from django.contrib import admin, messages
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from quxiang.organisations.models import Organisation, OrganisationAlias
from quxiang.organisations.services import MERGE_FILL_FIELDS, OrganisationMergeError, organisation_merge


class OrganisationAliasInline(admin.TabularInline):
    """The codes merged into this row; written by the merge only, so the office reads them here."""

    model = OrganisationAlias
    fields = readonly_fields = ["uscc", "created_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "uscc", "shanghai_reg_no", "nature", "industry", "region", "contact_phone", "source",
                    "updated_at"]
    list_filter = ["source", "nature", "industry"]
    list_select_related = ["nature", "industry", "region"]
    search_fields = ["=uscc", "=aliases__uscc", "name", "shanghai_reg_no", "contact_phone", "address"]
    inlines = [OrganisationAliasInline]
    autocomplete_fields = ["region"]
    readonly_fields = ["updated_at"]
    actions = ["merge_selected"]
    fieldsets = [
        (None, {"fields": ["name", "uscc", "shanghai_reg_no", "nature", "industry"]}),
        (gettext_lazy("单位所在地"), {"fields": ["region", "address", "postcode"]}),
        (gettext_lazy("联系方式"), {"fields": ["contact_name", "contact_phone"]}),
        (gettext_lazy("来源"), {"fields": ["source", "updated_at"]}),
    ]

    @admin.action(description=gettext_lazy("合并所选单位"), permissions=["change", "delete"])
    def merge_selected(self, request, queryset):
        orgs = list(queryset.select_related("nature", "industry", "region").order_by("pk"))
        if len(orgs) != 2:
            self.message_user(request, _("请恰好勾选两家单位（同一单位的两条记录）再合并。"), messages.ERROR)
            return None
        by_pk = {str(o.pk): o for o in orgs}
        keep_pk = request.POST.get("keep", "")
        if request.POST.get("confirm") == "1" and keep_pk in by_pk:
            keep = by_pk[keep_pk]
            remove = next(o for pk, o in by_pk.items() if pk != keep_pk)
            removed_label = str(remove)
            try:
                with transaction.atomic():
                    self.log_deletions(request, [remove])
                    merged = organisation_merge(keep=keep, remove=remove)
                    self.log_change(request, merged, _("合并了 %(o)s") % {"o": removed_label})
            except OrganisationMergeError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return None
            self.message_user(
                request, _("已将 %(removed)s 合并到 %(kept)s。") % {"removed": removed_label, "kept": merged},
                messages.SUCCESS,
            )
            return None
        fields = [Organisation._meta.get_field(n) for n in ("name", "uscc", *MERGE_FILL_FIELDS, "source", "updated_at")]
        rows = [
            (f.verbose_name, [getattr(o, f"get_{f.name}_display")() if f.choices else getattr(o, f.name) for o in orgs])
            for f in fields
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("合并单位"), "opts": self.model._meta, "orgs": orgs, "rows": rows,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "integrity/admin/organisation_merge.html", context)
