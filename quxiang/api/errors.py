"""One error shape for every API failure: {"code": ..., "message": ..., "fields": {...}}."""

from __future__ import annotations

import logging

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, ValidationError

from quxiang.core.errors import DomainError

logger = logging.getLogger("quxiang.api")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"code": code, "message": message, "fields": fields or {}}


def form_error(form) -> ApiError:
    fields = {name: [str(m) for m in msgs] for name, msgs in form.errors.items()}
    first = next(iter(fields.values()))[0] if fields else _("请求内容有误。")
    return ApiError(422, "invalid", first, fields)


def _loc_name(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path", "form", "file")]
    return ".".join(parts) or "body"


def install(api) -> None:
    def respond(request, status, body):
        return api.create_response(request, body, status=status)

    @api.exception_handler(ApiError)
    def _api_error(request, exc: ApiError):
        return respond(request, exc.status, error_body(exc.code, exc.message, exc.fields))

    @api.exception_handler(DomainError)
    def _domain_error(request, exc: DomainError):
        # Every coded service error reaches the client with its own code and message, once, here.
        return respond(request, exc.http_status, error_body(exc.code, exc.message, exc.fields))

    @api.exception_handler(ValidationError)
    def _validation(request, exc: ValidationError):
        fields: dict[str, list[str]] = {}
        for err in exc.errors:
            fields.setdefault(_loc_name(err.get("loc", ())), []).append(_("字段缺失或类型不正确。"))
        return respond(request, 422, error_body("invalid", _("请求内容有误：字段缺失或类型不正确。"), fields))

    @api.exception_handler(AuthenticationError)
    def _auth(request, exc):
        return respond(request, 401, error_body("unauthorized", _("登录已过期或令牌无效，请重新登录。")))

    @api.exception_handler(HttpError)
    def _http(request, exc: HttpError):
        message = _("请求体不是有效的 JSON。") if exc.status_code == 400 else str(exc)
        return respond(request, exc.status_code, error_body("bad_request" if exc.status_code == 400 else "error", message))

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return respond(request, 404, error_body("not_found", _("请求的内容不存在。")))

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request, exc):
        return respond(request, 413, error_body("too_large", _("请求内容过大。")))

    @api.exception_handler(MultiPartParserError)
    @api.exception_handler(SuspiciousOperation)
    @api.exception_handler(BadRequest)
    def _bad_request(request, exc):
        if isinstance(exc, RequestDataTooBig):
            return _too_big(request, exc)
        return respond(request, 400, error_body("bad_request", _("请求格式不正确。")))

    @api.exception_handler(OperationalError)
    @api.exception_handler(InterfaceError)
    def _unavailable(request, exc):
        logger.warning("database unavailable: %s", exc.__class__.__name__)
        response = respond(request, 503, error_body("unavailable", _("系统维护中或暂时繁忙，请稍后再试。")))
        response["Retry-After"] = "5"
        return response

    @api.exception_handler(Exception)
    def _unexpected(request, exc):
        logger.exception("unhandled API error")
        return respond(request, 500, error_body("server_error", _("系统繁忙，请稍后再试。您已保存的内容不会丢失。")))
