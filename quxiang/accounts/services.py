"""Login throttling and password rules. The throttle counts failures per login name and per address in
the cache (Redis in production), and says the same thing whether or not the account exists."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db.models import Q

from quxiang.accounts.models import User

OFFICE_GROUP = "就业指导中心"


def _keys(*, username: str, ip: str) -> list[str]:
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return [f"login-fail:user:{name}", f"login-fail:ip:{ip}"]


def login_throttle_is_blocked(*, username: str, ip: str) -> bool:
    limit = settings.QUXIANG["LOGIN_MAX_FAILURES"]
    user_key, ip_key = _keys(username=username, ip=ip)
    # An address gets more room than one account: a computer room shares one address.
    return (cache.get(user_key) or 0) >= limit or (cache.get(ip_key) or 0) >= limit * 6


def login_throttle_record_failure(*, username: str, ip: str) -> None:
    ttl = settings.QUXIANG["LOGIN_LOCKOUT_SECONDS"]
    for key in _keys(username=username, ip=ip):
        if cache.add(key, 1, ttl):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, ttl)


def login_throttle_reset(*, username: str, ip: str) -> None:
    cache.delete(_keys(username=username, ip=ip)[0])


def initial_password_for(*, national_id: str) -> str:
    """The last N characters of the ID (N is a setting), with a trailing x normalised to X."""
    return national_id.strip().upper()[-settings.QUXIANG["INITIAL_PASSWORD_DIGITS"] :]


def user_set_password(*, user: User, password: str) -> None:
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])


def office_group_sync() -> Group:
    """The office's admin rights: code tables, rosters, the organisation directory, and students' accounts
    (to reset an initial password). Runs after every `migrate` (post_migrate, once Django has created the
    permissions), so a production database gets it without the demo seeder and new permissions arrive."""
    group, _created = Group.objects.get_or_create(name=OFFICE_GROUP)
    group.permissions.set(
        Permission.objects.filter(
            Q(content_type__app_label__in=["reference", "roster", "organisations"])
            | Q(content_type__app_label="accounts", codename__in=["view_user", "change_user"])
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
