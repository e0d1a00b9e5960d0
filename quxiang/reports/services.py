"""Writes of the reports app: the national export file and its audit entry; downloads of statistics tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from django.utils import timezone

from quxiang.accounts.models import User
from quxiang.audit.models import AuditAction
from quxiang.audit.services import audit_record
from quxiang.reports.exports import EXPORT_CHUNK_SIZE, national_export_write, profile_export_write
from quxiang.reports.models import ExportProfile
from quxiang.reports.national import national_export_rows
from quxiang.reports.profiles import profile_compile, profile_rows, profile_settings_check


@dataclass
class ExportFile:
    file: IO[bytes]
    filename: str
    rows: int


def national_export_filename(*, year: int, full_id: bool) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"graduates-{year}-{'full' if full_id else 'masked'}-{stamp}.xlsx"


def national_export_build(
    *, actor: User, year: int, full_id: bool = False, verified_only: bool = False, by_college: bool = False,
    out: IO[bytes] | None = None, progress: Callable[[int], None] | None = None,
    progress_every: int = EXPORT_CHUNK_SIZE,
) -> ExportFile:
    """Write the national export of the cohort `year`, as `actor` may see it, to `out` (or an anonymous
    temporary file), calling `progress(n)` every `progress_every` students. Logs nothing: see
    national_export_log."""
    rows = national_export_rows(user=actor, year=year, verified_only=verified_only, by_college=by_college)
    file, count = national_export_write(rows=rows.iterator(chunk_size=EXPORT_CHUNK_SIZE), full_id=full_id,
                                        out=out, by_college=by_college, progress=progress,
                                        progress_every=progress_every)
    return ExportFile(file=file, filename=national_export_filename(year=year, full_id=full_id), rows=count)


def profile_export_build(
    *, actor: User, year: int, profile: ExportProfile, full_id: bool = False, verified_only: bool = False,
    clean_only: bool = False, out: IO[bytes] | None = None, progress: Callable[[int], None] | None = None,
    progress_every: int = EXPORT_CHUNK_SIZE,
) -> ExportFile:
    """Write the cohort `year` in the layout of `profile` (issue 14). Stops with a DomainError before writing
    anything when the profile uses a school code the office has not filled in. Logs nothing."""
    compiled = profile_compile(profile=profile, full_id=full_id)
    profile_settings_check(compiled=compiled)
    rows = profile_rows(user=actor, year=year, verified_only=verified_only)
    file, count = profile_export_write(rows=rows.iterator(chunk_size=EXPORT_CHUNK_SIZE), compiled=compiled,
                                       clean_only=clean_only, out=out, progress=progress,
                                       progress_every=progress_every)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = (f"{profile.key}-v{profile.version}-{year}-{'full' if full_id else 'masked'}"
                f"{'-clean' if clean_only else ''}-{stamp}.xlsx")
    return ExportFile(file=file, filename=filename, rows=count)


def national_export_log(
    *, actor: User, year: int, rows: int, full_id: bool, reason: str = "", verified_only: bool = False,
    by_college: bool = False, ip: str | None = None, job_id: int | None = None, profile_id: int | None = None,
    clean_only: bool = False,
) -> None:
    """The audit entry of one national export: who, which cohort, masked or not, and why (a full one)."""
    detail = {"what": "national_export", "year": year, "rows": rows, "full_id": full_id,
              "verified_only": verified_only}
    if by_college:
        detail["by_college"] = True
    if profile_id is not None:
        detail["profile"] = profile_id
        detail["clean_only"] = clean_only
    if job_id is not None:
        detail["job"] = job_id
    if full_id:
        detail["reason"] = reason
    audit_record(actor=actor, action=AuditAction.EXPORT, ip=ip, detail=detail)


def national_export_create(
    *, actor: User, year: int, full_id: bool = False, reason: str = "", verified_only: bool = False,
    ip: str | None = None, out: IO[bytes] | None = None,
) -> ExportFile:
    """Build the national export of the cohort `year` at once and log it (the benchmarks; the office's page
    runs it as a background job, reports/jobs.py). The national ID is masked unless `full_id`, which needs
    a reason; the reason goes into the audit log with the export."""
    reason = (reason or "").strip()
    if full_id and not reason:
        raise ValueError("a full export needs a reason")
    export = national_export_build(actor=actor, year=year, full_id=full_id, verified_only=verified_only, out=out)
    national_export_log(actor=actor, year=year, rows=export.rows, full_id=full_id, reason=reason,
                        verified_only=verified_only, ip=ip)
    return export


def statistics_download_log(*, actor: User, year: int, table: str, ip: str | None = None) -> None:
    audit_record(actor=actor, action=AuditAction.EXPORT, ip=ip,
                 detail={"what": "statistics", "year": year, "table": table})
