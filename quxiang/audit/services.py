from __future__ import annotations

from typing import Any

from quxiang.audit.models import AuditAction, AuditEntry


def audit_record(
    *, actor=None, action: AuditAction, ip: str | None = None, registration=None, student=None,
    registration_id: int | None = None, student_id: int | None = None, detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. The record and the student are given as rows (`registration`, `student`: anything
    with a `pk`) or as ids; only the ids are stored, and the student's is taken from the registration when
    not given. `actor` is a User (not annotated: audit sits below accounts and imports none of its models)."""
    if registration is not None:
        registration_id = registration.pk
        if student is None and student_id is None:
            student_id = registration.student_id
    if student is not None:
        student_id = student.pk
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None, action=action,
        registration_id=registration_id, student_id=student_id, ip=ip, detail=detail or {},
    )
