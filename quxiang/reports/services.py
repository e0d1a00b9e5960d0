"""Writes of the reports app: the national export file and its audit entry; downloads of statistics tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from django.utils import timezone

from quxiang.accounts.models import User
from quxiang.audit.models import AuditAction
from quxiang.audit.services import audit_record
from quxiang.reports.exports import EXPORT_CHUNK_SIZE, national_export_write
from quxiang.reports.selectors import national_export_rows


@dataclass
class ExportFile:
    file: IO[bytes]
    filename: str
    rows: int


def national_export_create(
    *, actor: User, year: int, full_id: bool = False, reason: str = "", verified_only: bool = False,
    ip: str | None = None, out: IO[bytes] | None = None,
) -> ExportFile:
    """Build the national export of the cohort `year` and log it. The national ID is masked unless
    `full_id`, which needs a reason; the reason goes into the audit log with the export."""
    reason = (reason or "").strip()
    if full_id and not reason:
        raise ValueError("a full export needs a reason")
    rows = national_export_rows(user=actor, year=year, verified_only=verified_only).iterator(
        chunk_size=EXPORT_CHUNK_SIZE
    )
    file, count = national_export_write(rows=rows, full_id=full_id, out=out)
    detail = {"what": "national_export", "year": year, "rows": count, "full_id": full_id,
              "verified_only": verified_only}
    if full_id:
        detail["reason"] = reason
    audit_record(actor=actor, action=AuditAction.EXPORT, ip=ip, detail=detail)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    kind = "full" if full_id else "masked"
    return ExportFile(file=file, filename=f"graduates-{year}-{kind}-{stamp}.xlsx", rows=count)


def statistics_download_log(*, actor: User, year: int, table: str, ip: str | None = None) -> None:
    audit_record(actor=actor, action=AuditAction.EXPORT, ip=ip,
                 detail={"what": "statistics", "year": year, "table": table})
