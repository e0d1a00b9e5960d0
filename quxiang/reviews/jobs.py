"""The 未登记 page's long operations as background jobs (issue 11): reminders to the students (催报提醒) and
the list as an xlsx file. Both run through the generic task `jobs.run`; their kinds are registered at the
end of this module (imported by the views in the web process and by reviews/tasks.py in the worker).

Reminders are sent one student at a time, each claimed in a committed JobMark before its email and
marked done after it, so a redelivered job (its worker SIGKILLed) skips everybody a run has already
handled: nobody is reminded twice by one job. The one student whose email was on its way when the worker
died stays `claimed` (unknown whether it arrived) and is not sent again; the page counts them as 未确认
(docs/decisions.md "Jobs for reminders, tables, scans and draws")."""

from __future__ import annotations

import logging
import tempfile

from django.core.files import File
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from quxiang.accounts.models import User
from quxiang.audit.models import AuditAction
from quxiang.audit.services import audit_record
from quxiang.core.errors import DomainError
from quxiang.core.notify import notify_students
from quxiang.jobs.models import Job, JobMarkState
from quxiang.jobs.registry import job_kind_register
from quxiang.jobs.services import (
    job_create,
    job_enqueue,
    job_finish,
    job_mark_claim,
    job_mark_counts,
    job_mark_done,
    job_mark_keys,
    job_mark_release,
    job_progress,
)
from quxiang.reviews.exports import UNREGISTERED_STEM, unregistered_xlsx_write
from quxiang.reviews.selectors import students_unregistered

logger = logging.getLogger(__name__)

KIND_REMIND = "reviews.remind"
KIND_UNREGISTERED_XLSX = "reviews.unregistered_xlsx"
# How often (in students) the bar moves and the row's heartbeat is written.
REMIND_PROGRESS_EVERY = 20
XLSX_PROGRESS_EVERY = 2000


def _start(*, kind: str, actor: User, params: dict, total: int = 0) -> Job:
    """Create and queue the job in one transaction; a broker that cannot be reached fails it at once with
    "任务未能排队，请稍后重试。" (job_enqueue), which its page shows. Nothing else has been written."""
    with transaction.atomic():
        job = job_create(kind=kind, created_by=actor, params=params, total=total)
        job_enqueue(job=job)
    job.refresh_from_db()
    return job


def _staff_actor(job: Job) -> User:
    actor = job.created_by
    if actor is None or not actor.is_active or not actor.is_staff_role:
        raise DomainError(_("发起任务的账号已停用或已不是教师账号，任务没有进行。"), code="job_forbidden")
    return actor


# --- 催报提醒 --------------------------------------------------------------------------------------------

def reminder_start(*, actor: User, year: int | None, message: str, ip: str | None = None) -> Job:
    """Queue reminders to the students of `actor`'s scope (cohort `year`) who have not registered. The list
    is read again when the job runs: a student who registers meanwhile is not reminded."""
    total = students_unregistered(user=actor, year=year).count()
    return _start(kind=KIND_REMIND, actor=actor, total=total,
                  params={"year": year, "message": message, "ip": ip})


def _reminder_summary(job: Job) -> dict[str, int]:
    counts = job_mark_counts(job_id=job.pk)
    return {"sent": counts[JobMarkState.DONE], "no_email": counts[JobMarkState.SKIPPED],
            "unconfirmed": counts[JobMarkState.CLAIMED]}


def _reminder_log(*, job: Job, summary: dict[str, int], complete: bool) -> None:
    """The audit entry of one reminder job, written once: with the job's "done", or when it failed."""
    detail: dict = {"recipients": summary["sent"], "job": job.pk}
    if summary["unconfirmed"]:
        detail["unconfirmed"] = summary["unconfirmed"]
    if not complete:
        detail["incomplete"] = True
    audit_record(actor=job.created_by, action=AuditAction.REMIND, ip=job.params.get("ip"), detail=detail)


