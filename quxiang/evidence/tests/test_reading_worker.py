"""Evidence reading (job kind `evidence.read`) through real Celery worker processes against the real Redis:
an upload's reading end to end, and a worker SIGKILLed while it writes the reading, whose job another worker
then finishes with exactly one reading. Same set-up and skips as quxiang/jobs/tests/test_worker.py."""

from __future__ import annotations

import psycopg
from django.core.files.uploadedfile import SimpleUploadedFile

from quxiang.evidence.models import EvidenceReading, ReadingStatus
from quxiang.evidence.reading import KIND_READ
from quxiang.evidence.services import evidence_add
from quxiang.evidence.tests.helpers import agreement_lines, text_pdf_bytes
from quxiang.jobs.models import Job, JobStatus
from quxiang.jobs.tests.test_worker import _database_url, pytestmark, redis_db, wait_for, workers  # noqa: F401
from quxiang.testing.factories import make_registration, make_uscc

ORG = "上海测试科技有限公司"  # what fill_organisation types


def upload_agreement():
    reg = make_registration(organisation=True, name="李明华")
    data = text_pdf_bytes(agreement_lines(org=ORG, uscc=make_uscc(), name="李明华"))
    # transaction=True: evidence_add commits, and its on_commit hook queues the reading on Redis.
    return evidence_add(registration=reg, upload=SimpleUploadedFile("协议书.pdf", data), actor=reg.student.user)


def test_an_uploaded_pdf_is_read_by_a_worker_process(workers):  # noqa: F811 - the imported fixture
    worker = workers("r1")
    evidence = upload_agreement()
    wait_for(lambda: EvidenceReading.objects.filter(evidence=evidence).exists(), what="the reading", worker=worker)
    reading = EvidenceReading.objects.get(evidence=evidence)
    assert reading.status == ReadingStatus.READ, reading.error
    assert ORG in reading.fields.get("orgs", []) and reading.ocr_pages == 0
    job = Job.objects.get(kind=KIND_READ)
    wait_for(lambda: Job.objects.get(pk=job.pk).status == JobStatus.DONE, what="the job", worker=worker)


def test_a_worker_killed_while_writing_the_reading_leaves_one_reading_after_redelivery(workers):  # noqa: F811 - the imported fixture
    first = workers("r1")
    blocker = psycopg.connect(_database_url(), autocommit=False)
    try:
        # Writes to the readings table wait: the worker stops inside its write, mid-job, for certain.
        blocker.execute("LOCK TABLE evidence_evidencereading IN SHARE MODE")
        evidence = upload_agreement()
        wait_for(lambda: blocker.execute(
            "SELECT count(*) FROM pg_locks WHERE relation = 'evidence_evidencereading'::regclass AND NOT granted"
        ).fetchone()[0], what="the worker to wait inside its write", worker=first)
        job = Job.objects.get(kind=KIND_READ)
        assert (job.status, job.attempts) == (JobStatus.RUNNING, 1)
        first.kill()
    finally:
        blocker.rollback()
        blocker.close()

    second = workers("r2")
    wait_for(lambda: Job.objects.get(pk=job.pk).status != JobStatus.RUNNING,
             what="the second worker to finish the job", worker=second)
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.DONE, 2), job.error
    assert EvidenceReading.objects.filter(evidence=evidence).count() == 1
    assert EvidenceReading.objects.get(evidence=evidence).status == ReadingStatus.READ
