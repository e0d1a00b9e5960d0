"""Response compression for the production settings (config/settings/production.py puts it right below
WhiteNoise, which serves the static files pre-compressed itself).

Django's GZipMiddleware, limited to text: HTML, JSON, CSS, JavaScript, CSV, SVG, XML. Evidence files
(PDF, JPEG, PNG), workbooks and the registration sheet are compressed already or not worth the CPU, and
a streamed evidence download must stay a plain stream.

BREACH: a compressed page that holds a secret next to text an attacker can choose leaks the secret through
its length. Here: the CSRF token in every form is masked afresh for each response (Django), the session
and API tokens travel in cookies and headers, never in a body an attacker can add text to; cookies are
SameSite=Lax, so a cross-site page cannot make the many credentialed requests the attack needs; and
Django's gzip adds 0–100 random bytes to every response (the "Heal The Breach" mitigation, Django 4.2+).
docs/decisions.md, "The student flow at a fifth of the cost (issue 13)"."""

from __future__ import annotations

from django.middleware.gzip import GZipMiddleware

COMPRESSIBLE_TYPES = frozenset({
    "text/html", "text/plain", "text/css", "text/csv", "text/javascript", "application/javascript",
    "application/json", "application/problem+json", "application/xml", "text/xml", "image/svg+xml",
})


class TextGZipMiddleware(GZipMiddleware):
    def process_response(self, request, response):
        content_type = response.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if content_type not in COMPRESSIBLE_TYPES:
            return response
        return super().process_response(request, response)
