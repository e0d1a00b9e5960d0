"""Shared plumbing of the load and fault benches: a throw-away PostgreSQL database, the Django side
(migrate, seed, checks — run as subprocesses under bench/load/load_settings.py), gunicorn with the
production settings on a free loopback port, and CPU accounting from /proc.

Nothing here talks to anything but 127.0.0.1. Every wait is bounded."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
LOAD_DIR = Path(__file__).resolve().parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
LOOPBACK = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def assert_loopback(host: str) -> None:
    if not host.startswith("127."):
        raise SystemExit(f"refusing to target {host!r}: load and fault traffic goes to 127.0.0.0/8 only")


# --- PostgreSQL ------------------------------------------------------------------------------------


def pg_url(dbname: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{dbname}"


def _admin_conn():
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)


def recreate_database(dbname: str) -> None:
    if not dbname.replace("_", "").isalnum() or not dbname.startswith("quxiang_"):
        raise SystemExit(f"refusing to (re)create database {dbname!r}")
    with _admin_conn() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{dbname}"')


def drop_database(dbname: str) -> None:
    if not dbname.startswith("quxiang_") or dbname in {"quxiang", "quxiang_e2e"}:
        raise SystemExit(f"refusing to drop {dbname!r}")
    with _admin_conn() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def backend_pids(dbname: str, application_name: str | None = None) -> list[int]:
    with _admin_conn() as conn:
        sql = "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
        args: list = [dbname]
        if application_name:
            sql += " AND application_name = %s"
            args.append(application_name)
        return [r[0] for r in conn.execute(sql, args).fetchall()]


def terminate_backends(dbname: str, application_name: str) -> int:
    with _admin_conn() as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
            [dbname, application_name],
        ).fetchall()
    return sum(1 for r in rows if r[0])


# --- processes and CPU -----------------------------------------------------------------------------


def proc_cpu_seconds(pid: int, *, children: bool = False) -> float:
    """utime + stime (and, with children=True, cutime + cstime of reaped children) of one process."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    # fields[0] is state (field 3); utime is field 14 → index 11
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLK_TCK


