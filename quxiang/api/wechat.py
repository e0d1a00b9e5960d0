"""WeChat's jscode2session exchange (wx.login code → openid). A real HTTP client with timeouts; the
base URL is a setting so tests can point it at a fake server on 127.0.0.1."""

from __future__ import annotations

import json

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _


class WeChatError(Exception):
    def __init__(self, code: str, message: str, status: int = 502):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


# errcode → (our code, HTTP status, message for the student)
_ERRORS = {
    40029: ("wechat_invalid_code", 400, _("微信登录凭证无效或已过期，请重新打开小程序再试。")),
    40163: ("wechat_invalid_code", 400, _("微信登录凭证已被使用，请重新打开小程序再试。")),
    45011: ("wechat_rate_limited", 429, _("操作过于频繁，请稍后再试。")),
    40226: ("wechat_blocked", 403, _("微信判定该账号存在风险，暂时无法登录。")),
    -1: ("wechat_busy", 503, _("微信服务繁忙，请稍后再试。")),
}


def wechat_code_to_openid(*, code: str) -> str:
    conf = settings.QUXIANG["WECHAT"]
    try:
        response = requests.get(
            conf["API_BASE"].rstrip("/") + "/sns/jscode2session",
            params={"appid": conf["APP_ID"], "secret": conf["APP_SECRET"], "js_code": code,
                    "grant_type": "authorization_code"},
            timeout=(conf["CONNECT_TIMEOUT"], conf["READ_TIMEOUT"]),
        )
        data = response.json()
    except requests.Timeout:
        raise WeChatError("wechat_timeout", _("连接微信服务超时，请检查网络后重试。"), 504) from None
    except (requests.RequestException, ValueError):
        raise WeChatError("wechat_unavailable", _("暂时无法连接微信服务，请稍后再试。"), 502) from None
    if not isinstance(data, dict):
        raise WeChatError("wechat_error", _("微信登录失败，请稍后再试。"), 502)
    errcode = data.get("errcode") or 0
    if errcode:
        code_name, status, message = _ERRORS.get(errcode, ("wechat_error", 502, _("微信登录失败，请稍后再试。")))
        raise WeChatError(code_name, str(message), status)
    openid = data.get("openid")
    if not openid or not isinstance(openid, str):
        raise WeChatError("wechat_error", _("微信登录失败，请稍后再试。"), 502)
    # session_key stays here: it is WeChat's secret and never leaves the server.
    return openid


# --- server-side calls: access_token and subscribeMessage.send (issue 10) -------------------------
# The token is shared by every process through the Django cache (Redis in production): WeChat allows a
# limited number of fetches a day and a new token invalidates the old one after a few minutes.
TOKEN_INVALID = {40001, 42001, 40014}  # invalid / expired / malformed access_token → refetch once


def _conf() -> dict:
    return settings.QUXIANG["WECHAT"]


def _token_key() -> str:
    return f"wechat:access_token:{_conf()['APP_ID']}"


def _call(method: str, path: str, **kwargs) -> dict:
    conf = _conf()
    try:
        response = requests.request(method, conf["API_BASE"].rstrip("/") + path,
                                    timeout=(conf["CONNECT_TIMEOUT"], conf["READ_TIMEOUT"]), **kwargs)
        data = response.json()
    except requests.Timeout:
        raise WeChatError("wechat_timeout", _("连接微信服务超时。"), 504) from None
    except (requests.RequestException, ValueError):
        raise WeChatError("wechat_unavailable", _("暂时无法连接微信服务。"), 502) from None
    if not isinstance(data, dict):
        raise WeChatError("wechat_error", _("微信服务返回了无法识别的内容。"), 502)
    return data


def wechat_access_token(*, refresh: bool = False) -> str:
    """The cached access_token, fetched from /cgi-bin/token when missing, near expiry, or `refresh`."""
    if not refresh:
        token = cache.get(_token_key())
        if token:
            return token
    conf = _conf()
    data = _call("GET", "/cgi-bin/token", params={"grant_type": "client_credential", "appid": conf["APP_ID"],
                                                   "secret": conf["APP_SECRET"]})
    token, expires_in = data.get("access_token"), data.get("expires_in")
    if data.get("errcode") or not isinstance(token, str) or not token:
        raise WeChatError(f"wechat_errcode_{data.get('errcode') or 'no_token'}", _("无法获取微信接口凭证。"), 502)
    try:
        lifetime = int(expires_in) - int(conf.get("TOKEN_REFRESH_MARGIN_SECONDS", 300))
    except (TypeError, ValueError):
        lifetime = 0
    if lifetime > 0:  # a token that would expire within the margin is used once and not cached
        cache.set(_token_key(), token, timeout=lifetime)
    return token


def wechat_token_forget() -> None:
    cache.delete(_token_key())


def wechat_subscribe_send(*, openid: str, template_id: str, data: dict[str, str], page: str = "") -> None:
    """subscribeMessage.send. An invalid or expired token is refetched once and the send retried; any other
    errcode raises WeChatError with code "wechat_errcode_<n>" (43101: the student has no subscription left)."""
    conf = _conf()
    body = {"touser": openid, "template_id": template_id, "lang": "zh_CN",
            "miniprogram_state": conf.get("MINIPROGRAM_STATE", "formal"),
            "data": {key: {"value": value} for key, value in data.items()}}
    if page:
        body["page"] = page
    refresh = False
    for _attempt in range(2):
        token = wechat_access_token(refresh=refresh)
        answer = _call("POST", "/cgi-bin/message/subscribe/send", params={"access_token": token},
                       data=json.dumps(body, ensure_ascii=False).encode(),
                       headers={"Content-Type": "application/json; charset=utf-8"})
        errcode = answer.get("errcode") or 0
        if not errcode:
            return
        if errcode in TOKEN_INVALID and not refresh:
            refresh = True
            continue
        raise WeChatError(f"wechat_errcode_{errcode}", str(answer.get("errmsg") or ""), 502)
