"""The virtual students: aiohttp, one asyncio task per concurrent student, real browser requests.

Each request is timed from sending to the last byte of the body. Redirects are followed by hand (a
browser's POST → 302 → GET is two requests, and both are timed as their own step). Cookies are kept per
student by hand (the production cookies are Secure and the load test talks plain HTTP to gunicorn, as
nginx does; `X-Forwarded-Proto: https` tells Django the outer request was HTTPS, so CSRF's origin check
and the SSL redirect behave as in production)."""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie

import aiohttp

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# The steps of one registration, in order (the names used in the report).
API_STEPS = [
    "api_bind", "api_start", "api_type", "api_org_lookup", "api_org_save", "api_evidence_upload", "api_archive_match",
    "api_archive_save", "api_submit", "api_status",
]
STEPS = [
    "login_page", "login", "home", "status", "start", "type_page", "type_save", "org_page", "regions_json",
    "org_lookup", "org_save", "evidence_page", "evidence_upload", "evidence_page_after", "evidence_next",
    "archive_page", "archive_match", "archive_save", "review_page", "submit", "status_after",
]


class FlowError(Exception):
    def __init__(self, kind: str, step: str, detail: str = ""):
        super().__init__(f"{kind} at {step}: {detail}")
        self.kind, self.step, self.detail = kind, step, detail


