"""The province-scale jobs of bench/scale/run.py (issue 11), run the way production runs them:

- export_jobs: moto's S3 server on 127.0.0.1 with a private bucket, Redis db 8 as the broker, and for every
  run a fresh `celery -A config worker` (prefork, concurrency 1, production settings). measure.py
  export_job queues the national export of the whole cohort and waits for "done"; afterwards the peak RSS
  (VmHWM) of the pool process that ran the job and the worker's CPU-seconds are read from /proc, and the
  object is checked in the bucket. A fresh worker per run, so each VmHWM is that run's own.
- import_jobs: bench/worker_import.py (its own PostgreSQL database, a real worker, Redis db 14) per run.

Every process is started in its own session and stopped (SIGTERM, then SIGKILL) in `finally`."""

from __future__ import annotations

import os
import re
import signal
import socket
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from common import PYTHON, ROOT, Stack, child_pids, log, proc_cpu_seconds

BIN = Path(PYTHON).parent
BUCKET = "quxiang-scale"
S3_KEYS = {"AWS_ACCESS_KEY_ID": "scale-bench", "AWS_SECRET_ACCESS_KEY": "scale-bench-secret",
           "AWS_S3_REGION_NAME": "us-east-1"}
EXPORT_BROKER = "redis://127.0.0.1:6379/8"
IMPORT_BROKER = "redis://127.0.0.1:6379/14"


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def _hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _flush(url: str) -> None:
    import redis

    redis.Redis.from_url(url, socket_timeout=5).flushdb()


def export_jobs(*, stack: Stack, run_dir: Path, runs: int, left: Callable[[], float]) -> dict:
    import boto3

    port = _free_port()
    s3_url = f"http://127.0.0.1:{port}"
    moto_log = open(run_dir / "moto.log", "ab")  # noqa: SIM115 - closed below
    moto = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)], stdout=moto_log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    env = {"CELERY_BROKER_URL": EXPORT_BROKER, "QUXIANG_STORAGE": "s3", "AWS_S3_ENDPOINT_URL": s3_url,
           "AWS_STORAGE_BUCKET_NAME": BUCKET, **S3_KEYS, "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1"}
    out: dict = {"runs": [], "broker": EXPORT_BROKER, "s3": s3_url}
    try:
        client = boto3.client("s3", endpoint_url=s3_url, aws_access_key_id=S3_KEYS["AWS_ACCESS_KEY_ID"],
                              aws_secret_access_key=S3_KEYS["AWS_SECRET_ACCESS_KEY"], region_name="us-east-1")
        for _ in range(100):
            try:
                client.create_bucket(Bucket=BUCKET)
                break
            except Exception:  # noqa: BLE001 - moto still starting
                time.sleep(0.2)
        _flush(EXPORT_BROKER)
        plan = [False] * runs + [True]  # the whole cohort `runs` times, then once with a sheet per college
        for by_college in plan:
            out["runs"].append(_one_export(stack=stack, run_dir=run_dir, env=env, by_college=by_college, left=left))
            log(f"export job: {out['runs'][-1]}")
        listing = client.list_objects_v2(Bucket=BUCKET, Prefix="jobs/")
        out["objects"] = [(o["Key"], round(o["Size"] / 2**20, 1)) for o in listing.get("Contents", [])]
    finally:
        _stop(moto)
        moto_log.close()
        _flush(EXPORT_BROKER)
    whole = [r for r in out["runs"] if not r["by_college"]]
    out["median_seconds"] = statistics.median(r["seconds"] for r in whole)
    out["median_hwm_mb"] = statistics.median(r["pool_hwm_mb"] for r in whole)
    out["max_hwm_mb"] = max(r["pool_hwm_mb"] for r in out["runs"])
    return out


def _one_export(*, stack: Stack, run_dir: Path, env: dict, by_college: bool, left: Callable[[], float]) -> dict:
    log_path = run_dir / f"worker-export-{time.monotonic_ns()}.log"
    with open(log_path, "ab") as worker_log:
        worker = subprocess.Popen(
            [str(BIN / "celery"), "-A", "config", "worker", "-n", "scale@bench", "--pool=prefork", "--concurrency=1",
             "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=stack.env(**env), stdout=worker_log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while b" ready." not in log_path.read_bytes():
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the celery worker did not start; see {log_path}")
            time.sleep(0.3)
        def cpu() -> float:  # the worker and its live pool process
            return sum(proc_cpu_seconds(pid) for pid in [worker.pid, *child_pids(worker.pid)])

        cpu_before = cpu()
        result = stack.django("../scale/measure.py", "export_job", timeout=left(),
                              **env, SCALE_BY_COLLEGE="1" if by_college else "0")
        pool = child_pids(worker.pid)
        result["worker_cpu_s"] = cpu() - cpu_before
        result["pool_pids"] = pool
        result["pool_hwm_mb"] = max(_hwm_mb(pid) for pid in pool)
        result["worker_main_hwm_mb"] = _hwm_mb(worker.pid)
        result["load"] = loadavg()
        return result
    finally:
        _stop(worker)


def import_jobs(*, rows: int, runs: int, left: Callable[[], float]) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "QUXIANG_"))}
    env.update({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres", "CELERY_BROKER_URL": IMPORT_BROKER})
    out: dict = {"rows": rows, "runs": []}
    for _ in range(runs):
        proc = subprocess.run([PYTHON, str(ROOT / "bench" / "worker_import.py"), "--rows", str(rows)], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=left())
        if proc.returncode:
            raise SystemExit(f"worker_import failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
        match = re.search(rf"\| {rows} \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|", proc.stdout)
        if not match:
            raise SystemExit(f"worker_import printed no figures:\n{proc.stdout[-2000:]}")
        preview, imported, total = map(float, match.groups())
        out["runs"].append({"preview_s": preview, "import_s": imported, "total_s": total, "load": loadavg()})
        log(f"import job: {out['runs'][-1]}")
    out["median_total_s"] = statistics.median(r["total_s"] for r in out["runs"])
    return out
