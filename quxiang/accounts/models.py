from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    STUDENT = "student", _("毕业生")
    COUNSELOR = "counselor", _("辅导员")
    COLLEGE_OFFICER = "college_officer", _("学院就业秘书")
    OFFICE = "office", _("就业指导中心")
    ADMIN = "admin", _("系统管理员")


class User(AbstractUser):
    """A person who logs in. Students log in with their 学号; staff scope comes from their role."""

    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.STUDENT)
    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    # College officers are scoped to one college; counselors to the classes that name them.
    college = models.ForeignKey(
        "roster.College", verbose_name=_("所属学院"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="officers",
    )
    must_change_password = models.BooleanField(_("首次登录须修改密码"), default=False)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                name="college_officer_has_college",
                condition=~models.Q(role="college_officer") | models.Q(college__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.full_name or self.username}（{self.username}）"

    # The role predicates: code and templates ask these, never compare `role` themselves.
    @property
    def is_student(self) -> bool:
        return self.role == Role.STUDENT

    @property
    def is_counselor(self) -> bool:
        return self.role == Role.COUNSELOR

    @property
    def is_college_officer(self) -> bool:
        return self.role == Role.COLLEGE_OFFICER

    @property
    def is_office(self) -> bool:
        """School-wide rights: the employment office, and the system administrator."""
        return self.role in {Role.OFFICE, Role.ADMIN}

    @property
    def is_staff_role(self) -> bool:
        return self.role in {Role.COUNSELOR, Role.COLLEGE_OFFICER, Role.OFFICE, Role.ADMIN}
