"""Where the server's time goes in one registration, in-process (no HTTP, no gunicorn): the Django test
client against a fresh PostgreSQL database with the production settings (bench/load/load_settings.py,
Redis db 12), per step: CPU ms, queries and their time, response bytes; then a cProfile of the measured
flows grouped by where the time is spent (ORM query building, the database driver, templates, forms,
sessions/cache, middleware, our code).

    .venv/bin/python bench/load/profile_flow.py --flows 20            # web and API
    .venv/bin/python bench/load/profile_flow.py --flows 20 --mode web --top 40

The first --warmup flows of each mode are not measured (imports, template and URL caches)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

DB = "quxiang_load_profile"

CATEGORIES = [  # first match of the file path wins
    ("database driver (psycopg)", ("psycopg",)),
    ("ORM: building SQL", ("django/db/models/sql/compiler", "django/db/models/sql/query", "django/db/models/sql/where",
                           "django/db/models/expressions", "django/db/models/lookups", "django/db/backends")),
    ("ORM: querysets, model instances", ("django/db/models",)),
    ("templates", ("django/template",)),
    ("forms and widgets", ("django/forms",)),
    ("Redis (sessions, cache, throttles)", ("redis/", "django_redis")),
    ("sessions, auth, messages", ("django/contrib/sessions", "django/contrib/auth", "django/contrib/messages")),
    ("middleware, CSRF, URL routing, request/response", ("django/middleware", "django/core/handlers", "django/urls",
                                                          "django/http", "csp/", "whitenoise")),
    ("evidence check (pypdf) and storage", ("pypdf", "django/core/files", "quxiang/evidence")),
    ("django-ninja, pydantic (API)", ("ninja/", "pydantic")),
    ("translation, formats, timezones", ("django/utils/translation", "django/utils/formats", "django/utils/timezone",
                                         "zoneinfo")),
    ("our code (quxiang/)", ("quxiang/",)),
    ("test client (not the server)", ("django/test",)),
]


def outer(args) -> None:
    from common import Stack, free_port, log
    from fake_wechat import FakeWeChat

    run_dir = Path(tempfile.mkdtemp(prefix="quxiang-profile-"))
    # Redis db 11: the load test (bench/load/run.py) and the other benches use 12.
    stack = Stack(dbname=DB, run_dir=run_dir, app_name="quxiang_profile", redis_db=11)
    n = (args.flows + args.warmup) * 2
    stack.prepare(students=n, organisations=50)
    try:
        with FakeWeChat(free_port()) as wechat:
            env = stack.env(WECHAT_API_BASE=wechat.base, QUXIANG_PROFILE_INNER="1")
            cmd = [sys.executable if not Path(".venv/bin/python").exists() else ".venv/bin/python", __file__,
                   *sys.argv[1:], "--students-file", str(run_dir / "students.json")]
            log("profiling in-process …")
            proc = subprocess.run(cmd, env=env, cwd=Path(__file__).resolve().parents[2], timeout=1800)
            if proc.returncode:
                raise SystemExit(proc.returncode)
    finally:
        if not args.keep:
            from common import drop_database

            drop_database(DB)
            shutil.rmtree(run_dir, ignore_errors=True)


def inner(args) -> None:
    import cProfile
    import pstats
    import re
    import uuid

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "load_settings")
    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from evidence_pdf import build_pdf

    students = json.loads(Path(args.students_file).read_text())
    pdf = build_pdf(300 * 1024)
    stats: dict[str, dict[str, list]] = {}
    profiles: list[cProfile.Profile] = []  # CPU time: waiting on PostgreSQL is not counted

    class Timed:
        def __init__(self, client, measure: bool):
            self.c, self.measure = client, measure

        def __call__(self, step, method, path, expect=(200,), **kw):
            with CaptureQueriesContext(connection) as q:
                c0, w0 = time.process_time(), time.perf_counter()
                if self.measure and args.cprofile:
                    prof = cProfile.Profile(time.process_time)  # one per request: its call count per step
                    prof.enable()
                resp = getattr(self.c, method)(path, **kw)
                if self.measure and args.cprofile:
                    prof.disable()
                c1, w1 = time.process_time(), time.perf_counter()
                if self.measure and args.cprofile:
                    calls = sum(v[1] for v in pstats.Stats(prof).stats.values())
                    if not args.only or step == args.only:
                        profiles.append(prof)
            assert resp.status_code in expect, (step, resp.status_code, resp.content[:300])
            body = resp.content if not getattr(resp, "streaming", False) else b""
            if self.measure:
                s = stats.setdefault(step, {"cpu": [], "wall": [], "queries": [], "qtime": [], "bytes": [],
                                            "calls": []})
                if args.cprofile:
                    s["calls"].append(calls)
                s["cpu"].append((c1 - c0) * 1000)
                s["wall"].append((w1 - w0) * 1000)
                s["queries"].append(len(q.captured_queries))
                s["qtime"].append(sum(float(x["time"]) for x in q.captured_queries) * 1000)
                s["bytes"].append(len(body))
                if args.sql and step == args.sql or args.sql == "ALL":
                    for x in q.captured_queries:
                        print("   ", step, x["time"], x["sql"][:400] if args.sql != "ALL" else x["sql"])
            return resp

    # One client (one handler, its middleware loaded once, as in a gunicorn worker); cookies per flow.
    shared = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https", HTTP_X_REAL_IP="10.9.0.1",
                    HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")

    def client():
        shared.cookies.clear()
        return shared

    def web_flow(student, measure):
        r = Timed(client(), measure)
        r("login_page", "get", "/accounts/login/")
        resp = r("login", "post", "/accounts/login/", expect=(302,),
                 data={"username": student["number"], "password": student["password"]})
        r("home", "get", resp["Location"], expect=(302,))
        r("status", "get", "/registration/")
        r("start", "post", "/registration/start/", expect=(302,))
        r("type_page", "get", "/registration/step/type/")
        r("type_save", "post", "/registration/step/type/", expect=(302,),
          data={"destination_type": "dispatch_general", "action": "next"})
        r("org_page", "get", "/registration/step/organisation/")
        r("regions_json", "get", "/reference/regions.json", HTTP_ACCEPT_ENCODING="gzip, deflate")
        resp = r("org_lookup", "post", "/registration/step/organisation/",
                 data={"org_uscc": student["uscc"], "action": "lookup"})
        html = resp.content.decode()
        form = dict(re.findall(r'<input[^>]*name="(org_[a-z_]+)"[^>]*value="([^"]*)"', html))
        for sel in ("org_nature", "org_industry"):
            m = re.search(rf'name="{sel}".*?<option value="([^"]+)" selected', html, re.S)
            if m:
                form[sel] = m.group(1)
        form.update(job_category="13", signed_on="2027-03-01", action="next")
        r("org_save", "post", "/registration/step/organisation/", expect=(302,), data=form)
        r("evidence_page", "get", "/registration/step/evidence/")
        r("evidence_upload", "post", "/registration/step/evidence/", expect=(302,),
          data={"action": "upload", "file": SimpleUploadedFile("就业协议书.pdf", pdf, "application/pdf")})
        r("evidence_page_after", "get", "/registration/step/evidence/")
        r("evidence_next", "post", "/registration/step/evidence/", expect=(302,), data={"action": "next"})
        r("archive_page", "get", "/registration/step/archive/")
        resp = r("archive_match", "post", "/registration/step/archive/", data={"action": "match_origin"})
        html = resp.content.decode()
        form = dict(re.findall(r'<input[^>]*name="(archive_[a-z_]+|origin_authority_name)"[^>]*value="([^"]*)"', html))
        form.update(archive_destination="origin", action="next")
        r("archive_save", "post", "/registration/step/archive/", expect=(302,), data=form)
        r("review_page", "get", "/registration/step/review/")
        r("submit", "post", "/registration/step/review/", expect=(302,), data={"action": "submit"})
        resp = r("status_after", "get", "/registration/")
        assert "提交成功" in resp.content.decode(), "not acknowledged"

    def api_flow(student, measure):
        c = client()
        r = Timed(c, measure)
        jt = "application/json"
        resp = r("api_bind", "post", "/api/v1/auth/bind", content_type=jt, data={
            "code": f"ok-{student['number']}", "student_number": student["number"], "password": student["password"]})
        auth = {"HTTP_AUTHORIZATION": f"Bearer {resp.json()['token']}"}
        r("api_start", "post", "/api/v1/registration", **auth)
        r("api_type", "put", "/api/v1/registration/type", content_type=jt,
          data={"destination_type": "dispatch_general"}, **auth)
        org = r("api_org_lookup", "get", f"/api/v1/organisations/{student['uscc']}", **auth).json()
        payload = {"org_uscc": org["uscc"], "org_name": org["name"], "org_shanghai_reg_no": org["shanghai_reg_no"],
                   "org_nature": org["nature"], "org_industry": org["industry"], "org_region": org["region"],
                   "org_address": org["address"], "org_postcode": org["postcode"],
                   "org_contact_name": org["contact_name"], "org_contact_phone": org["contact_phone"],
                   "job_category": "13", "signed_on": "2027-03-01"}
        r("api_org_save", "put", "/api/v1/registration/organisation", content_type=jt, data=payload, **auth)
        r("api_evidence_upload", "post", "/api/v1/registration/evidence", expect=(201,),
          data={"file": SimpleUploadedFile("就业协议书.pdf", pdf, "application/pdf")},
          HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex, **auth)
        fill = r("api_archive_match", "post", "/api/v1/registration/archive/match", **auth).json()
        r("api_archive_save", "put", "/api/v1/registration/archive", content_type=jt, data=fill, **auth)
        r("api_submit", "post", "/api/v1/registration/submit", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex, **auth)
        assert r("api_status", "get", "/api/v1/registration", **auth).json()["status"] == "submitted"

    modes = ["web", "api"] if args.mode == "both" else [args.mode]
    pool = iter(students)
    for mode in modes:
        flow = web_flow if mode == "web" else api_flow
        for _ in range(args.warmup):
            flow(next(pool), False)
        for _ in range(args.flows):
            flow(next(pool), True)

    def med(xs):
        xs = sorted(xs)
        # --stat min: the least-disturbed run of each step, for A/B comparisons on a noisy shared machine
        return xs[0] if args.stat == "min" else xs[len(xs) // 2]

    for mode in modes:
        rows = [(k, v) for k, v in stats.items() if k.startswith("api_") == (mode == "api")]
        tot_cpu = sum(med(v["cpu"]) for _k, v in rows)
        tot_q = sum(med(v["queries"]) for _k, v in rows)
        tot_qt = sum(med(v["qtime"]) for _k, v in rows)
        print(f"\n#### {mode}: {args.flows} flows measured (medians per request)\n")
        # Python function calls (with --cprofile): the same for every run of the same code, unlike CPU time on a
        # shared machine; what a change saves in interpreted work shows here first.
        tot_calls = sum(med(v["calls"]) for _k, v in rows) if args.cprofile else 0
        print("| step | app CPU ms | wall ms | queries | query time ms | response bytes | Python calls |")
        print("|---|---|---|---|---|---|---|")
        for k, v in rows:
            print(f"| {k} | {med(v['cpu']):.1f} | {med(v['wall']):.1f} | {med(v['queries'])} | "
                  f"{med(v['qtime']):.1f} | {med(v['bytes'])} | {med(v['calls']) if v['calls'] else ''} |")
        print(f"| **total** | **{tot_cpu:.0f}** | | **{tot_q}** | **{tot_qt:.0f}** | | **{tot_calls}** |")
    if args.cprofile:
        st = pstats.Stats(*profiles)
        total = sum(v[2] for v in st.stats.values())
        buckets: dict[str, float] = {}
        for (file, _line, _fn), (_cc, _nc, tt, _ct, _callers) in st.stats.items():
            name = next((c for c, pats in CATEGORIES if any(p in file for p in pats)), "other (stdlib, …)")
            buckets[name] = buckets.get(name, 0.0) + tt
        print(f"\n#### cProfile of the measured flows: app CPU by where it is spent ({total:.2f} CPU-s profiled, profiler overhead included)\n")
        print("| where | share |")
        print("|---|---|")
        for name, t in sorted(buckets.items(), key=lambda kv: -kv[1]):
            print(f"| {name} | {t / total * 100:.1f} % |")
        if args.top:
            print()
            st.sort_stats("tottime").print_stats(args.top)
            st.sort_stats("cumulative").print_stats(args.top)
        if args.callers:
            st.sort_stats("tottime").print_callers(args.callers)
        if args.functions:
            st.sort_stats("cumulative").print_stats(args.functions)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--flows", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--mode", choices=["web", "api", "both"], default="both")
    p.add_argument("--stat", choices=["median", "min"], default="median",
                   help="per step: the median (default) or the minimum over the measured flows")
    p.add_argument("--only", default="", help="with --cprofile: the function listings of this step only")
    p.add_argument("--cprofile", action="store_true", help="also profile (slower; shares by category)")
    p.add_argument("--top", type=int, default=0, help="print the N top functions by cumulative time")
    p.add_argument("--sql", default="", help="print the SQL of this step (ALL: of every step)")
    p.add_argument("--functions", default="", help="print the cumulative time of functions matching this pattern")
    p.add_argument("--callers", default="", help="print the callers of functions matching this pattern")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--students-file", default="")
    args = p.parse_args()
    if os.environ.get("QUXIANG_PROFILE_INNER") == "1":
        inner(args)
    else:
        outer(args)


if __name__ == "__main__":
    main()
