"""The national export through real Celery worker processes and the real Redis (issue 11): end to end,
and a worker SIGKILLed mid-job whose export another worker then writes whole, once. PostgreSQL and
Redis only (see quxiang/jobs/tests/test_worker.py, whose workers these are); skipped otherwise."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from quxiang.audit.models import AuditAction, AuditEntry
from quxiang.jobs.models import Job, JobStatus
from quxiang.jobs.tests import test_worker
from quxiang.jobs.tests.test_worker import _database_url, pytestmark, wait_for  # noqa: F401 - pytestmark applies here
from quxiang.reports.jobs import KIND_EXPORT, national_export_start
from quxiang.reports.tests.test_export_job import job_file, stored_files

# The real workers of the jobs app's tests (fixtures are found by name in this module).
redis_db = test_worker.redis_db
workers = test_worker.workers


@pytest.fixture
def office_client(client, cohort):
    client.force_login(cohort.users["office"])
    return client


def finished(job: Job) -> bool:
    return Job.objects.get(pk=job.pk).status not in (JobStatus.QUEUED, JobStatus.RUNNING)


def test_an_export_runs_through_a_worker_and_is_downloaded_from_its_page(office_client, workers):
    worker = workers("w1")
    response = office_client.post(reverse("reports:export"), {"year": 2027})
    job = Job.objects.get(kind=KIND_EXPORT)
    wait_for(lambda: finished(job), what="the export", worker=worker)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.progress_done) == (JobStatus.DONE, 1, 11), job.error
    page = office_client.get(response["Location"]).content.decode()
    link = re.search(r'id="export-download" href="([^"]+)"', page).group(1)
    download = office_client.get(link)
    assert download.status_code == 200 and b"".join(download.streaming_content)[:2] == b"PK"
    assert len(job_file(job)["毕业去向"]) == 12
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT).count() == 1


def test_a_worker_killed_mid_export_leaves_it_to_another_that_writes_it_once(cohort, workers):
    import psycopg

    first = workers("w1")
    before = stored_files()
    # Keep the students table from every reader, so that the worker's export stops in its first query:
    # claimed and running, for certain, when it is killed.
    blocker = psycopg.connect(_database_url(), autocommit=False)
    try:
        blocker.execute("LOCK TABLE roster_student IN ACCESS EXCLUSIVE MODE")
        # Through the service: the form's page would itself wait on the lock (it lists the cohort years).
        job = national_export_start(actor=cohort.users["office"], year=2027)
        wait_for(lambda: blocker.execute(
            "SELECT count(*) FROM pg_locks WHERE relation = 'roster_student'::regclass AND NOT granted"
        ).fetchone()[0], what="the worker to wait on the students", worker=first)
        job.refresh_from_db()
        assert (job.status, job.attempts) == (JobStatus.RUNNING, 1)
        first.kill()
    finally:
        blocker.rollback()
        blocker.close()
    assert stored_files() == before  # nothing offered from the killed run

    second = workers("w2")
    wait_for(lambda: finished(job), what="the second worker to finish the export", worker=second)
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.DONE, 2), job.error
    numbers = [row[0][0] for row in job_file(job)["毕业去向"][1:]]
    assert len(numbers) == 11 and len(set(numbers)) == 11
    assert len(stored_files() - before) == 1
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT).count() == 1
