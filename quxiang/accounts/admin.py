"""Accounts in the admin. The password hash is never shown (not even masked): the change page links to
the set-password form instead. Only a superuser may grant admin rights, superuser status, groups or
permissions, or edit a superuser; the office resets students to their initial password (audited)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from quxiang.accounts.authentication import account_lock_clear
from quxiang.accounts.forms import AdminLoginForm
from quxiang.accounts.models import Role, User
from quxiang.accounts.services import initial_password_for, user_role_rights_sync
from quxiang.audit.models import AuditAction
from quxiang.audit.services import audit_record
from quxiang.core.http import client_ip

RESET_BATCH_LIMIT = 50  # full-strength hashing: a few hundred at once would time out the request
PRIVILEGED_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")
# The admin's login page is a door too: the same lockout and address limit as the web login.
admin.site.login_form = AdminLoginForm


def user_reset_initial_password(*, user: User, actor: User, ip: str | None = None) -> bool:
    """A student's password back to the initial one (last N characters of the ID), to be changed at the
    next login. Clears a login lockout. Returns False (and changes nothing) for anyone but a student."""
    # The reverse one-to-one from roster (above accounts), so accounts imports none of roster's models.
    student = getattr(user, "student", None) if user.is_student else None
    if student is None:
        return False
    user.set_password(initial_password_for(national_id=student.national_id))
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    account_lock_clear(username=user.username)
    audit_record(actor=actor, action=AuditAction.PASSWORD_RESET, ip=ip, student=student,
                 detail={"username": user.username})
    return True


class _CollegeOfficerNeedsCollege:
    def clean(self):
        data = super().clean()
        if data.get("role") == Role.COLLEGE_OFFICER and not data.get("college"):
            self.add_error("college", gettext("学院就业秘书须指定所属学院。"))
        return data


class QuxiangUserChangeForm(_CollegeOfficerNeedsCollege, UserChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("password", None)  # no hash on the page, masked or not


class QuxiangUserCreationForm(_CollegeOfficerNeedsCollege, AdminUserCreationForm):
    pass


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = QuxiangUserChangeForm
    add_form = QuxiangUserCreationForm
    list_display = ["username", "full_name", "role", "college", "is_active", "must_change_password", "last_login"]
    list_filter = ["role", "is_active", "must_change_password", "college"]
    list_select_related = ["college"]
    search_fields = ["username", "full_name", "email"]
    search_help_text = _("按账号（学号）、姓名或电子邮箱搜索")
    ordering = ["username"]
    autocomplete_fields = ["college"]
    actions = ["reset_initial_password"]
    fieldsets = [
        (None, {"fields": ["username", "password_link"]}),
        (_("个人信息"), {"fields": ["full_name", "email", "role", "college"]}),
        (_("状态"), {"fields": ["is_active", "must_change_password", "last_login", "date_joined"]}),
        (_("后台权限"), {"fields": ["is_staff", "is_superuser", "groups", "user_permissions"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "full_name", "role", "college", "usable_password",
                                                 "password1", "password2"]}),
    ]
    readonly_fields = ["password_link", "last_login", "date_joined"]

    @admin.display(description=_("密码"))
    def password_link(self, obj: User) -> str:
        if obj.pk is None:
            return "—"
        return format_html(
            '{} <a href="{}">{}</a>', gettext("密码以不可逆方式保存，不显示。"),
            reverse("admin:auth_user_password_change", args=[obj.pk]), gettext("设置新密码"),
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # After the m2m fields: the role decides the office group and admin entry, whatever the form said.
        user_role_rights_sync(user=form.instance)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += [f for f in PRIVILEGED_FIELDS if f not in fields]
        return fields

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not request.user.is_superuser:
            kwargs["choices"] = [(k, v) for k, v in Role.choices if k != Role.ADMIN]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    @admin.action(description=_("重置为初始密码（身份证号后六位）"), permissions=["change"])
    def reset_initial_password(self, request, queryset):
        users = list(queryset.filter(role=Role.STUDENT).order_by("username")[: RESET_BATCH_LIMIT + 1])
        if len(users) > RESET_BATCH_LIMIT:
            self.message_user(request, gettext("一次最多重置 %(n)d 个学生账号，请缩小选择范围。") % {"n": RESET_BATCH_LIMIT},
                              messages.ERROR)
            return
        others = queryset.exclude(role=Role.STUDENT).count()
        done = [u.username for u in users
                if user_reset_initial_password(user=u, actor=request.user, ip=client_ip(request))]
        if done:
            self.message_user(request, gettext("已将 %(n)d 个学生账号重置为初始密码，学生下次登录时须修改密码：%(who)s")
                              % {"n": len(done), "who": "、".join(done)}, messages.SUCCESS)
        skipped = others + len(users) - len(done)
        if skipped:
            self.message_user(request, gettext("%(n)d 个账号不是学生账号（或没有名册信息），未重置。") % {"n": skipped},
                              messages.WARNING)
