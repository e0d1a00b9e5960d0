"""The account rules every door applies: who may sign in, the per-account lockout, the per-address limit,
and the forced change of the initial password. Web login, admin login, the mini-program's bind and
login-by-code, and both password-change pages call these functions; none keeps a rule of its own.

Counters live in Django's cache (Redis in production) through core's rate-limit counter. An account is
counted by its login name (hashed, case-folded), whether or not the account exists, so an unknown name
and a wrong password look exactly the same, lockout included."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from quxiang.accounts.models import User
from quxiang.audit.models import AuditAction
from quxiang.audit.services import audit_record
from quxiang.core.errors import DomainError
from quxiang.core.ratelimit import rate_count, rate_peek, rate_reset

logger = logging.getLogger("quxiang.accounts")


class Door(models.TextChoices):
    """Where a password (or a WeChat code) was presented; recorded in the lockout's audit entry."""

    WEB_LOGIN = "web_login", gettext_lazy("网页登录")
    ADMIN_LOGIN = "admin_login", gettext_lazy("管理后台登录")
    WEB_PASSWORD = "web_password", gettext_lazy("网页修改密码")
    API_BIND = "api_bind", gettext_lazy("小程序绑定")
    API_LOGIN = "api_login", gettext_lazy("小程序登录")
    API_PASSWORD = "api_password", gettext_lazy("小程序修改密码")


# Doors that only some accounts may pass. The right password of anyone else counts as a failure there,
# so that the answer (and the lockout) never tells whether a guess was right.
_DOOR_ADMITS = {
    Door.API_BIND: lambda user: user.is_student,
    Door.API_LOGIN: lambda user: user.is_student,
    Door.ADMIN_LOGIN: lambda user: user.is_staff,
}


class AccountError(DomainError):
    http_status = 401

    def __init__(self, message: str | None = None, **kwargs):
        super().__init__(message or self.default_message(), **kwargs)

    @classmethod
    def default_message(cls) -> str:
        return _("登录失败，请稍后再试。")


def _minutes() -> int:
    return max(1, math.ceil(settings.QUXIANG["LOGIN_LOCKOUT_SECONDS"] / 60))


class LoginFailed(AccountError):
    code = "login_failed"
    http_status = 401

    @classmethod
    def default_message(cls) -> str:
        return _("学号或密码不正确。初始密码为身份证号后六位（末位 x 大小写均可）。")


class LoginLocked(AccountError):
    code = "login_locked"
    http_status = 429

    @classmethod
    def default_message(cls) -> str:
        return _("登录失败次数过多，账号已暂时锁定，请 %(minutes)d 分钟后再试，或联系辅导员重置密码。") % {
            "minutes": _minutes()}


class AddressLimited(AccountError):
    code = "address_limited"
    http_status = 429

    @classmethod
    def default_message(cls) -> str:
        return _("来自当前网络的登录失败次数过多，请 %(minutes)d 分钟后再试。") % {"minutes": _minutes()}


class PasswordIncorrect(AccountError):
    """The old password on a password-change page (the user is known there, so this may say so)."""

    code = "password_incorrect"
    http_status = 422

    @classmethod
    def default_message(cls) -> str:
        return _("旧密码不正确，请重新输入。")


class PasswordChangeRequired(AccountError):
    code = "password_change_required"
    http_status = 403

    @classmethod
    def default_message(cls) -> str:
        return _("请先修改初始密码，再进行去向登记。")


# --- the predicate of the forced change ------------------------------------------------------------


def user_password_change_required(*, user) -> bool:
    """True while a signed-in account still has its initial (or office-reset) password: until it is
    changed, every door opens only the password change (the web redirects, the API answers 403)."""
    return bool(getattr(user, "is_authenticated", False) and user.must_change_password)


# --- counters ---------------------------------------------------------------------------------------


def _name_key(username: str) -> str:
    return hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]


def _address_key(ip: str | None) -> str:
    return hashlib.sha256((ip or "-").encode()).hexdigest()[:32]


def _account_locked(*, username: str) -> bool:
    return rate_peek(key=f"login-lock:user:{_name_key(username)}") > 0


def _address_limited(*, ip: str | None) -> bool:
    return rate_peek(key=f"login-lock:ip:{_address_key(ip)}") > 0


def _check_open(*, username: str, ip: str | None, address: bool = True) -> None:
    if address and _address_limited(ip=ip):
        raise AddressLimited()
    if _account_locked(username=username):
        raise LoginLocked()


def _lock_if_due(*, kind: str, key: str, failures: int, limit: int) -> bool:
    """Past the limit, lock for the full lockout time. True for the one failure that set the lock."""
    if failures < limit:
        return False
    ttl = settings.QUXIANG["LOGIN_LOCKOUT_SECONDS"]
    if rate_count(key=f"login-lock:{kind}:{key}", window_seconds=ttl) != 1:
        return False  # another request locked it a moment ago
    rate_reset(key=f"login-fail:{kind}:{key}")  # a fresh count once the lock has passed
    return True


