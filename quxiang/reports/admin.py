"""Export profiles and the school's codes in the admin (issue 14): a profile with its fields and code values as
inlines, copied to a new version by an action; the office may edit them (the office group's model rights cover
other apps; these admins check the role themselves)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from quxiang.reports.models import ExportProfile, ProfileCode, ProfileField, SchoolSettings
from quxiang.reports.profile_services import profile_copy
from quxiang.reports.profiles import source_choices


class _OfficeMayEdit:
    """The office (and admins) may see and change these rows; nobody else."""

    def _office(self, request) -> bool:
        return bool(request.user.is_active and (request.user.is_superuser or getattr(request.user, "is_office", False)))

    def has_module_permission(self, request) -> bool:
        return self._office(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._office(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._office(request)

    def has_add_permission(self, request, obj=None) -> bool:
        return self._office(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._office(request)


class ProfileFieldForm(forms.ModelForm):
    source = forms.ChoiceField(label=_("取值"), choices=())

    class Meta:
        model = ProfileField
        fields = ["position", "code", "name", "source", "width", "fixed_width", "code_table", "date_format",
                  "required_for", "fixer"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = source_choices()


class ProfileFieldInline(_OfficeMayEdit, admin.TabularInline):
    model = ProfileField
    form = ProfileFieldForm
    extra = 0
    ordering = ["position"]


class ProfileCodeInline(_OfficeMayEdit, admin.TabularInline):
    model = ProfileCode
    extra = 0
    ordering = ["table", "code", "label"]


@admin.register(ExportProfile)
class ExportProfileAdmin(_OfficeMayEdit, admin.ModelAdmin):
    list_display = ["name", "key", "year", "version", "header_mode", "is_active", "created_at"]
    list_filter = ["key", "year", "is_active"]
    inlines = [ProfileFieldInline, ProfileCodeInline]
    actions = ["copy_as_new_version"]
    readonly_fields = ["created_at"]

    @admin.action(description=_("复制为新版本"))
    def copy_as_new_version(self, request, queryset):
        for profile in queryset:
            new = profile_copy(profile=profile, actor=request.user)
            messages.success(request, gettext("已复制为新版本：%(p)s") % {"p": str(new)})


@admin.register(SchoolSettings)
class SchoolSettingsAdmin(_OfficeMayEdit, admin.ModelAdmin):
    list_display = ["school_code", "school_name", "authority_code", "authority_name", "updated_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return self._office(request) and not SchoolSettings.objects.exists()

    def save_model(self, request, obj, form, change):
        obj.pk = 1
        super().save_model(request, obj, form, change)
