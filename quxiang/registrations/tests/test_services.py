"""Writes to registrations: start, type, organisation, archive, submit — and what is refused."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from quxiang.evidence.services import evidence_add
from quxiang.reference.models import DestinationType
from quxiang.registrations import services
from quxiang.registrations.errors import StepInputRefused, StepNotReady
from quxiang.registrations.forms import OrganisationForm
from quxiang.registrations.models import (
    ArchiveDestination,
    EventKind,
    Registration,
    RegistrationEvent,
    Status,
    Step,
)
from quxiang.registrations.services import RegistrationStateError
from quxiang.roster.models import EducationLevel
from quxiang.testing.factories import (
    StudentFactory,
    employer_org_data,
    fill_organisation,
    make_registration,
    pdf_upload,
    school_org_data,
)

pytestmark = pytest.mark.django_db


def dtype(key: str) -> DestinationType:
    return DestinationType.objects.get(key=key)


def fresh(reg: Registration) -> Registration:
    return Registration.objects.select_related("student", "destination_type").get(pk=reg.pk)


ON_POSTGRES = connection.vendor == "postgresql"


# --- locking -----------------------------------------------------------------------------------

def test_every_locked_write_works_on_this_database():
    student = StudentFactory()
    reg = services.registration_start(student=student, actor=student.user)
    services.registration_set_type(registration=reg, destination_type=dtype("awaiting_job_hunting"))
    assert services.registration_submit(registration=reg, actor=student.user) is True


def test_keep_input_with_nul_character():
    student = StudentFactory()
    reg = services.registration_start(student=student, actor=student.user)
    services.registration_keep_input(registration=reg, step=Step.TYPE, raw={"org_name": "a\x00b"})
    pending = fresh(reg).pending_input
    assert not any("\x00" in str(v) for fields in pending.values() for v in fields.values()), pending


# --- start -------------------------------------------------------------------------------------

def test_start_is_idempotent():
    student = StudentFactory()
    a = services.registration_start(student=student, actor=student.user)
    b = services.registration_start(student=student, actor=student.user)
    assert a.pk == b.pk
    assert Registration.objects.filter(student=student).count() == 1
    assert a.status == Status.DRAFT and a.version == 1
    assert list(RegistrationEvent.objects.filter(registration=a).values_list("kind", flat=True)) == [EventKind.CREATE]


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.RETURNED])
def test_start_returns_the_open_record_whatever_its_status(status):
    reg = make_registration(complete=True, status=status)
    again = services.registration_start(student=reg.student, actor=reg.student.user)
    assert again.pk == reg.pk
    assert Registration.objects.filter(student=reg.student).count() == 1


def test_start_after_verification_is_refused():
    reg = make_registration(complete=True, status=Status.VERIFIED)
    with pytest.raises(RegistrationStateError, match="已鉴证"):
        services.registration_start(student=reg.student, actor=reg.student.user)


def test_start_after_superseded_makes_next_version():
    reg = make_registration(complete=True, status=Status.SUPERSEDED)
    new = services.registration_start(student=reg.student, actor=reg.student.user)
    assert new.pk != reg.pk and new.version == 2 and new.status == Status.DRAFT


@pytest.mark.parametrize("existing", [Status.DRAFT, Status.SUBMITTED, Status.RETURNED])
@pytest.mark.parametrize("second", [Status.DRAFT, Status.SUBMITTED, Status.RETURNED])
def test_database_allows_one_open_record_per_student(existing, second):
    reg = make_registration(status=existing)
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(student=reg.student, version=2, status=second)


def test_database_allows_one_verified_and_unique_versions():
    reg = make_registration(complete=True, status=Status.VERIFIED)
    # A change request (new open version next to the verified one) is allowed …
    Registration.objects.create(student=reg.student, version=2, status=Status.DRAFT)
    # … a second verified one is not, nor a repeated version number.
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(student=reg.student, version=3, status=Status.VERIFIED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(student=reg.student, version=2, status=Status.SUPERSEDED)


# --- submit ------------------------------------------------------------------------------------

def test_submit_once_then_false():
    reg = make_registration(complete=True)
    user = reg.student.user
    assert services.registration_submit(registration=reg, actor=user) is True
    assert services.registration_submit(registration=reg, actor=user) is False
    reg = fresh(reg)
    assert reg.status == Status.SUBMITTED and reg.submitted_at is not None
    assert reg.events.filter(kind=EventKind.SUBMIT).count() == 1


def test_submit_clears_pending_input():
    reg = make_registration(complete=True)
    services.registration_keep_input(registration=reg, step=Step.ORGANISATION, raw={"org_name": "草稿"})
    services.registration_submit(registration=reg, actor=reg.student.user)
    assert fresh(reg).pending_input == {}


@pytest.mark.parametrize("setup,missing", [
    ({}, "去向类型"),
    ({"destination_type": "dispatch_general"}, "单位信息"),
    ({"destination_type": "dispatch_general", "organisation": True}, "佐证材料"),
    ({"destination_type": "dispatch_general", "organisation": True, "evidence": 1}, "档案信息"),
    ({"destination_type": "flexible_freelance"}, "佐证材料"),
    ({"destination_type": "abroad_study"}, "单位信息"),
])
def test_submit_incomplete_names_the_missing_step(setup, missing):
    if not setup:
        student = StudentFactory()
        reg = services.registration_start(student=student, actor=student.user)
    else:
        reg = make_registration(**setup)
    with pytest.raises(RegistrationStateError) as info:
        services.registration_submit(registration=reg, actor=reg.student.user)
    assert f"“{missing}”" in str(info.value)
    reg = fresh(reg)
    assert reg.status == Status.DRAFT
    assert not reg.events.filter(kind=EventKind.SUBMIT).exists()


@pytest.mark.parametrize("key", ["awaiting_job_hunting", "awaiting_signing", "awaiting_exam", "awaiting_startup",
                                 "not_seeking_study", "not_seeking_abroad", "not_seeking_other"])
def test_not_placed_types_submit_with_type_only(key):
    reg = make_registration(destination_type=key)
    assert services.registration_submit(registration=reg, actor=reg.student.user) is True


@pytest.mark.parametrize("level", [EducationLevel.MASTER, EducationLevel.DOCTOR])
def test_postgraduate_submits_without_archive_and_archive_fields_are_cleared(level):
    student = StudentFactory(level=level)
    reg = make_registration(student=student, organisation=True, evidence=1)
    Registration.objects.filter(pk=reg.pk).update(archive_unit="遗留单位", origin_authority_name="遗留")
    assert services.registration_submit(registration=fresh(reg), actor=student.user) is True
    reg = fresh(reg)
    assert reg.archive_unit == "" and reg.origin_authority_name == ""


def test_submit_verified_record_refused():
    reg = make_registration(complete=True, status=Status.VERIFIED)
    with pytest.raises(RegistrationStateError):
        services.registration_submit(registration=reg, actor=reg.student.user)


def test_returned_record_can_be_edited_and_resubmitted():
    reg = make_registration(complete=True, status=Status.RETURNED)
    changed = services.registration_set_type(registration=reg, destination_type=dtype("labour_contract"))
    # An employment agreement is not a labour contract: it goes, and the student is told.
    assert any("材料1.pdf" in n and "已删除" in n for n in changed.notices), changed.notices
    with pytest.raises(StepNotReady, match="佐证材料"):
        services.registration_submit(registration=reg, actor=reg.student.user)
    evidence_add(registration=reg, upload=pdf_upload("劳动合同.pdf"), actor=reg.student.user)
    assert services.registration_submit(registration=reg, actor=reg.student.user) is True
    assert fresh(reg).status == Status.SUBMITTED


# --- editing after submit -------------------------------------------------------------------------

@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.VERIFIED, Status.SUPERSEDED])
def test_editing_a_record_that_is_not_editable_is_refused(status):
    reg = make_registration(complete=True, status=status)
    before = fresh(reg)
    form = OrganisationForm(employer_org_data(org_name="新名字"), org_kind="employer")
    assert form.is_valid()
    attempts = [
        lambda: services.registration_set_type(registration=reg, destination_type=dtype("labour_contract")),
        lambda: services.registration_save_organisation(registration=reg, data=form.cleaned_data),
        lambda: services.registration_save_archive(registration=reg, data={"archive_unit": "x"}),
        lambda: services.registration_keep_input(registration=reg, step=Step.ORGANISATION, raw={"org_name": "x"}),
        lambda: evidence_add(registration=reg, upload=pdf_upload(), actor=reg.student.user),
    ]
    for attempt in attempts:
        with pytest.raises(RegistrationStateError) as info:
            attempt()
        assert "不能修改" in str(info.value)
    after = fresh(reg)
    assert (after.org_name, after.destination_type_id, after.pending_input, after.archive_unit) == (
        before.org_name, before.destination_type_id, before.pending_input, before.archive_unit)
    assert after.evidence_files.count() == 1


# --- type changes ------------------------------------------------------------------------------------

def test_type_change_employer_to_school_resets_organisation_done():
    reg = make_registration(organisation=True)
    assert reg.organisation_done
    reg = services.registration_set_type(registration=reg, destination_type=dtype("study_master"))
    assert not reg.organisation_done
    assert fresh(reg).destination_type_id == "study_master"


@pytest.mark.parametrize("new", ["abroad_study", "study_second_degree"])
def test_type_change_to_other_kind_resets(new):
    reg = make_registration(organisation=True)
    assert not services.registration_set_type(registration=reg, destination_type=dtype(new)).organisation_done


@pytest.mark.parametrize("new", ["dispatch_general", "labour_contract", "dispatch_startup", "research_assistant"])
def test_type_change_within_employer_kind_keeps_organisation(new):
    reg = make_registration(organisation=True)
    assert services.registration_set_type(registration=reg, destination_type=dtype(new)).organisation_done


def test_type_with_implied_nature_sets_it_and_asks_again():
    reg = make_registration(organisation=True)  # 单位性质 39 其他企业
    reg = services.registration_set_type(registration=reg, destination_type=dtype("dispatch_civil_service"))
    assert reg.org_nature_id == "10"
    assert not reg.organisation_done
    reg = services.registration_set_type(registration=reg, destination_type=dtype("dispatch_military"))
    assert fresh(reg).org_nature_id == "40"


def test_school_details_after_employer_do_not_keep_employer_only_fields():
    reg = make_registration(organisation=True)
    reg = services.registration_set_type(registration=reg, destination_type=dtype("study_master"))
    reg = fill_organisation(reg)
    reg = fresh(reg)
    assert reg.org_name == school_org_data()["org_name"]
    assert reg.organisation_done


@pytest.mark.parametrize("new", ["study_master", "abroad_study"])
def test_switching_kind_clears_fields_the_new_kind_does_not_have(new):
    reg = make_registration(organisation=True)
    reg = services.registration_set_type(registration=reg, destination_type=dtype(new))
    reg = fresh(fill_organisation(reg))
    stale = {
        "job_category": reg.job_category_id, "org_contact_phone": reg.org_contact_phone,
        "org_contact_name": reg.org_contact_name, "signed_on": reg.signed_on if new != "abroad_study" else None,
        "org_shanghai_reg_no": reg.org_shanghai_reg_no, "org_industry": reg.org_industry_id,
        "org_nature": reg.org_nature_id,
    }
    if new == "abroad_study":
        stale["org_uscc"] = reg.org_uscc
    assert not any(stale.values()), stale


# --- organisation and archive --------------------------------------------------------------------

def test_save_organisation_stores_cleaned_values():
    reg = make_registration()
    uscc = employer_org_data()["org_uscc"]
    form = OrganisationForm(employer_org_data(org_uscc=uscc.lower()[:6] + " " + uscc.lower()[6:]), org_kind="employer")
    assert form.is_valid(), form.errors
    services.registration_keep_input(registration=reg, step=Step.ORGANISATION, raw={"org_name": "x"})
    services.registration_save_organisation(registration=reg, data=form.cleaned_data)
    reg = fresh(reg)
    assert reg.org_uscc == uscc
    assert reg.org_region_id == "310115" and reg.org_nature_id == "39" and reg.job_category_id == "13"
    assert reg.organisation_done
    assert Step.ORGANISATION not in reg.pending_input


def test_abroad_organisation_has_no_region():
    reg = make_registration(destination_type="abroad_study", organisation=True)
    reg = fresh(reg)
    assert reg.org_region_id is None
    assert reg.abroad_country_id == "US"
    assert reg.abroad_name_original == "Columbia University"


@pytest.mark.parametrize("origin,expected", [
    ("310115", "上海市浦东新区人力资源和社会保障局"),  # county row
    ("310104", "上海市学生事务中心"),  # province row (徐汇区 has no own row)
    ("330114", "杭州市钱塘区人力资源和社会保障局"),  # county beats city and province
    ("330106", "杭州市人力资源和社会保障局"),  # city beats province
    ("330203", "浙江省高校毕业生就业指导中心"),  # province only
    ("440305", "深圳市人力资源和社会保障局"),
])
def test_archive_match_uses_most_specific_authority(origin, expected):
    reg = make_registration(origin=origin)
    match = services.archive_match_authority(registration=reg)
    assert match["origin_authority_name"] == expected
    assert match["archive_destination"] == ArchiveDestination.ORIGIN
    assert match["archive_unit"] and match["archive_address"] and len(match["archive_postcode"]) == 6


def test_archive_match_without_authority_is_empty():
    reg = make_registration(origin="810000")  # 香港: no authority row
    assert services.archive_match_authority(registration=reg) == {}


def test_archive_copy_organisation():
    reg = fresh(make_registration(organisation=True))
    copy = services.archive_copy_organisation(registration=reg)
    assert copy == {
        "archive_destination": ArchiveDestination.EMPLOYER,
        "archive_unit": "上海测试科技有限公司",
        "archive_address": "上海市浦东新区张江路1号",
        "archive_postcode": "201203",
        "archive_contact": "王经理",
        "archive_phone": "021-58881234",
    }


def test_save_archive_and_keep_input():
    reg = make_registration(organisation=True, evidence=1)
    services.registration_keep_input(registration=reg, step=Step.ARCHIVE, raw={"archive_unit": "半截"})
    assert fresh(reg).pending_input == {"archive": {"archive_unit": "半截"}}
    match = services.archive_match_authority(registration=reg)
    services.registration_save_archive(registration=reg, data=match)
    reg = fresh(reg)
    assert reg.archive_done and reg.archive_unit == match["archive_unit"]
    assert reg.pending_input == {}


def test_evidence_limit_respected_through_service():
    reg = make_registration(organisation=True, evidence=3)
    with pytest.raises(ValidationError):
        evidence_add(registration=reg, upload=pdf_upload(), actor=reg.student.user)


@pytest.mark.parametrize(("key", "name"), [("dispatch_military", "部队"), ("dispatch_civil_service", "机关")])
def test_save_organisation_refuses_another_nature_whatever_the_form(key, name):
    """Defect 4: a door that validates by kind only (or a stale form) still cannot store the wrong 单位性质."""
    reg = make_registration(destination_type=key)
    form = OrganisationForm(employer_org_data(org_nature="39"), org_kind="employer")
    assert form.is_valid()
    with pytest.raises(StepInputRefused) as info:
        services.registration_save_organisation(registration=reg, data=form.cleaned_data)
    assert info.value.code == "invalid" and info.value.http_status == 422
    assert f"单位性质应为“{name}”" in info.value.fields["org_nature"][0]
    assert not fresh(reg).organisation_done


def test_evidence_before_the_organisation_step_is_refused_by_the_service():
    reg = make_registration()  # type chosen, organisation not yet
    with pytest.raises(StepNotReady) as info:
        evidence_add(registration=reg, upload=pdf_upload(), actor=reg.student.user)
    assert info.value.code == "step_not_ready" and info.value.step == Step.ORGANISATION
    assert not reg.evidence_files.exists()
