"""The cluster bench's figures (before / after the kill) and its Markdown report."""

from __future__ import annotations

from collections import Counter


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def _phase(rows: list[tuple]) -> dict:
    ok = [r[1] for r in rows if r[4]]
    return {"requests": len(rows), "errors": sum(1 for r in rows if not r[4]),
            "p50_ms": pct(ok, 50) * 1000, "p99_ms": pct(ok, 99) * 1000,
            "by_channel": dict(Counter(r[2] for r in rows))}


def summarise(flow_log, kill: dict, office, seconds: float, warm_log, *, students: int) -> dict:
    at = kill.get("at")
    rows = flow_log.requests
    before = [r for r in rows if at is None or r[0] < at]
    after = [r for r in rows if at is not None and r[0] >= at]
    # The 30 s after the kill are where the failover happens; the rest is the survivor carrying the load.
    first30 = [r for r in after if r[0] < at + 30] if at else []
    per_student = Counter({s: len(f) for s, f in flow_log.failures.items()})
    failed_once = [s for s, n in per_student.items() if n == 1]
    return {
        "seconds": seconds,
        "students": {
            "offered": students, "started": dict(flow_log.started),
            "acknowledged": len(flow_log.acknowledged), "abandoned": dict(list(flow_log.abandoned.items())[:20]),
            "abandoned_count": len(flow_log.abandoned),
            "saw_a_server_failure": len(per_student),
            "saw_it_once": len(failed_once),
            "saw_it_more_than_once": sorted(s for s, n in per_student.items() if n > 1),
            "once_and_then_acknowledged": sum(1 for s in failed_once if s in flow_log.acknowledged),
            "failures": {s: f for s, f in list(flow_log.failures.items())[:30]},
            "submit_sent_not_acknowledged": len(flow_log.submit_sent - flow_log.acknowledged),
        },
        "phases": {"before_kill": _phase(before), "after_kill": _phase(after), "first_30s_after_kill": _phase(first30)},
        "kill": {k: v for k, v in kill.items() if k not in {"at", "inspect_before"}},
        "kill_offset_s": (at - rows[0][0] + rows[0][1]) if at and rows else None,
        "office": {"import_job": office.import_job, "export_job": office.export_job,
                   "timeline": [(round(t - (at or t), 1), what) for t, what in office.timeline],
                   "poll_errors": office.poll_errors, "export_download": office.export_download,
                   "last_status": office.statuses},
    }


def verdict(r: dict) -> dict[str, bool]:
    v, s = r["verify"], r["students"]
    imp, exp, b = v["import"], v["export"], v["bucket"]
    killed = bool(r["kill"].get("worker_pids"))
    apply = imp["apply_job"] or {}
    return {
        "every acknowledged submission in the database exactly once": not v["acknowledged_not_exactly_once"],
        "one SUBMIT event per submitted record": v["submit_events"] == v["submitted"]
        and v["records_with_several_submit_events"] == 0,
        "submitted ≤ acknowledged + sent-but-unanswered": v["submitted"]
        <= v["acknowledged"] + s["submit_sent_not_acknowledged"],
        "no half-written record (check.py)": v["submitted_half_written"] == 0 and v["submitted_without_evidence"] == 0
        and v["students_with_two_open_records"] == 0,
        "every evidence row has its object": v["evidence_rows_without_file"] == 0 and b["evidence_rows_without_object"] == 0,
        "no object without its row": b["objects_without_row_count"] == 0,
        "import done, every row once": imp["status"] == "done" and imp["students_with_import_numbers"] == imp["rows_total"]
        and imp["rows_new"] == imp["rows_total"] and imp["rows_error"] == 0,
        "export done with its file, every student of the cohort in it": bool(
            exp and exp["status"] == "done" and exp["result_file"] and exp["progress"][0] == exp["cohort_students"]),
        "both jobs finished on the surviving worker (the other one is dead)": killed and imp["status"] == "done"
        and bool(exp and exp["status"] == "done"),
        "a job was killed and redelivered (attempts ≥ 2)": killed and (apply.get("attempts", 0) >= 2
                                                                      or (exp or {}).get("attempts", 0) >= 2),
        "students of the killed server: an error at most once": not s["saw_it_more_than_once"],
        "and then carried on": s["once_and_then_acknowledged"] == s["saw_it_once"],
        "no student abandoned": s["abandoned_count"] == 0,
        "storage is the S3 bucket": b["storage_backend"].endswith("S3Storage"),
    }


