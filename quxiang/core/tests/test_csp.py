"""quxiang.core.csp.CSPMiddleware sets exactly the headers django-csp's own middleware sets, for plain
responses (built once) and for every case that takes django-csp's path (decorators, a used nonce), and it
follows a change of the policy settings."""

from __future__ import annotations

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, SELF
from csp.decorators import csp_exempt, csp_update
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from quxiang.core.csp import CSPMiddleware

POLICY = {"EXCLUDE_URL_PREFIXES": ["/evidence/"], "DIRECTIVES": {"default-src": [SELF], "img-src": [SELF, "data:"]}}
REPORT_ONLY = {"DIRECTIVES": {"default-src": [SELF], "report-uri": "/csp-report/"}}


def plain(request):
    return HttpResponse("ok")


@csp_exempt()
def exempt(request):
    return HttpResponse("ok")


@csp_update({"img-src": "https://img.example.org"})
def updated(request):
    return HttpResponse("ok")


def with_nonce(request):
    return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")


def headers(middleware_class, view, path="/page/"):
    middleware = middleware_class(view)
    out = []
    for _ in range(2):  # the second response is served from what the first built
        request = RequestFactory().get(path)
        response = middleware(request)
        nonce = getattr(request, "_csp_nonce", None)
        out.append({h: (response.get(h) or "").replace(nonce or "\0", "NONCE") for h in (HEADER, HEADER_REPORT_ONLY)})
    return out


@pytest.mark.parametrize("view", [plain, exempt, updated, with_nonce])
@pytest.mark.parametrize("path", ["/page/", "/evidence/1/"])
@pytest.mark.parametrize("report_only", [None, REPORT_ONLY])
def test_the_same_headers_as_django_csp(view, path, report_only):
    with override_settings(CONTENT_SECURITY_POLICY=POLICY, CONTENT_SECURITY_POLICY_REPORT_ONLY=report_only):
        ours, theirs = headers(CSPMiddleware, view, path), headers(DjangoCSPMiddleware, view, path)
    assert ours == theirs
    if view is plain and path == "/page/":
        assert "default-src 'self'" in ours[1][HEADER]
    if path.startswith("/evidence/") or view is exempt:
        assert ours[1][HEADER] == ""


def test_a_changed_policy_is_built_again():
    middleware = CSPMiddleware(plain)
    with override_settings(CONTENT_SECURITY_POLICY=POLICY):
        first = middleware(RequestFactory().get("/"))[HEADER]
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'none'"]}}):
        second = middleware(RequestFactory().get("/"))[HEADER]
    assert "default-src 'self'" in first and second == "default-src 'none'"


def test_the_nonce_cannot_be_read_after_the_header_is_written():
    from csp.exceptions import CSPNonceError

    request = RequestFactory().get("/")
    with override_settings(CONTENT_SECURITY_POLICY=POLICY):
        CSPMiddleware(plain)(request)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)