class _Forms(HTMLParser):
    """The POST forms of a page: a list of {name: value} (inputs, checked radios, selected options)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, str]] = []
        self._form: dict[str, str] | None = None
        self._select: str | None = None
        self._first_option: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in {"submit", "button", "file"}:
                return
            if kind in {"radio", "checkbox"} and "checked" not in a:
                return
            self._form[a["name"]] = a.get("value") or ""
        elif tag == "select" and a.get("name"):
            self._select, self._first_option = a["name"], None
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value") or ""
                self._form.setdefault(self._select, self._first_option)
            if "selected" in a:
                self._form[self._select] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def form_with(html: str, field_name: str) -> dict[str, str]:
    parser = _Forms()
    parser.feed(html)
    for form in parser.forms:
        if field_name in form:
            return form
    raise KeyError(field_name)


@dataclass
class Results:
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    started: int = 0
    completed: int = 0
    acknowledged: int = 0
    requests: int = 0
    first_request_at: float | None = None
    last_response_at: float | None = None
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    # Students whose 提交 was sent; those not acknowledged by the end (a flow cancelled after the grace
    # period) may or may not be submitted: the database check allows for exactly them.
    submit_sent: set[str] = field(default_factory=set)
    completed_by: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # "web" / "api"
    # Per step: the largest body (after decompression) and the largest on the wire (Content-Length).
    max_bytes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    max_wire_bytes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    encodings: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def error(self, exc: FlowError) -> None:
        key = f"{exc.kind} @ {exc.step}"
        self.errors[key] += 1
        if len(self.error_samples) < 20:
            self.error_samples.append(f"{key}: {exc.detail[:300]}")


class Browser:
    """One student's browser: cookies, headers, timed requests. `think` > 0: a pause (uniform between 0.5
    and 1.5 × think seconds) before every request that a person would trigger (not before following a
    redirect), as a student reading and typing."""

    def __init__(self, session: aiohttp.ClientSession, base: str, results: Results, ip: str, think: float = 0.0,
                 think_every_request: bool = False):
        self.session, self.base, self.results, self.think = session, base, results, think
        # The mini-program: every request is a tap (no server-side redirects to follow).
        self.think_every_request = think_every_request
        self.cookies: dict[str, str] = {}
        origin = "https://" + base.split("://", 1)[1]
        self.headers = {"X-Forwarded-Proto": "https", "X-Real-IP": ip, "Origin": origin,
                        "User-Agent": "quxiang-bench/1.0", "Accept-Language": "zh-CN,zh;q=0.9"}

    def _cookie_header(self) -> dict[str, str]:
        if not self.cookies:
            return self.headers
        return {**self.headers, "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def _keep_cookies(self, resp: aiohttp.ClientResponse) -> None:
        for header in resp.headers.getall("Set-Cookie", []):
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    async def request(self, step: str, method: str, path: str, *, data=None, expect=(200,),
                      headers: dict[str, str] | None = None) -> tuple[int, str, str]:
        url = path if path.startswith("http") else self.base + path
        if self.think and (self.think_every_request or method == "POST" or step == "login_page"):
            await asyncio.sleep(self.think * (0.5 + random.random()))
        now = time.perf_counter()
        if self.results.first_request_at is None:
            self.results.first_request_at = now
        started = now
        try:
            sent = self._cookie_header() if not headers else {**self._cookie_header(), **headers}
            async with self.session.request(method, url, data=data, headers=sent, allow_redirects=False) as resp:
                body = await resp.read()
                status = resp.status
                location = resp.headers.get("Location", "")
                wire = resp.content_length if resp.content_length is not None else len(body)
                encoding = resp.headers.get("Content-Encoding", "identity")
                self._keep_cookies(resp)
        except TimeoutError:
            raise FlowError("timeout", step) from None
        except aiohttp.ClientError as exc:
            raise FlowError("connection", step, repr(exc)) from None
        finished = time.perf_counter()
        self.results.timings[step].append(finished - started)
        self.results.requests += 1
        self.results.statuses[status] += 1
        self.results.last_response_at = finished
        if len(body) > self.results.max_bytes[step]:
            self.results.max_bytes[step] = len(body)
        self.results.max_wire_bytes[step] = max(self.results.max_wire_bytes[step], wire)
        if len(body) >= 1024:
            self.results.encodings[encoding] += 1
        text = body.decode("utf-8", "replace")
        if status not in expect:
            detail = f"{method} {path} → {status} {location} {text[:200]!r}"
            raise FlowError(f"http {status}", step, detail)
        return status, location, text

    async def get(self, step: str, path: str, **kw):
        return await self.request(step, "GET", path, **kw)

    async def post(self, step: str, path: str, data, **kw):
        return await self.request(step, "POST", path, data=data, **kw)


def _token(step: str, html: str) -> str:
    match = CSRF_RE.search(html)
    if not match:
        raise FlowError("no csrf token", step, html[:200])
    return match.group(1)


def _expect_redirect(step: str, location: str, path: str) -> None:
    if not location.startswith(path):
        raise FlowError("wrong redirect", step, f"{location} (wanted {path})")


def _expect_text(step: str, html: str, text: str) -> None:
    if text not in html:
        raise FlowError("missing text", step, f"{text!r} not in page")


async def registration_flow(browser: Browser, student: dict, pdf: bytes) -> bool:
    """Log in and register one destination; True when the status page acknowledges the submission."""
    b = browser
    _s, _l, html = await b.get("login_page", "/accounts/login/")
    _s, loc, _ = await b.post("login", "/accounts/login/", {
        "csrfmiddlewaretoken": _token("login_page", html), "username": student["number"],
        "password": student["password"]}, expect=(302,))
    _s, loc, _ = await b.get("home", loc, expect=(302,))
    _expect_redirect("home", loc, "/registration/")
    _s, _l, html = await b.get("status", loc)
    _s, loc, _ = await b.post("start", "/registration/start/", {"csrfmiddlewaretoken": _token("status", html)},
                              expect=(302,))
    _expect_redirect("start", loc, "/registration/step/type/")
    _s, _l, html = await b.get("type_page", loc)
    _s, loc, _ = await b.post("type_save", "/registration/step/type/", {
        "csrfmiddlewaretoken": _token("type_page", html), "destination_type": "dispatch_general",
        "action": "next"}, expect=(302,))
    _expect_redirect("type_save", loc, "/registration/step/organisation/")
    _s, _l, html = await b.get("org_page", loc)
    await b.get("regions_json", "/reference/regions.json")  # the region picker; the browser caches it 1 h
    _s, _l, html = await b.post("org_lookup", "/registration/step/organisation/", {
        "csrfmiddlewaretoken": _token("org_page", html), "org_uscc": student["uscc"], "action": "lookup"})
    _expect_text("org_lookup", html, "已匹配到单位")
    form = form_with(html, "org_name")
    form.update(job_category="13", signed_on="2027-03-01", action="next")
    _s, loc, _ = await b.post("org_save", "/registration/step/organisation/", form, expect=(302,))
    _expect_redirect("org_save", loc, "/registration/step/evidence/")
    _s, _l, html = await b.get("evidence_page", loc)
    upload = aiohttp.FormData()
    upload.add_field("csrfmiddlewaretoken", _token("evidence_page", html))
    upload.add_field("action", "upload")
    upload.add_field("file", pdf, filename="就业协议书.pdf", content_type="application/pdf")
    _s, loc, _ = await b.post("evidence_upload", "/registration/step/evidence/", upload, expect=(302,))
    _s, _l, html = await b.get("evidence_page_after", loc)
    _expect_text("evidence_upload", html, "已上传")
    _s, loc, _ = await b.post("evidence_next", "/registration/step/evidence/", {
        "csrfmiddlewaretoken": _token("evidence_page_after", html), "action": "next"}, expect=(302,))
    _expect_redirect("evidence_next", loc, "/registration/step/archive/")
    _s, _l, html = await b.get("archive_page", loc)
    _s, _l, html = await b.post("archive_match", "/registration/step/archive/", {
        "csrfmiddlewaretoken": _token("archive_page", html), "action": "match_origin"})
    _expect_text("archive_match", html, "已按生源地填写")
    form = form_with(html, "archive_unit")
    form["action"] = "next"
    _s, loc, _ = await b.post("archive_save", "/registration/step/archive/", form, expect=(302,))
    _expect_redirect("archive_save", loc, "/registration/step/review/")
    _s, _l, html = await b.get("review_page", loc)
    b.results.submit_sent.add(student["number"])
    _s, loc, _ = await b.post("submit", "/registration/step/review/", {
        "csrfmiddlewaretoken": _token("review_page", html), "action": "submit"}, expect=(302,))
    _expect_redirect("submit", loc, "/registration/")
    _s, _l, html = await b.get("status_after", loc)
    return "提交成功" in html


API = "/api/v1"


async def api_flow(b: Browser, student: dict, pdf: bytes) -> bool:
    """The same registration through the mini-program's API (what miniprogram/ sends): bind with a wx.login
    code the fake WeChat server accepts, type, 检索匹配 from the directory, organisation, evidence upload and
    提交 with an Idempotency-Key each, 匹配 origin, archive, status. True when the record is submitted."""
    jh = {"Content-Type": "application/json"}

    def js(step: str, text: str) -> dict:
        try:
            return json.loads(text)
        except ValueError:
            raise FlowError("not json", step, text[:200]) from None

    _s, _l, text = await b.request("api_bind", "POST", f"{API}/auth/bind", headers=jh, data=json.dumps({
        "code": f"ok-{student['number']}", "student_number": student["number"], "password": student["password"]}))
    auth = {"Authorization": f"Bearer {js('api_bind', text)['token']}"}
    await b.request("api_start", "POST", f"{API}/registration", headers=auth)
    await b.request("api_type", "PUT", f"{API}/registration/type", headers={**auth, **jh},
                    data=json.dumps({"destination_type": "dispatch_general"}))
    _s, _l, text = await b.request("api_org_lookup", "GET", f"{API}/organisations/{student['uscc']}", headers=auth)
    org = js("api_org_lookup", text)
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
    fill = {k: v for k, v in js("api_archive_match", text).items() if k in {
        "origin_authority_name", "archive_destination", "archive_unit", "archive_address", "archive_postcode",
        "archive_contact", "archive_phone"}}
    await b.request("api_archive_save", "PUT", f"{API}/registration/archive", headers={**auth, **jh},
                    data=json.dumps(fill))
    b.results.submit_sent.add(student["number"])
    await b.request("api_submit", "POST", f"{API}/registration/submit",
                    headers={**auth, "Idempotency-Key": uuid.uuid4().hex})
    _s, _l, text = await b.request("api_status", "GET", f"{API}/registration", headers=auth)
    return js("api_status", text)["status"] == "submitted"


def make_session(concurrency: int, *, keepalive: bool = True, timeout: float = 30) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency, force_close=not keepalive,
                                     ttl_dns_cache=None, use_dns_cache=False)
    return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                 timeout=aiohttp.ClientTimeout(total=timeout), auto_decompress=True)


async def drive_flows(base: str, students: list[dict], pdf: bytes, *, concurrency: int, duration: float,
                      grace: float | None = None, on_tick=None, think: float = 0.0, mode: str = "web",
                      ramp: float = 0.0) -> Results:
    """`concurrency` virtual students, each running the flow for the next unused student, until `duration`
    seconds have passed (no new flow starts after that) or the students run out. Flows still running at
    the end get `grace` seconds to finish (default: 60 s, or 20 × the think time); every request has a
    30 s timeout. `mode`: "web" (the pages), "api" (the mini-program's API) or "mixed" (every other
    student through the API). `ramp` > 0: virtual student i starts at i / concurrency × ramp seconds
    (arrivals spread over the ramp instead of all in the first second)."""
    results = Results()
    if grace is None:  # long enough for a flow started just before the deadline: 12 clicks with think time
        grace = max(60.0, 20 * think)
    queue: asyncio.Queue[dict] = asyncio.Queue()
    for s in students:
        queue.put_nowait(s)
    deadline = time.perf_counter() + duration

    async def virtual_student(index: int, session: aiohttp.ClientSession) -> None:
        ip = f"10.{index // 250 % 250}.{index % 250}.{(index * 7) % 250 + 1}"
        if ramp:
            await asyncio.sleep(ramp * index / concurrency)
        while time.perf_counter() < deadline:
            try:
                student = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            results.started += 1
            channel = "api" if mode == "api" or (mode == "mixed" and results.started % 2 == 0) else "web"
            browser = Browser(session, base, results, ip, think, think_every_request=channel == "api")
            try:
                if channel == "api":
                    acknowledged = await api_flow(browser, student, pdf)
                else:
                    acknowledged = await registration_flow(browser, student, pdf)
            except FlowError as exc:
                results.error(exc)
                continue
            results.completed += 1
            results.completed_by[channel] += 1
            if acknowledged:
                results.acknowledged += 1
            else:
                results.error(FlowError("not acknowledged", "status_after"))

    async with make_session(concurrency) as session:
        tasks = [asyncio.create_task(virtual_student(i, session)) for i in range(concurrency)]
        ticker = asyncio.create_task(_tick(on_tick, results)) if on_tick else None
        done, pending = await asyncio.wait(tasks, timeout=duration + grace)
        for task in pending:
            task.cancel()
            results.errors["cancelled after grace period"] += 1
        await asyncio.gather(*pending, return_exceptions=True)
        if ticker:
            ticker.cancel()
    return results


async def _tick(callback, results: Results) -> None:
    while True:
        await asyncio.sleep(5)
        callback(results)


async def hammer(base: str, path: str, *, concurrency: int, duration: float) -> Results:
    """The minimal view under the same concurrency: `concurrency` loops of GET `path` for `duration` s."""
    results = Results()
    deadline = time.perf_counter() + duration

    async def loop(index: int, session: aiohttp.ClientSession) -> None:
        browser = Browser(session, base, results, f"10.200.{index % 250}.1")
        while time.perf_counter() < deadline:
            try:
                await browser.get("minimal", path)
                results.completed += 1
            except FlowError as exc:
                results.error(exc)

    async with make_session(concurrency) as session:
        await asyncio.wait_for(asyncio.gather(*(loop(i, session) for i in range(concurrency))),
                               timeout=duration + 60)
    return results
