"""After a load or fault run: is the database consistent with what the clients were told?
Runs under load_settings against the bench database; prints one JSON object on its last line.

- submitted: records in 待鉴证, and SUBMIT events (exactly one per submitted record);
- students with more than one open record (draft / submitted / returned): must be 0;
- evidence rows whose file is missing from storage, and files in the media directory with no row
  (orphans): both must be 0;
- submitted records without evidence, and half-written records (submitted but a step not done)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "load_settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.storage import storages  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402

from quxiang.evidence.models import EvidenceFile  # noqa: E402
from quxiang.registrations.models import OPEN_STATUSES, EventKind, Registration, RegistrationEvent, Status  # noqa: E402


def main() -> None:
    name = connection.settings_dict["NAME"]
    if not name.startswith("quxiang_"):
        sys.exit(f"refusing to check {name!r}")
    submitted = Registration.objects.filter(status=Status.SUBMITTED)
    submit_events = RegistrationEvent.objects.filter(kind=EventKind.SUBMIT)
    per_record = submit_events.values("registration_id").annotate(n=Count("id"))
    double_open = (
        Registration.objects.filter(status__in=OPEN_STATUSES).values("student_id").annotate(n=Count("id"))
        .filter(n__gt=1).count()
    )
    storage = storages["default"]
    rows = list(EvidenceFile.objects.values_list("file", flat=True))
    missing = [n for n in rows if not storage.exists(n)]
    media = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    on_disk = {str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()} if media.exists() else set()
    orphans = sorted(on_disk - set(rows))
    half_written = submitted.filter(organisation_done=False).count() + submitted.filter(archive_done=False).count()
    no_evidence = submitted.annotate(n=Count("evidence_files")).filter(n=0).count()
    print(json.dumps({
        "registrations": Registration.objects.count(),
        "drafts": Registration.objects.filter(status=Status.DRAFT).count(),
        "submitted": submitted.count(),
        "submit_events": submit_events.count(),
        "records_with_several_submit_events": sum(1 for r in per_record if r["n"] > 1),
        "students_with_two_open_records": double_open,
        "evidence_rows": len(rows),
        "evidence_rows_without_file": len(missing),
        "files_without_row": len(orphans),
        "orphan_samples": orphans[:5],
        "submitted_half_written": half_written,
        "submitted_without_evidence": no_evidence,
    }))


if __name__ == "__main__":
    main()
