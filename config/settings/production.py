"""Production: PostgreSQL via DATABASE_URL, Redis via REDIS_URL, secrets and hosts from the environment.

Required: DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL (PostgreSQL). Everything else has a
default; docs/deploy.md lists the variables. With those three set,
`DJANGO_SETTINGS_MODULE=config.settings.production python manage.py check --deploy` reports no issue."""

import base64
import hashlib
import os
import re
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import BASE_DIR, INSTALLED_APPS, MIDDLEWARE, QUXIANG, STORAGES, celery_broker_options


def _env(name: str, default: str | None = None, *, required: bool = False) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        if required:
            raise ImproperlyConfigured(f"{name} must be set for config.settings.production (see docs/deploy.md).")
        return default or ""
    return value


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    return default if not value else value in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in _env(name, default).split(",") if item.strip()]


DEBUG = False
SECRET_KEY = _env("DJANGO_SECRET_KEY", required=True)
# Rotate keys without logging everyone out: the old key goes here for one session lifetime.
SECRET_KEY_FALLBACKS = _env_list("DJANGO_SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = _env_list("DJANGO_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list the site's host name(s), comma-separated.")
CSRF_TRUSTED_ORIGINS = _env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# --- database: PostgreSQL only ---------------------------------------------------------------------
# The wizard's record query (registrations.selectors.registration_detail_queryset) joins 17 tables; with
# PostgreSQL's default join_collapse_limit (8) planning it costs ~100 ms of database CPU, every request
# (bench/results/load.md). 4 keeps reordering for the short joins the ORM writes for filters, plans the
# long select_related chains in the order written (base table first, then its foreign keys: the right
# order), and cost the statistics and the export nothing at 1,000,000 students (bench/results/scale.md).
# DB_PG_OPTIONS= (set, empty) turns it off; behind PgBouncer use `ALTER ROLE … SET join_collapse_limit = 4` instead.
_PG_OPTIONS_DEFAULT = "-c join_collapse_limit=4"
DATABASES = {
    "default": dj_database_url.parse(
        _env("DATABASE_URL", required=True),
        conn_max_age=int(_env("DB_CONN_MAX_AGE", "60")),
        # A persistent connection killed by a PostgreSQL restart is noticed at the start of the next
        # request and replaced, instead of failing that request.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Production runs on PostgreSQL: DATABASE_URL must be postgres://…")
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", int(_env("DB_CONNECT_TIMEOUT", "5")))
# Shows in pg_stat_activity: lets an operator (and bench/faults) tell the app's sessions apart.
DATABASES["default"]["OPTIONS"].setdefault("application_name", _env("DB_APPLICATION_NAME", "quxiang"))
_PG_OPTIONS = os.environ.get("DB_PG_OPTIONS", _PG_OPTIONS_DEFAULT).strip()  # set but empty: none
if _PG_OPTIONS:  # libpq "options": server settings for the app's sessions
    DATABASES["default"]["OPTIONS"].setdefault("options", _PG_OPTIONS)
if _env_bool("DB_DISABLE_SERVER_SIDE_CURSORS", False):  # behind PgBouncer in transaction mode
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True

# --- Redis: cache, sessions, login throttle and rate limits ---------------------------------------
REDIS_URL = _env("REDIS_URL", "redis://127.0.0.1:6379/0")
_REDIS_OPTIONS = {
    # A Redis that does not answer must fail a request quickly (→ the 503 page), not hang a worker.
    "SOCKET_CONNECT_TIMEOUT": float(_env("REDIS_CONNECT_TIMEOUT", "2")),
    "SOCKET_TIMEOUT": float(_env("REDIS_SOCKET_TIMEOUT", "2")),
}
CACHES = {
    "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL, "OPTIONS": _REDIS_OPTIONS,
                "KEY_PREFIX": "qx"},
    # Sessions get their own alias (and may get their own Redis with REDIS_SESSIONS_URL), so that
    # clearing the cache never logs anybody out.
    "sessions": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": _env("REDIS_SESSIONS_URL", REDIS_URL),
                 "OPTIONS": _REDIS_OPTIONS, "KEY_PREFIX": "qxs"},
}
# "cache": every request reads the session from Redis and nothing from PostgreSQL; the wizard writes
# the session (messages) on almost every POST, which cached_db would turn into a database write each.
# Redis must then keep its data across a restart (appendonly yes, docs/deploy.md).
SESSION_ENGINE = _env("DJANGO_SESSION_ENGINE", "django.contrib.sessions.backends.cache")
SESSION_CACHE_ALIAS = "sessions"
# Progress of background jobs (the worker writes, the web reads).
CACHES["jobs"] = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL, "OPTIONS": _REDIS_OPTIONS,
                  "KEY_PREFIX": "qxj"}

