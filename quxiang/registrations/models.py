"""毕业去向登记 records: one open version per student, drafted on the server step by step."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from quxiang.registrations import rules


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待鉴证")
    RETURNED = "returned", _("已退回")
    VERIFIED = "verified", _("已鉴证")
    SUPERSEDED = "superseded", _("已变更")


OPEN_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.RETURNED)
EDITABLE_STATUSES = (Status.DRAFT, Status.RETURNED)


class Step(models.TextChoices):
    TYPE = "type", _("去向类型")
    ORGANISATION = "organisation", _("单位信息")
    EVIDENCE = "evidence", _("佐证材料")
    ARCHIVE = "archive", _("档案信息")
    REVIEW = "review", _("确认提交")


class ArchiveDestination(models.TextChoices):
    ORIGIN = "origin", _("回生源地")
    EMPLOYER = "employer", _("转至签约单位")
    OTHER = "other", _("其他（按调档函等填写）")


class Registration(models.Model):
    """One version of a student's destination. Organisation details are copied in (not linked) because
    the record must say what the paper agreement said, even after the directory changes."""

    student = models.ForeignKey("roster.Student", on_delete=models.PROTECT, related_name="registrations")
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    destination_type = models.ForeignKey(
        "reference.DestinationType", verbose_name=_("去向类型"), null=True, blank=True, on_delete=models.PROTECT
    )

    # Step 2 — organisation (employer, admitting school) or abroad institution.
    org_name = models.CharField(_("单位名称"), max_length=200, blank=True)
    org_uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, db_index=True)
    org_shanghai_reg_no = models.CharField(_("单位信息登记号"), max_length=20, blank=True)
    org_nature = models.ForeignKey(
        "reference.OrgNature", verbose_name=_("单位性质"), null=True, blank=True, on_delete=models.PROTECT
    )
    org_industry = models.ForeignKey(
        "reference.Industry", verbose_name=_("单位行业"), null=True, blank=True, on_delete=models.PROTECT
    )
    org_region = models.ForeignKey(
        "reference.Region", verbose_name=_("单位所在地"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    org_address = models.CharField(_("单位地址"), max_length=200, blank=True)
    org_postcode = models.CharField(_("邮编"), max_length=6, blank=True)
    org_contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    org_contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    job_category = models.ForeignKey(
        "reference.JobCategory", verbose_name=_("工作职位类别"), null=True, blank=True, on_delete=models.PROTECT
    )
    signed_on = models.DateField(_("签约日期"), null=True, blank=True)
    abroad_country = models.ForeignKey(
        "reference.Country", verbose_name=_("国家（地区）"), null=True, blank=True, on_delete=models.PROTECT
    )
    abroad_name_original = models.CharField(_("学校或单位外文名称"), max_length=200, blank=True)
    programme = models.CharField(_("专业或项目"), max_length=200, blank=True)
    programme_original = models.CharField(_("专业或项目外文名称"), max_length=200, blank=True)

    # Step 4 — archive (档案), undergraduates only.
    origin_authority_name = models.CharField(_("生源地主管单位名称"), max_length=100, blank=True)
    archive_destination = models.CharField(
        _("档案去向"), max_length=10, choices=ArchiveDestination.choices, blank=True
    )
    archive_unit = models.CharField(_("档案接收单位"), max_length=200, blank=True)
    archive_address = models.CharField(_("档案接收地址"), max_length=200, blank=True)
    archive_postcode = models.CharField(_("邮编"), max_length=6, blank=True)
    archive_contact = models.CharField(_("联系人"), max_length=50, blank=True)
    archive_phone = models.CharField(_("联系电话"), max_length=30, blank=True)

    # Wizard progress. Raw input of a step that was left unfinished (上一步, failed validation).
    organisation_done = models.BooleanField(default=False)
    archive_done = models.BooleanField(default=False)
    pending_input = models.JSONField(default=dict, blank=True)

    return_reason = models.TextField(_("退回原因"), blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    verified_at = models.DateTimeField(_("鉴证时间"), null=True, blank=True)
    verification_no = models.CharField(_("验证编号"), max_length=32, unique=True, null=True, blank=True)
    # A change request (变更/改派) is a new version drafted while the verified one stays in force.
    changed_from = models.ForeignKey(
        "self", verbose_name=_("变更自"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("鉴证人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("去向登记")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["student"], condition=models.Q(status__in=["draft", "submitted", "returned"]),
                name="one_open_registration_per_student",
            ),
            models.UniqueConstraint(
                fields=["student"], condition=models.Q(status="verified"), name="one_verified_registration_per_student"
            ),
            models.UniqueConstraint(fields=["student", "version"], name="registration_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.student} v{self.version} {self.get_status_display()}"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    # What the last service call on this instance wants the student told (files removed by a type
    # change, steps to confirm again). Not stored.
    notices: tuple[str, ...] = ()

    @property
    def signed_on_label(self) -> str:
        """The date as the organisation form labels it for this type (签约日期 / 录取或签证日期)."""
        return rules.signed_on_label(org_kind=self.destination_type.org_kind if self.destination_type_id else None)

    @property
    def submit_guidance(self) -> str:
        """What happens after 提交, for the evidence this type really needs."""
        return rules.submit_guidance(destination_type=self.destination_type if self.destination_type_id else None)


class EventKind(models.TextChoices):
    CREATE = "create", _("开始填写")
    SUBMIT = "submit", _("提交")
    WITHDRAW = "withdraw", _("撤回修改")
    RETURN = "return", _("退回")
    VERIFY = "verify", _("鉴证通过")
    CHANGE = "change", _("发起变更")
    SUPERSEDE = "supersede", _("被新版本取代")


class RegistrationEvent(models.Model):
    """The record's history as the student and staff see it."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("操作"), max_length=10, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("说明"), blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = _("登记历史")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"
