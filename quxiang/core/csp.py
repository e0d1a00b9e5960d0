"""django-csp's middleware with the header built once per process.

django-csp builds the Content-Security-Policy string again for every response (two `dataclasses.asdict`
and two `build_policy` calls: about a tenth of the app's work for a redirect of the wizard). Without
per-response changes the string depends on the settings alone, so it is built once for a given
CONTENT_SECURITY_POLICY / CONTENT_SECURITY_POLICY_REPORT_ONLY and then only set. A response that carries
django-csp's decorators (`_csp_config`, `_csp_update`, `_csp_replace` and their report-only twins) or a
request whose nonce was used takes django-csp's own path unchanged; quxiang/core/tests/test_csp.py
compares the two for every kind of response."""

from __future__ import annotations

import http.client as http_client
from dataclasses import asdict

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.utils import build_policy
from django.conf import settings

_PER_RESPONSE = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")


class CSPMiddleware(BaseCSPMiddleware):
    def __init__(self, get_response) -> None:
        super().__init__(get_response)
        self._built: dict[tuple[int, int], list[tuple[str, str, tuple[str, ...], str]]] = {}

    def _plain_headers(self, request, response) -> list[tuple[str, str, tuple[str, ...], str]]:
        """(header, value, excluded URL prefixes, exemption attribute) for each policy that is set."""
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        policy_ro = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        key = (id(policy), id(policy_ro))  # override_settings (tests) puts new objects in place
        headers = self._built.get(key)
        if headers is None:
            headers = []
            for header, report_only, conf, exempt in ((HEADER, False, policy, "_csp_exempt"),
                                                      (HEADER_REPORT_ONLY, True, policy_ro, "_csp_exempt_ro")):
                parts = self.get_policy_parts(request=request, response=response, report_only=report_only)
                value = build_policy(**asdict(parts), report_only=report_only)
                if value:
                    headers.append((header, value, tuple((conf or {}).get("EXCLUDE_URL_PREFIXES") or ()), exempt))
            self._built = {key: headers}
        return headers

    def process_response(self, request, response):
        if (getattr(request, "_csp_nonce", None) is not None
                or any(getattr(response, name, None) is not None for name in _PER_RESPONSE)):
            return super().process_response(request, response)
        if settings.DEBUG and response.status_code in (http_client.INTERNAL_SERVER_ERROR, http_client.NOT_FOUND):
            return response
        for header, value, prefixes, exempt in self._plain_headers(request, response):
            if (header not in response and getattr(response, exempt, False) is False
                    and not request.path_info.startswith(prefixes)):
                response[header] = value
        # As django-csp: reading request.csp_nonce after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
