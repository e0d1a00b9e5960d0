"""Read-only queries over the organisation directory."""

from __future__ import annotations

from quxiang.core.validators import normalize_uscc
from quxiang.organisations.models import Organisation


def organisation_lookup(*, uscc: str) -> Organisation | None:
    """The directory entry for a 统一社会信用代码 (spaces, dashes and case are ignored), or None. A code
    merged into another row (an alias) finds the surviving row; a row of its own always wins."""
    code = normalize_uscc(uscc)
    if len(code) != 18:
        return None
    rows = Organisation.objects.select_related("nature", "industry", "region")
    return rows.filter(uscc=code).first() or rows.filter(aliases__uscc=code).first()
