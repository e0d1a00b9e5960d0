"""The school's structure and roster. The national ID is never shown in full in lists."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from quxiang.roster.models import College, Major, SchoolClass, Student


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
            from quxiang.accounts.models import Role, User

            kwargs["queryset"] = User.objects.filter(role__in=[Role.COUNSELOR, Role.COLLEGE_OFFICER])
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
