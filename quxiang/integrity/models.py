"""Sampling for verification calls (抽查回访) and the follow-ups a mismatch sends back to the counselor."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class SampleRun(models.Model):
    """One draw. The seed is stored and shown: the same seed over the same data draws the same sample."""

    seed = models.PositiveBigIntegerField(_("随机种子"))
    percentage = models.PositiveSmallIntegerField(
        _("抽样比例（%）"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    graduation_year = models.PositiveSmallIntegerField(_("毕业年份"), null=True, blank=True)
    # Calls check employment claims: by default only records counted as placed (not 待就业 / 暂不就业).
    placed_only = models.BooleanField(_("仅抽已落实去向"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("抽取人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("抽取时间"), auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = _("抽查批次")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} seed={self.seed} {self.percentage}%"


class Outcome(models.TextChoices):
    PENDING = "pending", _("待回访")
    CONFIRMED = "confirmed", _("核实无误")
    MISMATCH = "mismatch", _("情况不符")
    UNREACHABLE = "unreachable", _("无法联系")


class SampleItem(models.Model):
    """One sampled record and the result of the call about it."""

    run = models.ForeignKey(SampleRun, verbose_name=_("抽查批次"), on_delete=models.CASCADE, related_name="items")
    registration = models.ForeignKey(
        "registrations.Registration", verbose_name=_("登记记录"), on_delete=models.PROTECT, related_name="+"
    )
    # The college at draw time, so the summary of a run does not move when a student changes college.
    college = models.ForeignKey("roster.College", verbose_name=_("学院"), on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("回访结果"), max_length=12, choices=Outcome.choices, default=Outcome.PENDING)
    note = models.TextField(_("回访说明"), blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("回访人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    called_at = models.DateTimeField(_("回访时间"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("抽查记录")
        ordering = ["college__code", "registration__student__student_number", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "registration"], name="sample_item_once_per_run")]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.registration_id} {self.get_outcome_display()}"


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("待辅导员核实")
    RESOLVED = "resolved", _("已处理")


class FollowUp(models.Model):
    """A sampled record whose call did not match, sent back to the record's counselor(s).

    Visible to every staff member whose scope contains the record (the class counselors, the college
    officer, the office); resolved by one of them with a note. The office may also reopen the record
    for a change when sending it back."""

    registration = models.ForeignKey(
        "registrations.Registration", verbose_name=_("登记记录"), on_delete=models.PROTECT, related_name="+"
    )
    sample_item = models.ForeignKey(
        SampleItem, verbose_name=_("抽查记录"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="follow_ups",
    )
    note = models.TextField(_("核实要求"))
    reopened = models.ForeignKey(
        "registrations.Registration", verbose_name=_("开放变更的版本"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    resolution = models.TextField(_("处理结果"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("处理人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("核查待办")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sample_item"], condition=models.Q(status="open"), name="one_open_follow_up_per_sample_item"
            )
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} {self.get_status_display()}"
