"""The clients of the cluster bench, all through nginx:

- students on the web: bench/load/client.py's `registration_flow` unchanged, with a Browser that behaves
  like a person when the server fails under them: after an error page (nginx's 502, a refused or cut
  connection, a timeout) they go back and do the same thing once more — a GET is reloaded, a form is sent
  again (the login form after reloading it: Django rotates the CSRF token at login). A second failure
  ends that student's flow;
- students in the mini-program: the same registration through /api/v1 (bind with a wx.login code the fake
  WeChat server accepts, type, organisation from the directory, evidence upload and 提交 with an
  Idempotency-Key that the retry reuses, as the mini-program's 重试 does);
- the office user: logs in, uploads the roster workbook, waits for the preview, starts the import and
  follows its progress bar; then starts the national export of the whole cohort, follows it and downloads
  the file.

Every request is recorded with its time, so that run.py can split the figures at the moment of the kill."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import aiohttp
from client import CSRF_RE, Browser, FlowError, Results, make_session, registration_flow

SERVER_FAILURES = ("http 502", "http 503", "http 504", "connection", "timeout")


@dataclass
class Log:
    """Every request: (finished at, seconds, channel, step, ok); per student: the server failures seen."""

    requests: list[tuple[float, float, str, str, bool]] = field(default_factory=list)
    failures: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    acknowledged: set[str] = field(default_factory=set)
    submit_sent: set[str] = field(default_factory=set)
    abandoned: dict[str, str] = field(default_factory=dict)
    started: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _clone(data):
    """A form sent again: aiohttp's FormData can be serialised only once, so rebuild it from its fields."""
    if isinstance(data, aiohttp.FormData):
        copy = aiohttp.FormData()
        copy._fields = list(data._fields)  # noqa: SLF001 - same fields, a fresh multipart writer
        copy._is_multipart = data._is_multipart  # noqa: SLF001
        return copy
    return dict(data) if isinstance(data, dict) else data


class RetryingBrowser(Browser):
    def __init__(self, *args, log: Log, student: str, channel: str = "web", **kw):
        super().__init__(*args, **kw)
        self.log, self.student, self.channel = log, student, channel

    async def request(self, step, method, path, *, data=None, expect=(200,), headers=None):
        spare = _clone(data)  # before sending: aiohttp empties a FormData as it sends it
        for attempt in (1, 2):
            body = spare if attempt == 2 else data
            started = time.perf_counter()
            try:
                if headers:
                    result = await self._request_with(step, method, path, body, expect, headers)
                else:
                    result = await super().request(step, method, path, data=body, expect=expect)
            except FlowError as exc:
                self.log.requests.append((time.perf_counter(), time.perf_counter() - started, self.channel, step,
                                          False))
                if attempt == 2 or not exc.kind.startswith(SERVER_FAILURES):
                    raise
                self.log.failures[self.student].append(f"{exc.kind} @ {step}")
                await asyncio.sleep(1.0)  # reading the error page, then back and again
                if step == "login" and isinstance(data, dict):
                    _s, _l, html = await super().request("login_page", "GET", "/accounts/login/")
                    data = {**data, "csrfmiddlewaretoken": CSRF_RE.search(html).group(1)}
                continue
            self.log.requests.append((time.perf_counter(), time.perf_counter() - started, self.channel, step, True))
            return result
        raise AssertionError("unreachable")

    async def _request_with(self, step, method, path, data, expect, headers):
        saved = self.headers
        self.headers = {**saved, **headers}
        try:
            return await super().request(step, method, path, data=data, expect=expect)
        finally:
            self.headers = saved


# --- the mini-program ------------------------------------------------------------------------------

API = "/api/v1"


