"""Real Celery workers against the real Redis (issue 11): a roster import end to end through a worker
process, and a worker SIGKILLed in the middle of the import's write transaction, whose job another worker
then finishes exactly once.

The worker processes must see the test's data, so these tests run on PostgreSQL only (pytest-django's
test database, committed data: transaction=True) and get the test run's database name, media folder and a
dedicated Redis database (QUXIANG_TEST_REDIS_URL, default db 13, flushed before and after). CI's
PostgreSQL run has both; elsewhere they are skipped with the reason."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from quxiang.accounts.models import Role, User
from quxiang.audit.models import AuditAction, AuditEntry
from quxiang.imports.models import ImportJob, ImportStatus
from quxiang.jobs.models import Job, JobStatus
from quxiang.jobs.tests.helpers import celery_broker
from quxiang.roster.models import Student
from quxiang.testing.factories import CollegeFactory, MajorFactory, UserFactory, roster_row, roster_upload

ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = os.environ.get("QUXIANG_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
ON_POSTGRES = connection.vendor == "postgresql"
WAIT = 90  # seconds: generous for a loaded 2-core CI machine
ROWS = 300  # the demo school's size


def _redis_unreachable() -> str:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
    except Exception as exc:
        return f"Redis at {REDIS_URL} is unreachable ({exc.__class__.__name__}): the worker tests need it"
    return ""


REDIS_PROBLEM = _redis_unreachable()

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: the worker processes must see the test database"),
    pytest.mark.skipif(bool(REDIS_PROBLEM), reason=REDIS_PROBLEM or "Redis reachable"),
    pytest.mark.django_db(transaction=True, serialized_rollback=ON_POSTGRES),
]


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """One `celery -A config worker` process (prefork, one child) in a session of its own, so that killing
    its process group kills the worker whole, as a lost machine would."""

    def __init__(self, name: str, log_dir: Path) -> None:
        self.log_path = log_dir / f"{name}.log"
        env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
        env.update({
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _database_url(),
            "QUXIANG_TEST_MEDIA_DIR": settings.STORAGES["default"]["OPTIONS"]["location"],
            "QUXIANG_TEST_JOBS_EAGER": "0",
            "CELERY_BROKER_URL": REDIS_URL,
            # Short times, so that the kill case takes seconds: an unacknowledged message is put back after
            # 3 s (looked for every second); a job whose heartbeat (every second) is 4 s old is taken over.
            "CELERY_VISIBILITY_TIMEOUT": "3", "CELERY_RESTORE_INTERVAL": "1", "CELERY_RESTORE_THROTTLE": "1",
            "QUXIANG_JOB_HEARTBEAT_SECONDS": "1", "QUXIANG_JOB_LEASE_SECONDS": "4",
            "PYTHONUNBUFFERED": "1",
        })
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork", "--concurrency=1",
             "--loglevel=INFO", f"--hostname={name}@%h", "--without-gossip", "--without-mingle",
             "--without-heartbeat"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(lambda: " ready." in self.log_text(), what=f"worker {name} to start", worker=self)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        self.log.close()


def wait_for(check: Callable[[], object], *, what: str, worker: Worker | None = None, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        if worker is not None and worker.proc.poll() is not None:
            pytest.fail(f"the worker exited ({worker.proc.returncode}) while waiting for {what}:\n"
                        f"{worker.log_text()[-4000:]}")
        time.sleep(0.05)
    log = worker.log_text()[-4000:] if worker is not None else ""
    pytest.fail(f"timed out after {timeout} s waiting for {what}\n{log}")


@pytest.fixture
def redis_db() -> Iterator[None]:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield
    client.flushdb()


@pytest.fixture
def workers(tmp_path, redis_db) -> Iterator[Callable[[str], Worker]]:
    started: list[Worker] = []

    def start(name: str) -> Worker:
        started.append(Worker(name, tmp_path))
        return started[-1]

    with celery_broker(REDIS_URL):  # this process publishes to the same Redis
        yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def office_client(client):
    college = CollegeFactory(code="W1", name="任务学院")
    MajorFactory(code="082222", college=college)
    client.force_login(UserFactory(username="office-w", role=Role.OFFICE))
    return client


def upload_and_preview(client, rows: int, worker: Worker) -> ImportJob:
    lines = [roster_row(n=n, college="任务学院", major_code="082222", class_name=f"任务{n // 100:02d}班")
             for n in range(1, rows + 1)]
    response = client.post(reverse("imports:index"), {"file": roster_upload(lines)})
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ImportJob.objects.get()
    wait_for(lambda: ImportJob.objects.get(pk=job.pk).status not in (ImportStatus.QUEUED, ImportStatus.CHECKING),
             what="the preview", worker=worker)
    job.refresh_from_db()
    assert (job.status, job.rows_new) == (ImportStatus.READY, rows), job.message
    return job


def test_a_roster_import_runs_end_to_end_through_a_worker_process(office_client, workers):
    worker = workers("w1")
    started = time.perf_counter()
    job = upload_and_preview(office_client, ROWS, worker)
    checked = time.perf_counter()
    office_client.post(reverse("imports:run", kwargs={"pk": job.pk}))
    wait_for(lambda: ImportJob.objects.get(pk=job.pk).status != ImportStatus.IMPORTING, what="the import",
             worker=worker)
    done = time.perf_counter()
    print(f"\n[worker] {ROWS}-row roster through a worker: preview {checked - started:.2f} s, "
          f"import {done - checked:.2f} s, total {done - started:.2f} s")

    job.refresh_from_db()
    assert (job.status, job.rows_new) == (ImportStatus.DONE, ROWS), job.message
    assert Student.objects.count() == ROWS
    for run in (job.check_job, job.apply_job):
        assert (run.status, run.attempts) == (JobStatus.DONE, 1)
    page = office_client.get(reverse("imports:job", kwargs={"pk": job.pk})).content.decode()
    assert "导入完成：新增 300 名" in page
    assert "jobs.run" in worker.log_text() and "succeeded" in worker.log_text()


def test_a_worker_killed_mid_import_leaves_the_job_to_another_that_finishes_it_once(office_client, workers):
    import psycopg

    first = workers("w1")
    job = upload_and_preview(office_client, ROWS, first)

    # Hold the students table against writes from another connection, so that the worker's import stops
    # inside its write transaction (accounts and classes written, students waiting): mid-job, for certain.
    blocker = psycopg.connect(_database_url(), autocommit=False)
    try:
        blocker.execute("LOCK TABLE roster_student IN SHARE MODE")
        office_client.post(reverse("imports:run", kwargs={"pk": job.pk}))
        wait_for(lambda: blocker.execute(
            "SELECT count(*) FROM pg_locks WHERE relation = 'roster_student'::regclass AND NOT granted"
        ).fetchone()[0], what="the worker to wait inside its transaction", worker=first)
        run = ImportJob.objects.get(pk=job.pk).apply_job
        assert (run.status, run.attempts) == (JobStatus.RUNNING, 1)
        first.kill()
    finally:
        blocker.rollback()
        blocker.close()

    second = workers("w2")
    killed = time.perf_counter()
    wait_for(lambda: Job.objects.get(pk=run.pk).status != JobStatus.RUNNING,
             what="the second worker to finish the job", worker=second)
    print(f"\n[worker] killed mid-import; a second worker finished the job {time.perf_counter() - killed:.1f} s later")
    run.refresh_from_db()
    job.refresh_from_db()
    assert (run.status, run.attempts) == (JobStatus.DONE, 2), run.error
    assert (job.status, job.rows_new) == (ImportStatus.DONE, ROWS), job.message
    assert Student.objects.count() == ROWS
    assert User.objects.filter(role=Role.STUDENT).count() == ROWS
    assert AuditEntry.objects.filter(action=AuditAction.IMPORT).count() == 1
