"""Fault drills against gunicorn + PostgreSQL + Redis with the production settings (all on 127.0.0.1).

    .venv/bin/python bench/faults/run.py

Scenarios (each bounded in time and count):
 1. PostgreSQL away in the middle of submits. 60 students with complete drafts press 提交 at random
    moments over ~8 s (retrying after a 503, at most 60 times each). Meanwhile the app's connections are
    killed with pg_terminate_backend every 100 ms for 1.5 s (kills inside running transactions), then the
    database refuses all connections for 4 s (ALTER DATABASE … ALLOW_CONNECTIONS false + terminate: what
    the app sees during a PostgreSQL restart, without restarting the shared server other engineers use),
    then accepts them again. Measured: what users got (302/503/500), the time from the database being
    back to /healthz/ready = 200 and to the first successful 提交; then: every acknowledged submission is
    in the database, no record is half-written, one SUBMIT event per submitted record.
 2. Uploads cut off mid-body: a raw socket sends the headers (with the full Content-Length) and 10 %,
    50 % or all but the closing boundary of a multipart upload (300 KB and 5 MB, the latter spooled to a
    temporary file by Django), then closes. Then: no EvidenceFile row, no file in the media directory
    without a row, nothing left in FILE_UPLOAD_TEMP_DIR; a complete upload afterwards works.
 3. The disk refusing the write: a tmpfs is mounted over the evidence directory, (a) filled so that the
    next 300 KB upload hits ENOSPC half-way, (b) remounted read-only (EROFS). The student must get the
    Chinese message, no row may remain, and no partial file. Needs mount(2) (root with CAP_SYS_ADMIN);
    skipped otherwise.
 4. Ten concurrent submits of the same record (one session, ten parallel POSTs), for 10 records:
    exactly one SUBMIT each.
 5. Redis unreachable (a second app server pointed at a closed port): /healthz/ready says which part
    failed; a login gets the 503 page, not a 500.
Results go to --out/report.md (and result.json)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "load"))

import aiohttp  # noqa: E402
from client import Browser, FlowError, Results, make_session  # noqa: E402
from common import (  # noqa: E402
    LOOPBACK,
    Server,
    Stack,
    _admin_conn,
    drop_database,
    free_port,
    log,
    terminate_backends,
)
from evidence_pdf import build_pdf  # noqa: E402

APP = "quxiang_fault"
DB = "quxiang_fault"


async def login(browser: Browser, number: str) -> None:
    _s, _l, html = await browser.get("login_page", "/accounts/login/")
    token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    await browser.post("login", "/accounts/login/", {"csrfmiddlewaretoken": token, "username": number,
                                                     "password": f"Load!{number}"}, expect=(302,))


def token_of(html: str) -> str:
    return html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]


# --- 1. PostgreSQL away in the middle of submits ------------------------------------------------------


async def scenario_outage(base: str, records: list[dict]) -> dict:
    results = Results()
    events: list[tuple[float, str, int]] = []  # (time, student, status)
    acknowledged: dict[str, float] = {}
    t0 = time.perf_counter()
    outage: dict[str, float] = {}

    async with make_session(len(records) + 5) as session:
        browsers, tokens = {}, {}
        for i, r in enumerate(records):  # everyone is on the review page before anything breaks
            b = Browser(session, base, results, f"10.9.{i}.1")
            await login(b, r["number"])
            _s, _l, html = await b.get("review_page", "/registration/step/review/")
            browsers[r["number"]], tokens[r["number"]] = b, token_of(html)
        t0 = time.perf_counter()

        async def student(number: str) -> None:
            b, token = browsers[number], tokens[number]
            await asyncio.sleep(random.uniform(0, 8.0))
            for _attempt in range(60):
                try:
                    status, loc, _ = await b.post("submit", "/registration/step/review/",
                                                  {"csrfmiddlewaretoken": token, "action": "submit"},
                                                  expect=(302, 503, 500))
                except FlowError as exc:
                    events.append((time.perf_counter() - t0, number, -1))
                    results.error(exc)
                    await asyncio.sleep(0.5)
                    continue
                events.append((time.perf_counter() - t0, number, status))
                if status == 302:
                    try:
                        _s, _l, page = await b.get("status_after", loc, expect=(200, 503))
                    except FlowError:
                        page = ""
                    if "提交成功" in page or "已经提交过" in page or "待鉴证" in page:
                        acknowledged[number] = time.perf_counter() - t0
                        return
                await asyncio.sleep(0.5)

        async def chaos() -> None:
            await asyncio.sleep(1.0)
            outage["kills_start"] = time.perf_counter() - t0
            killed = 0
            for _ in range(15):  # every 100 ms for 1.5 s: connections die inside transactions
                killed += await asyncio.to_thread(terminate_backends, DB, APP)
                await asyncio.sleep(0.1)
            outage["backends_killed"] = killed
            await asyncio.to_thread(set_allow_connections, False)
            outage["down"] = time.perf_counter() - t0
            outage["backends_killed"] += await asyncio.to_thread(terminate_backends, DB, APP)
            await asyncio.sleep(4.0)
            await asyncio.to_thread(set_allow_connections, True)
            outage["up"] = time.perf_counter() - t0
            # Recovery: how long until the app says it is ready again?
            for _ in range(300):
                try:
                    async with session.get(base + "/healthz/ready") as resp:
                        await resp.read()
                        if resp.status == 200:
                            outage["ready_again"] = time.perf_counter() - t0
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)

        try:
            await asyncio.wait_for(asyncio.gather(chaos(), *(student(r["number"]) for r in records)), timeout=120)
        finally:
            set_allow_connections(True)

    statuses: dict[str, int] = {}
    for _t, _n, s in events:
        statuses[str(s)] = statuses.get(str(s), 0) + 1
    after_up = [t for t, _n, s in events if s == 302 and t >= outage.get("up", 1e9)]
    during = [s for t, _n, s in events if outage.get("kills_start", 0) <= t <= outage.get("up", 0)]
    return {
        "students": len(records), "acknowledged": len(acknowledged), "submit_responses": statuses,
        "responses_during_faults": {str(s): during.count(s) for s in sorted(set(during))},
        "timeline_s": outage, "errors": dict(results.errors), "error_samples": results.error_samples[:5],
        "first_submit_ok_after_db_back_s": (min(after_up) - outage["up"]) if after_up else None,
        "ready_again_after_db_back_s": (outage["ready_again"] - outage["up"]) if "ready_again" in outage else None,
    }


def set_allow_connections(allow: bool) -> None:
    with _admin_conn() as conn:
        conn.execute(f'ALTER DATABASE "{DB}" ALLOW_CONNECTIONS {"true" if allow else "false"}')


# --- 2. uploads cut off mid-body -----------------------------------------------------------------------


def multipart(token: str, pdf: bytes, boundary: str) -> bytes:
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrfmiddlewaretoken\"\r\n\r\n{token}\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"action\"\r\n\r\nupload\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut.pdf\"\r\n"
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    return head + pdf + f"\r\n--{boundary}--\r\n".encode()


def send_cut(port: int, cookies: dict[str, str], body: bytes, boundary: str, cut_at: int) -> str:
    """Headers with the full Content-Length, then `cut_at` bytes of the body, then close."""
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    head = (
        f"POST /registration/step/evidence/ HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\nCookie: {cookie}\r\n"
        f"X-Forwarded-Proto: https\r\nOrigin: https://{LOOPBACK}:{port}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((LOOPBACK, port), timeout=10) as s:
        s.sendall(head + body[:cut_at])
        time.sleep(0.2)
        s.shutdown(socket.SHUT_WR)
        s.settimeout(10)
        try:
            reply = s.recv(200).split(b"\r\n", 1)[0].decode(errors="replace")
        except OSError as exc:
            reply = f"(no reply: {exc.__class__.__name__})"
    return reply or "(connection closed without a reply)"


async def scenario_cut_uploads(server: Server, records: list[dict], temp_dir: Path) -> dict:
    results = Results()
    small, big = build_pdf(300 * 1024), build_pdf(5 * 1024 * 1024)
    cases = []
    async with make_session(4) as session:
        for i, r in enumerate(records[:6]):
            b = Browser(session, server.base, results, f"10.8.{i}.1")
            await login(b, r["number"])
            _s, _l, html = await b.get("evidence_page", "/registration/step/evidence/")
            pdf = small if i % 2 == 0 else big
            boundary = f"----quxiangcut{i}"
            body = multipart(token_of(html), pdf, boundary)
            fraction = [0.10, 0.50, 0.999][i // 2 % 3]
            cut_at = len(body) - 10 if fraction > 0.99 else int(len(body) * fraction)
            reply = await asyncio.to_thread(send_cut, server.port, b.cookies, body, boundary, cut_at)
            cases.append({"student": r["number"], "pdf_bytes": len(pdf), "sent_bytes": cut_at,
                          "of_bytes": len(body), "server_reply": reply, "registration": r["registration"]})
        await asyncio.sleep(1.0)
        # Positive control: the same kind of upload, complete, by the last student.
        b = Browser(session, server.base, results, "10.8.99.1")
        control = records[6]
        await login(b, control["number"])
        _s, _l, html = await b.get("evidence_page", "/registration/step/evidence/")
        form = aiohttp.FormData()
        form.add_field("csrfmiddlewaretoken", token_of(html))
        form.add_field("action", "upload")
        form.add_field("file", small, filename="ok.pdf", content_type="application/pdf")
        _s, loc, _ = await b.post("evidence_upload", "/registration/step/evidence/", form, expect=(302,))
        _s, _l, page = await b.get("evidence_page_after", loc)
    leftovers = [str(p) for p in temp_dir.rglob("*") if p.is_file()] if temp_dir.exists() else []
    return {"cases": cases, "control_upload_ok": "已上传" in page, "control_registration": control["registration"],
            "temp_dir_leftovers": leftovers, "errors": dict(results.errors)}


# --- 3. the disk refusing the write --------------------------------------------------------------------


def mount_tmpfs(path: Path, size_kb: int) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0755", "tmpfs", str(path)],
                          capture_output=True, text=True, timeout=10)
    return proc.returncode == 0


def umount(path: Path) -> None:
    subprocess.run(["umount", str(path)], capture_output=True, timeout=10)


async def upload_once(base: str, record: dict, pdf: bytes, tag: str) -> dict:
    results = Results()
    async with make_session(2) as session:
        b = Browser(session, base, results, "10.7.0.1")
        await login(b, record["number"])
        _s, _l, html = await b.get("evidence_page", "/registration/step/evidence/")
        form = aiohttp.FormData()
        form.add_field("csrfmiddlewaretoken", token_of(html))
        form.add_field("action", "upload")
        form.add_field("file", pdf, filename=f"{tag}.pdf", content_type="application/pdf")
        status, loc, _ = await b.post("evidence_upload", "/registration/step/evidence/", form, expect=(302, 500, 503))
        page = ""
        if status == 302:
            _s, _l, page = await b.get("evidence_page_after", loc)
    message = "服务器暂时无法保存文件，请稍后重试。您已填写的内容不会丢失。"
    return {"student": record["number"], "registration": record["registration"], "status": status,
            "chinese_message_shown": message in page, "uploaded_message_shown": "已上传" in page}


async def scenario_disk(server: Server, media: Path, records: list[dict]) -> dict:
    evidence_dir = media / "evidence"
    pdf = build_pdf(300 * 1024)
    out: dict = {}
    if not mount_tmpfs(evidence_dir, 2048):
        return {"skipped": "mount(2) not permitted here"}
    try:
        # (a) ENOSPC half-way through the file: leave ~150 KB free.
        filler = evidence_dir / "filler.bin"
        with open(filler, "wb") as fh, contextlib.suppress(OSError):
            fh.write(b"\0" * (2048 - 150) * 1024)
        before = {p for p in evidence_dir.rglob("*") if p.is_file()}
        out["enospc"] = await upload_once(server.base, records[0], pdf, "enospc")
        after = {p for p in evidence_dir.rglob("*") if p.is_file()}
        new = sorted(after - before)
        out["enospc"]["files_left_behind"] = [f"{p.relative_to(media)} ({p.stat().st_size} bytes)" for p in new]
        for p in new:  # clean up for the next case (and report what we removed)
            p.unlink()
        filler.unlink()
        # (b) read-only file system.
        subprocess.run(["mount", "-o", "remount,ro", str(evidence_dir)], check=True, timeout=10)
        before = {p for p in evidence_dir.rglob("*") if p.is_file()}
        out["erofs"] = await upload_once(server.base, records[1], pdf, "erofs")
        after = {p for p in evidence_dir.rglob("*") if p.is_file()}
        out["erofs"]["files_left_behind"] = [str(p.relative_to(media)) for p in sorted(after - before)]
    finally:
        umount(evidence_dir)
    # Afterwards, on the real disk again, the same student can upload.
    out["after_recovery"] = await upload_once(server.base, records[1], pdf, "recovered")
    return out


# --- 4. ten concurrent submits of the same record ------------------------------------------------------


async def scenario_double_submit(base: str, records: list[dict]) -> dict:
    results = Results()
    outcome = []
    async with make_session(20) as session:
        for i, r in enumerate(records):
            b = Browser(session, base, results, f"10.6.{i}.1")
            await login(b, r["number"])
            _s, _l, html = await b.get("review_page", "/registration/step/review/")
            token = token_of(html)
            replies = await asyncio.gather(*(
                b.post("submit", "/registration/step/review/", {"csrfmiddlewaretoken": token, "action": "submit"},
                       expect=(302, 503, 500)) for _ in range(10)), return_exceptions=True)
            outcome.append({"registration": r["registration"],
                            "statuses": sorted(x[0] if isinstance(x, tuple) else repr(x) for x in replies)})
    return {"records": outcome, "errors": dict(results.errors)}


# --- 5. Redis unreachable --------------------------------------------------------------------------------


async def scenario_redis_down(stack: Stack, record: dict) -> dict:
    """A second app server on the same database whose Redis is a closed loopback port."""
    server = Server(stack, free_port(), 1, 2, "gthread")
    env = stack.env(REDIS_URL="redis://127.0.0.1:1/0", GUNICORN_BIND=f"{LOOPBACK}:{server.port}",
                    GUNICORN_WORKERS="1", GUNICORN_THREADS="2",
                    GUNICORN_ACCESSLOG=str(stack.run_dir / "access-redis-down.log"),
                    GUNICORN_ERRORLOG=str(stack.run_dir / "gunicorn-redis-down.log"))
    out: dict = {}
    try:
        server.proc = await asyncio.to_thread(start_live_only, env, server.base)
        async with make_session(2) as session:
            async with session.get(server.base + "/healthz/ready") as resp:
                out["ready"] = {"status": resp.status, "body": json.loads(await resp.read())}
            b = Browser(session, server.base, Results(), "10.5.0.1")
            status, _l, html = await b.get("login_page", "/accounts/login/", expect=(200, 503, 500))
            out["login_page"] = status
            if status == 200:
                status, _l, page = await b.post("login", "/accounts/login/", {
                    "csrfmiddlewaretoken": token_of(html), "username": record["number"],
                    "password": f"Load!{record['number']}"}, expect=(302, 503, 500))
                out["login_post"] = {"status": status,
                                     "chinese_503_page": "系统" in page and "稍后" in page,
                                     "trace_shown": "Traceback" in page}
    finally:
        server.stop()
    return out


def start_live_only(env: dict, base: str, timeout: float = 60) -> subprocess.Popen:
    """Start gunicorn and wait for /healthz (liveness) only: readiness is expected to fail."""
    import urllib.request

    from common import PYTHON, ROOT

    proc = subprocess.Popen([str(Path(PYTHON).parent / "gunicorn"), "-c", str(ROOT / "config" / "gunicorn.conf.py")],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return proc
        except OSError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise SystemExit("the second gunicorn did not start")


def scan_logs(run_dir: Path) -> dict:
    """What the app logged (gunicorn.log holds the workers' stderr): the 503s by cause, and whether any
    national ID or mobile number got through unmasked."""
    import re

    text = "\n".join(p.read_text(errors="replace") for p in run_dir.glob("*.log"))
    causes: dict[str, int] = {}
    for m in re.finditer(r"service unavailable \((\w+)\) on (\w+) (\S+): (.{0,60})", text):
        key = f"{m.group(1)} {m.group(2)} {m.group(3)}: {m.group(4).split(':')[0].strip()}"
        causes[key] = causes.get(key, 0) + 1
    unmasked = re.findall(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|1[3-9]\d{9})(?![0-9A-Za-z])", text)
    return {"unavailable_by_cause": dict(sorted(causes.items(), key=lambda kv: -kv[1])),
            "tracebacks": text.count("Traceback (most recent call last)"), "unmasked_ids_or_mobiles": len(unmasked)}


def markdown(r: dict) -> str:
    o, c, d, q, rd, db, lg = (r["outage"], r["cut_uploads"], r["disk"], r["double_submit"], r["redis_down"],
                              r["db"], r["logs"])
    t = o["timeline_s"]
    lines = [
        f"### Fault run {r['date']}", "", f"`{r['command']}`", "",
        "**1. PostgreSQL away in the middle of submits** "
        f"({o['students']} students pressing 提交 at random moments over 8 s, retrying 0.5 s after a 503)",
        "",
        "| measure | value |", "|---|---|",
        f"| timeline | connections killed every 100 ms from t={t['kills_start']:.1f} s ({t['backends_killed']} backends "
        f"killed), database refusing connections t={t['down']:.1f}–{t['up']:.1f} s |",
        f"| responses to 提交 | {o['submit_responses']} (during the faults: {o['responses_during_faults']}) |",
        f"| client errors (timeouts, resets) | {o['errors'] or 'none'} |",
        f"| /healthz/ready = 200 again after the database is back | {o['ready_again_after_db_back_s']:.2f} s |"
        if o["ready_again_after_db_back_s"] is not None else "| ready again | never |",
        f"| first successful 提交 after the database is back | {o['first_submit_ok_after_db_back_s']:.2f} s |"
        if o["first_submit_ok_after_db_back_s"] is not None else "| first 提交 after | none |",
        f"| submissions acknowledged to students / submitted in the database | {o['acknowledged']} / "
        f"{db['outage_submitted']} ({db['outage_still_draft']} still draft) |",
        f"| half-written records (status, submitted_at, SUBMIT event and audit entry disagree) | "
        f"{len(db['outage_half_written'])} |",
        f"| what the app logged for the 503s | {lg['unavailable_by_cause'] or 'nothing'} |",
        "",
        "**2. Uploads cut off mid-body** (raw socket: full Content-Length, part of the body, close)", "",
        "| file | bytes sent of | server's answer |", "|---|---|---|",
    ]
    for case in c["cases"]:
        lines.append(f"| {case['pdf_bytes'] // 1024} KB PDF | {case['sent_bytes']:,} of {case['of_bytes']:,} | "
                     f"{case['server_reply']} |")
    lines += [
        "",
        f"EvidenceFile rows for the cut uploads: {db['cut_upload_rows']}; files left in FILE_UPLOAD_TEMP_DIR: "
        f"{len(c['temp_dir_leftovers'])}; complete upload afterwards: {'ok' if c['control_upload_ok'] else 'FAILED'} "
        f"({db['cut_control_rows']} row).", "",
        "**3. The disk refusing the write** (tmpfs mounted over the evidence directory)", "",
    ]
    if "skipped" in d:
        lines.append(f"Skipped: {d['skipped']}.")
    else:
        lines += [
            "| case | HTTP | Chinese message shown | EvidenceFile row | file left behind |", "|---|---|---|---|---|",
            f"| ENOSPC half-way through the file | {d['enospc']['status']} | {d['enospc']['chinese_message_shown']} | "
            f"{db['disk_rows'][0]} | {d['enospc']['files_left_behind'] or 'none'} |",
            f"| read-only file system (EROFS) | {d['erofs']['status']} | {d['erofs']['chinese_message_shown']} | "
            f"0 before recovery | {d['erofs']['files_left_behind'] or 'none'} |",
            f"| same student after the disk is back | {d['after_recovery']['status']} | — | "
            f"{db['disk_rows'][1]} | — |",
        ]
    lines += [
        "",
        "**4. Ten concurrent submits of the same record** (one session, ten parallel POSTs, 10 records)", "",
        f"HTTP statuses: {sorted({s for rec in q['records'] for s in rec['statuses']})}; SUBMIT events per record: "
        f"{db['double_submit_events_per_record']}; records submitted: {db['double_submitted']}/10.", "",
        "**5. Redis unreachable** (a second app server whose REDIS_URL is a closed loopback port)", "",
        f"/healthz/ready → {rd['ready']['status']} {json.dumps(rd['ready']['body'])}; login page → "
        f"{rd.get('login_page')}; login POST → {rd.get('login_post', {}).get('status')} "
        f"(Chinese 503 page: {rd.get('login_post', {}).get('chinese_503_page')}, trace shown: "
        f"{rd.get('login_post', {}).get('trace_shown')}).", "",
        f"Whole run: evidence rows without file {len(db['evidence_rows_without_file'])}, files without row "
        f"{len(db['files_without_row'])} (after removing the ENOSPC leftover above); national IDs or mobile numbers "
        f"unmasked in the server logs: {lg['unmasked_ids_or_mobiles']}; tracebacks in the logs: {lg['tracebacks']}.",
        "",
    ]
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=None)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    random.seed(2026)
    run_dir = Path(tempfile.mkdtemp(prefix="quxiang-faults-"))
    out_dir = Path(args.out) if args.out else run_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    temp_dir = run_dir / "upload-tmp"
    temp_dir.mkdir()
    stack = Stack(dbname=DB, run_dir=run_dir, app_name=APP)
    base_env = stack.env
    stack.env = lambda **extra: base_env(FILE_UPLOAD_TEMP_DIR=str(temp_dir), **extra)  # type: ignore[method-assign]
    stack.prepare(students=120, organisations=50)
    prepared = stack.django("../faults/prepare.py", "--complete", "70", "--organisation", "12")
    complete, partial = prepared["complete"], prepared["organisation"]
    outage_records, double_records = complete[:60], complete[60:70]
    cut_records, disk_records = partial[:7], partial[7:10]
    report: dict = {"date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                    "command": " ".join(sys.argv)}
    server = Server(stack, free_port(), 3, 4, "gthread")
    try:
        with server:
            log("scenario 1: PostgreSQL away in the middle of submits")
            report["outage"] = asyncio.run(scenario_outage(server.base, outage_records))
            log(json.dumps(report["outage"], ensure_ascii=False))
            log("scenario 2: uploads cut off mid-body")
            report["cut_uploads"] = asyncio.run(scenario_cut_uploads(server, cut_records, temp_dir))
            log(json.dumps(report["cut_uploads"], ensure_ascii=False))
            log("scenario 3: the disk refusing the write")
            report["disk"] = asyncio.run(scenario_disk(server, stack.media_dir, disk_records))
            log(json.dumps(report["disk"], ensure_ascii=False))
            log("scenario 4: ten concurrent submits of the same record")
            report["double_submit"] = asyncio.run(scenario_double_submit(server.base, double_records))
            log(json.dumps(report["double_submit"], ensure_ascii=False))
        log("scenario 5: Redis unreachable")
        report["redis_down"] = asyncio.run(scenario_redis_down(stack, complete[0]))
        log(json.dumps(report["redis_down"], ensure_ascii=False))
        report["db"] = stack.django("../faults/verify.py", json.dumps({
            "outage": [r["registration"] for r in outage_records],
            "double": [r["registration"] for r in double_records],
            "cut": [c["registration"] for c in report["cut_uploads"]["cases"]],
            "cut_control": report["cut_uploads"]["control_registration"],
            "disk": [r["registration"] for r in disk_records[:2]],
        }))
        log(json.dumps(report["db"], ensure_ascii=False))
        report["logs"] = scan_logs(run_dir)
        (out_dir / "result.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
        md = markdown(report)
        (out_dir / "report.md").write_text(md)
        print(md)
        log(f"report: {out_dir / 'report.md'}")
    finally:
        server.stop()
        with contextlib.suppress(Exception):
            set_allow_connections(True)
        with contextlib.suppress(Exception):
            umount(stack.media_dir / "evidence")
        if not args.keep:
            drop_database(DB)
            shutil.rmtree(run_dir / "var", ignore_errors=True)
            shutil.rmtree(run_dir / "static", ignore_errors=True)


if __name__ == "__main__":
    main()