def _count_address_failure(*, ip: str | None) -> None:
    ttl, limit = settings.QUXIANG["LOGIN_LOCKOUT_SECONDS"], settings.QUXIANG["LOGIN_ADDRESS_MAX_FAILURES"]
    address = _address_key(ip)
    failures = rate_count(key=f"login-fail:ip:{address}", window_seconds=ttl)
    if _lock_if_due(kind="ip", key=address, failures=failures, limit=limit):
        logger.warning("login failures from one address reached the limit (%s)", failures)


def _record_failure(*, username: str, ip: str | None, door: Door, user: User | None = None) -> None:
    ttl, limit = settings.QUXIANG["LOGIN_LOCKOUT_SECONDS"], settings.QUXIANG["LOGIN_MAX_FAILURES"]
    name = _name_key(username)
    failures = rate_count(key=f"login-fail:user:{name}", window_seconds=ttl)
    if _lock_if_due(kind="user", key=name, failures=failures, limit=limit):
        _audit_lock(username=username, ip=ip, door=door, failures=failures, user=user)
    _count_address_failure(ip=ip)


def _audit_lock(*, username: str, ip: str | None, door: Door, failures: int, user: User | None) -> None:
    if user is None:
        user = User.objects.filter(username__iexact=username.strip()).first()
    # The reverse one-to-one from roster (above accounts), so accounts imports none of roster's models.
    student = getattr(user, "student", None) if user is not None and user.is_student else None
    until = timezone.localtime() + dt.timedelta(seconds=settings.QUXIANG["LOGIN_LOCKOUT_SECONDS"])
    audit_record(actor=user, action=AuditAction.LOGIN_LOCKED, ip=ip, student=student,
                 detail={"username": username.strip(), "door": str(door), "failures": failures,
                         "locked_until": f"{until:%Y-%m-%d %H:%M}"})


def account_lock_clear(*, username: str) -> None:
    """The office's reset: the account's lock and its failure count go (the address limit stays)."""
    name = _name_key(username)
    rate_reset(key=f"login-lock:user:{name}")
    rate_reset(key=f"login-fail:user:{name}")


# --- the doors --------------------------------------------------------------------------------------


def account_authenticate(*, username: str, password: str, ip: str | None, door: Door, request=None) -> User:
    """学号/工号 + password → the user, for any door. Refuses (coded errors, one Chinese message each)
    while the address is limited or the account locked, whatever the password; counts every failure
    from every door; a success clears the account's count."""
    username = (username or "").strip()
    if not username or not password:
        raise LoginFailed()
    _check_open(username=username, ip=ip)
    user = authenticate(request, username=username, password=password)
    admits = _DOOR_ADMITS.get(door)
    if user is None or (admits is not None and not admits(user)):
        _record_failure(username=username, ip=ip, door=door, user=user)
        raise LoginFailed()
    rate_reset(key=f"login-fail:user:{_name_key(username)}")
    return user


def account_check_open(*, user: User, ip: str | None, door: Door) -> None:
    """A door without a password (the mini-program's login by WeChat code) still honours the account's
    lock; it counts no failure of its own, as the code proves nothing about the password."""
    _check_open(username=user.username, ip=ip, address=False)
    admits = _DOOR_ADMITS.get(door)
    if admits is not None and not admits(user):
        raise LoginFailed()


def account_address_check(*, ip: str | None) -> None:
    """The per-address limit alone, for a door that has no account yet (before asking WeChat)."""
    if _address_limited(ip=ip):
        raise AddressLimited()


def account_address_record_failure(*, ip: str | None) -> None:
    """A failure that belongs to no account (a forged or stale WeChat code) still counts for the address."""
    _count_address_failure(ip=ip)


def _password_matches(*, user: User, password: str) -> str | None:
    """The password as stored when it matches; a trailing lower-case x counts as X only while the
    initial password (身份证号后六位) is still in use."""
    if user.check_password(password):
        return password
    if user.must_change_password and password.endswith("x") and user.check_password(password[:-1] + "X"):
        return password[:-1] + "X"
    return None


def account_check_password(*, user: User, password: str, ip: str | None, door: Door) -> str:
    """The old password on a password-change page: the same lock, limit and counting as a login."""
    _check_open(username=user.username, ip=ip)
    matched = _password_matches(user=user, password=password or "")
    if matched is None:
        _record_failure(username=user.username, ip=ip, door=door, user=user)
        raise PasswordIncorrect()
    rate_reset(key=f"login-fail:user:{_name_key(user.username)}")
    return matched
