"""Sampling for verification calls (抽查回访) and the follow-ups a mismatch sends back to the counselor."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Value
from django.db.models.functions import Coalesce
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


# --- findings of the integrity checks (issue 12: open → confirmed / dismissed) ---------------------------


class FindingStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    CONFIRMED = "confirmed", _("已确认")
    DISMISSED = "dismissed", _("已排除")


class IntegrityFinding(models.Model):
    """One finding of one check, kept across scans (integrity/findings.py).

    `fingerprint` is the sha256 of the check, its records and what each record says (typed content and the
    sha256 of its evidence files): the same data gives the same fingerprint, so a decided finding is met
    again by the next scan instead of coming back; changed data gives a new one, a new open finding.
    `subject` identifies the finding without the data (the check and its students), which links a new
    finding to the earlier decision about the same students (`previous`). `gone_at` is set while the
    latest scan of its scope no longer produces it; it is kept with its decision as history."""

    check_key = models.CharField(_("检查项"), max_length=40)
    # The cohort the scan covered; NULL = 全部届别.
    graduation_year = models.PositiveSmallIntegerField(_("毕业年份"), null=True, blank=True)
    fingerprint = models.CharField(_("数据指纹"), max_length=64)
    subject = models.CharField(max_length=64, db_index=True)
    reason = models.TextField(_("原因"))
    record_count = models.PositiveIntegerField(_("涉及记录数"), default=0)
    registrations = models.ManyToManyField(
        "registrations.Registration", verbose_name=_("涉及记录"), through="FindingRecord", related_name="+"
    )
    status = models.CharField(_("状态"), max_length=10, choices=FindingStatus.choices, default=FindingStatus.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("处理人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decision_reason = models.TextField(_("处理说明"), blank=True)
    previous = models.ForeignKey(
        "self", verbose_name=_("此前的处理"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_seen = models.DateTimeField(_("首次发现"))
    last_seen = models.DateTimeField(_("最近发现"))
    gone_at = models.DateTimeField(_("不再出现时间"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("核查线索")
        ordering = ["check_key", "id"]
        constraints = [
            models.UniqueConstraint(fields=["check_key", "fingerprint", "graduation_year"],
                                    name="integrity_finding_once_per_year"),
            # NULL years are distinct in a plain unique constraint: 全部届别 needs its own.
            models.UniqueConstraint(fields=["check_key", "fingerprint"], condition=models.Q(graduation_year__isnull=True),
                                    name="integrity_finding_once_all_years"),
            models.CheckConstraint(condition=models.Q(status__in=FindingStatus.values),
                                   name="integrity_finding_status_valid"),
            models.CheckConstraint(condition=~models.Q(status=FindingStatus.DISMISSED) | ~models.Q(decision_reason=""),
                                   name="integrity_finding_dismiss_has_reason"),
            models.CheckConstraint(
                condition=(models.Q(status=FindingStatus.OPEN, decided_at__isnull=True, decided_by__isnull=True)
                           | (~models.Q(status=FindingStatus.OPEN) & models.Q(decided_at__isnull=False,
                                                                            decided_by__isnull=False))),
                name="integrity_finding_decided_by_someone",
            ),
        ]
        indexes = [models.Index(fields=["graduation_year", "check_key", "status"], name="integrity_finding_list_idx")]

    def __str__(self) -> str:
        return f"{self.check_key} #{self.pk} {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status == FindingStatus.OPEN


class FindingRecord(models.Model):
    """A record of a finding, in the order the check gave them (`position`). A draft deleted later (a
    cancelled change request) takes its row with it; the finding keeps its count and reason."""

    finding = models.ForeignKey(IntegrityFinding, on_delete=models.CASCADE, related_name="records")
    registration = models.ForeignKey("registrations.Registration", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = _("核查线索涉及的记录")
        ordering = ["finding", "position"]
        constraints = [models.UniqueConstraint(fields=["finding", "registration"], name="finding_record_once")]

    def __str__(self) -> str:
        return f"{self.finding_id}/{self.registration_id}"


class FindingScope(models.Model):
    """The last sync of findings for one cohort (NULL = 全部届别). Its row is locked by every sync of the
    scope, so two scans finishing at once apply one after the other."""

    graduation_year = models.PositiveSmallIntegerField(_("毕业年份"), null=True, blank=True)
    synced_at = models.DateTimeField(_("最近同步"), null=True, blank=True)
    job = models.ForeignKey("jobs.Job", verbose_name=_("检查任务"), null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = _("核查范围")
        # One row per cohort and one for 全部届别 (NULL, which a plain unique constraint would not limit).
        constraints = [models.UniqueConstraint(Coalesce("graduation_year", Value(0)), name="finding_scope_once")]

    def __str__(self) -> str:
        return str(self.graduation_year or "*")
