"""After the cluster run: what is in PostgreSQL and in the bucket, against what the clients were told.
Run by run.py under the same settings as the app servers (QUXIANG_STORAGE=s3); prints one JSON line.

- bench/load/check.py's consistency check (submitted == SUBMIT events, no student with two open records,
  every evidence row's object exists, no half-written or evidence-less submitted record); its on-disk
  orphan scan does not apply to a bucket, so the bucket is listed here instead;
- per acknowledged student: exactly one submitted record with exactly one SUBMIT event;
- every object in the bucket has its row (evidence/, jobs/ results, imports/ files) and every row its object;
- the import and the export jobs: status, attempts, counts, the export's file."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys

import django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--acknowledged", required=True, help="JSON file: the student numbers told 提交成功")
    parser.add_argument("--import-job", type=int, required=True)
    parser.add_argument("--export-job", type=int, required=True)
    args = parser.parse_args()
    django.setup()
    from django.conf import settings
    from django.core.files.storage import storages
    from django.db import connection
    from django.db.models import Count

    if not connection.settings_dict["NAME"].startswith("quxiang_cluster"):
        sys.exit("refusing to check another database")
    storage = storages["default"]  # instantiated (and cached) before check.py looks for a disk location
    settings.STORAGES["default"]["OPTIONS"].setdefault("location", "/nonexistent-cluster-bench")

    import check  # bench/load/check.py

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        check.main()
    result = json.loads(buf.getvalue().strip().splitlines()[-1])
    result.pop("files_without_row", None)
    result.pop("orphan_samples", None)

    from quxiang.evidence.models import EvidenceFile
    from quxiang.imports.models import ImportJob
    from quxiang.jobs.models import Job
    from quxiang.registrations.models import EventKind, RegistrationEvent, Status
    from quxiang.roster.models import Student

    acknowledged = json.load(open(args.acknowledged))
    submitted = dict(Student.objects.filter(student_number__in=acknowledged, registrations__status=Status.SUBMITTED)
                     .values_list("student_number").annotate(n=Count("registrations")))
    events = dict(RegistrationEvent.objects.filter(kind=EventKind.SUBMIT,
                                                   registration__student__student_number__in=acknowledged)
                  .values_list("registration__student__student_number").annotate(n=Count("id")))
    result["acknowledged"] = len(acknowledged)
    result["acknowledged_not_exactly_once"] = sorted(
        n for n in acknowledged if submitted.get(n, 0) != 1 or events.get(n, 0) != 1)[:20]

    # The bucket against the rows.
    import boto3

    opts = settings.STORAGES["default"]["OPTIONS"]
    client = boto3.client("s3", endpoint_url=opts["endpoint_url"], aws_access_key_id=opts["access_key"],
                          aws_secret_access_key=opts["secret_key"], region_name=opts["region_name"])
    keys: set[str] = set()
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=opts["bucket_name"]):
        keys.update(obj["Key"] for obj in page.get("Contents", []))
    rows = {
        "evidence": set(EvidenceFile.objects.values_list("file", flat=True)),
        "jobs": set(Job.objects.exclude(result_file="").values_list("result_file", flat=True)),
        "imports": set(ImportJob.objects.values_list("file", flat=True))
        | set(ImportJob.objects.exclude(rows_file="").values_list("rows_file", flat=True)),
    }
    named = set().union(*rows.values())
    result["bucket"] = {
        "storage_backend": settings.STORAGES["default"]["BACKEND"],
        "objects": len(keys),
        **{f"{k}_objects": sum(1 for key in keys if key.startswith(k + "/")) for k in rows},
        **{f"{k}_rows_without_object": len(v - keys) for k, v in rows.items()},
        "objects_without_row": sorted(keys - named)[:20],
        "objects_without_row_count": len(keys - named),
    }
    result["evidence_rows_checked_via_storage_exists"] = result["evidence_rows"]
    del storage

    imp = ImportJob.objects.select_related("check_job", "apply_job").get(pk=args.import_job)
    export = Job.objects.get(pk=args.export_job)

    def job_row(job):
        return None if job is None else {
            "id": job.pk, "kind": job.kind, "status": job.status, "attempts": job.attempts, "error": job.error,
            "progress": [job.progress_done, job.progress_total],
            "seconds": (job.finished_at - job.created_at).total_seconds() if job.finished_at else None,
            "result_file": job.result_file.name or None}

    result["import"] = {
        "status": imp.status, "message": imp.message, "rows_total": imp.rows_total, "rows_new": imp.rows_new,
        "rows_error": imp.rows_error, "check_job": job_row(imp.check_job), "apply_job": job_row(imp.apply_job),
        "students_with_import_numbers": Student.objects.filter(student_number__startswith="27").count(),
    }
    result["export"] = job_row(export)
    result["export"]["cohort_students"] = Student.objects.filter(graduation_year=2027).count()
    print(json.dumps(result, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
