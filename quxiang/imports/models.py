"""One upload of the roster file and what became of it (preview, import, problems per row). The work itself
runs as background jobs (quxiang.jobs): one to check the file, one to import it."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def import_file_name(instance, filename: str) -> str:
    """A generated name in private storage; the user's file name is kept in `original_name` for display."""
    return f"imports/{uuid.uuid4().hex}.xlsx"


def import_rows_name(instance, filename: str) -> str:
    return f"imports/{filename}"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    CHECKING = "checking", _("正在检查")
    READY = "ready", _("待导入")
    IMPORTING = "importing", _("正在导入")
    DONE = "done", _("已导入")
    FAILED = "failed", _("失败")


RUNNING_STATUSES = (ImportStatus.QUEUED, ImportStatus.CHECKING, ImportStatus.IMPORTING)


class ImportJob(models.Model):
    """Counts are those of the preview until the import runs, then those of the import itself."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    file = models.FileField(_("文件"), upload_to=import_file_name, max_length=200)
    # The rows as the preview parsed them (gzip JSON), so the import need not parse the workbook again.
    rows_file = models.FileField(_("解析结果"), upload_to=import_rows_name, max_length=200, blank=True)
    original_name = models.CharField(_("原文件名"), max_length=255)
    size = models.PositiveIntegerField(_("文件大小"), default=0)
    status = models.CharField(_("状态"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    message = models.TextField(_("说明"), blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导入人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    imported_at = models.DateTimeField(_("导入时间"), null=True, blank=True)
    # The background runs (quxiang.jobs): the preview, then the import. Their progress is the page's bar.
    check_job = models.ForeignKey(
        "jobs.Job", verbose_name=_("检查任务"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    apply_job = models.ForeignKey(
        "jobs.Job", verbose_name=_("导入任务"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rows_total = models.PositiveIntegerField(_("数据行数"), default=0)
    rows_new = models.PositiveIntegerField(_("新增"), default=0)
    rows_updated = models.PositiveIntegerField(_("更新"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("无变化"), default=0)
    rows_error = models.PositiveIntegerField(_("有问题"), default=0)
    classes_new = models.PositiveIntegerField(_("新建班级"), default=0)
    counselor_links_new = models.PositiveIntegerField(_("新增辅导员分配"), default=0)
    # [{"row": 7, "student_number": "…", "name": "…", "reasons": ["…", …]}, …] in row order.
    problems = models.JSONField(_("问题行"), default=list, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("名单导入")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.original_name}（{self.get_status_display()}）"

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_STATUSES

    @property
    def current_job_id(self) -> int | None:
        """The background job the import's state depends on: the import run once it was started."""
        return self.apply_job_id if self.apply_job_id and self.status != ImportStatus.READY else self.check_job_id
