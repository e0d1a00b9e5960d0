"""The planted-cohort trust bench (issue 12): do the integrity checks catch copied, mismatched and clustered
evidence, and leave the innocent look-alikes alone? One command:

    .venv/bin/python bench/trust/run.py                      # 640 students, SQLite in a temp dir, ≈ 10–15 min
    .venv/bin/python bench/trust/run.py --students 160 --no-scale --no-report   # a quick look while developing
    .venv/bin/python bench/trust/run.py --database-url postgres://postgres@127.0.0.1:5432/quxiang_trust_bench

What it does (bench/trust/cohort.py describes the planted patterns and the innocent look-alikes):
1. a throwaway database (a SQLite file under a temp dir, or the PostgreSQL database named in
   --database-url, dropped and created again; its name must start with quxiang_ and contain "bench"),
   migrated; settings config.settings.base;
2. the cohort through the real services (bench/trust/build.py), with a simulated clock for the season;
   the labels (which record is which planted pattern) go to a side file, labels.json, never to the database;
3. every evidence file read by the real reader (evidence_read: text layer, OCR) in --processes worker
   processes (2: this machine's cores), images first;
4. every check of checks.CHECKS (checks_run); per planted pattern the recall (planted records flagged by a
   check meant for the pattern, cohort.PATTERNS; and by any check), the false-flag rate (innocent records
   flagged by any check), which check caught what, and every miss and false flag with its reason;
5. (unless --no-scale) records written straight to the tables up to --scale-records (15,000) records on
   file, with readings from rendered text (no OCR), and checks_run timed: one cold run, then --runs warm runs;
6. the report: bench/results/trust.md (--report), with the command, date, load before/after, figures.

Exit status 0 whatever the figures (they are the report's business)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

SEASON_START = dt.datetime(2026, 9, 7, tzinfo=dt.UTC)
TARGET_RECALL, TARGET_FALSE, TARGET_SECONDS = 0.90, 0.02, 10.0


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def loadavg() -> str:
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])


def _pg_admin(url: str, sql: str) -> None:
    import psycopg

    admin = urlunparse(urlparse(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)


def setup_database(url: str | None, tmp: Path) -> tuple[str, str | None]:
    if url:
        name = urlparse(url).path.lstrip("/")
        if not (name.startswith("quxiang_") and "bench" in name and name.replace("_", "").isalnum()):
            raise SystemExit(f"refusing to (re)create database {name!r}: its name must start with quxiang_ and contain bench")
        _pg_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _pg_admin(url, f'CREATE DATABASE "{name}"')
        return url, name
    return f"sqlite:///{tmp / 'trust.sqlite3'}", None


def pct(n: int, d: int) -> str:
    return f"{n / d * 100:.1f} %" if d else "—"


def score(cohort, ids: dict[str, int], results) -> dict:
    """Recall per pattern, false flags, the check × label table, misses and false flags with reasons."""
    from bench.trust.cohort import PATTERNS

    flagged_by: dict[str, set[int]] = {}
    reasons: dict[int, list[str]] = defaultdict(list)
    for check, findings in results:
        flagged_by[check.key] = {i for f in findings for i in f.registration_ids}
        for f in findings:
            for i in f.registration_ids:
                reasons[i].append(f"{check.key}: {f.reason}")
    plans = [p for p in cohort.plans if p.number in ids]
    out = {"patterns": {}, "table": {}, "misses": [], "false_flags": [], "checks": [c.key for c, _f in results]}
    for pattern, relevant in PATTERNS.items():
        planted = [p for p in plans if p.label == pattern]
        caught = [p for p in planted if any(ids[p.number] in flagged_by[k] for k in relevant)]
        caught_any = [p for p in planted if reasons.get(ids[p.number])]
        by_variant: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for p in planted:
            by_variant[p.variant][1] += 1
            by_variant[p.variant][0] += p in caught
        out["patterns"][pattern] = {"planted": len(planted), "caught": len(caught), "caught_any": len(caught_any),
                                    "relevant": relevant, "variants": dict(by_variant)}
        out["misses"] += [p for p in planted if p not in caught]
    fakes = [p for p in plans if p.label in PATTERNS]
    out["fakes"] = (sum(1 for p in fakes if p not in out["misses"]), len(fakes))
    innocent = [p for p in plans if p.label == "innocent"]
    with_evidence = [p for p in innocent if p.evidence]
    out["false_flags"] = [p for p in innocent if reasons.get(ids[p.number])]
    out["innocent"] = (len(out["false_flags"]), len(innocent), len(with_evidence))
    sources = [p for p in plans if p.label == "copy_source"]
    out["sources"] = (sum(1 for p in sources if reasons.get(ids[p.number])), len(sources))
    for label in (*PATTERNS, "copy_source", "innocent"):
        members = [p for p in plans if p.label == label]
        out["table"][label] = {"n": len(members), **{k: sum(1 for p in members if ids[p.number] in v)
                                                     for k, v in flagged_by.items()}}
    out["reasons"] = reasons
    innocent_variants: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for p in innocent:
        innocent_variants[p.variant][1] += 1
        innocent_variants[p.variant][0] += bool(reasons.get(ids[p.number]))
    out["innocent_variants"] = dict(innocent_variants)
    return out


def evidence_view(reg_id: int) -> list[dict]:
    from quxiang.evidence.models import EvidenceReading

    return [{"file": r.evidence.original_name, "status": r.status, "confidence": r.confidence, "fields": r.fields}
            for r in EvidenceReading.objects.filter(evidence__registration_id=reg_id).select_related("evidence")]


def copy_similarity(cohort, ids: dict[str, int]) -> dict[str, float]:
    """For each copy: the estimated content similarity (MinHash, template removed, as the check computed
    it) between the copy and its source — why a copy was or was not caught."""
    from quxiang.evidence import similarity
    from quxiang.evidence.models import EvidenceReading

    sig = {reg: bytes(s or b"") for reg, s in EvidenceReading.objects.filter(
        evidence__registration_id__in=list(ids.values())).values_list("evidence__registration_id", "content_signature")}
    out = {}
    for p in cohort.plans:
        if p.label == "copy" and p.number in ids:
            source = p.evidence[0].source
            out[p.number] = similarity.signature_similarity(sig.get(ids[p.number], b""), sig.get(ids.get(source, -1), b""))
    return out


def describe(p, ids, reasons, sims) -> str:
    ev = evidence_view(ids[p.number])
    def one(e: dict) -> str:
        confidence = "" if e["confidence"] is None else f" {e['confidence']:.2f}"
        f = e["fields"] or {}
        return (f"{e['file']} [{e['status']}{confidence}] orgs={f.get('orgs', [])} usccs={f.get('usccs', [])} "
                f"persons={f.get('persons', [])}")

    said = "; ".join(one(e) for e in ev) or "no evidence"
    typed = f"typed “{p.typed_name}” {p.typed_uscc}".strip()
    extra = f"; similarity to its source {sims[p.number]:.2f}" if p.number in sims else ""
    flags = " | ".join(reasons.get(ids[p.number], [])) or "not flagged"
    return (f"{p.number} {p.name} ({p.label}/{p.variant}; {p.note or '-'}); {typed}; evidence: {said}{extra}; "
            f"→ {flags}")


def report(args, figures: dict) -> str:
    s, sc, rd = figures["score"], figures.get("scale"), figures["reading"]
    lines = [
        "# Trust bench (issue 12): planted cohort, recall and false flags", "",
        f"Command: `{figures['command']}`  ", f"Date: {figures['date']} · machine: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, database {figures['database']} · load average before "
        f"{figures['load_before']}, after {figures['load_after']}  ",
        f"Cohort: {figures['students']} students, {figures['records']} records on file, {rd['files']} evidence files "
        f"({rd['images']} images read by OCR, {rd['pdfs']} text-layer PDFs); built through the services in "
        f"{figures['build_s']:.0f} s; read in {rd['wall']:.0f} s with {args.processes} processes "
        f"(OCR per image: median {rd['ocr_median']:.2f} s, p95 {rd['ocr_p95']:.2f} s wall in its process; "
        f"statuses {rd['statuses']}); checks on the cohort {figures['checks_s']:.2f} s. Labels: `{figures['labels']}`.",
        "", "## Recall per planted pattern", "",
        "| pattern | planted | caught by its check(s) | recall | caught by any check | variants (caught/planted) |",
        "|---|---|---|---|---|---|",
    ]
    from bench.trust.cohort import PATTERN_TITLES

    for pattern, v in s["patterns"].items():
        variants = ", ".join(f"{k} {a}/{b}" for k, (a, b) in sorted(v["variants"].items()))
        lines.append(f"| {PATTERN_TITLES[pattern]} — {' / '.join(v['relevant'])} | {v['planted']} | {v['caught']} | "
                     f"**{pct(v['caught'], v['planted'])}** | {v['caught_any']} | {variants} |")
    caught, planted = s["fakes"]
    ff, inn, inn_ev = s["innocent"]
    src_f, src_n = s["sources"]
    lines += [
        f"| **all planted fakes** | {planted} | {caught} | **{pct(caught, planted)}** | | |", "",
        f"**False flags: {ff} of {inn} innocent records = {pct(ff, inn)}** ({inn_ev} of them carry evidence; "
        f"{pct(ff, inn_ev)} of those). Copied originals (copy_source, counted in neither): {src_f} of {src_n} "
        "flagged together with their copies, as designed.", "",
        f"Targets: recall ≥ 90 % — **{'met' if planted and caught / planted >= TARGET_RECALL else 'not met'}**; "
        f"false flags ≤ 2 % — **{'met' if inn and ff / inn <= TARGET_FALSE else 'not met'}**.", "",
        "Innocent look-alikes (flagged/records): " + ", ".join(
            f"{k} {a}/{b}" for k, (a, b) in sorted(s["innocent_variants"].items())) + ".", "",
        "## Which check flagged what (records)", "",
        "| label | records | " + " | ".join(s["checks"]) + " |", "|---|---|" + "---|" * len(s["checks"]),
    ]
    for label, row in s["table"].items():
        lines.append(f"| {label} | {row['n']} | " + " | ".join(str(row.get(k, 0)) for k in s["checks"]) + " |")
    lines += ["", f"## Misses ({len(figures['misses'])})", ""]
    lines += [f"- {m}" for m in figures["misses"]] or ["none"]
    lines += ["", f"## False flags ({len(figures['false_flags'])})", ""]
    lines += [f"- {m}" for m in figures["false_flags"]] or ["none"]
    if sc:
        lines += ["", f"## The whole check run over {sc['records']:,} records", "",
                  f"{sc['records']} records on file: the cohort above plus {sc['added']} records written straight to the "
                  "tables (bench/trust/scale.py) with one reading each whose text is a rendered document's text layer "
                  "and whose fields come from evidence/fields.py — **no OCR in this part**; the readings are "
                  f"inserted, not read. Written in {sc['build_s']:.0f} s.", "",
                  f"`checks_run()`: cold (the near-duplicate cache of the {sc['readings']} new readings empty) "
                  f"**{sc['cold']:.2f} s**; then {len(sc['runs']) - 1} warm runs "
                  f"{' / '.join(f'{x:.2f}' for x in sc['runs'][1:])} s, **median {sc['median_warm']:.2f} s** "
                  f"(target < {TARGET_SECONDS:.0f} s: **{'met' if max(sc['cold'], sc['median_warm']) < TARGET_SECONDS else 'not met'}**). "
                  f"Load average before this part {sc['load_before']}, after {sc['load_after']}.", "",
                  "Per check (one more warm pass): " + ", ".join(f"{k} {v:.2f} s" for k, v in sc["per_check"].items())
                  + "."]
    return "\n".join(lines) + "\n"


def read_everything(args, env) -> dict:
    from bench.trust import readpool
    from quxiang.evidence.models import EvidenceFile

    files = list(EvidenceFile.objects.order_by("pk").values_list("pk", "content_type"))
    images = [pk for pk, ct in files if ct != "application/pdf"]
    pdfs = [pk for pk, ct in files if ct == "application/pdf"]
    log(f"reading {len(files)} files ({len(images)} images) with {args.processes} processes")
    started = time.perf_counter()
    results = readpool.read_all(images + pdfs, processes=args.processes, env=env, log=log)
    wall = time.perf_counter() - started
    image_set = set(images)
    ocr_times = sorted(t for pk, _s, t, _c in results if pk in image_set) or [0.0]
    reading = {"files": len(files), "images": len(images), "pdfs": len(pdfs), "wall": wall,
               "ocr_median": statistics.median(ocr_times),
               "ocr_p95": ocr_times[min(len(ocr_times) - 1, int(len(ocr_times) * 0.95))],
               "statuses": dict(Counter(str(s) for _pk, s, _t, _c in results))}
    log(f"read in {wall:.0f} s: {reading['statuses']}")
    return reading


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=640)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--processes", type=int, default=2, help="reader processes (default 2)")
    parser.add_argument("--database-url", default=None, help="postgres://…/quxiang_trust_bench (default: SQLite in a temp dir)")
    parser.add_argument("--scale-records", type=int, default=15000)
    parser.add_argument("--runs", type=int, default=3, help="warm checks_run runs at scale")
    parser.add_argument("--no-scale", action="store_true", help="skip the 15,000-record timing")
    parser.add_argument("--report", default=str(ROOT / "bench" / "results" / "trust.md"))
    parser.add_argument("--no-report", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (database, files, labels)")
    parser.add_argument("--rescore", metavar="DIR", help="development: run the checks and the scoring again on the "
                        "database a --keep run left in DIR (SQLite; same --students and --seed), nothing rebuilt or read")
    args = parser.parse_args()

    load_before = loadavg()
    if args.rescore:
        tmp, pg_name, args.keep, args.no_scale, args.no_report = Path(args.rescore), None, True, True, True
        url = f"sqlite:///{tmp / 'trust.sqlite3'}"
    else:
        tmp = Path(tempfile.mkdtemp(prefix="quxiang-trust-bench-"))
        url, pg_name = setup_database(args.database_url, tmp)
    env = {"DATABASE_URL": url, "QUXIANG_VAR_DIR": str(tmp), "DJANGO_SETTINGS_MODULE": "config.settings.base",
           "CELERY_BROKER_URL": "memory://"}
    os.environ.update(env)
    os.environ.pop("REDIS_URL", None)
    figures: dict = {"command": "python " + " ".join([str(Path(sys.argv[0]).relative_to(ROOT)
                                                          if Path(sys.argv[0]).is_absolute() else sys.argv[0]), *sys.argv[1:]]),
                     "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "load_before": load_before,
                     "students": args.students}
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection

        settings.QUXIANG["EVIDENCE_READING"] = {**settings.QUXIANG.get("EVIDENCE_READING", {}), "MODE": "off"}
        figures["database"] = connection.vendor + (f" ({pg_name})" if pg_name else "")
        log(f"database {figures['database']}, files under {tmp}")
        if not args.rescore:
            call_command("migrate", verbosity=0)

        import random

        from bench.trust import build, scale
        from bench.trust.cohort import plan_cohort, schedule_verifications

        cohort = plan_cohort(students=args.students, seed=args.seed, regions=build.resolve_regions(), start=SEASON_START,
                             origins=build.origins_with_authority())
        schedule_verifications(cohort, random.Random(args.seed + 1))
        labels_path = tmp / "labels.json"
        labels_path.write_text(json.dumps(
            {p.number: {"label": p.label, "variant": p.variant, "type": p.dtype, "note": p.note} for p in cohort.plans},
            ensure_ascii=False, indent=1))
        figures["labels"] = str(labels_path) + (" (kept)" if args.keep else " (removed with the temp dir; --keep keeps it)")
        log(f"plan: {Counter(p.label for p in cohort.plans if p.dtype)}")
        if args.rescore:
            from quxiang.integrity.selectors import records_current

            ids = dict(records_current().values_list("student__student_number", "pk"))
            figures.update(build_s=0.0, records=len(ids), reading={"files": 0, "images": 0, "pdfs": 0, "wall": 0.0,
                                                                   "ocr_median": 0.0, "ocr_p95": 0.0, "statuses": {}})
        else:
            started = time.perf_counter()
            students, counselors = build.build_roster(cohort)
            ids = build.build_records(cohort, students, counselors, seed=args.seed, log=log)
            figures["build_s"] = time.perf_counter() - started
            figures["records"] = len(ids)
            figures["reading"] = read_everything(args, env)

        from quxiang.integrity import checks

        started = time.perf_counter()
        check_results = checks.checks_run()
        figures["checks_s"] = time.perf_counter() - started
        s = score(cohort, ids, check_results)
        figures["score"] = s
        sims = copy_similarity(cohort, ids)
        figures["misses"] = [describe(p, ids, s["reasons"], sims) for p in s["misses"]]
        figures["false_flags"] = [describe(p, ids, s["reasons"], sims) for p in s["false_flags"]]
        for pattern, v in s["patterns"].items():
            log(f"{pattern}: {v['caught']}/{v['planted']} by {v['relevant']} (any check {v['caught_any']}) {v['variants']}")
        log(f"all fakes {s['fakes']}; false flags {s['innocent'][0]}/{s['innocent'][1]}; sources {s['sources']}")
        for m in figures["misses"]:
            log("MISS " + m)
        for m in figures["false_flags"]:
            log("FALSE " + m)

        if not args.no_scale:
            before = loadavg()
            started = time.perf_counter()
            added, readings = scale.add_records(total=args.scale_records, start=SEASON_START, seed=args.seed, log=log)
            build_s = time.perf_counter() - started
            timing = scale.time_checks(runs=args.runs, log=log)
            figures["scale"] = {**timing, "added": added, "readings": readings, "build_s": build_s, "load_before": before,
                                "load_after": loadavg()}
        figures["load_after"] = loadavg()
        text = report(args, figures)
        if not args.no_report:
            Path(args.report).write_text(text)
            log(f"report written to {args.report}")
        else:
            print(text)
    finally:
        from django.db import connections

        connections.close_all()
        if pg_name and not args.keep:
            _pg_admin(args.database_url, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
