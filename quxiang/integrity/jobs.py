"""The integrity checks' scan and the sampling draw as background jobs (issue 11), run by the generic task
`jobs.run`; their kinds are registered at the end of this module (imported by the views in the web process
and by integrity/tasks.py in the worker).

A scan runs every check of `checks.CHECKS` for one cohort, keeps its findings for the office's decisions
(`findings.findings_sync`, in the same transaction as the job's "done") and a summary in the job: per
check, each finding's reason, its first records and how many there are. A redelivered scan runs the
checks again and, if the job is done by then, rolls its sync back; otherwise the sync meets the same
fingerprints and creates nothing twice. A draw calls `sample_run_draw` and marks its job done in
the same transaction: a redelivery after that commit finds the job done, so one job draws one sample (and
writes one audit entry); the seed is chosen when the job is created, so a redelivered draw draws the
same records."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from quxiang.accounts.models import User
from quxiang.core.errors import DomainError
from quxiang.integrity import checks, findings, services
from quxiang.integrity.selectors import KIND_DRAW, KIND_SCAN
from quxiang.jobs.models import Job
from quxiang.jobs.registry import job_kind_register
from quxiang.jobs.services import job_create, job_enqueue, job_finish, job_progress

# A finding may span thousands of records; the scan keeps the first ones (the page lists them) and the count.
RECORDS_PER_FINDING = 50


def _start(*, kind: str, actor: User, params: dict, total: int = 0) -> Job:
    """Create and queue the job in one transaction; a broker that cannot be reached fails it at once with
    "任务未能排队，请稍后重试。" (job_enqueue), which its page shows."""
    with transaction.atomic():
        job = job_create(kind=kind, created_by=actor, params=params, total=total)
        job_enqueue(job=job)
    job.refresh_from_db()
    return job


def _office_actor(job: Job) -> User:
    actor = job.created_by
    if actor is None or not actor.is_active or not actor.is_office:
        raise DomainError(_("发起任务的账号已停用或已不是就业指导中心账号，任务没有进行。"), code="job_forbidden")
    return actor


class _AlreadyEnded(Exception):
    """The job ended while the work ran (another delivery finished it): the work is rolled back."""


# --- 数据核查 ---------------------------------------------------------------------------------------------

def scan_start(*, actor: User, year: int | None) -> Job:
    """Queue a run of every integrity check over the cohort `year` (None: all cohorts)."""
    return _start(kind=KIND_SCAN, actor=actor, params={"year": year}, total=len(checks.CHECKS))


def scan_handler(job: Job) -> None:
    """Run the checks (reads, outside any transaction), then keep their findings (findings_sync) and mark
    the job done in one transaction: a delivery after that commit finds the job done and changes nothing."""
    actor = _office_actor(job)
    year = job.params.get("year")
    results, found = [], []
    for done, check in enumerate(checks.CHECKS, start=1):
        produced = check.run(year=year)
        found.append((check.key, produced))
        results.append({"key": check.key, "findings": [
            {"reason": f.reason, "ids": list(f.registration_ids[:RECORDS_PER_FINDING]), "count": len(f.registration_ids)}
            for f in produced
        ]})
        job_progress(job_id=job.pk, done=done, total=len(checks.CHECKS))
    try:
        with transaction.atomic():
            synced = findings.findings_sync(year=year, results=found, actor=actor, job_id=job.pk)
            summary = {"year": year, "checks": results, "synced": True, "new_findings": len(synced.created)}
            if not job_finish(job_id=job.pk, summary=summary):
                raise _AlreadyEnded
    except _AlreadyEnded:
        return


def scan_result_url(job: Job) -> str:
    """The findings page of the scan's cohort, which shows the latest scan (the findings are kept across scans)."""
    return f"{reverse('integrity:index')}?year={job.params.get('year') or ''}"


def scan_describe(job: Job) -> str:
    flagged = sum(1 for c in (job.summary or {}).get("checks", []) if c["findings"])
    if not flagged:
        return _("各项检查均未发现问题。")
    return _("%(n)d 项检查发现需要复核的记录。") % {"n": flagged}


# --- 抽查回访: the draw --------------------------------------------------------------------------------

def sample_draw_start(
    *, actor: User, percentage: int, seed: int | None = None, year: int | None = None, placed_only: bool = True,
    ip: str | None = None,
) -> Job:
    """Queue a draw. A seed left empty is chosen now, so that every delivery of the job draws the same."""
    params = {"percentage": percentage, "seed": services.sample_seed_new() if seed is None else seed,
              "year": year, "placed_only": placed_only, "ip": ip}
    return _start(kind=KIND_DRAW, actor=actor, params=params, total=1)


def sample_draw_handler(job: Job) -> None:
    actor = _office_actor(job)
    p = job.params
    try:
        with transaction.atomic():
            run = services.sample_run_draw(actor=actor, percentage=int(p["percentage"]), seed=int(p["seed"]),
                                           year=p.get("year"), placed_only=bool(p.get("placed_only")), ip=p.get("ip"))
            sampled = run.items.count()
            if not job_finish(job_id=job.pk, summary={"run": run.pk, "seed": run.seed, "sampled": sampled}):
                raise _AlreadyEnded
    except _AlreadyEnded:
        return
    except services.IntegrityRefused as exc:
        raise DomainError(str(exc), code="sample_refused") from exc


def sample_draw_result_url(job: Job) -> str | None:
    run = (job.summary or {}).get("run")
    return reverse("integrity:sample_run", kwargs={"pk": run}) if run else None


def sample_draw_describe(job: Job) -> str:
    summary = job.summary or {}
    return _("已抽取 %(n)d 条记录，随机种子 %(seed)d。") % {"n": summary.get("sampled", 0),
                                                   "seed": summary.get("seed", job.params.get("seed", 0))}


def _to_sampling(job: Job) -> str:
    return reverse("integrity:sampling")


def _to_index(job: Job) -> str:
    return f"{reverse('integrity:index')}?year={job.params.get('year') or ''}"


job_kind_register(KIND_SCAN, handler=scan_handler, label=gettext_lazy("数据核查"), result_url=scan_result_url,
                  describe=scan_describe, back_url=_to_index)
job_kind_register(KIND_DRAW, handler=sample_draw_handler, label=gettext_lazy("抽查抽样"),
                  result_url=sample_draw_result_url, describe=sample_draw_describe, back_url=_to_sampling)
