"""Export profiles (issue 14): how the national (or a provincial) loader wants the graduates' file — its field
codes, the Chinese names, widths, code tables and when a field is required — and the school's own codes.

A profile is data, edited in the admin (inline fields and code values) or as an xlsx (profiles.py); a profile
in use is never edited in place for a new year: it is copied to a new version (`profile_copy`), so last
year's file can still be produced. The seed (migration 0002) holds the national profile and a provincial
profile derived from it; docs/decisions.md "Export profiles" lists the sources."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class HeaderMode(models.TextChoices):
    TWO_ROWS = "two_rows", _("第一行字段代码，第二行中文名称")
    NOTES_SHEET = "notes_sheet", _("第一行字段代码，中文名称在“说明”工作表")


class Fixer(models.TextChoices):
    STUDENT = "student", _("学生")
    COUNSELOR = "counselor", _("辅导员")
    OFFICE = "office", _("就业指导中心")


class DateFormat(models.TextChoices):
    NONE = "", _("（不是日期）")
    YYYYMMDD = "%Y%m%d", "YYYYMMDD"
    DASHED = "%Y-%m-%d", "YYYY-MM-DD"
    YYYYMM = "%Y%m", "YYYYMM"
    DASHED_MONTH = "%Y-%m", "YYYY-MM"


class CodeTable(models.TextChoices):
    """What a field's values are checked against. The first group maps our text to the profile's codes (rows
    of `ProfileCode`); the second checks codes against our own code tables (quxiang.reference)."""

    NONE = "", _("（无）")
    GENDER = "gender", _("性别（GB/T 2261.1）")
    ETHNICITY = "ethnicity", _("民族（GB/T 3304）")
    POLITICAL = "political", _("政治面貌（GB/T 4762）")
    EDUCATION = "education", _("学历")
    TRAINING_MODE = "training_mode", _("培养方式")
    STUDY_FORM = "study_form", _("学习形式")
    URBAN_RURAL = "urban_rural", _("城乡生源")
    CATEGORY = "category", _("毕业去向类别（代码表）")
    ORG_NATURE = "org_nature", _("单位性质（代码表）")
    INDUSTRY = "industry", _("单位行业（GB/T 4754 门类）")
    JOB_CATEGORY = "job_category", _("工作职位类别（代码表）")
    REGION = "region", _("行政区划（GB/T 2260）")


# Tables whose rows live on the profile (our text → their code); the others are quxiang.reference tables.
MAPPED_TABLES = frozenset({CodeTable.GENDER, CodeTable.ETHNICITY, CodeTable.POLITICAL, CodeTable.EDUCATION,
                           CodeTable.TRAINING_MODE, CodeTable.STUDY_FORM, CodeTable.URBAN_RURAL})


class ExportProfile(models.Model):
    key = models.SlugField(_("标识"), max_length=40, help_text=_("同一格式的各个版本共用一个标识，如 national、shanghai。"))
    name = models.CharField(_("名称"), max_length=100)
    year = models.PositiveSmallIntegerField(_("适用年份"), help_text=_("格式所对应的毕业年份（届）。"))
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    header_mode = models.CharField(_("表头"), max_length=20, choices=HeaderMode.choices, default=HeaderMode.TWO_ROWS)
    sheet_title = models.CharField(_("工作表名称"), max_length=31, default="毕业生")
    notes = models.TextField(_("说明与依据"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True, help_text=_("停用的格式不在导出页面上列出。"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = _("上报格式")
        ordering = ["key", "-year", "-version"]
        constraints = [models.UniqueConstraint(fields=["key", "year", "version"], name="export_profile_key_year_version")]

    def __str__(self) -> str:
        return f"{self.name}（{self.year} 届 · 第 {self.version} 版）"


class ProfileField(models.Model):
    profile = models.ForeignKey(ExportProfile, on_delete=models.CASCADE, related_name="fields")
    position = models.PositiveSmallIntegerField(_("序号"))
    code = models.CharField(_("字段代码"), max_length=40, validators=[RegexValidator(r"^[A-Za-z][A-Za-z0-9_]*$")])
    name = models.CharField(_("中文名称"), max_length=60)
    source = models.CharField(_("取值"), max_length=40, help_text=_("本系统中的字段，见 quxiang/reports/profiles.py SOURCES。"))
    width = models.PositiveSmallIntegerField(_("宽度"), help_text=_("最多字符数。"))
    fixed_width = models.BooleanField(_("定长"), default=False, help_text=_("勾选时值必须恰好是这个宽度（如民族代码 01）。"))
    code_table = models.CharField(_("代码表"), max_length=20, choices=CodeTable.choices, blank=True)
    date_format = models.CharField(_("日期格式"), max_length=10, choices=DateFormat.choices, blank=True)
    required_for = models.CharField(
        _("必填条件"), max_length=200, blank=True,
        help_text=_("* 表示每条记录必填；留空表示选填；否则填毕业去向代码，用逗号分隔，如 10,11。"),
    )
    fixer = models.CharField(_("由谁修改"), max_length=10, choices=Fixer.choices, default=Fixer.STUDENT)

    class Meta:
        verbose_name = verbose_name_plural = _("字段")
        ordering = ["profile", "position"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "position"], name="profile_field_position"),
            models.UniqueConstraint(fields=["profile", "code"], name="profile_field_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProfileCode(models.Model):
    """One value of a mapped code table of a profile: our text (as the roster holds it) → their code. Several
    texts may give the same code (共青团员 / 中国共产主义青年团团员 → 03)."""

    profile = models.ForeignKey(ExportProfile, on_delete=models.CASCADE, related_name="codes")
    table = models.CharField(_("代码表"), max_length=20, choices=[(t.value, t.label) for t in CodeTable
                                                               if t in MAPPED_TABLES])
    label = models.CharField(_("本系统中的值"), max_length=60)
    code = models.CharField(_("代码"), max_length=10)

    class Meta:
        verbose_name = verbose_name_plural = _("代码值")
        ordering = ["profile", "table", "code", "label"]
        constraints = [models.UniqueConstraint(fields=["profile", "table", "label"], name="profile_code_label")]

    def __str__(self) -> str:
        return f"{self.get_table_display()}：{self.label} → {self.code}"


class SchoolSettings(models.Model):
    """The school's own codes, filled once by the office (one row, pk 1). An export under a profile that uses
    one of them stops while it is empty."""

    school_code = models.CharField(_("院校代码"), max_length=10, blank=True,
                                   help_text=_("教育部颁发的 5 位院校代码，如 10247。"))
    school_name = models.CharField(_("院校名称"), max_length=100, blank=True)
    authority_code = models.CharField(_("隶属部门代码"), max_length=10, blank=True,
                                      help_text=_("如 360（教育部）或所在省份的主管部门代码。"))
    authority_name = models.CharField(_("隶属部门"), max_length=100, blank=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("院校信息（上报用）")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
