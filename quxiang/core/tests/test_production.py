"""config.settings.production: required environment, `check --deploy` clean, Redis for cache and sessions,
the CSP the pages satisfy, masked logging, manifest static files, the 503 middleware.

The production module reads the environment at import, so it is loaded in subprocesses; the policy it
builds is then applied in-process to real pages of the app."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from quxiang.testing.factories import make_office, make_registration

ROOT = Path(__file__).resolve().parents[3]
STRONG_KEY = "x7V!q2#pL9w@Zr4$Tn8^Ku1&Bm6*Yc3(Hd5)Jf0_Gs2+Wq9=Ep7-Ra4"
ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": STRONG_KEY,
    "DJANGO_ALLOWED_HOSTS": "jiuye.example.edu.cn",
    "DATABASE_URL": "postgres://quxiang@db.internal:5432/quxiang",
}
DUMP = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "DEBUG": s.DEBUG, "ALLOWED_HOSTS": s.ALLOWED_HOSTS, "DATABASES": s.DATABASES, "CACHES": s.CACHES,
    "SESSION_ENGINE": s.SESSION_ENGINE, "SESSION_CACHE_ALIAS": s.SESSION_CACHE_ALIAS,
    "MIDDLEWARE": s.MIDDLEWARE, "INSTALLED_APPS": s.INSTALLED_APPS, "STORAGES": s.STORAGES,
    "STATIC_ROOT": str(s.STATIC_ROOT), "LOGGING": s.LOGGING, "CONTENT_SECURITY_POLICY": s.CONTENT_SECURITY_POLICY,
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT, "SECURE_PROXY_SSL_HEADER": s.SECURE_PROXY_SSL_HEADER,
    "SECURE_REDIRECT_EXEMPT": s.SECURE_REDIRECT_EXEMPT, "X_FRAME_OPTIONS": s.X_FRAME_OPTIONS,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE, "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS, "PASSWORD_HASHERS": s.PASSWORD_HASHERS,
}, default=str))
"""


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_", "DB_", "QUXIANG_"))}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def prod() -> dict:
    proc = run(["-c", DUMP], **ENV)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_check_deploy_reports_no_issue():
    proc = run(["manage.py", "check", "--deploy"], **ENV)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output, output
    assert "WARNING" not in output.upper()


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL"])
def test_required_variables_are_required(missing):
    env = {k: v for k, v in ENV.items() if k != missing}
    proc = run(["manage.py", "check"], **env)
    assert proc.returncode != 0
    assert missing in proc.stderr and "ImproperlyConfigured" in proc.stderr


def test_sqlite_is_refused_in_production():
    proc = run(["manage.py", "check"], **{**ENV, "DATABASE_URL": "sqlite:////tmp/x.sqlite3"})
    assert proc.returncode != 0 and "PostgreSQL" in proc.stderr


