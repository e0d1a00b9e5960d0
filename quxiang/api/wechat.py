"""WeChat's jscode2session exchange (wx.login code → openid). A real HTTP client with timeouts; the
base URL is a setting so tests can point it at a fake server on 127.0.0.1."""

from __future__ import annotations

import requests
from django.conf import settings
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
