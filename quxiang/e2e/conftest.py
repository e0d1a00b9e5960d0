"""Fixtures of the browser suite.

The app runs as a real server in a subprocess (``manage.py migrate`` + ``seed_demo`` + ``runserver``)
with its own database and its own var dir, so nothing here touches pytest-django's test database or the
developer's ``var/``:

* SQLite (default): a temp file ``sqlite:////tmp/quxiang-e2e-…/e2e.sqlite3``;
* PostgreSQL (when the run's ``DATABASE_URL`` starts with ``postgres``): a fresh database
  ``quxiang_e2e_<pid>`` on the same server, dropped at the end.

One server and one Chromium (Debian's ``/usr/bin/chromium``) serve the whole package; each test gets a new
browser context and its own untouched demo student, picked by querying the e2e database directly.

Both the server and the browser are package-scoped: they are torn down as soon as the last e2e test has
run, so Playwright's event loop is gone before any later ``django_db`` test touches the ORM.

Environment knobs: ``QUXIANG_E2E_SETTINGS_MODULE`` (default ``config.settings.base``),
``QUXIANG_E2E_CHROMIUM`` (default ``/usr/bin/chromium``), ``QUXIANG_E2E_SERVER_LOG=1`` prints the server
log at the end.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("QUXIANG_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
SETTINGS_MODULE = os.environ.get("QUXIANG_E2E_SETTINGS_MODULE", "config.settings.base")
NEW_PASSWORD = "Quxiang-E2E-2027!"  # passes Django's validators; unrelated to any 学号
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True},
}
PHONE_WIDTH = 375
SERVER_START_TIMEOUT = 60
DEFAULT_TIMEOUT_MS = 30_000  # generous: a loaded 2-core CI box hashes PBKDF2 slowly


# --- the e2e database ------------------------------------------------------------------------


class E2EDatabase:
    """Direct, short-lived connections to the server's database (SQLite file or PostgreSQL)."""

    def __init__(self, url: str):
        self.url = url
        self.is_postgres = url.startswith(("postgres://", "postgresql://"))

    def fetchall(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Run a read query; placeholders are written ``%s`` for both backends."""
        if self.is_postgres:
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as conn:
                return conn.execute(sql, params).fetchall()
        path = self.url.removeprefix("sqlite:///")
        conn = sqlite3.connect(path, timeout=20)
        try:
            return conn.execute(sql.replace("%s", "?"), params).fetchall()
        finally:
            conn.close()

    def scalar(self, sql: str, params: tuple = ()) -> Any:
        rows = self.fetchall(sql, params)
        return rows[0][0] if rows else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def _postgres_database(run_url: str) -> Iterator[str]:
    """Create ``quxiang_e2e_<pid>`` next to the run's database; yield its URL; drop it afterwards."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(run_url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    name = f"quxiang_e2e_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        # Leftovers of earlier runs that were killed before their teardown.
        for (stale,) in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'quxiang_e2e_%%'").fetchall():
            pid = stale.rsplit("_", 1)[-1]
            if stale == name or (pid.isdigit() and not _pid_alive(int(pid))):
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(stale)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# --- demo students ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoStudent:
    student_number: str
    name: str
    national_id: str
    education_level: str
    origin_code: str

    @property
    def initial_password(self) -> str:
        return self.national_id[-6:]

    @property
    def is_undergraduate(self) -> bool:
        return self.education_level == "bachelor"


@dataclass
class E2EServer:
    base_url: str
    db: E2EDatabase
    var_dir: Path
    log_path: Path
    _students: list[DemoStudent] = field(default_factory=list)
    _claimed: set[str] = field(default_factory=set)

    def url(self, path: str) -> str:
        return self.base_url + path

    def claim_student(
        self, *, level: str | tuple[str, ...] = "bachelor", shanghai: bool | None = None, id_ends_x: bool = False
    ) -> DemoStudent:
        """An untouched demo student (never logged in, no registration) that no other test has used."""
        levels = (level,) if isinstance(level, str) else level
        if not self._students:
            rows = self.db.fetchall(
                "SELECT s.student_number, s.name, s.national_id, s.education_level, s.origin_region_id "
                "FROM roster_student s JOIN accounts_user u ON u.id = s.user_id "
                "WHERE u.must_change_password AND u.last_login IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM registrations_registration r WHERE r.student_id = s.id) "
                "ORDER BY s.student_number"
            )
            self._students = [DemoStudent(*row) for row in rows]
        for s in self._students:
            if s.student_number in self._claimed or s.education_level not in levels:
                continue
            if shanghai is not None and s.origin_code.startswith("31") != shanghai:
                continue
            if s.national_id.endswith("X") != id_ends_x:
                continue
            self._claimed.add(s.student_number)
            return s
        raise AssertionError(f"no untouched demo student left with level={levels} shanghai={shanghai} x={id_ends_x}")

    def directory_organisation(self, *, shanghai: bool, nature: str | None = None) -> dict[str, str]:
        """An organisation of the demo directory (the source of 检索匹配)."""
        where = "region_id LIKE '31%%'" if shanghai else "region_id NOT LIKE '31%%'"
        if shanghai:
            where += " AND shanghai_reg_no <> ''"
        if nature:
            where += " AND nature_id = %s"
        else:
            where += " AND uscc LIKE '91%%'"  # an enterprise (registered with 市场监管)
        row = self.db.fetchall(
            "SELECT uscc, name, shanghai_reg_no, region_id, address, postcode, contact_name, contact_phone, nature_id "
            f"FROM organisations_organisation WHERE {where} ORDER BY uscc",
            (nature,) if nature else (),
        )[0]
        keys = ("uscc", "name", "shanghai_reg_no", "region", "address", "postcode", "contact_name", "contact_phone",
                "nature")
        return dict(zip(keys, row, strict=True))

    def registrations_of(self, student: DemoStudent) -> list[tuple[int, str]]:
        return self.db.fetchall(
            "SELECT r.id, r.status FROM registrations_registration r JOIN roster_student s ON s.id = r.student_id "
            "WHERE s.student_number = %s ORDER BY r.id", (student.student_number,)
        )

    def events_of(self, student: DemoStudent) -> list[str]:
        rows = self.db.fetchall(
            "SELECT e.kind FROM registrations_registrationevent e "
            "JOIN registrations_registration r ON r.id = e.registration_id "
            "JOIN roster_student s ON s.id = r.student_id WHERE s.student_number = %s ORDER BY e.id",
            (student.student_number,),
        )
        return [kind for (kind,) in rows]


# --- the server ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """If pytest is killed outright, take the server down with it (Linux only)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _manage(env: dict[str, str], *args: str, timeout: int = 300) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:
        pytest.fail(f"manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}",
                    pytrace=False)
    return result.stdout


def _wait_healthy(proc: subprocess.Popen, base_url: str, log_path: Path) -> bool:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    return False


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="package")
def chromium_path() -> str:
    if not os.path.exists(CHROMIUM):
        reason = f"browser tests skipped: {CHROMIUM} not found (apt-get install -y chromium)"
        print(reason)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="package")
