from __future__ import annotations

from typing import Any

from quxiang.audit.models import AuditAction, AuditEntry


def audit_record(
    *, actor=None, action: AuditAction, ip: str | None = None, registration=None, student=None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry; the student is taken from the registration when not given. `actor` is a User
    (not annotated: audit sits below accounts and imports none of its models)."""
    if registration is not None and student is None:
        student = registration.student
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None, action=action,
        registration=registration, student=student, ip=ip, detail=detail or {},
    )
