from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from quxiang.accounts.models import User
from quxiang.audit.models import AuditAction, AuditEntry


def client_ip(request: HttpRequest | None) -> str | None:
    """The caller's address. Behind nginx, REMOTE_ADDR is set from X-Real-IP by the proxy (docs/deploy.md)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *, actor: User | None, action: AuditAction, ip: str | None = None, registration=None, student=None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    if registration is not None and student is None:
        student = registration.student
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None, action=action,
        registration=registration, student=student, ip=ip, detail=detail or {},
    )
