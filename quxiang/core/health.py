"""Readiness check for load balancers and monitoring, and the 503 page when the database is away.

`ready` (GET /healthz/ready): 200 {"database": "ok", "cache": "ok", "storage": "ok"}, or 503 with the
part that failed, e.g. {"database": "ok", "cache": "error", "storage": "ok"}. No detail of the error
reaches the response (it is logged). The load balancer takes an app server out of rotation on 503;
`/healthz` (core.views.healthz) stays the cheap liveness probe that touches none of them.

`ServiceUnavailableMiddleware`: when PostgreSQL (or Redis, which holds the sessions) is unreachable, the
user gets the Chinese 503 page (templates/503.html) with `Retry-After`, not a 500 with a trace. It
catches the error wherever it is raised below it: in a view (process_exception) or in a middleware
further down, such as the authentication middleware loading the user (through Django's
got_request_exception signal, which fires while the error is being handled). Nothing half-written
remains: every write of the app runs in `transaction.atomic()`, which the error rolls back; the broken
connection is closed at the end of the request (CONN_HEALTH_CHECKS reconnects the next one).
"""

from __future__ import annotations

import logging
import sys
import uuid

from django.core.cache import caches
from django.core.signals import got_request_exception
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from quxiang.core.storage import storage_check

logger = logging.getLogger("quxiang.health")

RETRY_AFTER_SECONDS = 15


def _unavailable_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [OperationalError, InterfaceError]
    try:  # sessions live in Redis in production: a Redis outage is the same to the user
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        errors += [RedisConnectionError, RedisTimeoutError]
    except ImportError:  # pragma: no cover
        pass
    try:
        from django_redis.exceptions import ConnectionInterrupted

        errors.append(ConnectionInterrupted)
    except ImportError:  # pragma: no cover
        pass
    return tuple(errors)


UNAVAILABLE_ERRORS = _unavailable_errors()

# SQLSTATE classes that mean "the server is not there for us": 08 connection exception, 57P operator
# intervention (shutdown, restart, cannot connect now), 53 insufficient resources (too many connections).
_OUTAGE_SQLSTATES = ("08", "57P", "53")


def is_outage(error: BaseException) -> bool:
    """True when the error says PostgreSQL or Redis is unreachable (restart, network, refused connection),
    False for an error of one statement (a deadlock, a statement timeout) that deserves a traceback."""
    if not isinstance(error, UNAVAILABLE_ERRORS):
        return False
    if not isinstance(error, (OperationalError, InterfaceError)) or isinstance(error, InterfaceError):
        return True  # Redis, or a connection already closed
    sqlstate = getattr(error.__cause__, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith(_OUTAGE_SQLSTATES)


# --- readiness ---------------------------------------------------------------------------------


def check_database(alias: str = DEFAULT_DB_ALIAS) -> str:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            row = cursor.fetchone()
        if not row or row[0] != 1:
            raise OperationalError(f"SELECT 1 returned {row!r}")
    except Exception as exc:
        logger.warning("readiness: database %r unavailable: %s", alias, _first_line(exc),
                       exc_info=None if is_outage(exc) else exc)
        # A broken persistent connection must not be reused by the next request on this thread.
        connections[alias].close_if_unusable_or_obsolete()
        return "error"
    return "ok"


def check_cache(alias: str = "default") -> str:
    key = f"healthz:{uuid.uuid4().hex}"
    try:
        cache = caches[alias]
        cache.set(key, "1", timeout=10)
        value = cache.get(key)
        cache.delete(key)
        if value != "1":
            raise RuntimeError("cache did not return what was set")
    except Exception as exc:
        logger.warning("readiness: cache %r unavailable: %s", alias, _first_line(exc),
                       exc_info=None if is_outage(exc) else exc)
        return "error"
    return "ok"


def _cache_aliases() -> list[str]:
    """The default cache, and the sessions' cache when sessions live in a cache of their own."""
    from django.conf import settings

    aliases = ["default"]
    session_alias = getattr(settings, "SESSION_CACHE_ALIAS", "default")
    if "cache" in settings.SESSION_ENGINE and session_alias in settings.CACHES and session_alias not in aliases:
        aliases.append(session_alias)
    return aliases


@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    """Is this app server able to serve? Checks the database (SELECT 1), the cache (set/get; the
    sessions' cache too when it is a separate one) and the file store (the bucket answers; the local
    folder is writable)."""
    caches_ok = all(check_cache(alias) == "ok" for alias in _cache_aliases())
    result = {"database": check_database(), "cache": "ok" if caches_ok else "error", "storage": storage_check()}
    healthy = all(v == "ok" for v in result.values())
    return JsonResponse(result, status=200 if healthy else 503)


# --- the 503 page ------------------------------------------------------------------------------


def unavailable_response(request: HttpRequest | None = None) -> HttpResponse:
    """The Chinese 503 page (JSON for the API), rendered without touching the database or the session."""
    if request is not None and request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": "系统繁忙或正在维护，请稍后重试。您已填写的内容不会丢失。"}, status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        # No request context: context processors could touch the session or the user.
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


_MARK = "_quxiang_service_unavailable"


def _note_unavailable(sender, request=None, **kwargs) -> None:
    """got_request_exception fires inside Django's except block: sys.exc_info() is the error."""
    error = sys.exc_info()[1]
    if request is not None and isinstance(error, UNAVAILABLE_ERRORS):
        setattr(request, _MARK, error)


got_request_exception.connect(_note_unavailable, dispatch_uid="quxiang.core.health.note_unavailable")


class ServiceUnavailableMiddleware:
    """Database or Redis unreachable → 503 page with Retry-After instead of a 500.

    Place it high in MIDDLEWARE (right after WhiteNoise), so that it also covers errors raised by the
    session and authentication middleware below it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        error = getattr(request, _MARK, None)
        if error is not None and response.status_code >= 500:
            return self._respond(request, error)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, UNAVAILABLE_ERRORS):
            return self._respond(request, exception)
        return None

    def _respond(self, request: HttpRequest, error: BaseException) -> HttpResponse:
        # During an outage every request fails alike: one line each. A deadlock or a statement timeout
        # is a problem of the code or the data: that one gets its traceback.
        logger.error(
            "service unavailable (%s) on %s %s: %s", type(error).__name__, request.method, request.path,
            _first_line(error), exc_info=None if is_outage(error) else error,
        )
        return unavailable_response(request)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else ""