# --- background jobs: Celery with Redis as the broker (docs/decisions.md "Background jobs") -------------
# `celery -A config worker` on any number of machines, with the same settings as the app servers.
CELERY_BROKER_URL = _env("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_TRANSPORT_OPTIONS = celery_broker_options(CELERY_BROKER_URL)

# --- HTTPS behind nginx ------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = _env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
# Load-balancer probes talk plain HTTP to the app server directly.
SECURE_REDIRECT_EXEMPT = [r"^healthz(/|$)"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = int(_env("DJANGO_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = _env_bool("DJANGO_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Pages may not be framed at all; the evidence download says SAMEORIGIN itself (staff see PDFs inline).
# Framing is left to X-Frame-Options (per view) rather than CSP frame-ancestors, which would override it.
X_FRAME_OPTIONS = "DENY"


# --- Content-Security-Policy (django-csp) ----------------------------------------------------------
def _inline_style_hashes(*roots: Path) -> list[str]:
    """'sha256-…' sources for the literal <style> blocks of our templates (the 500/503 pages carry their
    CSS inline so that they render with nothing else working). A block containing template syntax is
    not hashed: its rendered text varies, so it stays blocked and the page test says so."""
    found: set[str] = set()
    for root in roots:
        for path in sorted(root.rglob("*.html")) if root.is_dir() else []:
            text = path.read_text(encoding="utf-8")
            for block in re.findall(r"<style[^>]*>(.*?)</style>", text, flags=re.S | re.I):
                if "{%" in block or "{{" in block or "{#" in block:
                    continue
                digest = base64.b64encode(hashlib.sha256(block.encode("utf-8")).digest()).decode()
                found.add(f"'sha256-{digest}'")
    return sorted(found)


def _template_roots() -> list[Path]:
    import django

    roots = [BASE_DIR / "templates", Path(django.__file__).parent / "contrib" / "admin" / "templates"]
    roots += sorted((BASE_DIR / "quxiang").glob("*/templates"))
    return roots


CSP_INLINE_STYLE_HASHES = _inline_style_hashes(*_template_roots())
CONTENT_SECURITY_POLICY = {
    # Evidence files (PDF/JPEG/PNG, content-checked, nosniff) get no page policy: Chrome's PDF viewer
    # runs inside the PDF response and breaks under style-src/object-src restrictions.
    "EXCLUDE_URL_PREFIXES": ["/evidence/"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],  # no inline script anywhere; json_script data blocks are not scripts
        "style-src": [SELF, *CSP_INLINE_STYLE_HASHES],
        # style="…" attributes: the statistics page sizes its chart boxes with them and ECharts writes
        # them into its tooltips. Attributes cannot run script.
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],  # data: for the API docs' icons
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],  # staff record pages show evidence PDFs in an iframe
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    },
}

INSTALLED_APPS = [*INSTALLED_APPS, "csp"]


def _with_middleware(stack: list[str]) -> list[str]:
    """The CSP header, the 503 page and compression go right below WhiteNoise (static files need none of
    them: WhiteNoise serves them pre-compressed), so they cover every response of the app, errors of the
    session and authentication middleware included. Compression: HTML and JSON only, with Django's BREACH
    mitigation (quxiang/core/compression.py); DJANGO_GZIP=0 leaves it to the proxy in front."""
    ours = [m for m in ("quxiang.core.csp.CSPMiddleware", "quxiang.core.health.ServiceUnavailableMiddleware")
            if m not in stack]
    anchor = stack.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1
    stack = [*stack[:anchor], *ours, *stack[anchor:]]
    gzip = "quxiang.core.compression.TextGZipMiddleware"
    if _env_bool("DJANGO_GZIP", True) and gzip not in stack:
        at = stack.index("quxiang.core.health.ServiceUnavailableMiddleware") + 1
        stack = [*stack[:at], gzip, *stack[at:]]
    return stack


MIDDLEWARE = _with_middleware(list(MIDDLEWARE))

# --- static files and evidence ------------------------------------------------------------------------
# `python manage.py collectstatic --noinput` at deploy time; whitenoise serves the hashed, compressed
# files with far-future caching.
STATIC_ROOT = Path(_env("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# A template naming a static file that is not in the manifest falls back to the plain name rather than
# turning the page into a 500.
WHITENOISE_MANIFEST_STRICT = False
# Evidence, export results and import files go through Django's storage API (STORAGES["default"], set in
# base.py, private, no MEDIA_URL): the disk under QUXIANG_VAR_DIR, or with QUXIANG_STORAGE=s3 the bucket
# AWS_STORAGE_BUCKET_NAME at AWS_S3_ENDPOINT_URL (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
# AWS_S3_REGION_NAME); several app servers need the bucket (docs/decisions.md "Object storage (issue 11)").
if _env("FILE_UPLOAD_TEMP_DIR"):
    FILE_UPLOAD_TEMP_DIR = _env("FILE_UPLOAD_TEMP_DIR")

QUXIANG = {**QUXIANG, "PUBLIC_BASE_URL": _env("QUXIANG_PUBLIC_BASE_URL", QUXIANG["PUBLIC_BASE_URL"])}

# --- logging: to stderr (journald / the container), national IDs and mobiles masked -----------------
LOG_LEVEL = _env("DJANGO_LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "mask_personal_data": {"()": "quxiang.core.logging.MaskPersonalDataFilter"},
        "outage_noise": {"()": "quxiang.core.logging.OutageNoiseFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [pid %(process)d] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain",
                    "filters": ["outage_noise", "mask_personal_data"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own default handlers are replaced: everything goes through the masked console.
        "django": {"handlers": [], "level": _env("DJANGO_LOG_LEVEL_DJANGO", "WARNING").upper(), "propagate": True},
        "quxiang": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
    },
}
