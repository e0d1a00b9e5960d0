"""Seed the cluster bench's database (run by run.py under bench/load/load_settings, i.e. the production
settings with the bench's fast password hasher): bench/load/seed.py's cohort and directory, plus
bench/import_bench.py's school (college, majors, counselors) and its 20,000-row roster workbook, which the
office user then uploads through the web pages. Prints one JSON object on its last line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import django
from django.db import connection

DBNAME = "quxiang_cluster_bench"


class _Named:
    """bench/load/seed.py only seeds databases whose name says load or fault; this one is the cluster's."""

    vendor = "postgresql"

    def __init__(self, real) -> None:
        self.settings_dict = {**real.settings_dict, "NAME": real.settings_dict["NAME"] + "_load"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, required=True)
    parser.add_argument("--organisations", type=int, default=500)
    parser.add_argument("--import-rows", type=int, default=20_000)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    django.setup()
    if connection.vendor != "postgresql" or connection.settings_dict["NAME"] != DBNAME:
        sys.exit(f"refusing to seed {connection.settings_dict['NAME']!r}")
    out = Path(args.dir)

    import seed  # bench/load/seed.py

    seed.connection = _Named(connection)
    sys.argv = ["seed.py", "--students", str(args.students), "--organisations", str(args.organisations),
                "--out", str(out / "students.json")]
    seed.main()  # prints its own JSON line

    from bench.import_bench import build_school, write_file

    college, majors, counselors, counties = build_school(rows=args.import_rows)
    path = out / f"roster-{args.import_rows}.xlsx"
    write_file(path, rows=args.import_rows, college=college, majors=majors, counselors=counselors,
               counties=counties)
    print(json.dumps({"workbook": str(path), "bytes": path.stat().st_size, "rows": args.import_rows}))


if __name__ == "__main__":
    main()
