"""Gunicorn for Quxiang behind nginx: `gunicorn -c config/gunicorn.conf.py config.wsgi:application`
(with DJANGO_SETTINGS_MODULE=config.settings.production in the environment, see docs/deploy.md).

Every value can be overridden from the environment (GUNICORN_*), so the systemd unit and the load test
(bench/load/run.py) use this same file. The defaults are the ones the load test measured best on 2
cores (bench/results/load.md): gthread workers, 2 × cores + 1 processes with 4 threads each. Threads
let a worker serve another request while one waits on PostgreSQL or on a slow upload, and gthread keeps
the upstream connections from nginx alive; the GIL is the reason there are still several processes."""

import multiprocessing
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


CORES = multiprocessing.cpu_count()

wsgi_app = os.environ.get("GUNICORN_WSGI_APP", "config.wsgi:application")
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
backlog = _int("GUNICORN_BACKLOG", 2048)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
workers = _int("GUNICORN_WORKERS", 2 * CORES + 1)
threads = _int("GUNICORN_THREADS", 4 if worker_class == "gthread" else 1)
# Keep-alive towards nginx (upstream keepalive, docs/deploy.md); the gthread worker honours it.
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# A request stuck for this long gets its worker restarted (sync); gthread workers keep beating while a
# thread is busy, so this mostly bounds a hung worker. nginx's proxy_read_timeout is set above it.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Recycle workers now and then (slow leaks); the jitter keeps them from restarting together.
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 500)

# Load Django once in the master: faster forks, less memory (copy-on-write), and an import error fails
# the start instead of every worker.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"
# The heartbeat file on tmpfs, not on a disk that may stall.
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR", "/dev/shm" if os.path.isdir("/dev/shm") else None)
# The management socket of gunicorn ≥ 25 is not used.
control_socket_disable = True

# Requests are limited at nginx (client_max_body_size 12m); these bound the header part.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# Only nginx on this host may set X-Forwarded-Proto / X-Real-IP.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Logs: to stderr/stdout (journald) unless a file is given. The access line has the path without the
# query string (%(U)s), no referrer, and the time taken in ms; national IDs and mobile numbers are
# masked in every line (quxiang.core.logging), like the app's own logs.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = os.environ.get("GUNICORN_ERRORLOG", "-")
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# Under systemd the workers' stderr (the app's own log) reaches journald anyway; set 1 to send it to the
# error log file instead.
capture_output = os.environ.get("GUNICORN_CAPTURE_OUTPUT", "0") == "1"
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
proc_name = os.environ.get("GUNICORN_PROC_NAME", "quxiang")


def _masking_logger_class():
    from gunicorn.glogging import Logger

    from quxiang.core.logging import MaskPersonalDataFilter

    class MaskingLogger(Logger):
        def setup(self, cfg):
            super().setup(cfg)
            mask = MaskPersonalDataFilter()
            for log in (self.error_log, self.access_log):
                for handler in log.handlers:
                    handler.addFilter(mask)

    return MaskingLogger


logger_class = _masking_logger_class()


class RealIPMiddleware:
    """REMOTE_ADDR from nginx's X-Real-IP, only when the peer is a trusted proxy (forwarded_allow_ips).
    The app (login throttle, audit log) reads the client's address from REMOTE_ADDR."""

    def __init__(self, app, trusted: list[str]):
        self.app = app
        self.trusted = set(trusted)
        self.trust_all = "*" in self.trusted

    def __call__(self, environ, start_response):
        real = environ.get("HTTP_X_REAL_IP", "").strip()
        if real and (self.trust_all or environ.get("REMOTE_ADDR") in self.trusted):
            environ["REMOTE_ADDR"] = real
        return self.app(environ, start_response)


def post_fork(server, worker):
    # Nothing opened in the master (preload) may be shared by two processes.
    from django.db import connections

    connections.close_all()


def post_worker_init(worker):
    trusted = worker.cfg.forwarded_allow_ips
    if isinstance(trusted, str):
        trusted = [ip.strip() for ip in trusted.split(",")]
    worker.wsgi = RealIPMiddleware(worker.wsgi, [str(ip) for ip in trusted])
