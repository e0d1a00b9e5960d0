"""Reads of registrations. Which steps a record needs and which are done is decided here, once."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import IntegerField, Prefetch, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from quxiang.core.queries import PreparedLookup, prefetched
from quxiang.core.validators import validate_uscc
from quxiang.evidence.models import EvidenceFile
from quxiang.organisations.models import Organisation
from quxiang.organisations.selectors import organisation_lookup
from quxiang.reference.models import Country, DestinationType, Industry, JobCategory, OrgKind, OrgNature
from quxiang.reference.selectors import code_get, destination_type_get, region_by_code
from quxiang.registrations.models import OPEN_STATUSES, Registration, RegistrationEvent, Status, Step
from quxiang.registrations.rules import organisation_fields
from quxiang.roster.models import Student


def _evidence_in_upload_order() -> QuerySet[EvidenceFile]:
    """A record's files as every page lists them (staff pages prefetch them, the student's read them prepared)."""
    return EvidenceFile.objects.order_by("uploaded_at", "id")


def _events_with_actor() -> QuerySet[RegistrationEvent]:
    """A record's events in the model's order (at, id), with who acted."""
    return RegistrationEvent.objects.select_related("actor")


def registration_detail_queryset() -> QuerySet[Registration]:
    return Registration.objects.select_related(
        "student__college", "student__major", "student__school_class", "student__origin_region",
        "destination_type__parent", "destination_type__category", "org_nature", "org_industry", "org_region",
        "job_category", "abroad_country", "verified_by", "changed_from",
    ).prefetch_related(
        Prefetch("evidence_files", queryset=_evidence_in_upload_order()),
        Prefetch("events", queryset=_events_with_actor()),
    )


def registration_get_open(*, student: Student) -> Registration | None:
    """The student's record in progress (draft, submitted or returned), if any."""
    return registration_detail_queryset().filter(student=student, status__in=OPEN_STATUSES).first()


def _evidence_count_sql() -> RawSQL:
    """COUNT of the record's evidence files as a correlated subquery. Written out: the ORM's
    Subquery(…annotate(Count)) costs more Python to compile (≈ 0.5 ms a request) than the query costs."""
    evidence, reg = EvidenceFile._meta, Registration._meta
    column = evidence.get_field("registration").column
    return RawSQL(f'SELECT COUNT(*) FROM "{evidence.db_table}" e WHERE e."{column}" = "{reg.db_table}"."{reg.pk.column}"',
                  (), output_field=IntegerField())


def registration_attach_reference(registration: Registration, *, student: Student | None = None) -> Registration:
    """Fill the record's code-table relations (type with parent and category, 单位性质, 行业, 职位类别,
    国家, 所在地) from process memory (quxiang/reference/cache.py) instead of joining them, and the
    student the caller already holds. Returns the record."""
    field = Registration._meta.get_field
    if student is not None and student.pk == registration.student_id:
        field("student").set_cached_value(registration, student)
    field("destination_type").set_cached_value(registration, destination_type_get(key=registration.destination_type_id))
    for name, model in (("org_nature", OrgNature), ("org_industry", Industry), ("job_category", JobCategory),
                        ("abroad_country", Country)):
        field(name).set_cached_value(registration, code_get(model, getattr(registration, f"{name}_id")))
    field("org_region").set_cached_value(registration, region_by_code(code=registration.org_region_id))
    return registration


def registration_lock(*, registration: Registration) -> Registration:
    """The record's row again under `SELECT … FOR UPDATE` (inside the caller's transaction): its fields as
    committed, its type from process memory and its student from the instance the caller holds (the lock is
    on the record only, so joining the student would read nothing more reliable)."""
    locked = _LOCK.get(pk=registration.pk)
    if locked is None:
        raise Registration.DoesNotExist(f"registration {registration.pk}")
    student = registration.student if Registration.student.is_cached(registration) else None
    return registration_attach_reference(locked, student=student)


def registration_prefetch_evidence(*, registration: Registration) -> list[EvidenceFile]:
    """The record's evidence files in upload order, kept on it as `registration.evidence_files.all()`
    (one query, compiled once per process)."""
    return prefetched(registration, "evidence_files", _EVIDENCE.all(registration_id=registration.pk))


def _attach_evidence_and_events(registration: Registration) -> Registration:
    """Evidence files and events kept on the record, as prefetch_related() of both would keep them, in two
    queries compiled once per process (prefetch_related() compiled them on every call: a fifth of the
    API's CPU). The events' actors come joined (the status page names who returned a record)."""
    registration_prefetch_evidence(registration=registration)
    prefetched(registration, "events", _EVENTS.all(registration_id=registration.pk))
    return registration


def registration_get_open_for_step(*, student: Student) -> Registration | None:
    """The open record as the wizard's steps need it: one query on the record (with its evidence count),
    the student passed in, the code tables from process memory. The review and evidence pages add the files
    (`registration_prefetch_evidence`); staff pages and the sheet keep `registration_detail_queryset()`."""
    reg = _OPEN_FOR_STEP.get(student_id=student.pk)
    return registration_attach_reference(reg, student=student) if reg is not None else None


