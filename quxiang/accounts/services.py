"""Passwords and the office's rights. The login rules (lockout, address limit, forced change) are in
quxiang/accounts/authentication.py."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from quxiang.accounts.models import User

OFFICE_GROUP = "就业指导中心"


def initial_password_for(*, national_id: str) -> str:
    """The last N characters of the ID (N is a setting), with a trailing x normalised to X."""
    return national_id.strip().upper()[-settings.QUXIANG["INITIAL_PASSWORD_DIGITS"] :]


def user_set_password(*, user: User, password: str) -> None:
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])


def office_group_sync() -> Group:
    """The office's admin rights: code tables, rosters, the organisation directory, students' accounts
    (to reset an initial password) and their WeChat bindings (to unbind). Runs after every `migrate`
    (post_migrate, once Django has created the permissions), so a production database gets it without the
    demo seeder and new permissions arrive."""
    group, _created = Group.objects.get_or_create(name=OFFICE_GROUP)
    group.permissions.set(
        Permission.objects.filter(
            Q(content_type__app_label__in=["reference", "roster", "organisations"])
            | Q(content_type__app_label="accounts", codename__in=["view_user", "change_user"])
            # The mini-program bindings: the office unbinds a WeChat bound to the wrong person.
            | Q(content_type__app_label="api", codename__in=["view_wechatbinding", "delete_wechatbinding"])
        )
    )
    return group


def user_role_rights_sync(*, user: User) -> None:
    """Admin-site rights follow the role: the office (and admins) may enter the admin, the office belongs
    to the office group. Called wherever a staff account is created or its role changes."""
    if user.is_office and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    group = office_group_sync() if user.role == "office" else Group.objects.filter(name=OFFICE_GROUP).first()
    if group is None:
        return
    if user.role == "office":
        user.groups.add(group)
    else:
        user.groups.remove(group)