async def api_flow(b: RetryingBrowser, student: dict, pdf: bytes, code: str) -> bool:
    import json

    def js(text: str) -> dict:
        return json.loads(text)

    jh = {"Content-Type": "application/json"}
    _s, _l, text = await b.request("api_bind", "POST", f"{API}/auth/bind", headers=jh, data=json.dumps({
        "code": code, "student_number": student["number"], "password": student["password"]}))
    auth = {"Authorization": f"Bearer {js(text)['token']}"}
    await b.request("api_start", "POST", f"{API}/registration", headers=auth)
    await b.request("api_type", "PUT", f"{API}/registration/type", headers={**auth, **jh},
                    data=json.dumps({"destination_type": "dispatch_general"}))
    _s, _l, text = await b.request("api_org_lookup", "GET", f"{API}/organisations/{student['uscc']}", headers=auth)
    org = js(text)
    payload = {"org_uscc": org["uscc"], "org_name": org["name"], "org_shanghai_reg_no": org["shanghai_reg_no"],
               "org_nature": org["nature"], "org_industry": org["industry"], "org_region": org["region"],
               "org_address": org["address"], "org_postcode": org["postcode"],
               "org_contact_name": org["contact_name"], "org_contact_phone": org["contact_phone"],
               "job_category": "13", "signed_on": "2027-03-01"}
    await b.request("api_org_save", "PUT", f"{API}/registration/organisation", headers={**auth, **jh},
                    data=json.dumps(payload))
    upload = aiohttp.FormData()
    upload.add_field("file", pdf, filename="就业协议书.pdf", content_type="application/pdf")
    await b.request("api_evidence_upload", "POST", f"{API}/registration/evidence", data=upload, expect=(201,),
                    headers={**auth, "Idempotency-Key": uuid.uuid4().hex})
    _s, _l, text = await b.request("api_archive_match", "POST", f"{API}/registration/archive/match", headers=auth)
    fill = {k: v for k, v in js(text).items() if k in {
        "origin_authority_name", "archive_destination", "archive_unit", "archive_address", "archive_postcode",
        "archive_contact", "archive_phone"}}
    await b.request("api_archive_save", "PUT", f"{API}/registration/archive", headers={**auth, **jh},
                    data=json.dumps(fill))
    b.log.submit_sent.add(student["number"])
    _s, _l, text = await b.request("api_submit", "POST", f"{API}/registration/submit",
                                   headers={**auth, "Idempotency-Key": uuid.uuid4().hex})
    _s, _l, text = await b.request("api_status", "GET", f"{API}/registration", headers=auth)
    return js(text)["status"] == "submitted"


# --- the students ----------------------------------------------------------------------------------

async def drive_students(base: str, students: list[dict], pdf: bytes, *, concurrency: int, log: Log,
                         results: Results, stop: asyncio.Event, api_every: int = 2, think: float = 0.0) -> None:
    """`concurrency` virtual students take the next student until `stop` is set or the list runs out; every
    `api_every`-th student uses the mini-program API, the others the web pages."""
    queue: asyncio.Queue[tuple[int, dict]] = asyncio.Queue()
    for i, s in enumerate(students):
        queue.put_nowait((i, s))

    async def virtual(index: int, session) -> None:
        while not stop.is_set():
            try:
                i, student = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            channel = "api" if api_every and i % api_every == 0 else "web"
            ip = f"10.{i // 250 % 250}.{i % 250}.{(i * 7) % 250 + 1}"
            b = RetryingBrowser(session, base, results, ip, think, log=log, student=student["number"],
                                channel=channel)
            log.started[channel] += 1
            try:
                if channel == "api":
                    ok = await api_flow(b, student, pdf, code=f"ok-{student['number']}")
                else:
                    ok = await registration_flow(b, student, pdf)
                    if not ok:  # a 提交 sent again after a lost answer: "已经提交过" rather than "提交成功"
                        _s, _l, html = await b.request("status_check", "GET", "/registration/")
                        ok = "待鉴证" in html
            except FlowError as exc:
                log.abandoned[student["number"]] = f"{channel}: {exc.kind} @ {exc.step}: {exc.detail[:160]}"
                continue
            if ok:
                log.acknowledged.add(student["number"])
            else:
                log.abandoned[student["number"]] = f"{channel}: not acknowledged"

    async with make_session(concurrency) as session:
        await asyncio.gather(*(virtual(i, session) for i in range(concurrency)))


# --- the office user -------------------------------------------------------------------------------

