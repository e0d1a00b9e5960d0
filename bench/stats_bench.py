"""Time the statistics selector and page (GET /office/reports/) on a large cohort and on the small demo.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/quxiang_bench .venv/bin/python bench/stats_bench.py \\
        --year 2026 --small-year 2027 --runs 7

The large cohort comes from bench/generate_cohort.py, the small one from `manage.py seed_demo` in the
same database (300 students, 2027; if it has no records yet they are added with
quxiang.testing.factories.make_sample_records). Each measurement is run once to warm up, then --runs
times; the median, min and max are printed as a Markdown table, with the page/selector ratio
large : small. Runs as the office account (everything in scope) with DEBUG off."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ["DJANGO_DEBUG"] = "0"

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from quxiang.accounts.models import Role, User  # noqa: E402
from quxiang.registrations.models import Registration  # noqa: E402
from quxiang.reports.selectors import AGGREGATION_WORK_MEM, cohort_statistics, grouped_counts_queryset  # noqa: E402
from quxiang.roster.models import Student  # noqa: E402


def timed(fn, runs: int) -> list[float]:
    fn()  # warm up (connections, caches, query plans)
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def row(label: str, times: list[float]) -> str:
    ms = [t * 1000 for t in times]
    return f"| {label} | {statistics.median(ms):.0f} | {min(ms):.0f} | {max(ms):.0f} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--year", type=int, default=2026, help="the large cohort")
    parser.add_argument("--small-year", type=int, default=2027, help="the demo cohort (seed_demo)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the aggregation")
    args = parser.parse_args()

    name = connection.settings_dict.get("NAME") or ""
    if connection.vendor != "postgresql" or "bench" not in name:
        sys.exit("refusing to run: DATABASE_URL must name a PostgreSQL database called like *bench*")
    office = User.objects.filter(role=Role.OFFICE).order_by("pk").first()
    if office is None:
        sys.exit("no office account: run bench/generate_cohort.py first")
    small = Student.objects.filter(graduation_year=args.small_year)
    if small.exists() and not Registration.objects.filter(student__graduation_year=args.small_year).exists():
        from quxiang.testing.factories import make_sample_records

        made = make_sample_records(students=small.order_by("pk"))
        print(f"added {made} sample records to the {args.small_year} demo cohort")

    client = Client()
    client.force_login(office)
    url = reverse("reports:statistics")
    results = {}
    for label, year in (("large", args.year), ("small", args.small_year)):
        n = Student.objects.filter(graduation_year=year).count()
        if not n:
            print(f"no {label} cohort {year}: skipped")
            continue
        with_records = Registration.objects.filter(student__graduation_year=year).exclude(status="superseded").count()

        def page(year=year):
            response = client.get(url, {"year": year})
            assert response.status_code == 200, response.status_code
            return response

        size = len(page().content)
        results[label] = {
            "n": n, "records": with_records, "bytes": size,
            "selector": timed(lambda year=year: cohort_statistics(user=office, year=year), args.runs),
            "page": timed(page, args.runs),
        }

    print(f"\n| measurement ({args.runs} runs after 1 warm-up) | median ms | min ms | max ms |")
    print("|---|---|---|---|")
    for label, r in results.items():
        print(row(f"{label}: cohort_statistics() — {r['n']:,} students, {r['records']:,} open/verified records",
                  r["selector"]))
        print(row(f"{label}: GET /office/reports/?year=… — page {r['bytes'] / 1024:.0f} KiB", r["page"]))
    big, little = results.get("large"), results.get("small")
    if big and little:
        for what in ("selector", "page"):
            ratio = statistics.median(big[what]) / statistics.median(little[what])
            print(f"\n{what}: large/small median ratio {ratio:.1f}× for {big['n'] / little['n']:.0f}× the students")
    if args.explain:
        qs_sql, params = grouped_counts_queryset(user=office, year=args.year).query.sql_with_params()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{AGGREGATION_WORK_MEM}'")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + qs_sql, params)
            print("\n" + "\n".join(r[0] for r in cursor.fetchall()))


if __name__ == "__main__":
    main()