def test_database_is_postgresql_with_persistent_checked_connections(prod):
    db = prod["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert db["HOST"] == "db.internal" and db["NAME"] == "quxiang"
    assert db["CONN_MAX_AGE"] == 60 and db["CONN_HEALTH_CHECKS"] is True
    assert db["ATOMIC_REQUESTS"] is False
    assert db["OPTIONS"]["connect_timeout"] == 5 and db["OPTIONS"]["application_name"] == "quxiang"
    assert db["OPTIONS"]["options"] == "-c join_collapse_limit=4"  # bench/results/load.md


def test_planner_option_can_be_changed_or_turned_off():
    def options(value: str) -> dict:
        proc = run(["-c", DUMP], **ENV, DB_PG_OPTIONS=value)
        return json.loads(proc.stdout.strip().splitlines()[-1])["DATABASES"]["default"]["OPTIONS"]

    assert "options" not in options("")
    assert options("-c join_collapse_limit=6")["options"] == "-c join_collapse_limit=6"


def test_cache_sessions_and_throttle_live_in_redis(prod):
    assert prod["DEBUG"] is False
    caches = prod["CACHES"]
    assert caches["default"]["BACKEND"] == "django_redis.cache.RedisCache"
    assert caches["default"]["LOCATION"] == "redis://127.0.0.1:6379/0"
    assert caches["sessions"]["BACKEND"] == "django_redis.cache.RedisCache"
    assert prod["SESSION_ENGINE"] in {"django.contrib.sessions.backends.cache",
                                      "django.contrib.sessions.backends.cached_db"}
    assert prod["SESSION_CACHE_ALIAS"] == "sessions"
    for alias in ("default", "sessions"):
        assert caches[alias]["OPTIONS"]["SOCKET_TIMEOUT"] > 0  # a hung Redis fails fast
    # The login lockout and the per-address limit count through core.ratelimit, on the "default" alias.
    from django.core.cache import cache as default_cache

    from quxiang.core import ratelimit

    assert ratelimit.cache is default_cache


def test_redis_url_comes_from_the_environment():
    proc = run(["-c", DUMP], **ENV, REDIS_URL="redis://cache.internal:6380/3")
    caches = json.loads(proc.stdout.strip().splitlines()[-1])["CACHES"]
    assert caches["default"]["LOCATION"] == caches["sessions"]["LOCATION"] == "redis://cache.internal:6380/3"


def test_https_behind_the_proxy(prod):
    assert prod["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert prod["SECURE_SSL_REDIRECT"] is True
    assert prod["SESSION_COOKIE_SECURE"] and prod["CSRF_COOKIE_SECURE"]
    assert prod["SECURE_HSTS_SECONDS"] >= 31536000
    assert prod["X_FRAME_OPTIONS"] == "DENY"
    # Load-balancer probes on plain HTTP are not redirected.
    exempt = [re.compile(p) for p in prod["SECURE_REDIRECT_EXEMPT"]]
    assert all(any(p.search(path) for p in exempt) for path in ("healthz", "healthz/ready"))
    assert not any(p.search("healthzz") or p.search("accounts/login/") for p in exempt)


def test_middleware_order(prod):
    mw = prod["MIDDLEWARE"]
    whitenoise = mw.index("whitenoise.middleware.WhiteNoiseMiddleware")
    assert mw[whitenoise + 1] == "quxiang.core.csp.CSPMiddleware"
    assert mw[whitenoise + 2] == "quxiang.core.health.ServiceUnavailableMiddleware"
    assert mw.index("quxiang.core.health.ServiceUnavailableMiddleware") < mw.index(
        "django.contrib.sessions.middleware.SessionMiddleware") < mw.index(
        "django.contrib.auth.middleware.AuthenticationMiddleware")
    assert len(mw) == len(set(mw))
    assert "csp" in prod["INSTALLED_APPS"]


def test_static_files_are_hashed_and_compressed(prod):
    assert prod["STORAGES"]["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert prod["STORAGES"]["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert prod["STORAGES"]["default"]["OPTIONS"]["base_url"] is None  # evidence is never public


def test_every_log_handler_masks_personal_data(prod):
    logging_config = prod["LOGGING"]
    assert logging_config["filters"]["mask_personal_data"]["()"] == "quxiang.core.logging.MaskPersonalDataFilter"
    assert logging_config["handlers"]
    for handler in logging_config["handlers"].values():
        assert "mask_personal_data" in handler["filters"]
    # A database restart: one line per failed request, not one traceback each.
    assert logging_config["filters"]["outage_noise"]["()"] == "quxiang.core.logging.OutageNoiseFilter"
    assert "outage_noise" in logging_config["handlers"]["console"]["filters"]
    # Loggers named in the config do not keep handlers of their own: they all end in the root's.
    for logger in logging_config["loggers"].values():
        assert logger["handlers"] == [] and logger["propagate"] is True


def test_production_logging_masks_a_real_record():
    code = (
        "import django, logging; django.setup();"
        "logging.getLogger('django.request').error('Internal Server Error: %s', '/x?id=310101199001011234');"
        "logging.getLogger('quxiang.x').warning('mobile %s', 13800138000)"
    )
    proc = run(["-c", code], **ENV)
    assert proc.returncode == 0, proc.stderr
    assert "310101199001011234" not in proc.stderr and "13800138000" not in proc.stderr
    assert "3101**********1234" in proc.stderr and "138****8000" in proc.stderr


# --- Content-Security-Policy: the policy and the pages ----------------------------------------------


def _style_hash(css: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"


def test_policy_is_self_only_for_scripts_and_styles(prod):
    d = prod["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]
    assert d["default-src"] == ["'self'"] and d["script-src"] == ["'self'"]
    assert d["object-src"] == ["'none'"] and d["frame-src"] == ["'self'"] and d["base-uri"] == ["'self'"]
    assert d["style-src"][0] == "'self'" and all(s.startswith("'sha256-") for s in d["style-src"][1:])
    assert not any("unsafe" in s for key in ("script-src", "style-src", "default-src") for s in d[key])
    assert not any("http" in s or s == "*" for values in d.values() for s in values)  # no CDN, no wildcard
    assert prod["CONTENT_SECURITY_POLICY"]["EXCLUDE_URL_PREFIXES"] == ["/evidence/"]


TEMPLATE_DIRS = [ROOT / "templates", *sorted((ROOT / "quxiang").glob("*/templates"))]


def _templates():
    for root in TEMPLATE_DIRS:
        yield from sorted(root.rglob("*.html"))


def test_no_template_has_inline_script_or_event_handler():
    offenders = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<script\b([^>]*)>(.*?)</script>", text, flags=re.S | re.I):
            attrs, body = match.groups()
            is_data = re.search(r'type="application/(json|ld\+json)"', attrs)
            if body.strip() and not is_data:
                offenders.append(f"{path.relative_to(ROOT)}: inline <script>")
        if re.search(r"\son[a-z]+\s*=\s*[\"']", text, flags=re.I):
            offenders.append(f"{path.relative_to(ROOT)}: on…= handler")
        if "javascript:" in text.lower():
            offenders.append(f"{path.relative_to(ROOT)}: javascript: URL")
    assert not offenders, offenders


def test_every_inline_style_block_is_allowed_by_hash(prod):
    allowed = set(prod["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["style-src"])
    missing = []
    for path in _templates():
        for block in re.findall(r"<style[^>]*>(.*?)</style>", path.read_text(encoding="utf-8"), flags=re.S | re.I):
            if _style_hash(block) not in allowed:
                missing.append(f"{path.relative_to(ROOT)} (template syntax inside <style>?)")
    assert not missing, missing


def _policy_settings(prod: dict) -> dict:
    mw = list(settings.MIDDLEWARE)
    at = mw.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1
    return {
        "MIDDLEWARE": [*mw[:at], "quxiang.core.csp.CSPMiddleware", "quxiang.core.health.ServiceUnavailableMiddleware",
                       *mw[at:]],
        "CONTENT_SECURITY_POLICY": prod["CONTENT_SECURITY_POLICY"],
    }


@pytest.mark.django_db
def test_pages_carry_the_policy_and_satisfy_it(prod):
    """Real pages (login, the wizard, status, staff record with its evidence iframe) get the header; what
    they embed is same-origin, and their <style> blocks are hashed in it."""
    reg = make_registration(complete=True)
    student = Client()
    office = Client()
    office.force_login(make_office())
    with override_settings(**_policy_settings(prod)):
        student.force_login(reg.student.user)
        step = lambda name: reverse("registrations:step", kwargs={"step": name})  # noqa: E731
        pages = [(Client(), reverse("accounts:login")), (student, reverse("registrations:status")),
                 (student, step("organisation")), (student, step("evidence")), (student, step("review")),
                 (office, reverse("reviews:record", args=[reg.pk])), (office, reverse("reports:statistics"))]
        for client, url in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            header = response["Content-Security-Policy"]
            assert "script-src 'self'" in header and "frame-src 'self'" in header and "object-src 'none'" in header
            html = response.content.decode()
            for src in re.findall(r'<(?:script|iframe|img|embed)[^>]+src="([^"]+)"', html):
                assert src.startswith("/") and not src.startswith("//"), (url, src)
            for href in re.findall(r'<link[^>]+href="([^"]+)"', html):
                assert href.startswith("/") and not href.startswith("//"), (url, href)
            for block in re.findall(r"<style[^>]*>(.*?)</style>", html, flags=re.S):
                assert _style_hash(block) in header, (url, "inline <style> not hashed")
        # The staff record page embeds the evidence PDF from the same origin…
        evidence = reg.evidence_files.first()
        record = office.get(reverse("reviews:record", args=[reg.pk])).content.decode()
        assert f'<iframe src="{reverse("evidence:download", args=[evidence.pk])}"' in record
        # …and the file is served without the page policy (Chrome's PDF viewer runs inside the response).
        response = office.get(reverse("evidence:download", args=[evidence.pk]))
        assert response.status_code == 200
        assert "Content-Security-Policy" not in response
        assert response["X-Content-Type-Options"] == "nosniff" and response["X-Frame-Options"] == "SAMEORIGIN"
