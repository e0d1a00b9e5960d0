"""Province-scale data: 1,000,000 students with records and 200,000 organisations in PostgreSQL.

    .venv/bin/python bench/scale/run.py --students 1000000 --organisations 200000

 1. checks the free disk (df) and refuses below --min-free-gb;
 2. (re)creates the database quxiang_scale_bench (bench/generate_cohort.py refuses names without
    "bench") and fills it with bench/generate_cohort.py (COPY; its own realistic mix of states/types);
 3. `manage.py statistics_recount`: the generator writes records with COPY, not through the services, so
    the per-student state the statistics read is filled the way a migration's backfill fills it (timed);
 4. measures, under the production settings (bench/load/load_settings.py): the USCC lookup (selector, 3
    rounds of 2,000, and /api/v1/organisations/{uscc}), the statistics selector and page — with the
    production planner setting and with PostgreSQL's default join_collapse_limit;
 5. the national export **as the office runs it**: a job queued on Redis (db 8), run by a `celery -A config
    worker` (prefork, concurrency 1, a fresh worker per run) with its file stored in an S3 bucket served by
    moto's server on 127.0.0.1; --export-runs runs of the whole cohort, one more with one sheet per college;
    seconds from queued to done and the peak RSS (VmHWM) of the pool process that ran it;
 6. the roster import of --import-rows rows as a job through a real worker on PostgreSQL + Redis
    (bench/worker_import.py, its own database), --import-runs times;
 7. drops the database (unless --keep) and prints/writes the report (--out).
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

import psycopg  # noqa: E402
from common import PYTHON, ROOT, Stack, drop_database, log, pg_url, recreate_database  # noqa: E402
from export_job import export_jobs, import_jobs, loadavg  # noqa: E402

DB = "quxiang_scale_bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=1_000_000)
    parser.add_argument("--organisations", type=int, default=200_000)
    parser.add_argument("--min-free-gb", type=float, default=15)
    parser.add_argument("--max-minutes", type=float, default=75)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="measure the kept database; do not generate")
    parser.add_argument("--export-runs", type=int, default=3)
    parser.add_argument("--import-rows", type=int, default=20_000)
    parser.add_argument("--import-runs", type=int, default=3)
    parser.add_argument("--skip", default="", help="comma-separated: lookup,statistics,export,import")
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

    skip = set(filter(None, args.skip.split(",")))
    try:
        report["load_before"] = loadavg()
        if args.reuse:
            generate = False
            report["generate"] = {"seconds": 0, "log": ["reused the kept database"]}
        else:
            generate = True
            recreate_database(DB)
        t0 = time.perf_counter()
        env = stack.env(DJANGO_SETTINGS_MODULE="config.settings.base", DJANGO_DEBUG="0")
        if generate:
            gen = subprocess.run(
                [PYTHON, str(ROOT / "bench" / "generate_cohort.py"), "--students", str(args.students),
                 "--organisations", str(args.organisations), "--reset"],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=left())
            if gen.returncode:
                raise SystemExit(f"generate_cohort failed:\n{gen.stdout[-3000:]}\n{gen.stderr[-3000:]}")
            report["generate"] = {"seconds": time.perf_counter() - t0, "log": gen.stdout.strip().splitlines()[-8:]}
            log(f"generated in {report['generate']['seconds']:.0f}s")
            t0 = time.perf_counter()
            stack.manage("migrate", "--noinput", timeout=left())
            recount = stack.manage("statistics_recount", timeout=left())
            report["recount"] = {"seconds": time.perf_counter() - t0, "output": recount.strip().splitlines()[-1:]}
            log(f"statistics_recount in {report['recount']['seconds']:.0f}s")
            with psycopg.connect(pg_url(DB), autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")  # as autovacuum would have by the time an office looks
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

        if "lookup" not in skip:
            report["lookup"] = measure("lookup")
        if "statistics" not in skip:
            report["statistics"] = measure("statistics")
            report["statistics_pg_default_planner"] = measure("statistics", DB_PG_OPTIONS="-c join_collapse_limit=8")
        def guarded(what: str, run) -> dict:  # a failed part keeps the others' figures
            try:
                return run()
            except (SystemExit, subprocess.TimeoutExpired, OSError) as exc:
                log(f"{what} failed: {str(exc)[-600:]}")
                return {"error": str(exc)[-600:]}

        if "export" not in skip:
            report["export_jobs"] = guarded("export jobs", lambda: export_jobs(
                stack=stack, run_dir=run_dir, runs=args.export_runs, left=left))
        if "import" not in skip:
            report["import_jobs"] = guarded("import jobs", lambda: import_jobs(
                rows=args.import_rows, runs=args.import_runs, left=left))
        report["load_after"] = loadavg()
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


def _pct(d: dict) -> str:
    return f"{d['n']} | {d['p50_ms']:.2f} | {d['p95_ms']:.2f} | {d['p99_ms']:.2f} | {d['max_ms']:.1f}"


def markdown(r: dict) -> str:
    lines = [f"### Scale run {r['date']}", "", f"`{r['command']}`", "",
             f"Load average before {r.get('load_before')}, after {r.get('load_after')} (2 cores).", ""]
    gen = r.get("generate", {})
    lines += [f"Generated with bench/generate_cohort.py in {gen.get('seconds', 0):.0f} s: {r.get('counts')}; "
              f"database {r.get('db_size')}; statistics_recount {r.get('recount', {}).get('seconds', 0):.0f} s. "
              f"Disk free before {r['disk_free_gb_before']} GiB, after {r.get('disk_free_gb_after')} GiB.", ""]
    failed = {k: v["error"] for k, v in r.items() if isinstance(v, dict) and "error" in v}
    if failed:
        lines += ["Failed: " + "; ".join(f"{k}: {v[-300:]}" for k, v in failed.items()), ""]
    lk, st, sd = r.get("lookup"), r.get("statistics"), r.get("statistics_pg_default_planner")
    lines += ["| measurement | n | p50 ms | p95 ms | p99 ms | max ms |", "|---|---|---|---|---|---|"]
    if lk and "error" not in lk:
        for i, rnd in enumerate(lk.get("rounds", [lk["selector"]]), start=1):
            lines.append(f"| organisation_lookup() round {i} — {lk['organisations']:,} organisations, "
                         f"{lk['hits']} hits of {lk['lookups']} | {_pct(rnd)} |")
        lines.append(f"| GET /api/v1/organisations/{{uscc}} (full Django stack, test client) {lk['api_statuses']} | "
                     f"{_pct(lk['api'])} |")
    if st and "error" not in st:
        lines.append(f"| cohort_statistics() — {st['students']:,} students, {st['records']:,} records "
                     f"(join_collapse_limit {st['join_collapse_limit']}) | {_pct(st['selector'])} |")
        lines.append(f"| GET /office/reports/?year=… ({st['page_bytes'] / 1024:.0f} KiB) | {_pct(st['page'])} |")
    if sd and "error" not in sd:
        lines.append(f"| cohort_statistics() with join_collapse_limit {sd['join_collapse_limit']} | "
                     f"{_pct(sd['selector'])} |")
    if lk and "error" not in lk:
        p99s = ", ".join(f"{x['p99_ms']:.2f}" for x in lk.get("rounds", []))
        lines += ["", f"USCC lookup p99 per round: {p99s} ms (median {lk.get('p99_median_ms', 0):.2f} ms)."]
    ej = r.get("export_jobs")
    if ej and "error" not in ej:
        lines += ["", "National export as a job (Redis broker, Celery worker, file in the S3 bucket):", "",
                  "| run | sheets | rows | queued → done s | pool process peak RSS MiB | worker CPU s | file MiB | attempts |",
                  "|---|---|---|---|---|---|---|---|"]
        for i, x in enumerate(ej["runs"], start=1):
            lines.append(f"| {i} | {'per college' if x['by_college'] else 'one'} | {x['rows']:,} | {x['seconds']:.1f} | "
                         f"{x['pool_hwm_mb']:.0f} | {x['worker_cpu_s']:.1f} | {x['file_mb']:.0f} | {x['attempts']} |")
        lines += ["", f"Median of the whole-cohort runs: **{ej['median_seconds']:.1f} s**, peak RSS **{ej['median_hwm_mb']:.0f} MiB** "
                  f"(max {ej['max_hwm_mb']:.0f}); objects in the bucket: {ej.get('objects')}."]
    ij = r.get("import_jobs")
    if ij and "error" not in ij:
        lines += ["", f"Roster import of {ij['rows']:,} rows as jobs (bench/worker_import.py, PostgreSQL + Redis): "
                  + ", ".join(f"{x['total_s']:.2f} s (check {x['preview_s']:.2f} + import {x['import_s']:.2f})"
                              for x in ij["runs"]) + f"; median **{ij['median_total_s']:.2f} s**."]
    if lk and "plan" in lk:
        lines += ["", "Lookup plan: `" + " / ".join(p.strip() for p in lk["plan"][:3]) + "`"]
    return "\n".join(lines + [""])


if __name__ == "__main__":
    main()
