"""Load test of the whole student flow against gunicorn + PostgreSQL + Redis with the production settings.

    .venv/bin/python bench/load/run.py --students 300 --concurrency 100 --duration 60
    .venv/bin/python bench/load/run.py --mode api --students 300 --concurrency 100 --duration 60
    .venv/bin/python bench/load/run.py --mode mixed --students 1000 --concurrency 1000 --think 10 --ramp 60 --duration 70

What it does (all on 127.0.0.1; every loop bounded in count and time):
 1. drops and recreates the PostgreSQL database quxiang_load, migrates it, seeds N undergraduate
    students (must_change_password=False, a known password each, hashed with Django's MD5 hasher: see
    load_settings.py) and an organisation directory; flushes Redis db 12; collectstatic;
 2. starts gunicorn with config/gunicorn.conf.py and config.settings.production (through
    bench/load/load_settings.py) on a free loopback port, evidence under a fresh directory;
 3. warms up with a few complete flows (not counted);
 4. hammers the minimal view GET /healthz with the same concurrency for --minimal-seconds (the yardstick);
 5. runs the flow with --concurrency virtual students for --duration seconds (no new flow after that,
    running flows get a grace period; stops earlier when the students run out): login → home → status →
    开始 → type (dispatch_general) → organisation (page, regions.json, 检索匹配 lookup, save) → evidence
    (page, upload of a 300 KB PDF, page, next) → archive (page, 匹配 origin, save) → review → 提交 → status;
    --mode api: the mini-program's requests instead (bind through a fake WeChat server on 127.0.0.1 →
    开始 → type → 检索匹配 → organisation → upload → 匹配 → archive → 提交 → status, 10 requests);
    --mode mixed: every other student through the API;
 6. checks the database (check.py): submitted == acknowledged, no student with two open records, no
    evidence row without its file and no file without its row;
 7. prints the report (Markdown) and writes it, with the raw numbers as JSON, to --out.

CPU is read from /proc for the gunicorn tree, the PostgreSQL backends of quxiang_load, redis-server and
this client process, so the cost of one registration is in CPU-seconds. --full-hash stores real PBKDF2
hashes (production's hasher) to measure what a real login costs (use a low --concurrency for that)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from client import API_STEPS, STEPS, Results, drive_flows, hammer  # noqa: E402
from common import CpuMeter, Server, Stack, drop_database, free_port, log  # noqa: E402
from evidence_pdf import build_pdf  # noqa: E402
from fake_wechat import FakeWeChat  # noqa: E402

# Targets of issue 13 (server CPU-seconds per completed registration, app + PostgreSQL + Redis).
CPU_TARGET = {"web": 0.15, "api": 0.10}
P99_TARGET_MS = 300
RATIO_TARGET = 0.15
HTML_MAX_BYTES = 60 * 1024


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def step_table(results: Results, order: list[str]) -> list[dict]:
    rows = []
    for step in order:
        values = results.timings.get(step, [])
        if not values:
            continue
        rows.append({"step": step, "n": len(values), "p50_ms": pct(values, 50) * 1000,
                     "p95_ms": pct(values, 95) * 1000, "p99_ms": pct(values, 99) * 1000,
                     "max_ms": max(values) * 1000})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--duration", type=float, default=60, help="seconds during which new flows start")
    parser.add_argument("--minimal-seconds", type=float, default=15)
    parser.add_argument("--minimal-path", default="/healthz")
    parser.add_argument("--mode", choices=["web", "api", "mixed"], default="web",
                        help="the web pages, the mini-program API, or every other student through the API")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean seconds a student pauses before each click (0: back-to-back, a stress test)")
    parser.add_argument("--ramp", type=float, default=0.0,
                        help="seconds over which the virtual students arrive (0: all at once)")
    parser.add_argument("--warmup", type=int, default=10, help="complete flows before measuring (not counted)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--worker-class", default=None, choices=["sync", "gthread"])
    parser.add_argument("--organisations", type=int, default=500)
    parser.add_argument("--pdf-kb", type=int, default=300)
    parser.add_argument("--full-hash", action="store_true", help="real PBKDF2 password hashes")
    parser.add_argument("--db", default="quxiang_load")
    parser.add_argument("--keep", action="store_true", help="keep the database and the run directory")
    parser.add_argument("--out", default=None, help="directory for report.md and result.json")
    args = parser.parse_args()
    if not 1 <= args.concurrency <= 1000 or args.duration > 1800 or args.students > 200_000:
        sys.exit("bounds: concurrency 1..1000, duration ≤ 1800 s, students ≤ 200000")

    import multiprocessing

    cores = multiprocessing.cpu_count()
    worker_class = args.worker_class or "gthread"
    workers = args.workers or 2 * cores + 1
    threads = args.threads or (4 if worker_class == "gthread" else 1)
    run_dir = Path(tempfile.mkdtemp(prefix="quxiang-load-"))
    out_dir = Path(args.out) if args.out else run_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    wechat = FakeWeChat(free_port())
    stack = Stack(dbname=args.db, run_dir=run_dir, app_name="quxiang_load",
                  extra_env={"WECHAT_API_BASE": wechat.base})
    total_students = args.students + args.warmup
    seeded = stack.prepare(students=total_students, organisations=args.organisations, full_hash=args.full_hash)
    students = json.loads((run_dir / "students.json").read_text())
    warm, students = students[: args.warmup], students[args.warmup :]
    pdf = build_pdf(args.pdf_kb * 1024)
    server = Server(stack, free_port(), workers, threads, worker_class, full_hash=args.full_hash)
    log(f"gunicorn {worker_class} workers={workers} threads={threads} on {server.base}; run dir {run_dir}")
    report: dict = {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": {"cores": cores, "python": platform.python_version(), "kernel": platform.release()},
        "command": " ".join(sys.argv), "seed": seeded,
        "server": {"worker_class": worker_class, "workers": workers, "threads": threads},
        "concurrency": args.concurrency, "duration": args.duration, "pdf_bytes": len(pdf), "think": args.think,
        "mode": args.mode, "ramp": args.ramp,
        "loadavg_before": open("/proc/loadavg").read().split()[:3],
    }
    try:
        with wechat, server:
            meter = CpuMeter(server.proc.pid, args.db)
            if warm:
                t0 = time.perf_counter()
                w = asyncio.run(drive_flows(server.base, warm, pdf, concurrency=min(10, len(warm)), duration=120,
                                            mode=args.mode))
                log(f"warm-up: {w.completed}/{len(warm)} flows in {time.perf_counter() - t0:.1f}s, "
                    f"errors {dict(w.errors)}")
                report["warmup"] = {"completed": w.completed, "acknowledged": w.acknowledged, "errors": dict(w.errors)}

            a = meter.snap()
            minimal = asyncio.run(hammer(server.base, args.minimal_path, concurrency=args.concurrency,
                                         duration=args.minimal_seconds))
            b = meter.snap()
            window = (minimal.last_response_at or b.at) - (minimal.first_request_at or a.at)
            report["minimal"] = {
                "path": args.minimal_path, "requests": minimal.requests, "rps": minimal.requests / window,
                "errors": dict(minimal.errors), "cpu": CpuMeter.delta(a, b),
                "p50_ms": pct(minimal.timings["minimal"], 50) * 1000,
                "p99_ms": pct(minimal.timings["minimal"], 99) * 1000,
            }
            log(f"minimal view {args.minimal_path}: {report['minimal']['rps']:.0f} req/s, "
                f"p50 {report['minimal']['p50_ms']:.1f} ms, p99 {report['minimal']['p99_ms']:.1f} ms, "
                f"errors {dict(minimal.errors)}")

            def tick(r: Results) -> None:
                log(f"  flows started {r.started}, completed {r.completed}, requests {r.requests}, "
                    f"errors {sum(r.errors.values())}")

            a = meter.snap()
            flows = asyncio.run(drive_flows(server.base, students, pdf, concurrency=args.concurrency,
                                            duration=args.duration, on_tick=tick, think=args.think,
                                            mode=args.mode, ramp=args.ramp))
            b = meter.snap()
        window = (flows.last_response_at or b.at) - (flows.first_request_at or a.at)
        cpu = CpuMeter.delta(a, b)
        done = max(flows.completed, 1)
        report["flow"] = {
            "started": flows.started, "completed": flows.completed, "acknowledged": flows.acknowledged,
            "requests": flows.requests, "window_s": window, "registrations_per_s": flows.completed / window,
            "rps": flows.requests / window, "errors": dict(flows.errors), "error_samples": flows.error_samples,
            "statuses": {str(k): v for k, v in sorted(flows.statuses.items())}, "cpu": cpu,
            "steps": step_table(flows, STEPS + API_STEPS),
            "completed_by": dict(flows.completed_by),
            "max_bytes": dict(flows.max_bytes), "max_wire_bytes": dict(flows.max_wire_bytes),
            "encodings": dict(flows.encodings),
            "cpu_s_per_registration": {
                "app": cpu["server_cpu_s"] / done, "postgres": cpu["postgres_db_cpu_s"] / done,
                "redis": cpu["redis_cpu_s"] / done, "client": cpu["client_cpu_s"] / done,
                "total_server_side": (cpu["server_cpu_s"] + cpu["postgres_db_cpu_s"] + cpu["redis_cpu_s"]) / done,
            },
        }
        all_flow = [t for s in STEPS + API_STEPS for t in flows.timings.get(s, [])]
        report["flow"]["all_requests"] = {"p50_ms": pct(all_flow, 50) * 1000, "p99_ms": pct(all_flow, 99) * 1000}
        report["ratio_flow_to_minimal"] = report["flow"]["rps"] / report["minimal"]["rps"]
        report["db_check"] = stack.django("check.py")
        warm_ack = report.get("warmup", {}).get("acknowledged", 0)
        report["db_check"]["acknowledged_by_clients"] = flows.acknowledged + warm_ack
        report["db_check"]["submit_outcome_unknown"] = len(flows.submit_sent) - flows.acknowledged
        report["verdict"] = verdict(report)
        (out_dir / "result.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
        md = markdown(report)
        (out_dir / "report.md").write_text(md)
        print(md)
        log(f"report: {out_dir / 'report.md'}")
    finally:
        server.stop()
        if not args.keep:
            drop_database(args.db)
            shutil.rmtree(run_dir / "var", ignore_errors=True)
            shutil.rmtree(run_dir / "static", ignore_errors=True)


def verdict(r: dict) -> dict:
    c = r["db_check"]
    worst = max((row["p99_ms"] for row in r["flow"]["steps"]), default=float("nan"))
    html_steps = {k: v for k, v in r["flow"]["max_bytes"].items() if not k.startswith("api_") and k != "regions_json"}
    out = {
        "no_errors": not r["flow"]["errors"] and not r["minimal"]["errors"],
        f"p99_under_{P99_TARGET_MS}ms_every_step": worst < P99_TARGET_MS,
        "worst_step_p99_ms": worst,
        f"ratio_at_least_{round(RATIO_TARGET * 100)}pct": r["ratio_flow_to_minimal"] >= RATIO_TARGET,
        "largest_page_kb": max(html_steps.values(), default=0) / 1024,
        "pages_under_60kb": max(html_steps.values(), default=0) <= HTML_MAX_BYTES,
        # Equal, unless flows were cancelled with their 提交 in flight (then at most that many more).
        "submitted_matches_acknowledged": c["acknowledged_by_clients"] <= c["submitted"]
        <= c["acknowledged_by_clients"] + c["submit_outcome_unknown"],
        "one_submit_event_per_record": c["submit_events"] == c["submitted"]
        and c["records_with_several_submit_events"] == 0,
        "no_double_open_records": c["students_with_two_open_records"] == 0,
        "no_orphans": c["evidence_rows_without_file"] == 0 and c["files_without_row"] == 0,
    }
    if r["mode"] in CPU_TARGET:
        cost = r["flow"]["cpu_s_per_registration"]["total_server_side"]
        out[f"cpu_per_registration_at_most_{CPU_TARGET[r['mode']]}"] = cost <= CPU_TARGET[r["mode"]]
    return out


def markdown(r: dict) -> str:
    f, m, c, v = r["flow"], r["minimal"], r["db_check"], r["verdict"]
    cpu = f["cpu"]
    lines = [
        f"### Load run {r['date']}",
        "",
        f"`{r['command']}`",
        "",
        f"Machine: {r['machine']['cores']} cores, Python {r['machine']['python']}, kernel {r['machine']['kernel']}. "
        f"gunicorn {r['server']['worker_class']} × {r['server']['workers']} workers × {r['server']['threads']} threads; "
        f"{r['concurrency']} concurrent virtual students ({r.get('mode', 'web')}, arriving over {r.get('ramp', 0)} s), "
        f"think time {r['think']} s; "
        f"PDF {r['pdf_bytes'] // 1024} KB; "
        f"load average before the run {' '.join(r['loadavg_before'])} (other engineers' jobs share the machine); "
        f"hasher {r['seed']['hasher'].rsplit('.', 1)[-1]}.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| registrations completed / started | {f['completed']} / {f['started']} in {f['window_s']:.1f} s "
        f"({', '.join(f'{k} {v}' for k, v in sorted(f['completed_by'].items()))}) |",
        f"| **completed registrations per second** | **{f['registrations_per_s']:.2f}** |",
        f"| flow requests per second | {f['rps']:.1f} ({f['requests']} requests) |",
        f"| minimal view {m['path']} requests per second (same concurrency) | {m['rps']:.1f} "
        f"(p50 {m['p50_ms']:.1f} ms, p99 {m['p99_ms']:.1f} ms) |",
        f"| **ratio flow / minimal** | **{r['ratio_flow_to_minimal'] * 100:.1f} %** |",
        f"| all flow requests p50 / p99 | {f['all_requests']['p50_ms']:.0f} / {f['all_requests']['p99_ms']:.0f} ms |",
        f"| errors (flow) | {f['errors'] or 'none'} |",
        f"| errors (minimal) | {m['errors'] or 'none'} |",
        f"| HTTP statuses (flow) | {f['statuses']} |",
        "",
        "CPU during the flow phase (seconds; machine capacity = wall × cores):",
        "",
        "| gunicorn (all workers) | PostgreSQL backends of the run's DB | all PostgreSQL | redis-server | load client | "
        "everything else (other engineers' jobs, kernel) | whole machine busy / capacity |",
        "|---|---|---|---|---|---|---|",
        f"| {cpu['server_cpu_s']:.1f} | {cpu['postgres_db_cpu_s']:.1f} | {cpu['postgres_all_cpu_s']:.1f} | "
        f"{cpu['redis_cpu_s']:.1f} | {cpu['client_cpu_s']:.1f} | "
        f"{cpu['machine_busy_s'] - cpu['server_cpu_s'] - cpu['postgres_all_cpu_s'] - cpu['redis_cpu_s'] - cpu['client_cpu_s']:.1f} | "
        f"{cpu['machine_busy_s']:.1f} / {cpu['machine_capacity_s']:.1f} |",
        "",
        "CPU-seconds per completed registration: app {app:.3f}, PostgreSQL {postgres:.3f}, Redis {redis:.4f} → "
        "server side {total_server_side:.3f} (client {client:.3f}).".format(**f["cpu_s_per_registration"]),
        "",
        "| step | n | p50 ms | p95 ms | p99 ms | max ms | largest body KB (on the wire) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in f["steps"]:
        body, wire = f["max_bytes"].get(row["step"], 0), f["max_wire_bytes"].get(row["step"], 0)
        lines.append(f"| {row['step']} | {row['n']} | {row['p50_ms']:.0f} | {row['p95_ms']:.0f} | "
                     f"{row['p99_ms']:.0f} | {row['max_ms']:.0f} | {body / 1024:.1f} ({wire / 1024:.1f}) |")
    lines += ["", f"Content-Encoding of responses ≥ 1 KB: {f['encodings']}"]
    lines += [
        "",
        "Database afterwards: "
        f"{c['submitted']} submitted records, {c['acknowledged_by_clients']} acknowledged to clients (incl. warm-up; "
        f"{c['submit_outcome_unknown']} more sent but cancelled before the answer), "
        f"{c['submit_events']} SUBMIT events ({c['records_with_several_submit_events']} records with more than one); "
        f"{c['drafts']} drafts; {c['students_with_two_open_records']} students with two open records; "
        f"{c['evidence_rows']} evidence rows, {c['evidence_rows_without_file']} without file, "
        f"{c['files_without_row']} files without row; {c['submitted_half_written']} half-written and "
        f"{c['submitted_without_evidence']} evidence-less submitted records.",
        "",
        "Verdict: " + ", ".join(f"{k} = {val if not isinstance(val, float) else round(val)}" for k, val in v.items()),
        "",
    ]
    if f["error_samples"]:
        lines += ["Error samples:", "", *[f"- `{s}`" for s in f["error_samples"][:10]], ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