def markdown(r: dict) -> str:
    v, s, ph, k, o, n = r["verify"], r["students"], r["phases"], r["kill"], r["office"], r["nginx"]
    ver = verdict(r)
    r["verdict"] = ver
    imp, exp = v["import"], v["export"]
    a = r["args"]

    def row(name, p):
        return (f"| {name} | {p['requests']} | {p['errors']} | {p['p50_ms']:.0f} | {p['p99_ms']:.0f} | "
                f"{p['by_channel']} |")

    cpu_lines = []
    start, end, before = r.get("cpu_start", {}), r.get("cpu_end", {}), k.get("cpu_before", {})
    for name in sorted(set(start) | set(before) | set(end)):
        last = end.get(name, before.get(name))
        if last is not None and name in start:
            cpu_lines.append(f"{name} {last - start[name]:.1f}" + (" (until killed)" if name not in end else ""))
    lines = [
        "# Several app servers, proven (bench/cluster/run.py, issue 11)",
        "",
        f"Run {r['date']}: `{r['command']}` — {r['cores']} cores shared with other engineers' jobs.",
        f"Load: before `{r['uptime_before']}`; at the kill `{r['uptime_loaded']}`; after `{r['uptime_after']}`.",
        "",
        f"Layout: nginx 127.0.0.1 → gunicorn app1 127.0.0.2 and app2 127.0.0.3 ({a['app_workers']} gthread workers × 4 "
        "threads each, config/gunicorn.conf.py), two `celery -A config worker` (prefork, concurrency 1), PostgreSQL "
        f"`quxiang_cluster_bench`, Redis db 10 (cache, sessions) and 9 (broker), moto_server (S3) bucket "
        f"`quxiang-cluster`; production settings (bench/load/load_settings.py: MD5 hasher for the bench). "
        f"{s['offered']} students offered, {a['concurrency']} at a time, think {a['think']} s, every "
        f"{a['api_every']}. one on the mini-program API, {a['pdf_kb']} KB PDF each; the office imports "
        f"{imp['rows_total']} rows, then exports the 2027 cohort.",
        "",
        "## Verdict",
        "",
        *[f"- {'✅' if ok else '❌'} {name}" for name, ok in ver.items()],
        "",
        "## What happened",
        "",
        f"- Killed (SIGKILL to the process group) {r.get('kill_offset_s') or 0:.0f} s into the loaded phase: app2 "
        f"pids {k.get('app_pids')}, worker `{k.get('worker')}` pids {k.get('worker_pids')} "
        f"(found holding the import job by `celery inspect active`: {k.get('worker_found_by_inspect')}). "
        f"Jobs at that moment: {k.get('jobs_at_kill')}. {k.get('skipped', '')}",
        f"- Import (job page {o['import_job']}): {imp['status']}, {imp['rows_new']} new of {imp['rows_total']} rows, "
        f"{imp['students_with_import_numbers']} students with those numbers in the database; check job "
        f"{_job(imp['check_job'])}; apply job {_job(imp['apply_job'])}.",
        f"- National export (started after the import, on the surviving worker): {_job(exp)}, "
        f"{exp['progress'][0]} rows of {exp['cohort_students']} students; download through nginx: "
        f"{o['export_download'] or 'none'}.",
        f"- Office timeline (s relative to the kill): {o['timeline']}; progress-poll errors {o['poll_errors'] or 'none'}.",
        f"- Worker logs: {r['survivor_log']}.",
        f"- Students: {s['acknowledged']} acknowledged ({s['started']}); {s['saw_a_server_failure']} saw a server "
        f"failure, {s['saw_it_once']} once — {s['once_and_then_acknowledged']} of those then finished and were "
        f"acknowledged; more than once: {s['saw_it_more_than_once'] or 'nobody'}; abandoned: "
        f"{s['abandoned_count']} {s['abandoned'] or ''}.",
        f"- What they saw: {s['failures'] or 'nothing'}.",
        f"- nginx: {n['requests']} requests, {n['to_app1']} answered by app1, {n['to_app2']} by app2, "
        f"{n['retried_on_other_server']} sent on to the other server by nginx itself (invisible to the user), "
        f"{n['status_502']} × 502 and {n['status_504']} × 504 pages.",
        "",
        "| phase | requests | errors | p50 ms | p99 ms | by channel |",
        "|---|---|---|---|---|---|",
        row("before the kill", ph["before_kill"]),
        row("after the kill", ph["after_kill"]),
        row("first 30 s after the kill", ph["first_30s_after_kill"]),
        "",
        f"CPU-seconds during the loaded phase ({r['seconds']:.0f} s wall): {', '.join(cpu_lines)}.",
        "",
        f"Database and bucket: {v['submitted']} submitted records, {v['submit_events']} SUBMIT events, "
        f"{v['acknowledged']} acknowledged (warm-up included); {v['evidence_rows']} evidence rows, "
        f"{v['evidence_rows_without_file']} without object; bucket {v['bucket']}.",
        "",
        "## Commands and environment (as run)",
        "",
        "```sh",
        *[f"{name}: {cmd}" for name, cmd in r["commands"].items() if name != "nginx_conf"],
        "```",
        "",
        "Environment on top of bench/load/common.py's Stack.env (DJANGO_SETTINGS_MODULE=load_settings → "
        f"config.settings.production): `{r['env']}`",
        "",
        "```nginx",
        r["commands"].get("nginx_conf", "").rstrip(),
        "```",
        "",
    ]
    return "\n".join(lines)


def _job(j: dict | None) -> str:
    if not j:
        return "none"
    secs = f", {j['seconds']:.0f} s from creation to done" if j.get("seconds") else ""
    return f"#{j['id']} {j['status']} after {j['attempts']} attempt(s){secs}{', ' + j['error'] if j['error'] else ''}"
