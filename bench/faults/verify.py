"""The database after the fault drills (run under load_settings by bench/faults/run.py with a JSON
argument naming the registrations of each scenario). Prints JSON on the last line."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "load_settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from quxiang.audit.models import AuditAction, AuditEntry  # noqa: E402
from quxiang.evidence.models import EvidenceFile  # noqa: E402
from quxiang.registrations.models import EventKind, Registration, RegistrationEvent, Status  # noqa: E402


def submit_events(pk: int) -> int:
    return RegistrationEvent.objects.filter(registration_id=pk, kind=EventKind.SUBMIT).count()


def main() -> None:
    if not connection.settings_dict["NAME"].startswith("quxiang_fault"):
        sys.exit("refusing: not a fault database")
    ids = json.loads(sys.argv[1])
    outage = list(Registration.objects.filter(pk__in=ids["outage"]))
    half_written = []
    for reg in outage:
        events = submit_events(reg.pk)
        audits = AuditEntry.objects.filter(registration_id=reg.pk, action=AuditAction.SUBMIT).count()
        ok = (
            (reg.status == Status.SUBMITTED and reg.submitted_at is not None and events == 1 and audits == 1)
            or (reg.status == Status.DRAFT and reg.submitted_at is None and events == 0 and audits == 0)
        ) and reg.organisation_done and reg.archive_done and reg.evidence_files.count() == 1
        if not ok:
            half_written.append({"id": reg.pk, "status": reg.status, "events": events, "audits": audits})
    media = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    rows = set(EvidenceFile.objects.values_list("file", flat=True))
    on_disk = {str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()} if media.exists() else set()
    print(json.dumps({
        "outage_records": len(outage),
        "outage_submitted": sum(1 for r in outage if r.status == Status.SUBMITTED),
        "outage_still_draft": sum(1 for r in outage if r.status == Status.DRAFT),
        "outage_half_written": half_written,
        "double_submit_events_per_record": [submit_events(pk) for pk in ids["double"]],
        "double_submitted": Registration.objects.filter(pk__in=ids["double"], status=Status.SUBMITTED).count(),
        "cut_upload_rows": EvidenceFile.objects.filter(registration_id__in=ids["cut"]).count(),
        "cut_control_rows": EvidenceFile.objects.filter(registration_id=ids["cut_control"]).count(),
        "disk_rows": [EvidenceFile.objects.filter(registration_id=pk).count() for pk in ids["disk"]],
        "evidence_rows_without_file": sorted(n for n in rows if n not in on_disk)[:10],
        "files_without_row": sorted(on_disk - rows)[:10],
    }))


if __name__ == "__main__":
    main()
