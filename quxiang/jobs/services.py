"""Background jobs (issue 11): create, enqueue, report progress, finish, fail, and run (the worker's side).

Every long job is a Job row plus one Celery message carrying its id (the generic task `jobs.run`). The
row is the truth: status, progress, result file and a Chinese error message; Celery keeps no results.
Delivery is at least once (acks_late, redelivery after a worker dies), so running is guarded: a
conditional update claims the job, a heartbeat shows its worker is alive, and handlers are idempotent."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.files import File
from django.db import DatabaseError, IntegrityError, connections, transaction
from django.db.models import Count, F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from quxiang.core.errors import DomainError
from quxiang.jobs.conf import PROGRESS_TTL, jobs_setting, progress_cache, progress_key
from quxiang.jobs.models import ACTIVE_STATUSES, Job, JobMark, JobMarkState, JobStatus, job_result_name
from quxiang.jobs.registry import job_kind_find, job_kind_get

logger = logging.getLogger(__name__)


class JobBusy(Exception):
    """Another worker holds the job (its heartbeat is fresh): look again after `retry_after` seconds. The
    message must not be dropped: it may be the only copy left if that worker dies later."""

    def __init__(self, *, retry_after: int) -> None:
        super().__init__(f"job busy, retry after {retry_after} s")
        self.retry_after = retry_after


def job_create(*, kind: str, created_by: Any = None, params: dict | None = None, total: int = 0) -> Job:
    """A queued job row. An unknown kind fails here, in the request, rather than later in a worker."""
    job_kind_get(kind)
    return Job.objects.create(
        kind=kind, created_by=created_by, params=params or {}, progress_total=total,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )


def job_enqueue(*, job: Job) -> None:
    """Hand the job to Celery once the caller's transaction commits (the worker must find the row; a job
    rolled back with its caller must not run). If the broker cannot be reached the job is failed with a
    message the page shows: nothing is lost silently.

    With CELERY_TASK_ALWAYS_EAGER (the unit tests) the job runs at once, inside the caller's transaction:
    the tests' own transaction is never committed, so an on_commit callback would never run."""
    if current_app.conf.task_always_eager:
        _publish(job.pk)
        return
    transaction.on_commit(functools.partial(_publish, job.pk))


def _publish(job_id: int) -> None:
    from quxiang.jobs.tasks import run  # tasks.py imports this module

    if current_app.conf.task_always_eager:
        run.apply_async(args=[job_id])
        return
    try:
        run.apply_async(args=[job_id])
    except Exception:  # kombu's OperationalError, a DNS failure, a full disk for the file broker…
        logger.exception("job %s could not be queued", job_id)
        job_fail(job_id=job_id, message=_("任务未能排队，请稍后重试。"))


def job_progress(*, job_id: int, done: int, total: int, durable: bool = True) -> None:
    """Report how far a job got: always to the jobs cache (every process sees it), and to the row when
    `durable`. A handler inside its own write transaction passes durable=False: a row update there would
    only be seen at commit, and on SQLite would wait for the lock that transaction holds."""
    progress_cache().set(progress_key(job_id), (done, total), PROGRESS_TTL)
    if durable:
        Job.objects.filter(pk=job_id, status__in=ACTIVE_STATUSES).update(
            progress_done=done, progress_total=total, heartbeat_at=timezone.now())


def job_finish(*, job_id: int, result: File | None = None, result_name: str = "",
               summary: dict | None = None) -> bool:
    """Mark the job done; False if it had already ended. May be called inside the handler's own
    transaction, so that the work and its "done" commit together: a message redelivered after that commit
    finds the job done and does nothing. A result file is stored first and removed again if the job had
    ended meanwhile, so no file is left without its row. `summary` is what the job's page shows of it."""
    now = timezone.now()
    fields: dict[str, Any] = {"status": JobStatus.DONE, "finished_at": now, "heartbeat_at": now, "error": "",
                              "progress_done": F("progress_total")}
    if summary is not None:
        fields["summary"] = summary
    storage = Job._meta.get_field("result_file").storage
    stored = ""
    if result is not None:
        stored = storage.save(job_result_name(None, result_name or result.name or "result"), result)
        fields["result_file"] = stored
    updated = Job.objects.filter(pk=job_id, status__in=ACTIVE_STATUSES).update(**fields)
    if not updated and stored:
        storage.delete(stored)
    progress_cache().delete(progress_key(job_id))
    return bool(updated)


