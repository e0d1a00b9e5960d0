"""Reads of registrations. Which steps a record needs and which are done is decided here, once."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from quxiang.evidence.models import EvidenceFile
from quxiang.registrations.models import OPEN_STATUSES, Registration, RegistrationEvent, Status, Step
from quxiang.roster.models import Student

STEP_ORDER = [Step.TYPE, Step.ORGANISATION, Step.EVIDENCE, Step.ARCHIVE, Step.REVIEW]


def registration_detail_queryset() -> QuerySet[Registration]:
    return Registration.objects.select_related(
        "student__college", "student__major", "student__school_class", "student__origin_region",
        "destination_type__parent", "destination_type__category", "org_nature", "org_industry", "org_region",
        "job_category", "abroad_country", "verified_by", "changed_from",
    ).prefetch_related(
        Prefetch("evidence_files", queryset=EvidenceFile.objects.order_by("uploaded_at", "id")),
        Prefetch("events", queryset=RegistrationEvent.objects.select_related("actor")),
    )


def registration_get_open(*, student: Student) -> Registration | None:
    """The student's record in progress (draft, submitted or returned), if any."""
    return registration_detail_queryset().filter(student=student, status__in=OPEN_STATUSES).first()


def registration_get_current(*, student: Student) -> Registration | None:
    """What the student's status page shows: the open record, else the verified one."""
    return registration_get_open(student=student) or (
        registration_detail_queryset().filter(student=student, status=Status.VERIFIED).first()
    )


def registration_history(*, student: Student) -> QuerySet[Registration]:
    return Registration.objects.filter(student=student).select_related("destination_type__parent").order_by("-version")


def registration_steps(*, registration: Registration) -> list[Step]:
    """The steps this record goes through, in order."""
    dtype = registration.destination_type
    steps = [Step.TYPE]
    if dtype is None:
        return steps + [Step.ORGANISATION, Step.EVIDENCE, Step.ARCHIVE, Step.REVIEW]
    if dtype.needs_organisation:
        steps.append(Step.ORGANISATION)
    if dtype.needs_evidence:
        steps.append(Step.EVIDENCE)
    if dtype.needs_archive and registration.student.is_undergraduate:
        steps.append(Step.ARCHIVE)
    steps.append(Step.REVIEW)
    return steps


def registration_evidence_count(*, registration: Registration) -> int:
    cache = getattr(registration, "_prefetched_objects_cache", {})
    if "evidence_files" in cache:
        return len(cache["evidence_files"])
    return registration.evidence_files.count()


def registration_step_done(*, registration: Registration, step: Step) -> bool:
    if step == Step.TYPE:
        return registration.destination_type_id is not None
    if step == Step.ORGANISATION:
        return registration.organisation_done
    if step == Step.EVIDENCE:
        return registration_evidence_count(registration=registration) > 0
    if step == Step.ARCHIVE:
        return registration.archive_done
    return False


def registration_first_open_step(*, registration: Registration) -> Step:
    for step in registration_steps(registration=registration):
        if not registration_step_done(registration=registration, step=step):
            return step
    return Step.REVIEW


def registration_blocking_step(*, registration: Registration, step: Step) -> Step | None:
    """The earlier step that must be finished before `step` can be opened (None: it can be opened)."""
    steps = registration_steps(registration=registration)
    first_open = registration_first_open_step(registration=registration)
    if step not in steps or steps.index(step) > steps.index(first_open):
        return first_open
    return None


def registration_is_complete(*, registration: Registration) -> bool:
    return registration_first_open_step(registration=registration) == Step.REVIEW


def registration_step_neighbours(*, registration: Registration, step: Step) -> tuple[Step | None, Step | None]:
    steps = registration_steps(registration=registration)
    i = steps.index(step)
    return (steps[i - 1] if i > 0 else None, steps[i + 1] if i + 1 < len(steps) else None)


def registration_public_lookup(*, code: str) -> Registration | None:
    """The record behind a sheet's verification number. Unknown, malformed or tampered numbers find nothing."""
    code = (code or "").strip().upper()
    if not code.startswith("QX") or len(code) > 32:
        return None
    return (
        Registration.objects.filter(verification_no=code, status__in=[Status.VERIFIED, Status.SUPERSEDED])
        .select_related("student", "destination_type__parent", "destination_type__category", "abroad_country")
        .first()
    )
