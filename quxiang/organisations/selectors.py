"""Read-only queries over the organisation directory."""

from __future__ import annotations

from quxiang.core.validators import normalize_uscc
from quxiang.organisations.models import Organisation


def organisation_lookup(*, uscc: str) -> Organisation | None:
    """The directory entry for a 统一社会信用代码 (spaces, dashes and case are ignored), or None."""
    code = normalize_uscc(uscc)
    if len(code) != 18:
        return None
    return Organisation.objects.select_related("nature", "industry", "region").filter(uscc=code).first()
