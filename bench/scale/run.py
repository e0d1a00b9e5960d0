"""Province-scale data: 1,000,000 students with records and 200,000 organisations in PostgreSQL.

    .venv/bin/python bench/scale/run.py --students 1000000 --organisations 200000

 1. checks the free disk (df) and refuses below --min-free-gb;
 2. (re)creates the database quxiang_scale_bench (bench/generate_cohort.py refuses names without
    "bench") and fills it with bench/generate_cohort.py (COPY; its own realistic mix of states/types);
 3. measures, under the production settings (bench/load/load_settings.py): the USCC lookup (selector and
    /api/v1/organisations/{uscc}), the statistics selector and page — with the production planner setting
    and with PostgreSQL's default join_collapse_limit, to show the setting costs the reports nothing —
    and the national export (rows/s, peak RSS) in a process of its own;
 4. drops the database (unless --keep) and prints/writes the report (--out).
Every step has a time limit; the whole run is bounded by --max-minutes."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "load"))

from common import PYTHON, ROOT, Stack, drop_database, log, pg_url, recreate_database  # noqa: E402

DB = "quxiang_scale_bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=1_000_000)
    parser.add_argument("--organisations", type=int, default=200_000)
    parser.add_argument("--min-free-gb", type=float, default=15)
    parser.add_argument("--max-minutes", type=float, default=75)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--out", default=None)
    parser.add_argument("--report-only", metavar="RESULT_JSON", help="re-render report.md from a result.json")
    args = parser.parse_args()
    if args.report_only:
        print(markdown(json.loads(Path(args.report_only).read_text())))
        return
    deadline = time.monotonic() + args.max_minutes * 60
    usage = shutil.disk_usage("/work")
    free_gb = usage.free / 2**30
    log(f"df /work: {free_gb:.1f} GiB free of {usage.total / 2**30:.0f} GiB")
    if free_gb < args.min_free_gb:
        sys.exit(f"only {free_gb:.1f} GiB free: refusing (need {args.min_free_gb})")
    run_dir = Path(tempfile.mkdtemp(prefix="quxiang-scale-"))
    out_dir = Path(args.out) if args.out else run_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    stack = Stack(dbname=DB, run_dir=run_dir, app_name="quxiang_scale")
    report: dict = {"date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                    "command": " ".join(sys.argv), "disk_free_gb_before": round(free_gb, 1)}

    def left() -> float:
        remaining = deadline - time.monotonic()
        if remaining < 30:
            raise SystemExit("time budget exhausted")
        return remaining

    try:
        recreate_database(DB)
        t0 = time.perf_counter()
        env = stack.env(DJANGO_SETTINGS_MODULE="config.settings.base", DJANGO_DEBUG="0")
        gen = subprocess.run(
            [PYTHON, str(ROOT / "bench" / "generate_cohort.py"), "--students", str(args.students),
             "--organisations", str(args.organisations), "--reset"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=left())
        if gen.returncode:
            raise SystemExit(f"generate_cohort failed:\n{gen.stdout[-3000:]}\n{gen.stderr[-3000:]}")
        report["generate"] = {"seconds": time.perf_counter() - t0, "log": gen.stdout.strip().splitlines()[-8:]}
        log(f"generated in {report['generate']['seconds']:.0f}s")
        import psycopg

        with psycopg.connect(pg_url(DB), autocommit=True) as conn:
            report["db_size"] = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
            report["counts"] = dict(conn.execute(
                "SELECT 'students', count(*) FROM roster_student UNION ALL "
                "SELECT 'registrations', count(*) FROM registrations_registration UNION ALL "
                "SELECT 'organisations', count(*) FROM organisations_organisation").fetchall())
        log(f"database {report['db_size']}, {report['counts']}")

        stack.manage("collectstatic", "--noinput")  # the page renders with the manifest storage

        def measure(what: str, **extra: str) -> dict:
            t = time.perf_counter()
            try:
                result = stack.django("../scale/measure.py", what, timeout=left(),
                                      DJANGO_ALLOWED_HOSTS="testserver,127.0.0.1", **extra)
            except (SystemExit, subprocess.TimeoutExpired) as exc:  # keep the other measurements
                log(f"{what} failed: {str(exc)[-600:]}")
                return {"error": str(exc)[-600:]}
            log(f"{what} {extra or ''} in {time.perf_counter() - t:.0f}s: {json.dumps(result)[:400]}")
            return result

        report["lookup"] = measure("lookup")
        report["statistics"] = measure("statistics")
        report["statistics_pg_default_planner"] = measure("statistics", DB_PG_OPTIONS="-c join_collapse_limit=8")
        report["export"] = measure("export")
    finally:
        if not args.keep:
            drop_database(DB)
            report["dropped"] = True
        shutil.rmtree(run_dir / "var", ignore_errors=True)
        report["disk_free_gb_after"] = round(shutil.disk_usage("/work").free / 2**30, 1)
        (out_dir / "result.json").write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    md = markdown(report)
    (out_dir / "report.md").write_text(md)
    print(md)


def markdown(r: dict) -> str:
    failed = [k for k in ("lookup", "statistics", "statistics_pg_default_planner", "export") if "error" in r.get(k, {})]
    if failed:
        return f"### Scale run {r['date']}\n\nFailed: " + "; ".join(f"{k}: {r[k]['error'][-300:]}" for k in failed)
    lk, st, sd, ex = r["lookup"], r["statistics"], r["statistics_pg_default_planner"], r["export"]
    return "\n".join([
        f"### Scale run {r['date']}", "", f"`{r['command']}`", "",
        f"Generated with bench/generate_cohort.py in {r['generate']['seconds']:.0f} s: {r['counts']}; database "
        f"{r['db_size']}. Disk free before {r['disk_free_gb_before']} GiB, after dropping {r['disk_free_gb_after']} GiB.",
        "",
        "| measurement | n | p50 ms | p95 ms | p99 ms | max ms |", "|---|---|---|---|---|---|",
        f"| organisation_lookup() — {lk['organisations']:,} organisations, {lk['hits']} hits of {lk['lookups']} | "
        f"{lk['selector']['n']} | {lk['selector']['p50_ms']:.2f} | {lk['selector']['p95_ms']:.2f} | "
        f"{lk['selector']['p99_ms']:.2f} | {lk['selector']['max_ms']:.1f} |",
        f"| GET /api/v1/organisations/{{uscc}} (full Django stack, test client) {lk['api_statuses']} | "
        f"{lk['api']['n']} | {lk['api']['p50_ms']:.2f} | {lk['api']['p95_ms']:.2f} | {lk['api']['p99_ms']:.2f} | "
        f"{lk['api']['max_ms']:.1f} |",
        f"| cohort_statistics() — {st['students']:,} students, {st['records']:,} records (join_collapse_limit "
        f"{st['join_collapse_limit']}) | {st['selector']['n']} | {st['selector']['p50_ms']:.0f} | "
        f"{st['selector']['p95_ms']:.0f} | {st['selector']['p99_ms']:.0f} | {st['selector']['max_ms']:.0f} |",
        f"| GET /office/reports/?year=… ({st['page_bytes'] / 1024:.0f} KiB) | {st['page']['n']} | "
        f"{st['page']['p50_ms']:.0f} | {st['page']['p95_ms']:.0f} | {st['page']['p99_ms']:.0f} | "
        f"{st['page']['max_ms']:.0f} |",
        f"| cohort_statistics() with PostgreSQL's default join_collapse_limit {sd['join_collapse_limit']} | "
        f"{sd['selector']['n']} | {sd['selector']['p50_ms']:.0f} | {sd['selector']['p95_ms']:.0f} | "
        f"{sd['selector']['p99_ms']:.0f} | {sd['selector']['max_ms']:.0f} |",
        "",
        f"National export (services.national_export_create, xlsx to a temporary file): {ex['rows']:,} rows in "
        f"{ex['seconds']:.0f} s = **{ex['rows_per_s']:,.0f} rows/s**, file {ex['file_mb']:.0f} MiB, peak RSS of the "
        f"process {ex['max_rss_mb_after']:.0f} MiB (after Django setup {ex['max_rss_mb_before']:.0f} MiB).",
        "",
        "Lookup plan: `" + " / ".join(p.strip() for p in lk["plan"][:2]) + "`",
        "",
    ])


if __name__ == "__main__":
    main()
