"""Several app servers, proven (issue 11): nginx → two gunicorn servers → one PostgreSQL, Redis, an S3
endpoint, two Celery workers; students and an office user through nginx; one app server and one worker
SIGKILLed midway; then the database and the bucket are checked against what the clients were told.

    .venv/bin/python bench/cluster/run.py                       # 24 students at a time, 20,000-row import
    .venv/bin/python bench/cluster/run.py --students 60 --import-rows 2000 --concurrency 10   # quick

All on 127.0.0.0/8, every wait bounded (--max-seconds for the loaded phase). What it starts (commands and
environment are printed into the report, docs/deploy.md §4 shows them):
 1. moto_server (S3 API) on 127.0.0.1 and the bucket; a fake WeChat server (jscode2session) in-process;
 2. PostgreSQL database quxiang_cluster_bench (recreated, migrated, seeded: bench/load/seed.py's cohort,
    bench/import_bench.py's school and its roster workbook); Redis db 10 (cache, sessions) and 9 (broker);
 3. gunicorn (config/gunicorn.conf.py, production settings through bench/load/load_settings.py: the bench's
    fast password hasher) on 127.0.0.2 and 127.0.0.3; two `celery -A config worker` processes; Debian's
    nginx with its own -p prefix and -c config in the run directory, balancing the two;
 4. N students (half web, half mini-program API) register with evidence and 提交 while the office user
    uploads the roster and starts the import; once the import runs on a worker, app2 (master and workers)
    and the worker holding the import are SIGKILLed; the students go on; when the import is done the office
    user starts the national export of the whole cohort and downloads it;
 5. checks (bench/cluster/verify.py) and the report bench/results/cluster.md.
Everything started is stopped at the end, also on Ctrl-C or an error (process groups)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLUSTER_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(CLUSTER_DIR))
sys.path.insert(0, str(CLUSTER_DIR.parent / "load"))

from client import Results  # noqa: E402
from common import PYTHON, ROOT, Stack, drop_database, free_port, log, pg_url, recreate_database  # noqa: E402
from evidence_pdf import build_pdf  # noqa: E402
from flows import Log, drive_students, office_flow  # noqa: E402
from report import markdown, summarise  # noqa: E402
from stack import BIN, Cluster, kill_group  # noqa: E402

DBNAME = "quxiang_cluster_bench"
BROKER_DB, CACHE_DB = 9, 10
SHARED_PASSWORD = "Quxiang-Load-2026!"  # bench/load/seed.py's office password (importing seed.py sets up Django)


def flush(db: int) -> None:
    import redis

    redis.Redis.from_url(f"redis://127.0.0.1:6379/{db}", socket_timeout=5).flushdb()


def django_script(cluster: Cluster, script: str, *args: str, timeout: float = 900) -> dict:
    proc = subprocess.run([PYTHON, str(CLUSTER_DIR / script), *args], cwd=ROOT, env=cluster.env(),
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode:
        raise SystemExit(f"{script} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def db_one(sql: str, args: tuple = ()):
    import psycopg

    with psycopg.connect(pg_url(DBNAME), autocommit=True, connect_timeout=5) as conn:
        row = conn.execute(sql, args).fetchone()
    return row[0] if row else None


def worker_holding(cluster: Cluster, job_id: int) -> tuple[str | None, dict]:
    """Which worker runs job `job_id` now (celery inspect active over the broker)."""
    names = ",".join(cluster.workers)
    proc = subprocess.run([str(BIN / "celery"), "-A", "config", "inspect", "active", "--json", "--timeout", "5",
                           "-d", names],
                          cwd=ROOT, env=cluster.env(), capture_output=True, text=True, timeout=60)
    try:
        active = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None, {"error": (proc.stdout + proc.stderr)[-500:]}
    for name, tasks in active.items():
        if any(list(t.get("args") or []) == [job_id] for t in tasks):
            return name, active
    return None, active


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=800, help="offered; unused ones stay untouched")
    parser.add_argument("--concurrency", type=int, default=24)
    parser.add_argument("--think", type=float, default=0.3, help="mean seconds before each click")
    parser.add_argument("--api-every", type=int, default=2, help="every k-th student uses the API (0: none)")
    parser.add_argument("--import-rows", type=int, default=20_000)
    parser.add_argument("--organisations", type=int, default=300)
    parser.add_argument("--pdf-kb", type=int, default=300)
    parser.add_argument("--app-workers", type=int, default=2, help="gunicorn workers per app server")
    parser.add_argument("--after-seconds", type=float, default=20, help="students go on this long after the jobs")
    parser.add_argument("--max-seconds", type=float, default=900, help="bound of the loaded phase")
    parser.add_argument("--keep", action="store_true", help="keep the database and the run directory")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "cluster.md"))
    args = parser.parse_args()
    if not (1 <= args.concurrency <= 200 and args.students <= 20_000 and args.max_seconds <= 1800):
        sys.exit("bounds: concurrency 1..200, students ≤ 20000, max-seconds ≤ 1800")

    run_dir = Path(tempfile.mkdtemp(prefix="quxiang-cluster-"))
    stack = Stack(dbname=DBNAME, run_dir=run_dir, redis_db=CACHE_DB, app_name="quxiang_cluster")
    cluster = Cluster(stack, broker_url=f"redis://127.0.0.1:6379/{BROKER_DB}", nginx_port=free_port(),
                      app_port=free_port(), s3_port=free_port(), wechat_port=free_port(),
                      app_workers=args.app_workers)
    report: dict = {"date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                    "command": " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]), "args": vars(args),
                    "cores": os.cpu_count(), "uptime_before": uptime()}
    log(f"run dir {run_dir}")
    try:
        cluster.start_s3()
        recreate_database(DBNAME)
        flush(CACHE_DB)
        flush(BROKER_DB)
        t0 = time.perf_counter()
        stack.manage("migrate", "--noinput", **cluster.app_env())
        stack.manage("collectstatic", "--noinput", **cluster.app_env())
        log(f"migrated + collectstatic in {time.perf_counter() - t0:.1f}s")
        warm_n = 4
        t0 = time.perf_counter()
        seeded = django_script(cluster, "prepare.py", "--students", str(args.students + warm_n),
                               "--organisations", str(args.organisations), "--import-rows", str(args.import_rows),
                               "--dir", str(run_dir))
        log(f"seeded {args.students + warm_n} students and wrote the {args.import_rows}-row workbook "
            f"({seeded['bytes'] // 1024} KB) in {time.perf_counter() - t0:.1f}s")
        students = json.loads((run_dir / "students.json").read_text())
        warm, students = students[:warm_n], students[warm_n:]
        cluster.start_wechat()
        cluster.start_servers()
        cluster.start_workers(2)
        cluster.start_nginx()
        pdf = build_pdf(args.pdf_kb * 1024)
        workbook = Path(seeded["workbook"]).read_bytes()

        warm_log = Log()
        asyncio.run(drive_students(cluster.base, warm, pdf, concurrency=2, log=warm_log, results=Results(),
                                   stop=asyncio.Event(), api_every=2))
        log(f"warm-up: {len(warm_log.acknowledged)}/{warm_n} acknowledged, abandoned {warm_log.abandoned}")
        if len(warm_log.acknowledged) != warm_n:
            raise SystemExit("the warm-up flows did not all go through; see the run dir's logs")

        flow_log, results = Log(), Results()
        kill: dict = {}
        report["cpu_start"] = cluster.cpu()
        report["uptime_loaded"] = None

        async def loaded_phase() -> dict:
            stop, both_running = asyncio.Event(), asyncio.Event()
            started = time.perf_counter()
            students_task = asyncio.create_task(drive_students(
                cluster.base, students, pdf, concurrency=args.concurrency, log=flow_log, results=results,
                stop=stop, api_every=args.api_every, think=args.think))
            office_task = asyncio.create_task(office_flow(
                cluster.base, username="load_office", password=SHARED_PASSWORD, workbook=workbook, year=2027,
                log=flow_log, results=results, both_running=both_running, timeout=args.max_seconds))
            killer_task = asyncio.create_task(killer(both_running, office_task))
            try:
                office = await asyncio.wait_for(asyncio.shield(office_task), timeout=args.max_seconds)
                if not kill and not both_running.is_set():
                    killer_task.cancel()
                    kill["skipped"] = "the import ended before its status page showed it running"
                await asyncio.gather(killer_task, return_exceptions=True)
                log(f"jobs ended; students go on for {args.after_seconds:.0f}s")
                await asyncio.sleep(args.after_seconds)
            finally:
                stop.set()
                await asyncio.wait_for(students_task, timeout=180)
            return {"office": office, "seconds": time.perf_counter() - started}

        async def killer(both_running: asyncio.Event, office_task: asyncio.Task) -> None:  # noqa: ARG001
            await both_running.wait()
            loop = asyncio.get_running_loop()
            imp = db_one("SELECT max(id) FROM imports_importjob")
            apply_job = db_one("SELECT apply_job_id FROM imports_importjob WHERE id = %s", (imp,))
            for _ in range(100):  # until a worker has claimed the import (its row says running)
                if db_one("SELECT status FROM jobs_job WHERE id = %s", (apply_job,)) != "queued":
                    break
                await asyncio.sleep(0.2)
            await asyncio.sleep(1)  # well into its transaction
            holder, active = await loop.run_in_executor(None, worker_holding, cluster, apply_job)
            name = holder or "w1@cluster"
            report["uptime_loaded"] = uptime()
            kill.update({"apply_job": apply_job, "inspect_before": active, "worker": name,
                         "worker_found_by_inspect": holder is not None, "cpu_before": cluster.cpu()})
            kill["at"] = time.perf_counter()
            victim = cluster.servers[1]
            kill["app_pids"] = kill_group(victim.proc)
            kill["worker_pids"] = kill_group(cluster.workers[name])
            kill["jobs_at_kill"] = {
                "import_apply": db_one("SELECT status || ' attempts=' || attempts FROM jobs_job WHERE id = %s",
                                       (apply_job,)),
                "export": db_one("SELECT status || ' attempts=' || attempts FROM jobs_job "
                                 "WHERE kind = 'reports.national_export' ORDER BY id DESC LIMIT 1"),
            }
            log(f"SIGKILLed app2 (pids {kill['app_pids']}) and worker {name} (pids {kill['worker_pids']}); "
                f"jobs then: {kill['jobs_at_kill']}")

        phase = asyncio.run(loaded_phase())
        office = phase["office"]
        report["cpu_end"] = cluster.cpu()
        report["uptime_after"] = uptime()
        ack_path = run_dir / "acknowledged.json"
        ack_path.write_text(json.dumps(sorted(flow_log.acknowledged | warm_log.acknowledged)))
        report["verify"] = django_script(cluster, "verify.py", "--acknowledged", str(ack_path),
                                         "--import-job", str(office.import_job), "--export-job", str(office.export_job))
        report["survivor_log"] = survivor_lines(run_dir, cluster, kill.get("worker"))
        report["nginx"] = nginx_stats(run_dir / "nginx" / "access.log", cluster.app_port)
        report.update(summarise(flow_log, kill, office, phase["seconds"], warm_log, students=len(students)))
        report["commands"] = dict(cluster.commands)
        report["env"] = {k: v for k, v in cluster.app_env().items() if "SECRET" not in k}
        (run_dir / "result.json").write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
        md = markdown(report)
        Path(args.out).write_text(md)
        print(md)
        log(f"report: {args.out}; raw: {run_dir / 'result.json'}")
    finally:
        cluster.stop_all()
        flush(CACHE_DB)
        flush(BROKER_DB)
        if not args.keep:
            drop_database(DBNAME)
            for sub in ("var", "static"):
                shutil.rmtree(run_dir / sub, ignore_errors=True)


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def survivor_lines(run_dir: Path, cluster: Cluster, killed: str | None) -> dict:
    """Task lines of each worker's log: received / succeeded / retried."""
    out = {}
    for i, name in enumerate(cluster.workers, start=1):
        text = (run_dir / f"worker{i}.log").read_text(errors="replace")
        out[name] = {"killed": name == killed, "received": text.count("] received"),
                     "succeeded": text.count("] succeeded"), "retry": text.count("] retry")}
    return out


def nginx_stats(path: Path, app_port: int) -> dict:
    """From nginx's access log: requests per upstream, those nginx sent on to the second server itself,
    and the error pages it produced."""
    stats = {"requests": 0, "to_app1": 0, "to_app2": 0, "retried_on_other_server": 0, "status_502": 0,
             "status_504": 0}
    for line in path.read_text(errors="replace").splitlines():
        stats["requests"] += 1
        upstream = line.split("upstream=", 1)[-1].split(" ", 1)[0]
        if "," in upstream:
            stats["retried_on_other_server"] += 1
        last = upstream.split(",")[-1].strip()
        stats["to_app1"] += last == f"127.0.0.2:{app_port}"
        stats["to_app2"] += last == f"127.0.0.3:{app_port}"
        parts = line.split('" ', 1)[-1].split()
        if parts and parts[0] in {"502", "504"}:
            stats[f"status_{parts[0]}"] += 1
    return stats


if __name__ == "__main__":
    main()
