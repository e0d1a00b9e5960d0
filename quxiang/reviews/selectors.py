"""What staff see: the verification queue and who has not registered, always within the viewer's scope."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from quxiang.accounts.access import scope
from quxiang.accounts.models import User
from quxiang.audit.models import AuditEntry
from quxiang.registrations.models import Registration, Status
from quxiang.roster.models import Major, SchoolClass, Student


@dataclass(frozen=True)
class QueueFilters:
    status: str = Status.SUBMITTED
    school_class: int | None = None
    major: int | None = None
    destination_type: str = ""
    q: str = ""


def review_queue(*, user: User, filters: QueueFilters) -> QuerySet[Registration]:
    qs = Registration.objects.exclude(status=Status.SUPERSEDED)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.school_class:
        qs = qs.filter(student__school_class_id=filters.school_class)
    if filters.major:
        qs = qs.filter(student__major_id=filters.major)
    if filters.destination_type:
        qs = qs.filter(Q(destination_type_id=filters.destination_type) | Q(destination_type__parent_id=filters.destination_type))
    if filters.q:
        qs = qs.filter(Q(student__student_number__startswith=filters.q.strip()) | Q(student__name__contains=filters.q.strip()))
    return (
        scope(user=user, queryset=qs)
        .select_related("student__school_class", "student__major", "destination_type__parent")
        .order_by("submitted_at", "id")
    )


def classes_in_scope(*, user: User) -> QuerySet[SchoolClass]:
    students = scope(user=user, queryset=Student.objects.all())
    return SchoolClass.objects.filter(pk__in=students.values("school_class_id")).order_by("name")


def majors_in_scope(*, user: User) -> QuerySet[Major]:
    students = scope(user=user, queryset=Student.objects.all())
    return Major.objects.filter(pk__in=students.values("major_id")).order_by("code")


def students_unregistered(*, user: User, year: int | None = None) -> QuerySet[Student]:
    """Students with nothing submitted: no record, only a draft, or a returned record.
    Each row carries `record_status` (None = 未登记)."""
    done = Registration.objects.filter(
        student=OuterRef("pk"), status__in=[Status.SUBMITTED, Status.VERIFIED]
    )
    latest = Registration.objects.filter(student=OuterRef("pk")).exclude(status=Status.SUPERSEDED).order_by("-version")
    qs = Student.objects.filter(~Exists(done))
    if year:
        qs = qs.filter(graduation_year=year)
    return (
        scope(user=user, queryset=qs)
        .annotate(record_status=Subquery(latest.values("status")[:1]), return_reason=Subquery(latest.values("return_reason")[:1]))
        .select_related("school_class", "major", "college")
        .order_by("school_class__name", "student_number")
    )


def cohort_years(*, user: User) -> list[int]:
    """Graduation years present in the user's scope, newest first."""
    students = scope(user=user, queryset=Student.objects.all())
    return sorted(set(students.values_list("graduation_year", flat=True)), reverse=True)


def audit_log_entries(*, action: str = "", actor_username: str = "", student_number: str = "") -> QuerySet[AuditEntry]:
    """The office's audit log, newest first, with each entry's student (学号, name) read by subqueries: the
    entry stores only the student's id (audit sits below roster), and the page stays at a fixed number of
    queries however many entries it shows. An entry whose student row is gone keeps its id and shows it."""
    student = Student.objects.filter(pk=OuterRef("student_id"))
    entries = AuditEntry.objects.select_related("actor").annotate(
        student_number=Subquery(student.values("student_number")[:1]),
        student_name=Subquery(student.values("name")[:1]),
    ).order_by("-at", "-id")
    if action:
        entries = entries.filter(action=action)
    if actor_username:
        entries = entries.filter(actor__username=actor_username)
    if student_number:
        entries = entries.filter(student_id__in=Student.objects.filter(student_number=student_number).values("pk"))
    return entries
