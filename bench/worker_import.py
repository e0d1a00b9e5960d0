"""Roster import through a real Celery worker (issue 11): the file is uploaded through the services, the
preview and the import are queued on the broker and run by a `celery worker` process; the figures are
wall-clock seconds from queueing to the job row saying done, as the office's progress bar sees them.

    .venv/bin/python bench/worker_import.py --rows 300                                  # SQLite, file broker
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/quxiang CELERY_BROKER_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python bench/worker_import.py --rows 20000

Like bench/import_bench.py it never touches the database it is pointed at (a throwaway SQLite file or
PostgreSQL database quxiang_bench_import) and uses config.settings.base (the real reduced-PBKDF2 hashes).
The Redis database given is flushed before and after."""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.import_bench import BENCH_DB, _pg_admin, build_school, setup_database, write_file  # noqa: E402


def wait(check, *, what: str, worker: subprocess.Popen, timeout: float = 600) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if check():
            return time.perf_counter() - started
        if worker.poll() is not None:
            raise SystemExit(f"the worker exited ({worker.returncode}) while waiting for {what}")
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {what}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=300)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="quxiang-worker-bench-"))
    original_url = os.environ.get("DATABASE_URL")
    bench_url, pg_admin_url = setup_database(original_url, tmp)
    broker = os.environ.get("CELERY_BROKER_URL", "filesystem://")
    os.environ.update({"DATABASE_URL": bench_url, "QUXIANG_VAR_DIR": str(tmp),
                       "DJANGO_SETTINGS_MODULE": "config.settings.base", "CELERY_BROKER_URL": broker})
    os.environ.pop("REDIS_URL", None)
    if broker.startswith("redis"):
        import redis

        redis.Redis.from_url(broker).flushdb()
    worker = None
    try:
        import django

        django.setup()
        from django.core.files import File
        from django.core.management import call_command

        from quxiang.accounts.models import Role, User
        from quxiang.imports import services
        from quxiang.imports.models import ImportJob, ImportStatus

        call_command("migrate", verbosity=0)
        college, majors, counselors, counties = build_school(rows=args.rows)
        office = User.objects.create(username="bench-office", role=Role.OFFICE, full_name="基准")
        path = tmp / f"roster-{args.rows}.xlsx"
        write_file(path, rows=args.rows, college=college, majors=majors, counselors=counselors, counties=counties)

        log = open(tmp / "worker.log", "ab")  # noqa: SIM115 - closed with the process
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork", "--concurrency=1",
             "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait(lambda: b" ready." in (tmp / "worker.log").read_bytes(), what="the worker", worker=worker)

        with open(path, "rb") as fh:
            job = services.import_job_create(upload=File(fh, name=path.name), actor=office)
        services.import_job_start_check(job=job)
        preview_s = wait(lambda: ImportJob.objects.get(pk=job.pk).status not in ("queued", "checking"),
                         what="the preview", worker=worker)
        job.refresh_from_db()
        assert job.status == ImportStatus.READY, job.message
        assert services.import_job_start_import(job=job, actor=office)
        import_s = wait(lambda: ImportJob.objects.get(pk=job.pk).status != "importing", what="the import",
                        worker=worker)
        job.refresh_from_db()
        assert (job.status, job.rows_new) == (ImportStatus.DONE, args.rows), job.message
        load = os.getloadavg()[0]
        print(f"{args.rows} rows · {django.db.connection.vendor} · broker {broker.split(':')[0]} · "
              f"{os.cpu_count()} cores · Python {platform.python_version()} · load {load:.1f}")
        print(f"| rows | preview s | import s | total s |\n|---|---|---|---|\n"
              f"| {args.rows} | {preview_s:.2f} | {import_s:.2f} | {preview_s + import_s:.2f} |")
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, 15)
            worker.wait(timeout=60)
        from django.db import connections

        connections.close_all()
        if pg_admin_url:
            _pg_admin(pg_admin_url, f"DROP DATABASE IF EXISTS {BENCH_DB}")
        if broker.startswith("redis"):
            import redis

            redis.Redis.from_url(broker).flushdb()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
