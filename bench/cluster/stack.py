"""The processes of the cluster bench: the S3 endpoint (moto's server mode), a fake WeChat server, two
gunicorn app servers on their own loopback addresses, two Celery workers, and Debian's nginx in front
(its own config and prefix in the run directory; the system nginx is not touched).

Every process is started in a session of its own (start_new_session), so it can be stopped, or SIGKILLed
whole (master and children), through its process group. `Cluster.stop_all` stops everything that was
started, in reverse order, and is safe to call twice."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

LOAD_DIR = Path(__file__).resolve().parent.parent / "load"
sys.path.insert(0, str(LOAD_DIR))

from common import PYTHON, ROOT, Server, Stack, assert_loopback, child_pids, log, proc_cpu_seconds  # noqa: E402
from fake_wechat import ThreadingServer, WeChatHandler  # noqa: E402  (the load test's fake jscode2session)

BIN = Path(PYTHON).parent
BUCKET = "quxiang-cluster"
S3_KEYS = {"AWS_ACCESS_KEY_ID": "cluster-bench", "AWS_SECRET_ACCESS_KEY": "cluster-bench-secret",
           "AWS_S3_REGION_NAME": "us-east-1"}
CLUSTER_DIR = Path(__file__).resolve().parent


def stop_group(proc: subprocess.Popen | None, *, timeout: float = 20) -> None:
    """SIGTERM the process group, then SIGKILL it if it is still there after `timeout` seconds."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


def kill_group(proc: subprocess.Popen) -> list[int]:
    """SIGKILL a process and all its children at once (master + workers); returns the pids killed."""
    pids = [proc.pid, *child_pids(proc.pid)]
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    return pids


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process, its live children and the children it has reaped."""
    return proc_cpu_seconds(pid, children=True) + sum(proc_cpu_seconds(p) for p in child_pids(pid))


def wait_http(url: str, *, timeout: float, proc: subprocess.Popen | None = None, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"{what} exited ({proc.returncode}) before it answered")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{what} did not answer at {url} within {timeout:.0f} s")


# --- nginx ----------------------------------------------------------------------------------------

NGINX_CONF = """\
# bench/cluster/run.py: nginx in front of two gunicorn app servers (generated; see docs/deploy.md §4).
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
daemon off;
events {{ worker_connections 1024; }}

http {{
    log_format combined_timed '$remote_addr "$request" $status $body_bytes_sent $request_time '
                              'upstream=$upstream_addr upstream_status=$upstream_status';
    access_log {prefix}/access.log combined_timed;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    # The load client stands for the outer (TLS) load balancer: it sends X-Real-IP and X-Forwarded-Proto,
    # and this nginx trusts them from 127.0.0.1 only.
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Real-IP;

    upstream quxiang {{
        server {app1} max_fails=1 fail_timeout=10s;
        server {app2} max_fails=1 fail_timeout=10s;
        keepalive 32;
        # Below gunicorn's keep-alive (GUNICORN_KEEPALIVE, 5 s): nginx must close an idle connection before
        # gunicorn does, or a request sent on it as gunicorn closes it is reset (a POST is then a 502).
        keepalive_timeout 4s;
    }}

    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 12m;
        client_body_buffer_size 1m;
        client_body_timeout 60s;
        keepalive_timeout 30s;

        # What a user sees when the app server holding the request died (a POST is not resent, below).
        error_page 502 504 /_unavailable.html;
        location = /_unavailable.html {{ internal; root {prefix}/html; charset utf-8; }}

        location / {{
            proxy_pass http://quxiang;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_connect_timeout 2s;
            proxy_read_timeout 75s;
            proxy_request_buffering on;
            # GET/HEAD go to the other server on a refused connection, a timeout or a 502/503; a POST only
            # if it never reached the dead server (non_idempotent is deliberately absent).
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 2;
        }}

        location /api/ {{
            proxy_pass http://quxiang;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_connect_timeout 2s;
            proxy_read_timeout 75s;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 2;
            error_page 502 504 = @api_unavailable;
        }}
        location @api_unavailable {{
            default_type application/json;
            return 502 '{{"code": "unavailable", "message": "\\u670d\\u52a1\\u6682\\u65f6\\u4e0d\\u53ef\\u7528\\uff0c\\u8bf7\\u91cd\\u8bd5\\u3002", "fields": {{}}}}';
        }}
    }}
}}
"""


@dataclass
class HostServer(Server):
    """bench/load's gunicorn Server, bound to another loopback address and logging to its own files."""

    host: str = "127.0.0.2"
    tag: str = "app"
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 90) -> None:
        assert_loopback(self.host)
        run_dir = self.stack.run_dir
        env = self.stack.env(
            **self.extra_env,
            GUNICORN_BIND=f"{self.host}:{self.port}", GUNICORN_WORKERS=str(self.workers),
            GUNICORN_THREADS=str(self.threads), GUNICORN_WORKER_CLASS=self.worker_class,
            GUNICORN_ACCESSLOG=str(run_dir / f"{self.tag}-access.log"),
            GUNICORN_ERRORLOG=str(run_dir / f"{self.tag}-gunicorn.log"), GUNICORN_CAPTURE_OUTPUT="1",
            GUNICORN_PROC_NAME=f"quxiang-{self.tag}", GUNICORN_WSGI_APP="config.wsgi:application",
        )
        self.proc = subprocess.Popen([str(BIN / "gunicorn"), "-c", str(ROOT / "config" / "gunicorn.conf.py")],
                                     cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn {self.tag} exited ({self.proc.returncode}); see {run_dir}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz/ready", timeout=2) as resp:
                    if resp.status == 200 and len(child_pids(self.proc.pid)) >= self.workers:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"gunicorn {self.tag} did not become ready in time")

    def stop(self, timeout: float = 30) -> None:
        stop_group(self.proc, timeout=timeout)


