"""The servers behind the mini-program's end-to-end suite (tests/e2e), in one process.

* a temporary var dir with its own SQLite database, migrated and seeded with the demo school;
* the real Django server (``manage.py runserver --noreload``, test settings) on a free port of 127.0.0.1;
* a fake WeChat server on 127.0.0.1: ``/sns/jscode2session`` maps the code ``ok-<x>`` to openid ``openid-<x>``
  (anything else is errcode 40029), ``/cgi-bin/token`` and ``/cgi-bin/message/subscribe/send`` answer ok and
  are recorded;
* a control server for the tests (what a counselor or the database would tell): ``POST /student``
  ``{"level": "bachelor"}`` → an untouched demo student with the initial password, ``POST /return``
  ``{"student_number", "reason"}`` → the counselor's 退回 (``POST /verify`` → 鉴证通过) through the review service, ``POST /organisation`` → an
  enterprise of the demo directory, ``GET /destination-types`` → the API's answer to
  /api/v1/reference/destination-types, ``GET /evidence?student_number=`` → the record's evidence rows and every
  file under the media dir, ``GET /wechat`` → what the
  fake WeChat server received, ``GET /server-errors`` → the 5xx lines of the server log.

Once everything answers it prints one JSON line ``{"api": ..., "wechat": ..., "control": ...}`` on stdout; it
stops (and removes the temp dir) when stdin closes or on SIGTERM.

Run: ``../.venv/bin/python scripts/e2e_server.py`` from miniprogram/.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JsonHandler(http.server.BaseHTTPRequestHandler):
    def send_json(self, status: int, body: Any) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_json(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


WECHAT_RECEIVED: list[dict[str, Any]] = []


class WeChatHandler(JsonHandler):
    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        WECHAT_RECEIVED.append({"path": url.path, **query})
        if url.path == "/sns/jscode2session":
            code = query.get("js_code", "")
            if code.startswith("ok-"):
                self.send_json(200, {"openid": "openid-" + code[3:], "session_key": "SK-E2E"})
            else:
                self.send_json(200, {"errcode": 40029, "errmsg": "invalid code"})
        elif url.path in ("/cgi-bin/token", "/cgi-bin/stable_token"):
            self.send_json(200, {"access_token": "AT-E2E", "expires_in": 7200})
        else:
            self.send_json(404, {"errcode": 404, "errmsg": "not found"})

    def do_POST(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        body = self.read_json()
        WECHAT_RECEIVED.append({"path": url.path, **{k: v[-1] for k, v in parse_qs(url.query).items()}, "body": body})
        if url.path == "/cgi-bin/stable_token":
            self.send_json(200, {"access_token": "AT-E2E", "expires_in": 7200})
        else:
            self.send_json(200, {"errcode": 0, "errmsg": "ok"})


TEMPLATE_ID = "tmpl-e2e-review"  # the 审核结果通知 template; tests/e2e/helpers/real-wx.ts uses the same
CLAIMED: set[str] = set()
LOCK = threading.Lock()


class ControlHandler(JsonHandler):
    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/wechat":
            self.send_json(200, WECHAT_RECEIVED)
        elif self.path == "/server-errors":
            self.send_json(200, server_errors())
        elif self.path == "/destination-types":
            with LOCK:
                self.send_json(200, destination_types())
        elif self.path.startswith("/evidence?"):
            number = parse_qs(urlsplit(self.path).query)["student_number"][-1]
            self.send_json(200, evidence_of(number))
        else:
            self.send_json(404, {})

    def do_POST(self) -> None:  # noqa: N802
        from django.db import close_old_connections

        body = self.read_json()
        close_old_connections()
        try:
            with LOCK:
                if self.path == "/student":
                    self.send_json(200, claim_student(body.get("level", "bachelor"), body.get("student_number")))
                elif self.path == "/organisation":
                    self.send_json(200, directory_organisation())
                elif self.path == "/verify":
                    self.send_json(200, verify_registration(body["student_number"]))
                elif self.path == "/return":
                    self.send_json(200, return_registration(body["student_number"], body["reason"]))
                else:
                    self.send_json(404, {})
        except Exception as exc:  # the test shows it
            self.send_json(500, {"error": repr(exc)})
        finally:
            close_old_connections()


def server_errors() -> list[str]:
    """The 5xx lines of the server's access log: a 500 is a bug even when a test passed."""
    log = Path(os.environ["QUXIANG_VAR_DIR"]) / "server.log"
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    return [line for line in lines if re.search(r'" 5\d\d \d+$', line)]


def claim_student(level: str, number: str | None) -> dict[str, Any]:
    from quxiang.registrations.models import Registration
    from quxiang.roster.models import Student

    students = Student.objects.filter(user__must_change_password=True, user__last_login__isnull=True)
    students = students.filter(student_number=number) if number else students.filter(education_level=level)
    taken = set(Registration.objects.values_list("student__student_number", flat=True)) | CLAIMED
    for s in students.order_by("student_number"):
        if s.student_number not in taken and not s.national_id.upper().endswith("X"):
            CLAIMED.add(s.student_number)
            return {"student_number": s.student_number, "name": s.name, "password": s.national_id[-6:],
                    "education_level": s.education_level}
    raise LookupError(f"no untouched demo student {level} {number}")


