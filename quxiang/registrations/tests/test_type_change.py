"""What a change of destination type clears (issue 9, defect 3): fields of the old type, steps to redo, and
evidence the new type does not accept, deleted through the one evidence deletion and told to the student."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from quxiang.evidence.models import EvidenceFile
from quxiang.evidence.services import evidence_add
from quxiang.reference.models import DestinationType
from quxiang.registrations import selectors, services
from quxiang.registrations.changes import registration_withdraw
from quxiang.registrations.errors import StepNotReady
from quxiang.registrations.models import ArchiveDestination, Registration, Status, Step
from quxiang.registrations.rules import ORGANISATION_FIELDS
from quxiang.testing.factories import abroad_org_data, fill_organisation, make_registration, pdf_upload

pytestmark = pytest.mark.django_db


def dtype(key: str) -> DestinationType:
    return DestinationType.objects.get(key=key)


def fresh(reg: Registration) -> Registration:
    return selectors.registration_detail_queryset().get(pk=reg.pk)


def employer_submitted_then_withdrawn() -> Registration:
    """一般单位录用 with an employer and an agreement, archive to the employer, submitted and withdrawn."""
    reg = make_registration(organisation=True, evidence=1)
    services.registration_save_archive(registration=reg, data={
        **services.archive_copy_organisation(registration=fresh(reg)), "origin_authority_name": "上海市学生事务中心"})
    assert services.registration_submit(registration=reg, actor=reg.student.user)
    return registration_withdraw(registration=reg, actor=reg.student.user)


def test_employer_to_abroad_starts_the_abroad_steps_clean():
    """The issue's scenario 3, through the services."""
    reg = employer_submitted_then_withdrawn()
    agreement = reg.evidence_files.get()
    assert agreement.kind == "agreement"

    changed = services.registration_set_type(registration=reg, destination_type=dtype("abroad_study"))

    reg = fresh(reg)
    # No domestic employer survives into the school-or-employer-abroad form, nor its signing date.
    assert all(getattr(reg, f) in (None, "") for f in ORGANISATION_FIELDS), {
        f: getattr(reg, f) for f in ORGANISATION_FIELDS if getattr(reg, f) not in (None, "")}
    assert Step.ORGANISATION not in reg.pending_input
    # Steps 2–4 must be done again; the archive sent to the employer is gone with the employer.
    done = {s for s in selectors.registration_steps(registration=reg)
            if selectors.registration_step_done(registration=reg, step=s)}
    assert done == {Step.TYPE}
    assert reg.archive_destination == "" and reg.archive_unit == ""
    assert reg.origin_authority_name == "上海市学生事务中心"  # 生源地 does not depend on the type
    # The agreement is not an offer letter: deleted, and the student is told which file and what to bring.
    assert not EvidenceFile.objects.filter(pk=agreement.pk).exists()
    assert any("材料1.pdf" in n and "已删除" in n and "录取 Offer" in n for n in changed.notices), changed.notices
    assert any("单位信息" in n for n in changed.notices)
    assert any("档案信息" in n for n in changed.notices)

    # Submit is refused until the abroad details and an offer are there.
    with pytest.raises(StepNotReady, match="单位信息"):
        services.registration_submit(registration=reg, actor=reg.student.user)
    fill_organisation(reg)
    with pytest.raises(StepNotReady, match="佐证材料"):
        services.registration_submit(registration=reg, actor=reg.student.user)
    offer = evidence_add(registration=reg, upload=pdf_upload("Offer.pdf"), actor=reg.student.user)
    assert offer.kind == "offer"
    services.registration_save_archive(registration=reg, data=services.archive_match_authority(registration=reg))
    assert services.registration_submit(registration=reg, actor=reg.student.user)
    reg = fresh(reg)
    assert reg.status == Status.SUBMITTED
    assert [f.original_name for f in reg.evidence_files.all()] == ["Offer.pdf"]
    assert reg.abroad_country_id == abroad_org_data()["abroad_country"] and reg.org_uscc == ""


