"""Property (issue 9): whatever a student does in whatever order — change the type, save an organisation
(even one typed for another kind), save the archive (even to an employer the type does not have), upload or
remove evidence, submit, withdraw — a submitted record never carries a field or an evidence file its type
does not allow, and has everything its steps need. Everything goes through the services."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quxiang.core.errors import DomainError
from quxiang.evidence.services import evidence_add, evidence_remove
from quxiang.reference.models import DestinationType, OrgKind
from quxiang.registrations import selectors, services
from quxiang.registrations.changes import registration_withdraw
from quxiang.registrations.forms import ArchiveForm, OrganisationForm
from quxiang.registrations.models import ArchiveDestination, Registration, Status, Step
from quxiang.registrations.rules import ARCHIVE_FIELDS, ORGANISATION_FIELDS
from quxiang.roster.models import EducationLevel
from quxiang.testing.factories import (
    StudentFactory,
    abroad_org_data,
    employer_org_data,
    make_pdf_bytes,
    school_org_data,
)

pytestmark = pytest.mark.django_db

TYPES = ["dispatch_general", "dispatch_military", "dispatch_civil_service", "labour_contract", "research_assistant",
         "study_master", "abroad_study", "abroad_work", "flexible_freelance", "awaiting_job_hunting"]
KEYS = st.sampled_from([*TYPES, "dispatch_military", "dispatch_civil_service"])  # the fixed-nature types twice
PDF = make_pdf_bytes()
ORG_DATA = {OrgKind.EMPLOYER: employer_org_data, OrgKind.SCHOOL: school_org_data, OrgKind.ABROAD: abroad_org_data}

# The allowance each type has, written out from the spec (§2 organisation details) rather than taken from
# the table under test: which organisation fields a record of that kind may carry.
EMPLOYER = {"org_uscc", "org_name", "org_shanghai_reg_no", "org_nature", "org_industry", "org_region",
            "org_address", "org_postcode", "org_contact_name", "org_contact_phone", "job_category", "signed_on"}
SCHOOL = {"org_uscc", "org_name", "org_region", "org_address", "org_postcode"}
ABROAD = {"abroad_country", "org_name", "abroad_name_original", "programme", "programme_original", "signed_on"}
ALLOWED = {OrgKind.EMPLOYER: EMPLOYER, OrgKind.SCHOOL: SCHOOL, OrgKind.ABROAD: ABROAD, OrgKind.NONE: set()}
# What counts as evidence of each type (SPEC §2 evidence column): a file uploaded for one type is
# evidence of another only where the spec says the same paper serves both.
ACCEPTS = {
    "dispatch_general": {"dispatch_general", "dispatch_military", "dispatch_civil_service", "dispatch_startup"},
    "dispatch_military": {"dispatch_military"},
    "dispatch_civil_service": {"dispatch_civil_service"},
    "labour_contract": {"labour_contract", "research_assistant"},
    "research_assistant": {"research_assistant"},
    "study_master": {"study_master"},
    "abroad_study": {"abroad_study"},
    "abroad_work": {"abroad_work"},
    "flexible_freelance": {"flexible_freelance"},
}

# A student's session is a few phases: choose a type (withdrawing first if the record was submitted), do
# a step or two of the wizard ("next": what the first open step asks, ending in 提交), some odd things (save an
# organisation typed for another kind, send the archive anywhere, upload, remove, submit early), then up to
# `ahead` more steps of the wizard. So records are filled partway under one type and finished under another.
odd = st.one_of(
    # Mostly an employer's form: the kind most types share, and the one with a 单位性质 to get wrong.
    st.tuples(st.just("organisation"), st.sampled_from([OrgKind.EMPLOYER, OrgKind.EMPLOYER, OrgKind.SCHOOL,
                                                        OrgKind.ABROAD, None])),
    st.tuples(st.just("archive"), st.sampled_from(list(ArchiveDestination))),
    st.tuples(st.just("upload"), st.none()),
    st.tuples(st.just("remove"), st.none()),
    st.tuples(st.just("submit"), st.none()),
)
phases = st.lists(st.tuples(KEYS, st.integers(0, 2), st.lists(odd, max_size=3), st.integers(0, 5)),
                  min_size=1, max_size=4)


def fresh(reg: Registration) -> Registration:
    return selectors.registration_detail_queryset().get(pk=reg.pk)


def save_organisation(reg: Registration, kind: str | None) -> None:
    """kind None: the form of the record's own type (with its fixed nature); otherwise a form of that kind
    (what a stale tab or another door could send), validated by kind only."""
    dtype = reg.destination_type
    if kind is None:
        if dtype is None or not dtype.needs_organisation:
            return
        overrides = {"org_nature": dtype.implied_nature_id} if dtype.implied_nature_id else {}
        form = OrganisationForm(ORG_DATA[dtype.org_kind](**overrides), destination_type=dtype)
    else:
        form = OrganisationForm(ORG_DATA[kind](), org_kind=kind, is_study=True)
    assert form.is_valid(), form.errors
    services.registration_save_organisation(registration=reg, data=form.cleaned_data)


def save_archive(reg: Registration, destination: str) -> None:
    data = ArchiveForm({**services.archive_match_authority(registration=reg), "archive_destination": destination})
    assert data.is_valid(), data.errors
    services.registration_save_archive(registration=reg, data=data.cleaned_data)


def run(reg: Registration, action: str, arg, uploaded_for: dict[int, str]) -> None:
    reg = Registration.objects.select_related("student__user", "destination_type").get(pk=reg.pk)
    user = reg.student.user
    if action == "next":
        action, arg = {
            Step.TYPE: ("type", arg), Step.ORGANISATION: ("organisation", None), Step.EVIDENCE: ("upload", None),
            Step.ARCHIVE: ("archive", ArchiveDestination.ORIGIN), Step.REVIEW: ("submit", None),
        }[selectors.registration_first_open_step(registration=reg)]
    if action == "type" and reg.status == Status.SUBMITTED:
        reg = registration_withdraw(registration=reg, actor=user)  # 撤回修改, then change the type
    if action == "type":
        services.registration_set_type(registration=reg, destination_type=DestinationType.objects.get(key=arg))
    elif action == "organisation":
        save_organisation(reg, arg)
    elif action == "archive":
        save_archive(reg, arg)
    elif action == "upload":
        upload = SimpleUploadedFile("材料.pdf", PDF, content_type="application/pdf")
        evidence = evidence_add(registration=reg, upload=upload, actor=user)
        uploaded_for[evidence.pk] = reg.destination_type_id
    elif action == "remove":
        first = reg.evidence_files.first()
        if first is not None:
            evidence_remove(evidence=first, actor=user)
    elif action == "submit":
        if services.registration_submit(registration=reg, actor=user):
            check_submitted(fresh(reg), uploaded_for)


def check_submitted(reg: Registration, uploaded_for: dict[int, str]) -> None:
    assert reg.status == Status.SUBMITTED
    dtype = reg.destination_type
    steps = selectors.registration_steps(registration=reg)
    allowed = ALLOWED[dtype.org_kind] if Step.ORGANISATION in steps else set()
    extra = {f: getattr(reg, f) for f in ORGANISATION_FIELDS if f not in allowed and getattr(reg, f) not in (None, "")}
    assert not extra, (dtype.key, extra)
    if Step.ORGANISATION in steps:
        assert reg.organisation_done and reg.org_name
        if dtype.implied_nature_id:
            assert reg.org_nature_id == dtype.implied_nature_id
    if Step.ARCHIVE in steps:
        assert reg.archive_done and reg.archive_unit
        assert reg.archive_destination != ArchiveDestination.EMPLOYER or dtype.org_kind == OrgKind.EMPLOYER
    else:
        assert all(getattr(reg, f) == "" for f in ARCHIVE_FIELDS), dtype.key
    files = list(reg.evidence_files.all())
    if Step.EVIDENCE in steps:
        assert files, dtype.key
    for f in files:
        assert dtype.key in ACCEPTS[uploaded_for[f.pk]], (f.original_name, uploaded_for[f.pk], dtype.key)
    assert not (set(files) and Step.EVIDENCE not in steps)


@settings(max_examples=50, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(session=phases, postgraduate=st.booleans())
def test_a_submitted_record_never_carries_what_its_type_does_not_allow(session, postgraduate):
    with transaction.atomic():  # each example starts from the same database (and the factories stay unique)
        student = StudentFactory(level=EducationLevel.MASTER if postgraduate else EducationLevel.BACHELOR)
        reg = services.registration_start(student=student, actor=student.user)
        uploaded_for: dict[int, str] = {}
        for key, before, odd_actions, ahead in session:
            for action, arg in [("type", key), *[("next", key)] * before, *odd_actions, *[("next", key)] * ahead]:
                try:
                    run(reg, action, arg, uploaded_for)
                except (DomainError, ValidationError):
                    pass  # a refusal (step not ready, not editable, wrong nature, fourth file …) changes nothing
        reg = fresh(reg)
        if reg.status == Status.SUBMITTED:
            check_submitted(reg, uploaded_for)
        transaction.set_rollback(True)
