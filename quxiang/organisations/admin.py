from django.contrib import admin

from quxiang.organisations.models import Organisation


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "uscc", "shanghai_reg_no", "nature", "industry", "region", "source", "updated_at"]
    list_filter = ["source", "nature", "industry"]
    list_select_related = ["nature", "industry", "region"]
    search_fields = ["=uscc", "name", "shanghai_reg_no"]
    autocomplete_fields = ["region"]
    readonly_fields = ["updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "uscc", "shanghai_reg_no", "nature", "industry"]}),
        ("单位所在地", {"fields": ["region", "address", "postcode"]}),
        ("联系方式", {"fields": ["contact_name", "contact_phone"]}),
        ("来源", {"fields": ["source", "updated_at"]}),
    ]
