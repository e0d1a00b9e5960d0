"""Binding the mini-program to a web account, and our bearer tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from quxiang.accounts.models import User
from quxiang.api.errors import ApiError
from quxiang.api.models import ApiToken, WeChatBinding
from quxiang.api.wechat import WeChatError, wechat_code_to_openid


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_issue(*, user: User) -> tuple[str, dt.datetime]:
    token = "qx_" + secrets.token_urlsafe(32)
    expires = timezone.now() + dt.timedelta(seconds=settings.QUXIANG["API_TOKEN_TTL_SECONDS"])
    ApiToken.objects.create(user=user, key_hash=_hash(token), expires_at=expires)
    return token, expires


def api_token_user(*, token: str) -> User | None:
    row = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(token), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    row.user.api_token_id = row.pk
    return row.user


def api_token_revoke(*, token_id: int) -> None:
    ApiToken.objects.filter(pk=token_id, revoked_at__isnull=True).update(revoked_at=timezone.now())


def _openid(code: str) -> str:
    try:
        return wechat_code_to_openid(code=code)
    except WeChatError as exc:
        raise ApiError(exc.status, exc.code, exc.message) from None


def wechat_bind(*, code: str, username: str, password: str, request=None) -> User:
    """code + 学号 + password → binding. The password check is the web login's (x for X included)."""
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_student:
        raise ApiError(401, "bad_credentials", _("学号或密码不正确。初始密码为身份证号后六位。"))
    openid = _openid(code)
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


def wechat_login(*, code: str) -> User:
    openid = _openid(code)
    binding = WeChatBinding.objects.filter(openid=openid).select_related("user").first()
    if binding is None or not binding.user.is_active:
        raise ApiError(404, "not_bound", _("该微信尚未绑定就业网账号，请先用学号和密码绑定。"))
    return binding.user


def wechat_unbind(*, user: User) -> None:
    WeChatBinding.objects.filter(user=user).delete()
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
