"""The school's directory of organisations that employ or admit its graduates."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationSource(models.TextChoices):
    OFFICE = "office", _("就业指导中心录入")
    VERIFIED_RECORD = "record", _("往届已鉴证记录")


class Organisation(models.Model):
    """Keyed by 统一社会信用代码. The lookup fills the wizard from here; students may still correct it."""

    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("单位名称"), max_length=200)
    shanghai_reg_no = models.CharField(_("单位信息登记号"), max_length=20, blank=True)
    nature = models.ForeignKey(
        "reference.OrgNature", verbose_name=_("单位性质"), null=True, blank=True, on_delete=models.PROTECT
    )
    industry = models.ForeignKey(
        "reference.Industry", verbose_name=_("单位行业"), null=True, blank=True, on_delete=models.PROTECT
    )
    region = models.ForeignKey(
        "reference.Region", verbose_name=_("单位所在地"), null=True, blank=True, on_delete=models.PROTECT
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    postcode = models.CharField(_("邮编"), max_length=6, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    source = models.CharField(_("来源"), max_length=10, choices=OrganisationSource.choices, default=OrganisationSource.OFFICE)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("单位")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.uscc}）"


class OrganisationAlias(models.Model):
    """A USCC that no longer has a row of its own: the code of a row merged into another (an old or mistyped
    code). The lookup follows it to the surviving organisation, so students typing the old code still find it."""

    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("现单位"), on_delete=models.CASCADE, related_name="aliases"
    )
    created_at = models.DateTimeField(_("合并时间"), auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = _("单位曾用代码")
        ordering = ["uscc"]

    def __str__(self) -> str:
        return f"{self.uscc} → {self.organisation}"