def child_pids(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
            continue
        if ppid == pid:
            out.append(int(entry))
    return out


def pids_by_name(name: str) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as fh:
                    if fh.read().strip() == name:
                        out.append(int(entry))
            except (FileNotFoundError, ProcessLookupError):
                continue
    return out


def postmasters(pids: list[int]) -> set[int]:
    """The postgres processes whose parent is not a postgres process (the postmaster of each cluster)."""
    out = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
            continue
        if ppid not in pids:
            out.add(pid)
    return out


def machine_cpu() -> tuple[float, float]:
    """(busy seconds, total seconds) summed over all cores since boot, from /proc/stat."""
    with open("/proc/stat") as fh:
        parts = [int(x) for x in fh.readline().split()[1:]]
    idle = parts[3] + parts[4]
    total = sum(parts[:8])
    return (total - idle) / CLK_TCK, total / CLK_TCK


@dataclass
class CpuSnapshot:
    at: float
    server: float
    postgres_db: dict[int, float]
    postgres_all: float
    redis: float
    client: float
    machine_busy: float
    machine_total: float


@dataclass
class CpuMeter:
    """CPU seconds of the gunicorn tree, of the PostgreSQL backends of one database, of all PostgreSQL
    processes, of redis-server, of this (client) process and of the whole machine."""

    server_pid: int
    dbname: str
    snapshots: list[CpuSnapshot] = field(default_factory=list)

    def snap(self) -> CpuSnapshot:
        import resource

        server = proc_cpu_seconds(self.server_pid, children=True) + sum(
            proc_cpu_seconds(p) for p in child_pids(self.server_pid)
        )
        db = {}
        with contextlib.suppress(Exception):
            db = {p: proc_cpu_seconds(p) for p in backend_pids(self.dbname)}
        # All PostgreSQL processes, plus what the postmaster has reaped (backends that exited meanwhile).
        pg_pids = pids_by_name("postgres")
        pg_all = sum(proc_cpu_seconds(p, children=p in postmasters(pg_pids)) for p in pg_pids)
        redis = sum(proc_cpu_seconds(p) for p in pids_by_name("redis-server"))
        usage = resource.getrusage(resource.RUSAGE_SELF)
        busy, total = machine_cpu()
        snap = CpuSnapshot(time.perf_counter(), server, db, pg_all, redis, usage.ru_utime + usage.ru_stime, busy,
                           total)
        self.snapshots.append(snap)
        return snap

    @staticmethod
    def delta(a: CpuSnapshot, b: CpuSnapshot) -> dict[str, float]:
        # Backends alive at the end: their whole life inside the window unless they were there at start.
        pg_db = sum(v - a.postgres_db.get(pid, 0.0) for pid, v in b.postgres_db.items())
        wall = b.at - a.at
        return {
            "wall_s": wall,
            "server_cpu_s": b.server - a.server,
            "postgres_db_cpu_s": pg_db,
            "postgres_all_cpu_s": b.postgres_all - a.postgres_all,
            "redis_cpu_s": b.redis - a.redis,
            "client_cpu_s": b.client - a.client,
            "machine_busy_s": b.machine_busy - a.machine_busy,
            "machine_capacity_s": b.machine_total - a.machine_total,
        }


# --- the Django side (subprocesses) ------------------------------------------------------------------


@dataclass
class Stack:
    """Everything a bench run needs to start the app: database, Redis db, directories, environment."""

    dbname: str
    run_dir: Path
    redis_db: int = 12
    app_name: str = "quxiang_bench"
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(50))
    extra_env: dict[str, str] = field(default_factory=dict)  # e.g. WECHAT_API_BASE of the fake WeChat server

    @property
    def var_dir(self) -> Path:
        return self.run_dir / "var"

    @property
    def media_dir(self) -> Path:
        return self.var_dir / "private-media"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_", "QUXIANG_"))}
        env.update({
            "PYTHONPATH": os.pathsep.join([str(LOAD_DIR), str(ROOT)]),
            "DJANGO_SETTINGS_MODULE": "load_settings",
            "DJANGO_SECRET_KEY": self.secret,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": pg_url(self.dbname),
            "DB_APPLICATION_NAME": self.app_name,
            "REDIS_URL": f"redis://127.0.0.1:6379/{self.redis_db}",
            "QUXIANG_VAR_DIR": str(self.var_dir),
            "DJANGO_STATIC_ROOT": str(self.run_dir / "static"),
            "DJANGO_LOG_LEVEL": "WARNING",
            # Production keeps connections 60 s; the bench keeps them for the whole run so that the CPU of
            # every PostgreSQL backend of the run's database is still there to be read at the end.
            "DB_CONN_MAX_AGE": "900",
            "PYTHONUNBUFFERED": "1",
        })
        env.update(self.extra_env)
        env.update(extra)
        return env

    def manage(self, *args: str, timeout: float = 600, **env: str) -> str:
        proc = subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], cwd=ROOT, env=self.env(**env),
                              capture_output=True, text=True, timeout=timeout)
        if proc.returncode:
            raise SystemExit(f"manage.py {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout

    def django(self, script: str, *args: str, timeout: float = 900, **env: str) -> dict:
        """Run bench/load/<script> under Django; it prints one JSON object on its last line."""
        proc = subprocess.run([PYTHON, str(LOAD_DIR / script), *args], cwd=ROOT, env=self.env(**env),
                              capture_output=True, text=True, timeout=timeout)
        if proc.returncode:
            raise SystemExit(f"{script} {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])

    def flush_redis(self) -> None:
        import redis

        redis.Redis.from_url(f"redis://127.0.0.1:6379/{self.redis_db}", socket_timeout=5).flushdb()

    def prepare(self, *, students: int, organisations: int, full_hash: bool = False) -> dict:
        """Fresh database, migrated and seeded; fresh Redis db; collected static files."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        recreate_database(self.dbname)
        self.flush_redis()
        t0 = time.perf_counter()
        self.manage("migrate", "--noinput")
        log(f"migrated {self.dbname} in {time.perf_counter() - t0:.1f}s")
        t0 = time.perf_counter()
        self.manage("collectstatic", "--noinput")
        log(f"collectstatic in {time.perf_counter() - t0:.1f}s")
        extra = {"QUXIANG_LOAD_FULL_HASH": "1"} if full_hash else {}
        t0 = time.perf_counter()
        seeded = self.django("seed.py", "--students", str(students), "--organisations", str(organisations),
                             "--out", str(self.run_dir / "students.json"), **extra)
        log(f"seeded {seeded['students']} students, {seeded['organisations']} organisations in "
            f"{time.perf_counter() - t0:.1f}s")
        return seeded


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


@dataclass
class Server:
    stack: Stack
    port: int
    workers: int
    threads: int
    worker_class: str
    full_hash: bool = False
    proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, timeout: float = 60) -> None:
        assert_loopback(LOOPBACK)
        env = self.stack.env(
            GUNICORN_BIND=f"{LOOPBACK}:{self.port}",
            GUNICORN_WORKERS=str(self.workers),
            GUNICORN_THREADS=str(self.threads),
            GUNICORN_WORKER_CLASS=self.worker_class,
            GUNICORN_ACCESSLOG=str(self.stack.run_dir / "access.log"),
            GUNICORN_ERRORLOG=str(self.stack.run_dir / "gunicorn.log"),
            GUNICORN_CAPTURE_OUTPUT="1",
            GUNICORN_WSGI_APP="config.wsgi:application",
            **({"QUXIANG_LOAD_FULL_HASH": "1"} if self.full_hash else {}),
        )
        gunicorn = str(Path(PYTHON).parent / "gunicorn")
        self.proc = subprocess.Popen([gunicorn, "-c", str(ROOT / "config" / "gunicorn.conf.py")], cwd=ROOT, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited ({self.proc.returncode}); see {self.stack.run_dir / 'gunicorn.log'}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz/ready", timeout=2) as resp:
                    if resp.status == 200 and len(child_pids(self.proc.pid)) >= self.workers:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise SystemExit("gunicorn did not become ready in time")

    def stop(self, timeout: float = 30) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # our own process group (start_new_session)
            self.proc.wait(timeout=10)

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