_LOCK = PreparedLookup(lambda pk: Registration.objects.select_for_update().filter(pk=pk), pk=-918_273_646)

# Compiled once per process (quxiang/core/queries.py): it runs on every request of the wizard.
_OPEN_FOR_STEP = PreparedLookup(
    lambda student_id: Registration.objects.filter(student_id=student_id, status__in=OPEN_STATUSES)
    .annotate(evidence_count=_evidence_count_sql()), student_id=-918_273_645)
_BY_PK = PreparedLookup(lambda pk: Registration.objects.filter(pk=pk), pk=-918_273_644)
_EVIDENCE = PreparedLookup(lambda registration_id: _evidence_in_upload_order().filter(registration_id=registration_id),
                           registration_id=-918_273_643)
_EVENTS = PreparedLookup(lambda registration_id: _events_with_actor().filter(registration_id=registration_id),
                         registration_id=-918_273_642)


def registration_get_full(*, pk: int, student: Student | None = None) -> Registration:
    """One record with its evidence and events and its code tables from process memory: what the API
    answers after a change (three queries, where registration_detail_queryset() joins 17 tables)."""
    reg = _BY_PK.get(pk=pk)
    if reg is None:
        raise Registration.DoesNotExist(f"registration {pk}")
    return registration_attach_reference(_attach_evidence_and_events(reg), student=student)


def registration_complete(*, registration: Registration) -> Registration:
    """A record a service has just saved (its fields are current), made ready for the API's answer: the
    code tables from process memory, evidence and events in two queries."""
    registration_attach_reference(registration)
    return _attach_evidence_and_events(registration)


def registration_get_current(*, student: Student, history: list[Registration] | None = None) -> Registration | None:
    """What the student's status page shows: the open record, else the verified one; with its evidence and
    events, the code tables from process memory and `student` (the caller's, with what its page shows).
    Taken from the student's `history` (registration_history; read here when not given)."""
    if history is None:
        history = registration_history(student=student)
    reg = (next((r for r in history if r.status in OPEN_STATUSES), None)
           or next((r for r in history if r.status == Status.VERIFIED), None))
    if reg is None:
        return None
    _attach_evidence_and_events(reg)
    earlier = next((r for r in history if r.pk == reg.changed_from_id), None)
    if earlier is not None:
        Registration._meta.get_field("changed_from").set_cached_value(reg, earlier)
    return registration_attach_reference(reg, student=student)


def registration_history(*, student: Student) -> list[Registration]:
    """Every version of the student's record, newest first, with its type from process memory (one query)."""
    records = list(Registration.objects.filter(student=student).order_by("-version"))
    field = Registration._meta.get_field("destination_type")
    for record in records:
        field.set_cached_value(record, destination_type_get(key=record.destination_type_id))
    return records


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
    """From the prefetched files, else the count loaded with the record (registration_get_open_for_step),
    else one COUNT."""
    cache = getattr(registration, "_prefetched_objects_cache", {})
    if "evidence_files" in cache:
        return len(cache["evidence_files"])
    if hasattr(registration, "evidence_count"):
        return registration.evidence_count
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


@dataclass(frozen=True)
class OrganisationPrefill:
    """What 检索匹配 puts into the organisation form: ``fields`` by form field name (codes for the selects)."""

    organisation: Organisation
    fields: dict[str, str]
    notices: tuple[str, ...] = ()


def organisation_prefill(*, uscc: str, destination_type: DestinationType | None) -> OrganisationPrefill | None:
    """检索匹配 for the web form and the API alike: the directory's entry for the code, limited to the fields
    the type's form has, with the 单位性质 the type fixes (部队录用 → 部队, 公务员录用 → 机关) instead of the
    directory's. None for an unknown code; ValidationError (validate_uscc's message) for a malformed one."""
    org = organisation_lookup(uscc=validate_uscc(uscc))
    if org is None:
        return None
    allowed = organisation_fields(org_kind=destination_type.org_kind if destination_type else OrgKind.EMPLOYER)
    values = {
        "org_uscc": org.uscc, "org_name": org.name, "org_shanghai_reg_no": org.shanghai_reg_no,
        "org_nature": org.nature_id, "org_industry": org.industry_id, "org_region": org.region_id,
        "org_address": org.address, "org_postcode": org.postcode, "org_contact_name": org.contact_name,
        "org_contact_phone": org.contact_phone,
    }
    notices: list[str] = []
    implied = destination_type.implied_nature if destination_type and destination_type.implied_nature_id else None
    if implied is not None and "org_nature" in allowed:
        if org.nature_id and org.nature_id != implied.pk:
            notices.append(_("单位库中该单位的性质为“%(directory)s”，“%(type)s”按“%(nature)s”登记。") % {
                "directory": org.nature.name, "type": destination_type.name, "nature": implied.name})
        values["org_nature"] = implied.pk
    # An empty code in the directory leaves what the student chose.
    fields = {k: v for k, v in values.items() if k in allowed and v is not None}
    return OrganisationPrefill(organisation=org, fields=fields, notices=tuple(notices))
