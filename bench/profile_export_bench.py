"""The national export under an export profile (issue 14) at scale: constant memory and time.

    createdb -h 127.0.0.1 -U postgres quxiang_q14_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/quxiang_q14_bench .venv/bin/python manage.py migrate
    DATABASE_URL=… .venv/bin/python bench/generate_cohort.py --students 100000 --organisations 20000 --reset
    DATABASE_URL=… .venv/bin/python bench/profile_export_bench.py --year 2026 --small-year 2027 --runs 3

Each measurement runs in a fresh subprocess: `reports.services.profile_export_build` under the seeded national
profile (masked IDs; `--clean-only` to leave out the records the pre-check lists), written to a file, as the job
does. The child reports wall and CPU time (user+sys of the Python process) of the export, its peak RSS
(getrusage ru_maxrss) and its RSS after Django setup. One run on a small cohort (--small-year, created with a
few hundred students if missing) shows that peak memory does not grow with the cohort. `--precheck` also times
the pre-check (which keeps its problems in memory: it is for one school's cohort, not a province)."""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child(year: int, out: str, clean_only: bool, what: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ["DJANGO_DEBUG"] = "0"
    import django

    django.setup()
    from quxiang.accounts.models import Role, User
    from quxiang.reports.models import ExportProfile, SchoolSettings

    SchoolSettings.objects.get_or_create(pk=1, defaults={"school_code": "10999", "school_name": "示范理工大学",
                                                         "authority_code": "360", "authority_name": "教育部"})
    username = os.environ.get("BENCH_USERNAME")  # e.g. a college officer: the same code on a smaller scope
    office = (User.objects.get(username=username) if username
              else User.objects.filter(role=Role.OFFICE).order_by("pk").first())
    profile = ExportProfile.objects.get(key="national", version=1)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    baseline, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    if what == "precheck":
        from quxiang.reports.precheck import precheck_run

        result = precheck_run(user=office, profile=profile, year=year)
        rows, extra = result.students, {"problems": len(result.problems), "clean": result.clean}
    else:
        from quxiang.reports.services import profile_export_build

        with open(out, "w+b") as fh:
            rows = profile_export_build(actor=office, year=year, profile=profile, clean_only=clean_only, out=fh).rows
        extra = {"bytes": os.path.getsize(out)}
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"rows": rows, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime - cpu_before,
                      "peak_mib": usage.ru_maxrss / 1024, "baseline_mib": baseline / 1024, **extra}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--small-year", type=int, default=2027)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clean-only", action="store_true")
    parser.add_argument("--precheck", action="store_true")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--what", default="export")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.child:
        child(args.year, args.out, args.clean_only, args.what)
        return

    def measure(year: int, what: str = "export") -> dict:
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [sys.executable, __file__, "--child", "--year", str(year), "--out", f"{tmp}/x.xlsx", "--what", what]
            if args.clean_only:
                cmd.append("--clean-only")
            done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
            return json.loads(done.stdout.strip().splitlines()[-1])

    runs = [measure(args.year) for _ in range(args.runs)]
    for r in runs:
        print(json.dumps(r))
    small = measure(args.small_year)
    print("small", json.dumps(small))
    med = {k: statistics.median(r[k] for r in runs) for k in ("wall", "cpu", "peak_mib", "baseline_mib")}
    print(f"| national profile{' (clean only)' if args.clean_only else ''} | {runs[0]['rows']:,} rows | "
          f"wall {med['wall']:.1f} s | CPU {med['cpu']:.1f} s | peak RSS {med['peak_mib']:.0f} MiB "
          f"(after setup {med['baseline_mib']:.0f}) | small cohort {small['rows']} rows: peak {small['peak_mib']:.0f} MiB |")
    if args.precheck:
        p = measure(args.year, "precheck")
        print("precheck", json.dumps(p))


if __name__ == "__main__":
    main()
