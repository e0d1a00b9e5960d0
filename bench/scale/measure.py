"""Measurements on the 1,000,000-student cohort (run by bench/scale/run.py under the production settings,
bench/load/load_settings.py, against quxiang_scale_bench). Prints JSON on the last line.

    measure.py lookup      USCC lookup: organisation_lookup() and GET /api/v1/organisations/{uscc}
    measure.py statistics  cohort_statistics() and GET /office/reports/?year=…
    measure.py export      the national export (services.national_export_create) to a temporary file:
                           rows/s and peak memory (this process's max RSS, before/after)
    measure.py export_job  the national export as the office starts it: a job (reports/jobs.py) run by the
                           Celery worker that bench/scale/run.py started, its file stored in the S3 bucket;
                           seconds from "queued" to "done" as the progress bar sees them (SCALE_BY_COLLEGE=1:
                           one sheet per college)"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "load_settings")
django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from quxiang.accounts.models import Role, User  # noqa: E402
from quxiang.organisations.models import Organisation  # noqa: E402
from quxiang.organisations.selectors import organisation_lookup  # noqa: E402


def ms(values: list[float]) -> dict:
    ordered = sorted(values)

    def p(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] * 1000

    return {"n": len(values), "p50_ms": p(50), "p95_ms": p(95), "p99_ms": p(99), "max_ms": ordered[-1] * 1000,
            "mean_ms": statistics.fmean(values) * 1000}


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def lookup(n: int = 2000, rounds: int = 3) -> dict:
    rng = random.Random(2026)
    total = Organisation.objects.count()
    ids = rng.sample(range(1, Organisation.objects.order_by("-id").values_list("id", flat=True).first() + 1), n)
    known = list(Organisation.objects.filter(id__in=ids).values_list("uscc", flat=True))
    # A fifth of the lookups are codes the directory does not have (typed by hand the first time).
    from quxiang.core.validators import uscc_check_char

    unknown = []
    for i in range(n // 5):
        first17 = f"91440300{900_000_000 + i:09d}"
        unknown.append(first17 + uscc_check_char(first17))
    codes = known[: n - len(unknown)] + unknown
    rng.shuffle(codes)
    for code in codes[:50]:  # warm up
        organisation_lookup(uscc=code)
    per_round, times, hits = [], [], 0
    for _round in range(rounds):  # the same codes again, in another order: three samples of the tail
        rng.shuffle(codes)
        these, hits = [], 0
        for code in codes:
            t = time.perf_counter()
            org = organisation_lookup(uscc=code)
            these.append(time.perf_counter() - t)
            hits += org is not None
        per_round.append(ms(these))
        times = these
    # Through the JSON API, as the mini-program calls it (Django's test client: no network, full stack).
    from quxiang.api.services import api_token_issue

    student_user = User.objects.filter(role=Role.STUDENT).order_by("pk").first()
    token, _exp = api_token_issue(user=student_user)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    api_times, statuses = [], {}
    for code in codes[:1000]:
        t = time.perf_counter()
        r = client.get(f"/api/v1/organisations/{code}", secure=True)
        api_times.append(time.perf_counter() - t)
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
    plan = (Organisation.objects.select_related("nature", "industry", "region").order_by()
            .filter(uscc=codes[0])[:1].explain(analyze=True).splitlines())
    return {"organisations": total, "lookups": len(codes), "hits": hits, "selector": ms(times), "rounds": per_round,
            "p99_median_ms": statistics.median(r["p99_ms"] for r in per_round),
            "api": ms(api_times), "api_statuses": statuses, "plan": plan}


def stats(runs: int = 5) -> dict:
    from quxiang.registrations.models import Registration
    from quxiang.reports.selectors import cohort_statistics
    from quxiang.roster.models import Student

    office = User.objects.get(username="bench_office")
    year = int(os.environ.get("SCALE_YEAR", "2026"))
    n = Student.objects.filter(graduation_year=year).count()
    records = Registration.objects.filter(student__graduation_year=year).count()
    with connection.cursor() as cur:
        cur.execute("SHOW join_collapse_limit")
        jcl = cur.fetchone()[0]
    cohort_statistics(user=office, year=year)  # warm up
    sel = []
    for _ in range(runs):
        t = time.perf_counter()
        cohort_statistics(user=office, year=year)
        sel.append(time.perf_counter() - t)
    client = Client()
    client.force_login(office)
    page, size = [], 0
    for _ in range(max(3, runs // 2)):
        t = time.perf_counter()
        r = client.get("/office/reports/", {"year": year}, secure=True)
        page.append(time.perf_counter() - t)
        assert r.status_code == 200, r.status_code
        size = len(r.content)
    return {"students": n, "records": records, "join_collapse_limit": jcl, "selector": ms(sel), "page": ms(page),
            "page_bytes": size}


def export() -> dict:
    from quxiang.reports.services import national_export_create

    office = User.objects.get(username="bench_office")
    year = int(os.environ.get("SCALE_YEAR", "2026"))
    before = max_rss_mb()
    with tempfile.TemporaryFile() as out:
        t = time.perf_counter()
        result = national_export_create(actor=office, year=year, out=out)
        took = time.perf_counter() - t
        size = result.file.seek(0, 2)
    return {"rows": result.rows, "seconds": took, "rows_per_s": result.rows / took, "file_mb": size / 2**20,
            "max_rss_mb_before": before, "max_rss_mb_after": max_rss_mb()}


def export_job() -> dict:
    from quxiang.jobs.models import Job, JobStatus
    from quxiang.reports.jobs import national_export_start

    office = User.objects.get(username="bench_office")
    year = int(os.environ.get("SCALE_YEAR", "2026"))
    by_college = os.environ.get("SCALE_BY_COLLEGE") == "1"
    started = time.perf_counter()
    job = national_export_start(actor=office, year=year, by_college=by_college)
    deadline = started + float(os.environ.get("SCALE_EXPORT_TIMEOUT", "900"))
    while True:
        job.refresh_from_db()
        if not job.is_active:
            break
        if time.perf_counter() > deadline:
            raise SystemExit(f"export job {job.pk} not done after {deadline - started:.0f}s: {job.status}")
        time.sleep(0.25)
    took = time.perf_counter() - started
    if job.status != JobStatus.DONE:
        raise SystemExit(f"export job {job.pk} ended {job.status}: {job.error}")
    from django.conf import settings

    return {"job": job.pk, "seconds": took, "rows": job.progress_done, "attempts": job.attempts,
            "by_college": by_college, "object": job.result_file.name, "file_mb": job.result_file.size / 2**20,
            "storage": settings.STORAGES["default"]["BACKEND"],
            "runtime_s": (job.finished_at - job.created_at).total_seconds()
            if getattr(job, "finished_at", None) else None,
            "queued": Job.objects.filter(pk=job.pk).values_list("created_at", flat=True).first()}


if __name__ == "__main__":
    name = connection.settings_dict["NAME"]
    if "scale" not in name:
        sys.exit(f"refusing to measure {name!r}")
    what = sys.argv[1]
    print(json.dumps({"lookup": lookup, "statistics": stats, "export": export, "export_job": export_job}[what](), default=str))
