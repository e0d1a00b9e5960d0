"""The school's structure and its graduates."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from quxiang.core.validators import mask_national_id


class College(models.Model):
    """学院."""

    code = models.CharField(_("学院代码"), max_length=20, unique=True)
    name = models.CharField(_("学院名称"), max_length=100, unique=True)

    class Meta:
        verbose_name = verbose_name_plural = _("学院")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class EducationLevel(models.TextChoices):
    BACHELOR = "bachelor", _("本科")
    MASTER = "master", _("硕士")
    DOCTOR = "doctor", _("博士")


class Major(models.Model):
    """专业, with its national code."""

    code = models.CharField(_("专业代码"), max_length=20)
    name = models.CharField(_("专业名称"), max_length=100)
    college = models.ForeignKey(College, verbose_name=_("学院"), on_delete=models.PROTECT, related_name="majors")
    level = models.CharField(_("学历层次"), max_length=10, choices=EducationLevel.choices)

    class Meta:
        verbose_name = verbose_name_plural = _("专业")
        ordering = ["college__code", "code"]
        constraints = [models.UniqueConstraint(fields=["code", "level"], name="major_code_level_unique")]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_level_display()}）"


class SchoolClass(models.Model):
    """班级, with the counselor(s) who verify its students."""

    name = models.CharField(_("班级名称"), max_length=100, unique=True)
    major = models.ForeignKey(Major, verbose_name=_("专业"), on_delete=models.PROTECT, related_name="classes")
    counselors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("辅导员"), related_name="counseled_classes", blank=True
    )

    class Meta:
        verbose_name = verbose_name_plural = _("班级")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class RecordState(models.TextChoices):
    """A graduate's state as the statistics count it (the values are the registration statuses)."""

    NONE = "none", _("未登记")
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待鉴证")
    RETURNED = "returned", _("已退回")
    VERIFIED = "verified", _("已鉴证")


class Student(models.Model):
    """A graduate of one cohort. The national ID is stored in full and shown masked.

    `record_state`, `verified_type` and `pending_type` are a copy of what the student's records say,
    written only by quxiang.registrations.state.student_state_refresh in the transaction of every change
    of those records (and repaired by `manage.py statistics_recount`); the statistics page groups by them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("登录账号"), on_delete=models.PROTECT, related_name="student"
    )
    student_number = models.CharField(_("学号"), max_length=20, unique=True)
    name = models.CharField(_("姓名"), max_length=50)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    national_id = models.CharField(_("身份证号"), max_length=18, unique=True)
    education_level = models.CharField(_("学历层次"), max_length=10, choices=EducationLevel.choices)
    college = models.ForeignKey(College, verbose_name=_("学院"), on_delete=models.PROTECT, related_name="students")
    major = models.ForeignKey(Major, verbose_name=_("专业"), on_delete=models.PROTECT, related_name="students")
    school_class = models.ForeignKey(
        SchoolClass, verbose_name=_("班级"), on_delete=models.PROTECT, related_name="students"
    )
    origin_region = models.ForeignKey(
        "reference.Region", verbose_name=_("生源地"), on_delete=models.PROTECT, related_name="+"
    )
    graduation_year = models.PositiveSmallIntegerField(_("毕业年份"), db_index=True)
    phone = models.CharField(_("手机号"), max_length=11, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    # Fields of the national export (SPEC §4) that the roster import carries; all optional.
    exam_number = models.CharField(_("考生号"), max_length=20, blank=True)
    ethnicity = models.CharField(_("民族"), max_length=20, blank=True)
    political_status = models.CharField(_("政治面貌"), max_length=20, blank=True)
    urban_rural = models.CharField(_("城乡生源"), max_length=10, blank=True)
    enrolled_on = models.DateField(_("入学年月"), null=True, blank=True)
    graduation_date = models.DateField(_("毕业日期"), null=True, blank=True)
    training_mode = models.CharField(_("培养方式"), max_length=20, blank=True)
    study_form = models.CharField(_("学习形式"), max_length=20, blank=True)
    # Maintained from the records (see the class docstring); never edited by hand.
    record_state = models.CharField(
        _("登记状态"), max_length=10, choices=RecordState.choices, default=RecordState.NONE,
        db_default=RecordState.NONE, editable=False,
    )
    verified_type = models.ForeignKey(
        "reference.DestinationType", verbose_name=_("已鉴证去向类型"), null=True, blank=True, editable=False,
        on_delete=models.PROTECT, related_name="+", db_index=False,
    )
    pending_type = models.ForeignKey(
        "reference.DestinationType", verbose_name=_("待鉴证去向类型"), null=True, blank=True, editable=False,
        on_delete=models.PROTECT, related_name="+", db_index=False,
    )

    class Meta:
        verbose_name = verbose_name_plural = _("毕业生")
        ordering = ["student_number"]
        indexes = [
            # Covers the statistics aggregation (an index-only scan on PostgreSQL): the cohort, the
            # breakdowns and the maintained state.
            models.Index(
                fields=["graduation_year", "college", "major", "education_level", "gender", "record_state",
                        "verified_type", "pending_type"],
                name="student_statistics_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student_number} {self.name}"

    @property
    def masked_national_id(self) -> str:
        return mask_national_id(self.national_id)

    @property
    def is_undergraduate(self) -> bool:
        return self.education_level == EducationLevel.BACHELOR


class Cohort(models.Model):
    """Settings of one graduation year. Changes (变更/改派) are allowed until the deadline."""

    year = models.PositiveSmallIntegerField(_("毕业年份"), primary_key=True)
    change_deadline = models.DateField(_("变更截止日期"), null=True, blank=True, help_text=_("留空则为当年 8 月 31 日。"))

    class Meta:
        verbose_name = verbose_name_plural = _("毕业年份设置")
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year} 届"

    @property
    def effective_change_deadline(self):
        import datetime as dt

        return self.change_deadline or dt.date(self.year, 8, 31)
