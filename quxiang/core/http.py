"""Request helpers shared by every door (web views, the API, the admin)."""

from __future__ import annotations

from django.http import HttpRequest


def client_ip(request: HttpRequest | None) -> str | None:
    """The caller's address. Behind nginx, REMOTE_ADDR is set from X-Real-IP by the proxy (docs/deploy.md)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None