def job_fail(*, job_id: int, message: str) -> bool:
    """Mark the job failed with a message for the person who started it; False if it had already ended.
    The kind's on_fail hook then lets the owning app record the failure on its own rows."""
    updated = Job.objects.filter(pk=job_id, status__in=ACTIVE_STATUSES).update(
        status=JobStatus.FAILED, error=message, finished_at=timezone.now())
    progress_cache().delete(progress_key(job_id))
    if updated:
        job = Job.objects.get(pk=job_id)
        kind = job_kind_find(job.kind)
        if kind is not None and kind.on_fail is not None:
            try:
                kind.on_fail(job)
            except Exception:  # the job row already says it failed; the owner's page re-checks it
                logger.exception("job %s: on_fail of %s failed", job_id, job.kind)
    return bool(updated)


# --- units of work done at most once per job (a reminder to one student) ------------------------------

def job_mark_claim(*, job_id: int, key: str) -> bool:
    """Claim the unit `key` of the job before its outside effect (an email): True if no run of the job
    has claimed it before. Outside a transaction the claim commits at once, so a redelivered run sees it."""
    try:
        with transaction.atomic():
            JobMark.objects.create(job_id=job_id, key=key)
    except IntegrityError:
        return False
    return True


def job_mark_done(*, job_id: int, key: str, skipped: bool = False) -> None:
    """The unit's effect happened (or, `skipped`, there was nothing to do for it)."""
    JobMark.objects.filter(job_id=job_id, key=key).update(
        state=JobMarkState.SKIPPED if skipped else JobMarkState.DONE, at=timezone.now())


def job_mark_release(*, job_id: int, key: str) -> None:
    """The effect certainly did not happen (the mail server refused it): a later run may try again."""
    JobMark.objects.filter(job_id=job_id, key=key, state=JobMarkState.CLAIMED).delete()


def job_mark_keys(*, job_id: int) -> set[str]:
    """Every unit some run of the job has claimed, whatever came of it."""
    return set(JobMark.objects.filter(job_id=job_id).values_list("key", flat=True))


def job_mark_counts(*, job_id: int) -> dict[str, int]:
    """Units per state (claimed / done / skipped); a unit still `claimed` after its run ended belongs to a
    worker that died during the effect."""
    rows = JobMark.objects.filter(job_id=job_id).values("state").annotate(n=Count("id")).order_by()
    counts = {state: 0 for state in JobMarkState.values}
    counts.update({row["state"]: row["n"] for row in rows})
    return counts


# --- old result files -------------------------------------------------------------------------------

def job_results_expire(*, days: int | None = None, now: dt.datetime | None = None) -> int:
    """Remove the result files of jobs that finished more than `days` (setting RESULT_DAYS, 7) ago from
    storage; the rows stay, marked expired (their pages say 文件已过期). The row is cleared first, so a
    failure between the two leaves at worst a file nobody is offered, never an offered file that is gone.
    Returns how many files were expired."""
    now = now or timezone.now()
    days = jobs_setting("RESULT_DAYS") if days is None else days
    cutoff = now - dt.timedelta(days=days)
    storage = Job._meta.get_field("result_file").storage
    expired = 0
    old = Job.objects.filter(finished_at__lt=cutoff).exclude(result_file="").values_list("pk", "result_file")
    for pk, name in old.iterator(chunk_size=500):
        if not Job.objects.filter(pk=pk, result_file=name).update(result_file="", result_expired_at=now):
            continue  # another run of the cleanup took it
        expired += 1
        try:
            storage.delete(name)
        except Exception:  # storage unreachable: the file stays behind, nobody is offered it
            logger.exception("job %s: expired result file %s could not be deleted", pk, name)
    return expired