def test_removed_files_go_through_the_one_deletion_and_leave_storage_after_commit(
    django_capture_on_commit_callbacks,
):
    reg = make_registration(organisation=True, evidence=2)
    names = [f.file.name for f in reg.evidence_files.all()]
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_set_type(registration=reg, destination_type=dtype("study_master"))
    assert not reg.evidence_files.exists()
    assert not any(default_storage.exists(n) for n in names)


def test_an_agreement_counts_for_military_and_must_be_confirmed_again():
    reg = make_registration(organisation=True, evidence=1)  # 一般单位录用, 单位性质 39
    changed = services.registration_set_type(registration=reg, destination_type=dtype("dispatch_military"))
    reg = fresh(reg)
    assert [f.original_name for f in reg.evidence_files.all()] == ["材料1.pdf"]  # an agreement with a 部队 unit
    assert reg.org_nature_id == "40" and not reg.organisation_done
    assert reg.org_name == "上海测试科技有限公司"  # same kind of organisation: the details stay to correct
    assert any("已保留" in n and "材料1.pdf" in n and "部队录用" in n for n in changed.notices), changed.notices
    assert any("单位性质" in n for n in changed.notices)


def test_an_enlistment_notice_does_not_count_for_a_general_employer():
    reg = make_registration(destination_type="dispatch_military", organisation=True, evidence=1)
    assert reg.evidence_files.get().kind == "military_proof"
    changed = services.registration_set_type(registration=reg, destination_type=dtype("dispatch_general"))
    reg = fresh(reg)
    assert not reg.evidence_files.exists()
    assert reg.org_nature_id is None and not reg.organisation_done  # 40 部队 was the military type's, not the employer's
    assert any("已删除" in n for n in changed.notices)


def test_switch_to_not_placed_clears_every_step_at_once():
    reg = make_registration(complete=True)
    changed = services.registration_set_type(registration=reg, destination_type=dtype("awaiting_job_hunting"))
    reg = fresh(reg)
    assert reg.org_name == "" and reg.archive_unit == "" and reg.origin_authority_name == ""
    assert not reg.organisation_done and not reg.archive_done
    assert not reg.evidence_files.exists()
    assert any("无需佐证材料" in n and "材料1.pdf" in n for n in changed.notices), changed.notices
    assert services.registration_submit(registration=reg, actor=reg.student.user)


def test_within_one_kind_the_organisation_stays_and_nothing_is_said_about_it():
    reg = make_registration(complete=True)
    changed = services.registration_set_type(registration=reg, destination_type=dtype("dispatch_startup"))
    reg = fresh(reg)
    assert reg.organisation_done and reg.archive_done
    assert [f.kind for f in reg.evidence_files.all()] == ["agreement"]
    assert len(changed.notices) == 1 and "已保留" in changed.notices[0]


def test_choosing_the_same_type_again_changes_nothing():
    reg = make_registration(complete=True)
    changed = services.registration_set_type(registration=reg, destination_type=dtype("dispatch_general"))
    assert changed.notices == ()
    assert fresh(reg).evidence_files.count() == 1 and fresh(reg).archive_done


def test_files_uploaded_before_kinds_were_recorded_are_judged_as_the_old_types():
    reg = make_registration(organisation=True, evidence=1)
    EvidenceFile.objects.filter(registration=reg).update(kind="")
    services.registration_set_type(registration=reg, destination_type=dtype("abroad_work"))
    assert not reg.evidence_files.exists()  # it was uploaded as 一般单位录用's agreement


def test_abroad_to_school_keeps_no_abroad_field():
    reg = make_registration(destination_type="abroad_study", organisation=True)
    services.registration_set_type(registration=reg, destination_type=dtype("study_master"))
    reg = fresh(reg)
    assert reg.abroad_country_id is None and reg.abroad_name_original == "" and reg.programme == ""
    assert reg.signed_on is None


def test_an_archive_at_the_origin_stays_but_is_confirmed_again_after_a_kind_change():
    reg = make_registration(complete=True)  # archive by 匹配 (回生源地)
    before = fresh(reg)
    assert before.archive_destination == ArchiveDestination.ORIGIN
    services.registration_set_type(registration=reg, destination_type=dtype("study_master"))
    reg = fresh(reg)
    assert not reg.archive_done
    assert (reg.archive_destination, reg.archive_unit) == (before.archive_destination, before.archive_unit)
