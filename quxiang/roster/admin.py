"""The school's structure and roster. The national ID is never shown in full in lists."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from quxiang.accounts.models import Role, User
from quxiang.roster.models import Cohort, College, Major, SchoolClass, Student


@admin.register(College)
class CollegeAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Major)
class MajorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "college"]
    list_filter = ["level", "college"]
    list_select_related = ["college"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["college"]


@admin.register(SchoolClass)
class SchoolClassAdmin(admin.ModelAdmin):
    list_display = ["name", "major", "college_name", "counselor_names"]
    list_filter = ["major__college", "major__level"]
    list_select_related = ["major__college"]
    search_fields = ["name", "major__name", "counselors__username", "counselors__full_name"]
    search_help_text = _("按班级、专业或辅导员（账号、姓名）搜索")
    autocomplete_fields = ["major"]
    filter_horizontal = ["counselors"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("counselors")

    @admin.display(description=_("学院"), ordering="major__college__code")
    def college_name(self, obj: SchoolClass) -> str:
        return obj.major.college.name

    @admin.display(description=_("辅导员"))
    def counselor_names(self, obj: SchoolClass) -> str:
        return "、".join(u.full_name or u.username for u in obj.counselors.all())

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "counselors":
            # Only active counselor accounts are offered (college officers already see their whole college).
            kwargs["queryset"] = User.objects.filter(role=Role.COUNSELOR, is_active=True).order_by("username")
            kwargs["help_text"] = _("只列出在用的辅导员账号。辅导员负责鉴证所分配班级学生的登记。")
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Student)
class StudentAdmin(admin.ModelAdmin):
    # masked_national_id only: the raw number must not appear in lists (exports, screenshots).
    list_display = [
        "student_number",
        "name",
        "gender",
        "masked_national_id",
        "education_level",
        "college",
        "major",
        "school_class",
        "origin_region",
        "graduation_year",
    ]
    list_filter = ["graduation_year", "education_level", "college", "gender"]
    list_select_related = ["college", "major", "school_class", "origin_region"]
    # Exact match on the full ID is allowed for lookups; it is not displayed.
    search_fields = ["student_number", "name", "=national_id", "school_class__name"]
    autocomplete_fields = ["college", "major", "school_class", "origin_region"]
    raw_id_fields = ["user"]
    list_per_page = 50

    @admin.display(description=_("身份证号"))
    def masked_national_id(self, obj: Student) -> str:
        return obj.masked_national_id


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    """毕业年份设置: the change (变更/改派) deadline of each graduation year."""

    list_display = ["year", "change_deadline", "effective_deadline"]
    search_fields = ["=year"]
    ordering = ["-year"]

    @admin.display(description=_("实际截止日期"))
    def effective_deadline(self, obj: Cohort):
        return obj.effective_change_deadline

    def get_readonly_fields(self, request, obj=None):
        return ["year"] if obj is not None else []