def _last_sign_of_life(job: Job) -> dt.datetime:
    return job.heartbeat_at or job.created_at


def job_expire_stale(*, job: Job) -> Job:
    """A job with no heartbeat for STALE_SECONDS (its worker died and no other took it over, or it was
    never picked up: no worker running, the broker lost the message) is failed instead of spinning forever.
    A worker that reaches it later finds it failed and leaves it alone."""
    stale = dt.timedelta(seconds=jobs_setting("STALE_SECONDS"))
    if job.is_active and timezone.now() - _last_sign_of_life(job) > stale:
        job_fail(job_id=job.pk, message=_("任务已中断（处理它的后台进程可能已停止），没有完成。请重新开始。"))
        job.refresh_from_db()
    return job


# --- the worker's side ------------------------------------------------------------------------------

def job_claim(*, job_id: int) -> Job | None:
    """Take the job for this worker: None if there is nothing to do (done, failed, deleted: a late
    redelivery). Raises JobBusy while another worker's heartbeat is fresh. A running job whose heartbeat
    has stopped is taken over: its worker died mid-job."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or not job.is_active:
        return None
    now = timezone.now()
    lease = jobs_setting("LEASE_SECONDS")
    if job.status == JobStatus.RUNNING and now - _last_sign_of_life(job) < dt.timedelta(seconds=lease):
        raise JobBusy(retry_after=lease)
    if job.attempts >= jobs_setting("MAX_ATTEMPTS"):
        job_fail(job_id=job_id, message=_(
            "任务多次中断（处理它的后台进程在执行中停止），已停止重试，没有完成。请检查后重新开始，或联系系统管理员。"))
        return None
    claimed = Job.objects.filter(pk=job_id, status=job.status, attempts=job.attempts).update(
        status=JobStatus.RUNNING, attempts=F("attempts") + 1, started_at=job.started_at or now, heartbeat_at=now)
    if not claimed:  # another delivery claimed it a moment ago
        raise JobBusy(retry_after=lease)
    job.refresh_from_db()
    return job


def job_run(*, job_id: int) -> None:
    """Run one job (the body of the Celery task): claim it, run its kind's handler with a heartbeat, and
    record how it ended. A DomainError's message is the job's error; anything else is logged and the job
    gets a general message."""
    job = job_claim(job_id=job_id)
    if job is None:
        return
    kind = job_kind_find(job.kind)
    if kind is None:
        job_fail(job_id=job.pk, message=_("未知的任务类型，无法执行。请联系系统管理员。"))
        return
    with _heartbeat(job.pk), translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            kind.handler(job)
        except DomainError as exc:
            job_fail(job_id=job.pk, message=exc.message)
            return
        except Exception:
            logger.exception("job %s (%s) failed", job.pk, job.kind)
            job_fail(job_id=job.pk, message=_("后台任务出现意外错误，没有完成。请稍后重试，或联系系统管理员。"))
            return
    job_finish(job_id=job.pk)  # a no-op when the handler finished it in its own transaction


@contextmanager
def _heartbeat(job_id: int) -> Iterator[None]:
    """Refresh heartbeat_at from a thread while the handler runs, also during a long write transaction of
    the handler's (which cannot write the row itself without waiting for its own commit)."""
    if transaction.get_connection().in_atomic_block:
        # An eager run inside the caller's transaction (unit tests): no other connection can see the row.
        yield
        return
    stop = threading.Event()
    interval = jobs_setting("HEARTBEAT_SECONDS")
    thread = threading.Thread(target=_beat, args=(job_id, stop, interval), name=f"job-heartbeat-{job_id}",
                              daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval + 10)


def _beat(job_id: int, stop: threading.Event, interval: int) -> None:
    try:
        while not stop.wait(interval):
            try:
                Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(heartbeat_at=timezone.now())
            except DatabaseError:  # SQLite: the handler's transaction holds the write lock; next beat
                logger.info("job %s: heartbeat not written this time", job_id, exc_info=True)
    finally:
        connections.close_all()  # this thread's connections only