def reminder_handler(job: Job) -> None:
    actor = _staff_actor(job)
    students = students_unregistered(user=actor, year=job.params.get("year"))
    subject, body = _("毕业去向登记提醒"), job.params["message"]
    handled = job_mark_keys(job_id=job.pk)  # by an earlier run of this job (a redelivery)
    total = max(students.count(), len(handled))
    done = len(handled)
    job_progress(job_id=job.pk, done=done, total=total)
    for student in students.iterator(chunk_size=500):
        key = str(student.pk)
        if key in handled or not job_mark_claim(job_id=job.pk, key=key):
            continue
        try:
            sent = notify_students(students=[student], subject=subject, body=body)
        except Exception as exc:  # the mail server refused or is unreachable: this one was not sent
            job_mark_release(job_id=job.pk, key=key)
            logger.warning("reminder job %s: sending failed", job.pk, exc_info=True)
            raise DomainError(_("邮件服务器暂时不可用，提醒没有全部发出（已发送 %(n)d 人）。请稍后重试。") % {
                "n": _reminder_summary(job)["sent"]}, code="mail_unavailable") from exc
        job_mark_done(job_id=job.pk, key=key, skipped=not sent)
        done += 1
        if done % REMIND_PROGRESS_EVERY == 0:
            job_progress(job_id=job.pk, done=done, total=max(total, done))
    summary = _reminder_summary(job)
    with transaction.atomic():
        if job_finish(job_id=job.pk, summary=summary):
            _reminder_log(job=job, summary=summary, complete=True)


def reminder_on_fail(job: Job) -> None:
    """A reminder job that failed after sending some: those are logged too (once: job_fail runs this
    only for the call that failed the job)."""
    summary = _reminder_summary(job)
    Job.objects.filter(pk=job.pk).update(summary=summary)
    if summary["sent"]:
        _reminder_log(job=job, summary=summary, complete=False)


# --- 未登记名单 xlsx --------------------------------------------------------------------------------------

def unregistered_xlsx_start(*, actor: User, year: int | None, ip: str | None = None) -> Job:
    return _start(kind=KIND_UNREGISTERED_XLSX, actor=actor, params={"year": year, "ip": ip})


def unregistered_xlsx_handler(job: Job) -> None:
    """Write the workbook to an anonymous temporary file, then store it as the job's result in the step that
    marks the job done, with the audit entry: a worker killed mid-write leaves no file, and the redelivered
    job writes the whole file again."""
    actor = _staff_actor(job)
    year = job.params.get("year")
    students = students_unregistered(user=actor, year=year)
    total = students.count()
    job_progress(job_id=job.pk, done=0, total=total)
    name = f"{UNREGISTERED_STEM}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    with tempfile.TemporaryFile(prefix="quxiang-unregistered-", suffix=".xlsx") as tmp:
        rows = unregistered_xlsx_write(
            students=students.iterator(chunk_size=2000), out=tmp, progress_every=XLSX_PROGRESS_EVERY,
            progress=lambda n: job_progress(job_id=job.pk, done=n, total=max(total, n)))
        job_progress(job_id=job.pk, done=rows, total=rows)
        try:
            with transaction.atomic():
                if job_finish(job_id=job.pk, result=File(tmp, name=name), result_name=name, summary={"rows": rows}):
                    audit_record(actor=actor, action=AuditAction.EXPORT, ip=job.params.get("ip"),
                                 detail={"what": "unregistered", "year": year, "rows": rows, "job": job.pk})
        except DatabaseError:
            raise
        except Exception as exc:  # the file storage (a full disk, object storage unreachable)
            logger.exception("unregistered xlsx job %s: the file could not be stored", job.pk)
            raise DomainError(_("导出文件未能保存（文件存储暂时不可用），请稍后重新导出。"), code="export_storage") from exc


def reminder_describe(job: Job) -> str:
    summary = job.summary or {}
    text = _("已向 %(n)d 名学生发送提醒。") % {"n": summary.get("sent", 0)}
    if summary.get("no_email"):
        text += _("%(n)d 名学生没有电子邮箱，未发送。") % {"n": summary["no_email"]}
    if summary.get("unconfirmed"):
        text += _("%(n)d 名学生的提醒在后台进程中断时正在发送，无法确认是否送达，没有重发。") % {"n": summary["unconfirmed"]}
    return text


def unregistered_xlsx_describe(job: Job) -> str:
    return _("已导出 %(n)d 名尚未完成登记的学生。") % {"n": (job.summary or {}).get("rows", job.progress_done)}


def back_to_list(job: Job) -> str:
    return f"{reverse('reviews:unregistered')}?year={job.params.get('year') or ''}"


job_kind_register(KIND_REMIND, handler=reminder_handler, on_fail=reminder_on_fail,
                  label=gettext_lazy("催报提醒"), describe=reminder_describe, back_url=back_to_list)
job_kind_register(KIND_UNREGISTERED_XLSX, handler=unregistered_xlsx_handler,
                  label=gettext_lazy("未登记名单导出"), describe=unregistered_xlsx_describe, back_url=back_to_list)
