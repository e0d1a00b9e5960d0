"""The national export of a large cohort: our streamed xlsxwriter export vs pandas `DataFrame.to_excel`.

    .venv/bin/pip install -r bench/requirements.txt      # pandas, for this benchmark only
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/quxiang_bench .venv/bin/python bench/export_bench.py \\
        --year 2026 --runs 3

Both sides export the same rows with the same cell text (quxiang.reports.national.export_cells, escaped
with safe_cell, national ID masked):

* ours    — quxiang.reports.services.national_export_create: values_list + .iterator(chunk_size=2000)
            (a server-side cursor on PostgreSQL) into xlsxwriter with {"constant_memory": True}, written
            to a file; exactly what the download view sends.
* pandas  — the usual way: list(values_list) → DataFrame → to_excel(engine="openpyxl").

Each measurement runs in a fresh subprocess (alternating ours / pandas, --runs times each). The child
reports its own wall and CPU time (user+sys of the Python process; PostgreSQL's own work is not in it) for
the export (Django setup excluded) and its peak RSS from resource.getrusage(RUSAGE_SELF).ru_maxrss, plus
its RSS after Django setup (the baseline both share). Ours also runs once on the small demo cohort
(--small-year) to show that its peak memory does not grow with the cohort. Medians are printed as a
Markdown table."""

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


def child(impl: str, year: int, out: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ["DJANGO_DEBUG"] = "0"
    import django

    django.setup()
    from quxiang.accounts.models import Role, User

    office = User.objects.filter(role=Role.OFFICE).order_by("pk").first()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    baseline, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    if impl == "ours":
        from quxiang.reports.services import national_export_create

        with open(out, "w+b") as fh:
            rows = national_export_create(actor=office, year=year, out=fh).rows
    else:
        import pandas as pd

        from quxiang.reports.national import EXPORT_COLUMNS, export_cells, national_export_rows
        from quxiang.reviews.exports import safe_cell

        records = list(national_export_rows(user=office, year=year))
        cells = [[safe_cell(v) for v in row] for row in export_cells(records, full_id=False)]
        frame = pd.DataFrame(cells, columns=EXPORT_COLUMNS, dtype=str)
        frame.to_excel(out, index=False, engine="openpyxl", sheet_name="毕业去向")
        rows = len(frame)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"impl": impl, "rows": rows, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime - cpu_before,
                      "peak_kb": usage.ru_maxrss, "baseline_kb": baseline, "bytes": os.path.getsize(out)}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--small-year", type=int, default=2027,
                        help="also run ours once on this (small) cohort: peak memory must not depend on size")
    parser.add_argument("--child", choices=["ours", "pandas"])
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.year, args.out)
        return

    results: dict[str, list[dict]] = {"ours": [], "pandas": []}

    def measure(impl: str, year: int, out: str) -> dict:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", impl, "--year", str(year), "--out", out],
            capture_output=True, text=True, env=os.environ.copy(), check=False,
        )
        if proc.returncode:
            sys.exit(proc.stderr)
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{impl:6s} {year}: {result['rows']:,} rows, {result['wall']:.1f} s wall, {result['cpu']:.1f} s CPU, "
              f"peak RSS {result['peak_kb'] / 1024:.0f} MiB (baseline {result['baseline_kb'] / 1024:.0f} MiB), "
              f"{result['bytes'] / 1024 / 1024:.1f} MiB file", flush=True)
        return result

    with tempfile.TemporaryDirectory(prefix="quxiang-export-bench-") as tmp:
        small = measure("ours", args.small_year, str(Path(tmp) / "small.xlsx")) if args.small_year else None
        for _run in range(args.runs):
            for impl in ("ours", "pandas"):
                results[impl].append(measure(impl, args.year, str(Path(tmp) / f"{impl}.xlsx")))
        import openpyxl

        for impl in ("ours", "pandas"):
            sheet = openpyxl.load_workbook(Path(tmp) / f"{impl}.xlsx", read_only=True).active
            print(f"{impl}: sheet dimension {sheet.calculate_dimension()}")

    def med(impl: str, key: str) -> float:
        return statistics.median(r[key] for r in results[impl])

    print(f"\n| {args.runs} runs each, medians | wall s | CPU s | peak RSS MiB | RSS over baseline MiB | file MiB |")
    print("|---|---|---|---|---|---|")
    for impl, label in (("ours", "ours: xlsxwriter constant_memory + iterator"), ("pandas", "pandas to_excel (openpyxl)")):
        print(f"| {label} | {med(impl, 'wall'):.1f} | {med(impl, 'cpu'):.1f} | {med(impl, 'peak_kb') / 1024:.0f} | "
              f"{(med(impl, 'peak_kb') - med(impl, 'baseline_kb')) / 1024:.0f} | {med(impl, 'bytes') / 1024 / 1024:.1f} |")
    if small:
        print(f"| ours on the {small['rows']:,}-row cohort {args.small_year} (1 run) | {small['wall']:.1f} | "
              f"{small['cpu']:.1f} | {small['peak_kb'] / 1024:.0f} | {(small['peak_kb'] - small['baseline_kb']) / 1024:.0f} | "
              f"{small['bytes'] / 1024 / 1024:.2f} |")
    speed = med("pandas", "wall") / med("ours", "wall")
    cpu = med("pandas", "cpu") / med("ours", "cpu")
    memory = (med("pandas", "peak_kb") - med("pandas", "baseline_kb")) / max(
        med("ours", "peak_kb") - med("ours", "baseline_kb"), 1)
    print(f"\nours is {speed:.1f}× faster by wall time ({cpu:.1f}× by CPU time) and uses {memory:.0f}× less memory over the baseline "
          f"({med('ours', 'peak_kb') / med('pandas', 'peak_kb'):.0%} of pandas' peak RSS).")


if __name__ == "__main__":
    main()