def e2e_server(chromium_path: str) -> Iterator[E2EServer]:
    var_dir = Path(tempfile.mkdtemp(prefix="quxiang-e2e-"))
    log_path = var_dir / "server.log"
    run_url = os.environ.get("DATABASE_URL", "")
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, var_dir, ignore_errors=True)
        if run_url.startswith(("postgres://", "postgresql://")):
            db_url = stack.enter_context(_postgres_database(run_url))
        else:
            db_url = f"sqlite:///{var_dir / 'e2e.sqlite3'}"
        env = {k: v for k, v in os.environ.items()
               if k not in {"REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}}
        env.update({
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE, "QUXIANG_VAR_DIR": str(var_dir), "DATABASE_URL": db_url,
            "DJANGO_DEBUG": "1", "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1",
        })
        started = time.monotonic()
        _manage(env, "migrate", "--noinput")
        _manage(env, "seed_demo", "--quiet-accounts")
        seeded = time.monotonic() - started

        proc = base_url = None
        for _attempt in range(3):
            port = _free_port()
            base_url = f"http://127.0.0.1:{port}"
            log = open(log_path, "ab")  # noqa: SIM115 - closed by the ExitStack
            stack.callback(log.close)
            proc = subprocess.Popen(
                [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"],
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
            stack.callback(_stop, proc)
            if _wait_healthy(proc, base_url, log_path):
                break
            _stop(proc)
        else:
            pytest.fail(f"the e2e server did not answer /healthz:\n{log_path.read_text(errors='replace')[-5000:]}",
                        pytrace=False)
        # The background worker (roster imports run as Celery jobs), on the file broker under var_dir.
        worker_log = open(var_dir / "worker.log", "ab")  # noqa: SIM115 - closed by the ExitStack
        stack.callback(worker_log.close)
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=WARNING",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
            stdout=worker_log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
        )
        stack.callback(_stop, worker)
        print(f"\n[e2e] server {base_url} ({SETTINGS_MODULE}, {db_url.split('://')[0]}) ready; "
              f"migrate+seed {seeded:.1f}s, total {time.monotonic() - started:.1f}s")
        server = E2EServer(base_url=base_url, db=E2EDatabase(db_url), var_dir=var_dir, log_path=log_path)
        yield server
        _stop(proc)
        text = log_path.read_text(errors="replace")
        if os.environ.get("QUXIANG_E2E_SERVER_LOG") == "1":
            print(text)
        # A 500 anywhere is a bug even when the test happened to pass.
        lines = text.splitlines()
        errors = [line for line in lines if re.search(r'" 5\d\d \d+$', line)]
        if errors:
            # Everything that is not an access-log line: the tracebacks.
            details = [line for line in lines if not re.match(r'^\[\d\d/\w{3}/\d{4} [\d:]+\] "', line)]
            pytest.fail("the e2e server answered 5xx:\n" + "\n".join(errors[:20]) + "\n\n"
                        + "\n".join(details[-300:]), pytrace=False)


# --- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="package", autouse=True)
def _fresh_artifacts() -> None:
    """Screenshots of this run only (test-artifacts/ is gitignored)."""
    for sub in ("screenshots", "failures"):
        shutil.rmtree(ARTIFACTS / sub, ignore_errors=True)


@pytest.fixture(scope="package")
def e2e_browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=DEFAULT_TIMEOUT_MS // 2)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
def viewport(request) -> str:
    return request.param


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")


@pytest.fixture
def open_student(request, e2e_server: E2EServer, e2e_browser, viewport: str) -> Iterator[Callable[..., StudentUI]]:
    """Factory: ``open_student(shanghai=True)`` → a StudentUI in a fresh browser context at this viewport."""
    contexts = []
    uis: list[StudentUI] = []

    def factory(*, screenshots: bool = False, **claim) -> StudentUI:
        student = e2e_server.claim_student(**claim)
        context = e2e_browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **VIEWPORTS[viewport])
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        shots = ARTIFACTS / "screenshots" / viewport if screenshots else None
        ui = StudentUI(context.new_page(), e2e_server, student, viewport, shots)
        uis.append(ui)
        return ui

    yield factory
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        out = ARTIFACTS / "failures"
        out.mkdir(parents=True, exist_ok=True)
        for i, ui in enumerate(uis):
            with contextlib.suppress(Exception):
                ui.page.screenshot(path=str(out / f"{_safe(request.node.nodeid)}-{i}.png"), full_page=True)
    for context in contexts:
        with contextlib.suppress(Exception):
            context.close()


# --- evidence files --------------------------------------------------------------------------


class FileMaker:
    """Real PDFs / PNGs / JPEGs (pypdf, Pillow) and disguised files, written under tmp_path."""

    def __init__(self, directory: Path):
        self.dir = directory

    def _write(self, name: str, data: bytes) -> Path:
        path = self.dir / name
        path.write_bytes(data)
        return path

    def pdf(self, name: str = "协议书第一联.pdf", pages: int = 1) -> Path:
        from pypdf import PdfWriter

        writer = PdfWriter()
        for _ in range(pages):
            writer.add_blank_page(width=595, height=842)
        buf = io.BytesIO()
        writer.write(buf)
        return self._write(name, buf.getvalue())

    def image(self, name: str, fmt: str) -> Path:
        from PIL import Image, ImageDraw

        img = Image.new("RGB", (640, 400), (250, 250, 245))
        draw = ImageDraw.Draw(img)
        draw.rectangle((20, 20, 620, 380), outline=(30, 90, 160), width=6)
        draw.line((40, 200, 600, 200), fill=(200, 40, 40), width=4)
        buf = io.BytesIO()
        img.save(buf, format=fmt)
        return self._write(name, buf.getvalue())

    def png(self, name: str = "签字页.png") -> Path:
        return self.image(name, "PNG")

    def jpeg(self, name: str = "入伍通知书.jpg") -> Path:
        return self.image(name, "JPEG")

    def exe_as_pdf(self, name: str = "offer.pdf") -> Path:
        return self._write(name, b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
                           + b"This program cannot be run in DOS mode.\r\n$" + b"\x00" * 300)

    def oversized_pdf(self, name: str = "扫描件.pdf", size: int = 10 * 1024 * 1024 + 1) -> Path:
        head, tail = b"%PDF-1.4\n%", b"\n%%EOF\n"
        return self._write(name, head + b"0" * (size - len(head) - len(tail)) + tail)

    def html_as_pdf(self, name: str = "协议书.pdf") -> Path:
        return self._write(name, b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>")


@pytest.fixture
def files(tmp_path: Path) -> FileMaker:
    return FileMaker(tmp_path)


# --- the student's side of the UI ------------------------------------------------------------


def valid_uscc(region: str, serial: str, kind: str = "91") -> str:
    """A USCC with a correct GB 32100-2015 check character (not in the demo directory)."""
    from stdnum.cn import uscc

    first17 = f"{kind}{region}{serial}"
    assert len(first17) == 17
    return first17 + uscc.calc_check_digit(first17)


def wrong_check_digit(code: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    return code[:17] + alphabet[(alphabet.index(code[17]) + 1) % len(alphabet)]


class StudentUI:
    """One student in one browser context, with the steps of the manual as methods."""

    STEP_PATH = "/registration/step/{}/"

    def __init__(self, page, server: E2EServer, student: DemoStudent, viewport: str, shots: Path | None):
        self.page = page
        self.server = server
        self.student = student
        self.viewport = viewport
        self.shots = shots
        self._shot_no = 0

    # -- plumbing

    @property
    def is_phone(self) -> bool:
        return self.viewport == "phone"

    def goto(self, path: str) -> None:
        self.page.goto(self.server.url(path))

    def click_nav(self, target) -> None:
        """Click something that submits a form and wait for the next page."""
        locator = self.page.locator(target) if isinstance(target, str) else target
        with self.page.expect_navigation():
            locator.click()

    def button(self, action: str):
        return self.page.locator(f"button[name=action][value={action}]")

    def assert_path(self, path: str) -> None:
        from playwright.sync_api import expect

        expect(self.page).to_have_url(re.compile(re.escape(self.server.url(path)) + r"(\?.*)?$"))

    def messages(self) -> str:
        loc = self.page.locator("ul.messages")
        return loc.inner_text() if loc.count() else ""

    def check_layout(self, where: str) -> None:
        """At phone width nothing may scroll sideways."""
        if not self.is_phone:
            return
        widths = self.page.evaluate(
            "() => [document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]"
        )
        assert widths[0] <= PHONE_WIDTH + 1, f"{where}: page scrolls horizontally at 375px (scrollWidth={widths})"

    def shot(self, name: str) -> None:
        if self.shots is None:
            return
        self.shots.mkdir(parents=True, exist_ok=True)
        self._shot_no += 1
        self.page.screenshot(path=str(self.shots / f"{self._shot_no:02d}-{name}.png"), full_page=True)

    def on_step(self, step: str) -> None:
        self.assert_path(self.STEP_PATH.format(step))
        if step == "organisation" and self.page.locator(".region-picker").count():
            self.wait_region_picker()
        self.check_layout(step)

    def step_labels(self) -> list[str]:
        return [t.strip() for t in self.page.locator("ol.wizard-steps li .label").all_inner_texts()]

    # -- accounts

    def login(self, password: str | None = None) -> None:
        self.goto("/accounts/login/")
        self.check_layout("login")
        self.page.fill("#id_username", self.student.student_number)
        self.page.fill("#id_password", password or NEW_PASSWORD)
        self.click_nav("form button[type=submit].primary")

    def first_login(self, *, lowercase_x: bool = False) -> None:
        """Log in with 身份证后六位 and do the forced password change; ends on the status page."""
        password = self.student.initial_password
        if lowercase_x:
            assert password.endswith("X")
            password = password[:-1] + "x"
        self.login(password)
        self.assert_path("/accounts/password/")
        self.check_layout("password change")
        # The change is forced: the registration pages are not reachable yet.
        self.goto("/registration/")
        self.assert_path("/accounts/password/")
        self.page.fill("#id_old_password", self.student.initial_password)
        self.page.fill("#id_new_password1", NEW_PASSWORD)
        self.page.fill("#id_new_password2", NEW_PASSWORD)
        self.click_nav("form button[type=submit].primary")
        self.assert_path("/registration/")
        assert "密码已修改" in self.messages()

    def logout(self) -> None:
        self.click_nav(self.page.get_by_role("button", name="退出"))
        self.assert_path("/accounts/login/")

    # -- wizard

    def start(self) -> None:
        self.assert_path("/registration/")
        self.check_layout("status")
        self.click_nav("#start-registration")
        self.on_step("type")

    def choose_type(self, key: str) -> None:
        self.page.locator(f"input[name=destination_type][value={key}]").check()
        self.shot("type")
        self.click_nav(self.button("next"))

    def wait_region_picker(self) -> None:
        self.page.wait_for_function(
            "() => [...document.querySelectorAll('.region-picker .rp-province')].every(s => s.options.length > 1)"
        )

    def select_region(self, *codes: str) -> None:
        """Walk the cascading selects: province, city (or district of a municipality), county."""
        self.wait_region_picker()
        picker = self.page.locator(".region-picker")
        for css, code in zip((".rp-province", ".rp-city", ".rp-county"), codes, strict=False):
            picker.locator(css).select_option(code)
        assert self.page.locator("#id_org_region").input_value() == codes[-1]

    def fill(self, values: dict[str, str]) -> None:
        """Type into the fields (by id_<name>); selects get select_option, radios check."""
        for name, value in values.items():
            loc = self.page.locator(f"#id_{name}")
            tag = loc.evaluate("el => el.tagName")
            if tag == "SELECT":
                loc.select_option(value)
            else:
                loc.fill(value)

    def values(self, *names: str) -> dict[str, str]:
        return {n: self.page.locator(f"#id_{n}").input_value() for n in names}

    def next(self) -> None:
        self.click_nav(self.button("next"))

    def prev(self) -> None:
        self.click_nav(self.button("prev"))

    def lookup(self, uscc: str) -> None:
        self.page.fill("#id_org_uscc", uscc)
        self.click_nav(self.button("lookup"))
        self.on_step("organisation")

    def upload(self, path: Path) -> str:
        self.page.locator("#id_file").set_input_files(str(path))
        self.click_nav("form.upload button[type=submit]")
        self.on_step("evidence")
        return self.messages()

    def evidence_names(self) -> list[str]:
        return [t.strip() for t in self.page.locator("#evidence-list tbody tr td:first-child a").all_inner_texts()]

    def archive_fill(self, how: str = "match_origin") -> None:
        """The archive step with its buttons: 匹配 (authority), then 匹配 (return to origin) or 与签约单位相同."""
        self.click_nav(self.button("match_authority"))
        assert self.page.locator("#id_origin_authority_name").input_value().strip(), self.messages()
        self.click_nav(self.button(how))
        self.on_step("archive")
        expected = "employer" if how == "copy_org" else "origin"
        assert self.page.locator(f"input[name=archive_destination][value={expected}]").is_checked()
        for name in ("archive_unit", "archive_address", "archive_postcode", "archive_phone"):
            assert self.page.locator(f"#id_{name}").input_value().strip(), f"{name} not filled by {how}"

    def submit(self, *, double: bool = False) -> None:
        self.on_step("review")
        self.shot("review")
        button = self.page.locator("#submit-registration")
        with self.page.expect_navigation():
            if double:
                button.dblclick()
            else:
                button.click()
        self.page.wait_for_load_state("load")
        self.assert_path("/registration/")

    def status(self) -> str:
        return self.page.locator("#registration-status").inner_text().strip()

    def timeline(self) -> list[str]:
        return [t.strip() for t in self.page.locator("ul.timeline li").all_inner_texts()]

    def assert_submitted(self) -> None:
        from playwright.sync_api import expect

        expect(self.page.locator("#registration-status")).to_have_text("待鉴证")
        self.check_layout("status after submit")
        self.shot("status")
        events = [re.sub(r"^\S+ \S+\s+", "", t) for t in self.timeline()]
        assert events.count("提交") == 1, events
        assert [status for _id, status in self.server.registrations_of(self.student)] == ["submitted"]
        assert self.server.events_of(self.student).count("submit") == 1
