"""One row per background job (issue 11): what runs, for whom, how far it got and how it ended.

Celery carries only the job's id; this row is the truth the pages read, so a job survives a web restart
and a lost worker (docs/decisions.md "Background jobs")."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def job_result_name(instance, filename: str) -> str:
    """A generated folder in private storage; the file name itself is the one offered for download."""
    return f"jobs/{uuid.uuid4().hex}/{filename}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class Job(models.Model):
    """`kind` names the handler (quxiang.jobs.registry); `params` are its arguments (ids, never files).
    `heartbeat_at` is refreshed while a worker runs the job: a running job whose heartbeat has stopped
    belongs to a worker that died, and the next delivery of its message takes it over."""

    kind = models.CharField(_("类型"), max_length=60)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(_("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    # The language of the person who started it: messages the job writes are in that language.
    language = models.CharField(_("语言"), max_length=16, blank=True)
    progress_done = models.PositiveIntegerField(_("已完成"), default=0)
    progress_total = models.PositiveIntegerField(_("总量"), default=0)
    result_file = models.FileField(_("结果文件"), upload_to=job_result_name, max_length=255, blank=True)
    # The file is removed from storage after QUXIANG["JOBS"]["RESULT_DAYS"]; the row stays and says so.
    result_expired_at = models.DateTimeField(_("文件过期时间"), null=True, blank=True)
    # What the job found or did, for its page (e.g. {"sent": 120} or a scan's findings); small JSON only.
    summary = models.JSONField(_("结果摘要"), default=dict, blank=True)
    error = models.TextField(_("错误说明"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("执行次数"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("最近心跳"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("后台任务")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}（{self.get_status_display()}）"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class JobMarkState(models.TextChoices):
    CLAIMED = "claimed", _("处理中")
    DONE = "done", _("已完成")
    SKIPPED = "skipped", _("已跳过")


class JobMark(models.Model):
    """One unit of a job's work with an outside effect that must not happen twice (a reminder to one
    student). A run claims the unit (a committed row) before the effect and marks it done after; a
    redelivered run skips every unit that has a row. A unit left `claimed` belonged to a worker that died
    during the effect: whether it happened is unknown, and it is not repeated (at most once)."""

    job = models.ForeignKey(Job, verbose_name=_("后台任务"), on_delete=models.CASCADE, related_name="marks")
    key = models.CharField(_("对象"), max_length=64)
    state = models.CharField(_("状态"), max_length=10, choices=JobMarkState.choices, default=JobMarkState.CLAIMED)
    at = models.DateTimeField(_("时间"), auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("任务处理记录")
        constraints = [models.UniqueConstraint(fields=["job", "key"], name="job_mark_once_per_job")]

    def __str__(self) -> str:
        return f"{self.job_id}/{self.key} {self.state}"