@dataclass
class Office:
    import_job: int | None = None
    import_apply_job: int | None = None
    export_job: int | None = None
    timeline: list[tuple[float, str]] = field(default_factory=list)
    statuses: dict[str, dict] = field(default_factory=dict)
    poll_errors: list[str] = field(default_factory=list)
    export_download: str = ""

    def mark(self, what: str) -> None:
        self.timeline.append((time.perf_counter(), what))


async def office_flow(base: str, *, username: str, password: str, workbook: bytes, year: int, log: Log,
                      results: Results, both_running: asyncio.Event, timeout: float) -> Office:
    office = Office()
    deadline = time.perf_counter() + timeout
    async with make_session(4, timeout=120) as session:
        b = RetryingBrowser(session, base, results, "10.250.0.1", log=log, student="office", channel="office")
        _s, _l, html = await b.get("o_login_page", "/accounts/login/")
        await b.post("o_login", "/accounts/login/", {"csrfmiddlewaretoken": CSRF_RE.search(html).group(1),
                                                      "username": username, "password": password}, expect=(302,))
        _s, _l, html = await b.get("o_import_page", "/office/import/")
        form = aiohttp.FormData()
        form.add_field("csrfmiddlewaretoken", CSRF_RE.search(html).group(1))
        form.add_field("file", workbook, filename="毕业生名单.xlsx",
                       content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        office.mark("upload")
        _s, loc, _ = await b.post("o_import_upload", "/office/import/", form, expect=(302,))
        office.import_job = int(re.search(r"/jobs/(\d+)/", loc).group(1))
        status = await _poll(b, f"/office/import/jobs/{office.import_job}/status/", office, "import",
                             until=lambda s: s["status"] not in ("queued", "checking"), deadline=deadline)
        office.mark(f"preview {status['status']}")
        if status["status"] != "ready":
            raise SystemExit(f"the import preview ended {status['status']}: {status.get('message')}")
        _s, _l, html = await b.get("o_import_job", f"/office/import/jobs/{office.import_job}/")
        await b.post("o_import_run", f"/office/import/jobs/{office.import_job}/import/",
                     {"csrfmiddlewaretoken": CSRF_RE.search(html).group(1)}, expect=(302,))
        office.mark("import started")
        status = await _poll(b, f"/office/import/jobs/{office.import_job}/status/", office, "import",
                             until=lambda s: not s["running"], deadline=deadline, signal=both_running)
        office.mark(f"import {status['status']}")
        # Then the national export of the whole cohort (the seeded students and the imported ones).
        _s, _l, html = await b.get("o_export_page", "/office/reports/export/")
        _s, loc, _ = await b.post("o_export_start", "/office/reports/export/", {
            "csrfmiddlewaretoken": CSRF_RE.search(html).group(1), "year": str(year)}, expect=(302,))
        office.export_job = int(re.search(r"/jobs/(\d+)/", loc).group(1))
        office.mark("export started")
        status = await _poll(b, f"/office/reports/export/jobs/{office.export_job}/status/", office, "export",
                             until=lambda s: not s["running"], deadline=deadline)
        office.mark(f"export {status['status']}")
        if status.get("download_url"):
            _s, _l, body = await b.get("o_export_download", status["download_url"])
            office.export_download = f"200, {len(body)} characters, xlsx={body.startswith('PK')}"
    return office


async def _poll(b: RetryingBrowser, path: str, office: Office, name: str, *, until, deadline: float,
                signal: asyncio.Event | None = None) -> dict:
    """The progress bar: GET the status JSON every second until `until(status)`."""
    import json

    while time.perf_counter() < deadline:
        try:
            _s, _l, text = await b.get(f"o_{name}_status", path)
        except FlowError as exc:  # the page polls again, as job-progress.js does
            office.poll_errors.append(f"{name}: {exc.kind}")
            await asyncio.sleep(1)
            continue
        status = json.loads(text)
        office.statuses[name] = status
        if signal is not None and not signal.is_set() and status["status"] == "importing":
            signal.set()
        if until(status):
            return status
        await asyncio.sleep(1)
    raise SystemExit(f"the {name} job did not end in time: {office.statuses.get(name)}")