@dataclass
class Cluster:
    stack: Stack
    broker_url: str
    nginx_port: int
    app_port: int
    s3_port: int
    wechat_port: int
    app_workers: int = 2
    app_threads: int = 4
    moto: subprocess.Popen | None = None
    nginx: subprocess.Popen | None = None
    servers: list[HostServer] = field(default_factory=list)
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)
    wechat: ThreadingServer | None = None
    commands: dict[str, str] = field(default_factory=dict)  # what was run, for docs/deploy.md

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.nginx_port}"

    @property
    def s3_url(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def app_env(self) -> dict[str, str]:
        """What every app server and worker gets on top of bench/load's Stack.env (production settings)."""
        return {
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,127.0.0.2,127.0.0.3,localhost",
            "CELERY_BROKER_URL": self.broker_url,
            "QUXIANG_STORAGE": "s3", "AWS_S3_ENDPOINT_URL": self.s3_url, "AWS_STORAGE_BUCKET_NAME": BUCKET,
            **S3_KEYS,
            "WECHAT_API_BASE": f"http://127.0.0.1:{self.wechat_port}",
            # A killed worker's job comes back after 30 s instead of 120 s, and its lease runs out after 20 s
            # (heartbeat every 5 s), so that the run stays short; production keeps the defaults.
            "CELERY_VISIBILITY_TIMEOUT": "30", "CELERY_RESTORE_INTERVAL": "5", "CELERY_RESTORE_THROTTLE": "1",
            "QUXIANG_JOB_HEARTBEAT_SECONDS": "5", "QUXIANG_JOB_LEASE_SECONDS": "20",
        }

    def env(self, **extra: str) -> dict[str, str]:
        return self.stack.env(**{**self.app_env(), **extra})

    # -- start ------------------------------------------------------------------------------------

    def start_s3(self) -> None:
        log_file = open(self.stack.run_dir / "moto.log", "ab")  # noqa: SIM115 - lives as long as the process
        cmd = [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.s3_port)]
        self.moto = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
        wait_http(f"{self.s3_url}/", timeout=30, proc=self.moto, what="moto_server")
        import boto3

        client = boto3.client("s3", endpoint_url=self.s3_url, aws_access_key_id=S3_KEYS["AWS_ACCESS_KEY_ID"],
                              aws_secret_access_key=S3_KEYS["AWS_SECRET_ACCESS_KEY"], region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        self.commands["s3"] = " ".join(cmd) + f"   # then boto3 create_bucket({BUCKET!r})"

    def start_wechat(self) -> None:
        self.wechat = ThreadingServer(("127.0.0.1", self.wechat_port), WeChatHandler)
        threading.Thread(target=self.wechat.serve_forever, name="fake-wechat", daemon=True).start()

    def start_servers(self) -> None:
        for tag, host in (("app1", "127.0.0.2"), ("app2", "127.0.0.3")):
            server = HostServer(self.stack, self.app_port, self.app_workers, self.app_threads, "gthread",
                                host=host, tag=tag, extra_env=self.app_env())
            self.servers.append(server)
            server.start()
            log(f"{tag}: gunicorn on {server.base} (pid {server.proc.pid})")
        self.commands["gunicorn"] = (
            f"GUNICORN_BIND=127.0.0.2:{self.app_port} GUNICORN_WORKERS={self.app_workers} "
            f"GUNICORN_THREADS={self.app_threads} gunicorn -c config/gunicorn.conf.py   "
            f"# and GUNICORN_BIND=127.0.0.3:{self.app_port} for the second server")

    def start_workers(self, count: int = 2) -> None:
        for i in range(1, count + 1):
            name = f"w{i}@cluster"
            cmd = [str(BIN / "celery"), "-A", "config", "worker", "-n", name, "--pool=prefork", "--concurrency=1",
                   "--loglevel=INFO", "--without-gossip", "--without-mingle"]
            log_path = self.stack.run_dir / f"worker{i}.log"
            log_file = open(log_path, "ab")  # noqa: SIM115 - lives as long as the process
            self.workers[name] = subprocess.Popen(cmd, cwd=ROOT, env=self.env(), stdout=log_file,
                                                  stderr=subprocess.STDOUT, start_new_session=True)
            self.commands["celery"] = " ".join(["celery", *cmd[1:]]).replace(name, "w<N>@<host>")
        deadline = time.monotonic() + 90
        for i, (name, proc) in enumerate(self.workers.items(), start=1):
            log_path = self.stack.run_dir / f"worker{i}.log"
            while b" ready." not in log_path.read_bytes():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"celery worker {name} did not start; see {log_path}")
                time.sleep(0.3)
            log(f"{name}: celery worker ready (pid {proc.pid})")

    def start_nginx(self) -> None:
        prefix = self.stack.run_dir / "nginx"
        (prefix / "html").mkdir(parents=True, exist_ok=True)
        # nginx's workers drop to an unprivileged user when started as root: they must reach their temp
        # folders (request bodies over 1 MB, the roster workbook) and the error page under the run dir.
        self.stack.run_dir.chmod(0o711)
        prefix.chmod(0o755)
        (prefix / "html").chmod(0o755)
        shutil.copy(CLUSTER_DIR / "unavailable.html", prefix / "html" / "_unavailable.html")
        conf = NGINX_CONF.format(prefix=prefix, port=self.nginx_port, app1=f"127.0.0.2:{self.app_port}",
                                 app2=f"127.0.0.3:{self.app_port}")
        conf_path = prefix / "nginx.conf"
        conf_path.write_text(conf)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        test = subprocess.run([nginx, "-t", "-p", str(prefix), "-c", str(conf_path)], capture_output=True, text=True)
        if test.returncode:
            raise SystemExit(f"nginx -t failed:\n{test.stderr}")
        self.nginx = subprocess.Popen([nginx, "-p", str(prefix), "-c", str(conf_path)],
                                      stdout=subprocess.DEVNULL, stderr=open(prefix / "stderr.log", "ab"),  # noqa: SIM115
                                      start_new_session=True)
        wait_http(f"{self.base}/healthz", timeout=20, proc=self.nginx, what="nginx")
        self.commands["nginx"] = f"nginx -p {prefix} -c {conf_path}"
        self.commands["nginx_conf"] = conf
        log(f"nginx on {self.base} → 127.0.0.2:{self.app_port}, 127.0.0.3:{self.app_port}")

    # -- faults and teardown ------------------------------------------------------------------------

    def cpu(self) -> dict[str, float]:
        out = {s.tag: tree_cpu(s.proc.pid) for s in self.servers if s.proc and s.proc.poll() is None}
        out.update({n: tree_cpu(p.pid) for n, p in self.workers.items() if p.poll() is None})
        if self.moto and self.moto.poll() is None:
            out["moto"] = tree_cpu(self.moto.pid)
        if self.nginx and self.nginx.poll() is None:
            out["nginx"] = tree_cpu(self.nginx.pid)
        return out

    def stop_all(self) -> None:
        stop_group(self.nginx)
        for proc in self.workers.values():
            stop_group(proc, timeout=30)
        for server in self.servers:
            server.stop()
        stop_group(self.moto)
        if self.wechat is not None:
            self.wechat.shutdown()
            self.wechat.server_close()
            self.wechat = None
