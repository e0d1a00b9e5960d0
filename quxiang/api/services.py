"""Binding the mini-program to a web account, and our bearer tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from quxiang.accounts.authentication import (
    Door,
    account_address_check,
    account_address_record_failure,
    account_authenticate,
    account_check_open,
)
from quxiang.accounts.models import User
from quxiang.api.errors import ApiError
from quxiang.api.models import ApiToken, WeChatBinding
from quxiang.api.wechat import WeChatError, wechat_code_to_openid
from quxiang.audit.models import AuditAction
from quxiang.audit.services import audit_record
from quxiang.core.queries import PreparedLookup


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_issue(*, user: User) -> tuple[str, dt.datetime]:
    token = "qx_" + secrets.token_urlsafe(32)
    expires = timezone.now() + dt.timedelta(seconds=settings.QUXIANG["API_TOKEN_TTL_SECONDS"])
    ApiToken.objects.create(user=user, key_hash=_hash(token), expires_at=expires)
    return token, expires


# Every API request starts here: compiled once per process (quxiang/core/queries.py). The student's row
# comes with the user: the registration operations need it (access.student_of).
_TOKEN_BY_HASH = PreparedLookup(
    lambda key_hash: ApiToken.objects.select_related("user__student").filter(key_hash=key_hash,
                                                                             revoked_at__isnull=True),
    key_hash="prepared-sentinel-key-hash")


def api_token_user(*, token: str) -> User | None:
    row = _TOKEN_BY_HASH.get(key_hash=_hash(token))
    if row is None or row.expires_at <= timezone.now() or not row.user.is_active:
        return None
    row.user.api_token_id = row.pk
    return row.user


def api_token_revoke(*, token_id: int) -> None:
    ApiToken.objects.filter(pk=token_id, revoked_at__isnull=True).update(revoked_at=timezone.now())


def _openid(code: str, *, ip: str | None) -> str:
    try:
        return wechat_code_to_openid(code=code)
    except WeChatError as exc:
        if exc.code == "wechat_invalid_code":  # forged or stale codes count for the address, as bad passwords
            account_address_record_failure(ip=ip)
        raise ApiError(exc.status, exc.code, exc.message) from None


def wechat_bind(*, code: str, username: str, password: str, ip: str | None, request=None) -> User:
    """code + 学号 + password → binding. The password goes through the account service first (the lockout,
    the address limit and the count shared with the web login), so WeChat is not asked before it is right."""
    user = account_authenticate(username=username, password=password, ip=ip, door=Door.API_BIND, request=request)
    openid = _openid(code, ip=ip)
    existing = WeChatBinding.objects.filter(openid=openid).select_related("user").first()
    if existing is not None:
        if existing.user_id == user.pk:
            return user
        raise ApiError(409, "openid_bound", _("该微信已绑定其他学号，请先在原账号中解除绑定。"))
    if WeChatBinding.objects.filter(user=user).exists():
        raise ApiError(409, "account_bound", _("该学号已绑定其他微信，请先解除绑定或联系辅导员。"))
    try:
        with transaction.atomic():
            WeChatBinding.objects.create(user=user, openid=openid)
    except IntegrityError:
        raise ApiError(409, "account_bound", _("该学号或微信已被绑定。")) from None
    return user


def wechat_login(*, code: str, ip: str | None) -> User:
    """Login by wx.login code alone. A locked account stays locked here too (the same message)."""
    account_address_check(ip=ip)
    openid = _openid(code, ip=ip)
    binding = WeChatBinding.objects.filter(openid=openid).select_related("user").first()
    if binding is None or not binding.user.is_active:
        raise ApiError(404, "not_bound", _("该微信尚未绑定就业网账号，请先用学号和密码绑定。"))
    account_check_open(user=binding.user, ip=ip, door=Door.API_LOGIN)
    return binding.user


def wechat_unbind(*, user: User, actor: User, ip: str | None = None, channel: str = "api") -> bool:
    """Remove the account's binding and revoke its tokens; the student (channel "api", the mini-program)
    or the office (channel "web", the admin) may. Audited. False when there was nothing to unbind."""
    with transaction.atomic():
        binding = WeChatBinding.objects.select_for_update().filter(user=user).first()
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if binding is None:
            return False
        binding.delete()
        audit_record(actor=actor, action=AuditAction.WECHAT_UNBIND, ip=ip, student=getattr(user, "student", None),
                     detail={"username": user.username, "channel": channel})
    return True
