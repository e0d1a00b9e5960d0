"""`make run`: the development web server and one Celery worker together; Ctrl-C stops both.

    .venv/bin/python scripts/run.py [ADDRESS:PORT]      (default 127.0.0.1:8000)

Without CELERY_BROKER_URL the two talk through kombu's filesystem transport under var/celery/ (no
server to install); with CELERY_BROKER_URL=redis://… they use Redis. If either process stops, the other
is stopped too, and the exit status is the first non-zero one."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Seconds to wait after asking politely (the worker first finishes the job it is running), then after
# insisting (the worker's cold shutdown puts its job's message back in the queue), before SIGKILL.
GRACE, INSIST = 30, 10


def _child_setup() -> None:  # runs in the child before exec
    """Ctrl-C works in the child even if the launcher was started with SIGINT ignored (as a shell's
    background job); and if the launcher itself is killed outright, the child gets SIGTERM (Linux)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def commands(address: str) -> dict[str, list[str]]:
    python = sys.executable
    return {
        "web": [python, "manage.py", "runserver", address],
        # One process (solo pool) is plenty for one developer; production runs prefork workers
        # (docs/decisions.md). No gossip/mingle/heartbeat: the file transport has no use for them.
        "worker": [python, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO",
                   "--hostname=dev@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
    }


def _signal(procs: dict[str, subprocess.Popen], sig_for: dict[str, int]) -> None:
    for name, proc in procs.items():
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig_for.get(name, signal.SIGTERM))  # the group: runserver's reloader too


def _wait(procs: dict[str, subprocess.Popen], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(proc.poll() is not None for proc in procs.values()):
            return True
        time.sleep(0.2)
    return False


def stop(procs: dict[str, subprocess.Popen]) -> None:
    """SIGINT to each (Celery: warm shutdown); Ctrl-C again, or GRACE seconds, and the worker gets SIGQUIT
    (cold shutdown); INSIST seconds more and whatever is left is killed."""
    _signal(procs, {"web": signal.SIGINT, "worker": signal.SIGINT})
    for sig_for, timeout in (({"web": signal.SIGTERM, "worker": signal.SIGQUIT}, GRACE), (None, INSIST)):
        try:
            if _wait(procs, timeout):
                return
        except KeyboardInterrupt:
            print("[run] stopping now", file=sys.stderr)
        if sig_for is None:
            break
        _signal(procs, sig_for)
    _signal(procs, {"web": signal.SIGKILL, "worker": signal.SIGKILL})
    for proc in procs.values():
        proc.wait()


def main(argv: list[str]) -> int:
    address = argv[1] if len(argv) > 1 else "127.0.0.1:8000"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.base"),
           "PYTHONUNBUFFERED": "1"}

    def on_term(signum, frame):  # `kill <launcher>` stops both, like Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    procs: dict[str, subprocess.Popen] = {}
    status = 0
    try:
        for name, cmd in commands(address).items():
            # A process group of its own: Ctrl-C reaches only this launcher, which stops the two in order.
            procs[name] = subprocess.Popen(cmd, cwd=ROOT, env=env, process_group=0, preexec_fn=_child_setup)
        print(f"[run] web server on http://{address}/ and one background worker; Ctrl-C stops both", flush=True)
        while True:
            ended = {name: proc.returncode for name, proc in procs.items() if proc.poll() is not None}
            if ended:
                name, code = next(iter(ended.items()))
                print(f"[run] {name} exited with status {code}: stopping the rest", file=sys.stderr)
                status = code or 1
                break
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\n[run] stopping the web server and the worker…", flush=True)
    finally:
        stop(procs)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
