"""Code tables of SPEC §5. Seeded by data migrations; the office edits them in the admin."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CodeEntry(models.Model):
    code = models.CharField(_("代码"), max_length=10, primary_key=True)
    name = models.CharField(_("名称"), max_length=100)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        abstract = True
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class OrgNature(CodeEntry):
    """单位性质 (10 机关 … 99 其他)."""

    class Meta(CodeEntry.Meta):
        verbose_name = verbose_name_plural = _("单位性质")


class Industry(CodeEntry):
    """单位行业: GB/T 4754-2017 sections A–T plus 军队."""

    class Meta(CodeEntry.Meta):
        verbose_name = verbose_name_plural = _("单位行业")


class JobCategory(CodeEntry):
    """工作职位类别."""

    class Meta(CodeEntry.Meta):
        verbose_name = verbose_name_plural = _("工作职位类别")


class DestinationCategory(CodeEntry):
    """毕业去向类别 of the national system (2023+), e.g. 10 签就业协议形式就业, 801 境内升学-研究生."""

    is_placed = models.BooleanField(_("计入落实"), default=True)

    class Meta(CodeEntry.Meta):
        verbose_name = verbose_name_plural = _("毕业去向类别")


class OrgKind(models.TextChoices):
    EMPLOYER = "employer", _("用人单位")
    SCHOOL = "school", _("录取学校")
    ABROAD = "abroad", _("境外学校或单位")
    NONE = "none", _("无需填写单位")


class DestinationType(models.Model):
    """The types the wizard offers (the manual's 一级/二级去向 plus the national categories).

    Top-level rows group leaves; only leaves (no children) can be chosen. What each leaf needs
    (organisation, evidence, archive) is data here, not branches in code."""

    key = models.SlugField(_("标识"), max_length=40, primary_key=True)
    name = models.CharField(_("名称"), max_length=50)
    parent = models.ForeignKey(
        "self", verbose_name=_("一级去向"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    category = models.ForeignKey(
        DestinationCategory, verbose_name=_("毕业去向类别"), null=True, blank=True, on_delete=models.PROTECT
    )
    # Fixed 单位性质 implied by the type (公务员录用 → 10 机关, 部队录用 → 40 部队).
    implied_nature = models.ForeignKey(
        OrgNature, verbose_name=_("默认单位性质"), null=True, blank=True, on_delete=models.PROTECT
    )
    explanation = models.TextField(_("适用情形"), blank=True)
    evidence_hint = models.CharField(_("佐证材料"), max_length=200, blank=True)
    org_kind = models.CharField(_("单位信息"), max_length=10, choices=OrgKind.choices, default=OrgKind.EMPLOYER)
    needs_evidence = models.BooleanField(_("需上传佐证"), default=True)
    needs_archive = models.BooleanField(_("需填写档案（本科生）"), default=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = verbose_name_plural = _("去向类型")
        ordering = ["sort_order", "key"]

    def __str__(self) -> str:
        if self.parent_id:
            return f"{self.parent.name} - {self.name}"
        return self.name

    @property
    def needs_organisation(self) -> bool:
        return self.org_kind != OrgKind.NONE


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("省级")
    CITY = "city", _("地级")
    COUNTY = "county", _("县级")


class Region(models.Model):
    """GB/T 2260 administrative division, six-digit code (province 330000, city 330100, county 330114)."""

    code = models.CharField(_("行政区划代码"), max_length=6, primary_key=True)
    name = models.CharField(_("名称"), max_length=50)
    full_name = models.CharField(_("全称"), max_length=120)
    level = models.CharField(_("级别"), max_length=10, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级区划"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_active = models.BooleanField(_("现行"), default=True)

    class Meta:
        verbose_name = verbose_name_plural = _("行政区划")
        ordering = ["code"]
        constraints = [models.CheckConstraint(name="region_code_six_digits", condition=models.Q(code__regex=r"^\d{6}$"))]

    def __str__(self) -> str:
        return self.full_name

    @property
    def is_shanghai(self) -> bool:
        return self.code.startswith("31")


class Country(models.Model):
    """Countries and regions abroad (ISO 3166-1) with the names Chinese users expect.

    Hong Kong, Macao and Taiwan are listed under 境外 as 中国香港 / 中国澳门 / 中国台湾 (is_china_region)."""

    code = models.CharField(_("代码"), max_length=2, primary_key=True)
    name_zh = models.CharField(_("中文名称"), max_length=60)
    name_en = models.CharField(_("英文名称"), max_length=100)
    is_china_region = models.BooleanField(_("港澳台地区"), default=False)
    sort_order = models.PositiveIntegerField(
        _("排序"), default=100, help_text=_("数字小的排在前面；相同时按中文名称的拼音排序。")
    )
    name_pinyin = models.CharField(_("拼音"), max_length=200, blank=True, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = _("国家和地区")
        # 中国香港 / 中国澳门 / 中国台湾 first (their own group), then by pinyin.
        ordering = ["-is_china_region", "sort_order", "name_pinyin", "code"]

    def __str__(self) -> str:
        return self.name_zh

    def save(self, *args, **kwargs):
        from quxiang.reference.pinyin import pinyin_sort_key

        self.name_pinyin = pinyin_sort_key(self.name_zh)
        if kwargs.get("update_fields") is not None and "name_zh" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_pinyin"}
        super().save(*args, **kwargs)


class OriginAuthority(models.Model):
    """生源地主管单位: keyed by a region-code prefix (2, 4 or 6 digits), matched most specific first."""

    region_prefix = models.CharField(_("区划代码前缀"), max_length=6, unique=True)
    name = models.CharField(_("生源地主管单位名称"), max_length=100)
    archive_unit = models.CharField(_("档案接收单位"), max_length=100)
    address = models.CharField(_("地址"), max_length=200)
    postcode = models.CharField(_("邮编"), max_length=6)
    contact = models.CharField(_("联系人"), max_length=50, blank=True)
    phone = models.CharField(_("电话"), max_length=30)

    class Meta:
        verbose_name = verbose_name_plural = _("生源地主管单位")
        ordering = ["region_prefix"]
        constraints = [
            models.CheckConstraint(
                name="authority_prefix_2_4_6_digits", condition=models.Q(region_prefix__regex=r"^(\d{2}|\d{4}|\d{6})$")
            )
        ]

    def __str__(self) -> str:
        return f"{self.region_prefix} {self.name}"