def destination_types() -> list[dict[str, Any]]:
    """What the API's GET /api/v1/reference/destination-types answers (over HTTP, with a student's token)."""
    from django.db import close_old_connections

    from quxiang.accounts.services import user_set_password
    from quxiang.api.services import api_token_issue
    from quxiang.roster.models import Student

    close_old_connections()
    number = claim_student("bachelor", None)["student_number"]
    user = Student.objects.get(student_number=number).user
    user_set_password(user=user, password="Quxiang-E2E-Reference-1!")
    token, _ = api_token_issue(user=user)
    req = urllib.request.Request(os.environ["QUXIANG_E2E_API"] + "/api/v1/reference/destination-types",
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def evidence_of(number: str) -> dict[str, Any]:
    """The evidence rows of a student's record, and every file under the media dir (a half upload shows)."""
    from django.db import close_old_connections

    from quxiang.evidence.models import EvidenceFile

    close_old_connections()
    rows = EvidenceFile.objects.filter(registration__student__student_number=number)
    media = Path(os.environ["QUXIANG_TEST_MEDIA_DIR"])
    files = sorted(str(f.relative_to(media)) for f in media.rglob("*") if f.is_file()) if media.exists() else []
    return {"rows": [r.file.name for r in rows], "media_files": files}


def directory_organisation() -> dict[str, Any]:
    """An enterprise of the demo directory (the source of 检索匹配)."""
    from quxiang.organisations.models import Organisation

    org = Organisation.objects.filter(uscc__startswith="91").order_by("uscc").first()
    return {"uscc": org.uscc, "name": org.name}


def verify_registration(number: str) -> dict[str, Any]:
    from quxiang.accounts.models import Role, User
    from quxiang.registrations.models import Registration, Status
    from quxiang.reviews.services import registration_verify

    reg = Registration.objects.get(student__student_number=number, status=Status.SUBMITTED)
    counselor = User.objects.filter(role=Role.COUNSELOR).order_by("id").first()
    reg = registration_verify(registration=reg, actor=counselor)
    return {"status": reg.status, "verification_no": reg.verification_no}


def return_registration(number: str, reason: str) -> dict[str, Any]:
    from quxiang.accounts.models import Role, User
    from quxiang.registrations.models import Registration, Status
    from quxiang.reviews.services import registration_return

    reg = Registration.objects.get(student__student_number=number, status=Status.SUBMITTED)
    counselor = User.objects.filter(role=Role.COUNSELOR).order_by("id").first()
    reg = registration_return(registration=reg, actor=counselor, reason=reason)
    return {"status": reg.status, "return_reason": reg.return_reason}


def serve(handler: type[JsonHandler]) -> http.server.ThreadingHTTPServer:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def wait_healthy(proc: subprocess.Popen, url: str, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url + "/healthz/ready", timeout=2) as r:
                if r.status == 200:
                    return True
        time.sleep(0.2)
    return False


def write_files(folder: Path) -> dict[str, str]:
    """Real files to upload: a one-page PDF, a small JPEG photo, and an HTML page renamed .pdf."""
    from PIL import Image
    from pypdf import PdfWriter

    folder.mkdir(parents=True, exist_ok=True)
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    with open(folder / "agreement.pdf", "wb") as f:
        writer.write(f)
    Image.new("RGB", (64, 48), (200, 120, 40)).save(folder / "photo.jpg", "JPEG")
    (folder / "fake.pdf").write_bytes(b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>")
    return {name: str(folder / name) for name in ("agreement.pdf", "photo.jpg", "fake.pdf")}


def main() -> int:
    var_dir = Path(tempfile.mkdtemp(prefix="quxiang-mp-e2e-"))
    wechat = serve(WeChatHandler)
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CELERY_BROKER_URL", "DATABASE_URL"}}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings.test", "QUXIANG_VAR_DIR": str(var_dir),
        "QUXIANG_TEST_MEDIA_DIR": str(var_dir / "media"),
        "DATABASE_URL": f"sqlite:///{var_dir / 'e2e.sqlite3'}", "PYTHONUNBUFFERED": "1",
        "WECHAT_API_BASE": f"http://127.0.0.1:{wechat.server_port}", "WECHAT_REVIEW_TEMPLATE_ID": TEMPLATE_ID,
    })
    os.environ.update(env)
    for key in ("REDIS_URL", "CELERY_BROKER_URL"):
        os.environ.pop(key, None)
    proc: subprocess.Popen | None = None
    try:
        sys.path.insert(0, str(ROOT))
        import django
        from django.core.management import call_command

        django.setup()
        with contextlib.redirect_stdout(sys.stderr):
            call_command("migrate", "--noinput", verbosity=0)
            call_command("seed_demo", "--quiet-accounts")
        port = free_port()
        log = open(var_dir / "server.log", "ab")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )
        api = f"http://127.0.0.1:{port}"
        os.environ["QUXIANG_E2E_API"] = api
        if not wait_healthy(proc, api):
            sys.stderr.write((var_dir / "server.log").read_text(errors="replace")[-5000:])
            return 1
        control = serve(ControlHandler)
        print(json.dumps({"api": api, "wechat": f"http://127.0.0.1:{wechat.server_port}",
                          "control": f"http://127.0.0.1:{control.server_port}", "var_dir": str(var_dir),
                          "template_id": TEMPLATE_ID,
                          "files": write_files(var_dir / "files")}), flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        sys.stdin.read()  # until the suite closes our stdin (or dies)
        return 0
    finally:
        if proc and proc.poll() is None:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            if proc.poll() is None:
                proc.kill()
        if os.environ.get("QUXIANG_E2E_KEEP") != "1":
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
