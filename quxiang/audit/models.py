"""The office's audit log: every state change of a record and every staff look at evidence."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    SUBMIT = "submit", _("提交")
    WITHDRAW = "withdraw", _("撤回")
    RETURN = "return", _("退回")
    VERIFY = "verify", _("鉴证通过")
    CHANGE = "change", _("发起变更")
    REOPEN = "reopen", _("重新开放变更")
    EVIDENCE_VIEW = "evidence_view", _("查看佐证材料")
    SHEET_DOWNLOAD = "sheet_download", _("下载登记表")
    EXPORT = "export", _("导出")
    REMIND = "remind", _("发送提醒")
    SAMPLE_DRAW = "sample_draw", _("抽查抽取")
    SAMPLE_CALL = "sample_call", _("抽查回访")
    FOLLOW_UP_OPEN = "follow_up_open", _("退回辅导员核实")
    FOLLOW_UP_RESOLVE = "follow_up_resolve", _("核实处理")
    PASSWORD_RESET = "password_reset", _("重置初始密码")
    IMPORT = "import", _("导入名单")
    LOGIN_LOCKED = "login_locked", _("登录锁定")
    WECHAT_UNBIND = "wechat_unbind", _("解除微信绑定")
    CHANGE_CANCEL = "change_cancel", _("撤销变更申请")
    FINDING_SYNC = "finding_sync", _("核查线索更新")
    FINDING_CONFIRM = "finding_confirm", _("确认核查线索")
    FINDING_DISMISS = "finding_dismiss", _("排除核查线索")
    SETTINGS_CHANGE = "settings_change", _("修改上报设置")


class AuditEntry(models.Model):
    """Append-only: who did what to which record, when, from which address. The actor is a foreign key
    (the swappable user model, PROTECT); the record and the student are ids (see below)."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("操作"), max_length=20, choices=AuditAction.choices, db_index=True)
    # Plain ids, not foreign keys: audit sits below registrations and roster and its migrations must not
    # depend on theirs. The entry keeps the id even if the row is ever deleted (the log outlives it).
    registration_id = models.BigIntegerField(_("登记记录"), null=True, blank=True, db_index=True)
    student_id = models.BigIntegerField(_("学生"), null=True, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("审计日志")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["actor", "-at"]), models.Index(fields=["student_id", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.get_action_display()}"
