"""Staff decisions (鉴证 / 退回), bulk verify, the student's withdraw and change requests (变更/改派),
the change deadline, the organisation directory fed by verified records, and the audit trail."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from quxiang.accounts.models import Role
from quxiang.audit.models import AuditAction, AuditEntry
from quxiang.organisations.models import Organisation, OrganisationSource
from quxiang.reference.models import DestinationType
from quxiang.registrations import changes
from quxiang.registrations import services as reg_services
from quxiang.registrations.models import EventKind, Registration, RegistrationEvent, Status
from quxiang.registrations.selectors import registration_get_current, registration_history
from quxiang.registrations.services import RegistrationStateError
from quxiang.reviews import selectors, services
from quxiang.reviews.services import ReviewConflict
from quxiang.roster.models import Cohort
from quxiang.testing.factories import (
    StudentFactory,
    counselor_of,
    make_college_officer,
    make_office,
    make_registration,
    make_submitted,
    make_uscc,
    make_verified,
    pdf_upload,
)

pytestmark = pytest.mark.django_db

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUP = f"[{CROCKFORD}]{{5}}"
CJK = re.compile(r"[\u4e00-\u9fff]")


def number_pattern(year: int) -> re.Pattern:
    return re.compile(rf"^QX{year}-{GROUP}-{GROUP}-{GROUP}-{GROUP}$")


def fresh(reg: Registration) -> Registration:
    return Registration.objects.select_related("student", "destination_type", "verified_by").get(pk=reg.pk)


def events(reg: Registration, kind: str | None = None) -> list[RegistrationEvent]:
    qs = RegistrationEvent.objects.filter(registration_id=reg.pk).order_by("id")
    return list(qs.filter(kind=kind) if kind else qs)


def audits(**filters) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(**filters).order_by("id"))


def queue_of(user, **filters) -> list[int]:
    return list(selectors.review_queue(user=user, filters=selectors.QueueFilters(**filters)).values_list("pk", flat=True))


# --- 鉴证 (verify) --------------------------------------------------------------------------------


def test_verify_stamps_verifier_time_and_verification_number():
    reg = make_submitted()
    counselor = counselor_of(reg.student)
    before = timezone.now()
    result = services.registration_verify(registration=reg, actor=counselor, ip="10.1.2.3")
    after = timezone.now()
    reg = fresh(reg)
    assert result.pk == reg.pk and result.verification_no == reg.verification_no
    assert reg.status == Status.VERIFIED
    assert reg.verified_by == counselor
    assert before <= reg.verified_at <= after
    assert number_pattern(reg.student.graduation_year).match(reg.verification_no), reg.verification_no
    assert [e.actor for e in events(reg, EventKind.VERIFY)] == [counselor]
    entry = AuditEntry.objects.get(action=AuditAction.VERIFY)
    assert (entry.actor, entry.registration_id, entry.student_id, entry.ip) == (counselor, reg.pk, reg.student_id,
                                                                                "10.1.2.3")
    assert entry.detail == {"verification_no": reg.verification_no}


def test_verification_number_format_and_uniqueness():
    numbers = [services.verification_number_new(year=2027) for _ in range(200)]
    pattern = number_pattern(2027)
    assert all(pattern.match(n) for n in numbers), [n for n in numbers if not pattern.match(n)][:3]
    assert len(set(numbers)) == 200
    body = "".join(n[len("QX2027-"):].replace("-", "") for n in numbers)
    # Crockford base32 leaves out I, L, O and U (misread as 1, 1, 0 and V on paper).
    assert not set(body) & set("ILOU")
    assert len(numbers[0]) <= Registration._meta.get_field("verification_no").max_length
    assert services.verification_number_new(year=2031).startswith("QX2031-")


def test_verification_number_carries_the_students_graduation_year():
    reg = make_verified(graduation_year=2026)
    assert number_pattern(2026).match(reg.verification_no)


def test_verified_records_get_different_numbers():
    numbers = {make_verified().verification_no for _ in range(3)}
    assert len(numbers) == 3


@pytest.mark.parametrize("status", [Status.DRAFT, Status.RETURNED, Status.VERIFIED])
def test_verify_of_a_record_that_is_not_submitted_is_a_conflict(status):
    if status == Status.DRAFT:
        reg = make_registration(complete=True)
    elif status == Status.RETURNED:
        reg = make_submitted()
        services.registration_return(registration=reg, actor=counselor_of(reg.student), reason="协议书缺少盖章")
    else:
        reg = make_verified()
    before = fresh(reg)
    n_events, n_audits = RegistrationEvent.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ReviewConflict) as exc:
        services.registration_verify(registration=reg, actor=counselor_of(reg.student))
    message = str(exc.value)
    assert CJK.search(message), message
    assert str(Status(status).label) in message  # 该记录当前状态为“草稿/已退回/已鉴证”…
    after = fresh(reg)
    assert (after.status, after.verification_no, after.verified_at) == (before.status, before.verification_no,
                                                                         before.verified_at)
    assert RegistrationEvent.objects.count() == n_events and AuditEntry.objects.count() == n_audits


def test_review_conflict_is_a_state_error():
    # Views catch RegistrationStateError and show its message: a conflict must be one.
    assert issubclass(ReviewConflict, RegistrationStateError)


# --- 退回 (return) ---------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "退", " 退 ", None])
def test_return_requires_a_reason(reason):
    reg = make_submitted()
    with pytest.raises(RegistrationStateError) as exc:
        services.registration_return(registration=reg, actor=counselor_of(reg.student), reason=reason)
    assert CJK.search(str(exc.value))
    assert fresh(reg).status == Status.SUBMITTED
    assert not events(reg, EventKind.RETURN)
    assert not audits(action=AuditAction.RETURN)


def test_return_stores_the_reason_and_the_student_can_resubmit_into_the_queue():
    reg = make_submitted()
    counselor = counselor_of(reg.student)
    services.registration_return(registration=reg, actor=counselor, reason="  协议书第一联缺少单位盖章  ", ip="10.0.0.9")
    reg = fresh(reg)
    assert reg.status == Status.RETURNED
    assert reg.return_reason == "协议书第一联缺少单位盖章"
    assert [(e.actor, e.note) for e in events(reg, EventKind.RETURN)] == [(counselor, "协议书第一联缺少单位盖章")]
    entry = AuditEntry.objects.get(action=AuditAction.RETURN)
    assert (entry.actor, entry.ip, entry.detail) == (counselor, "10.0.0.9", {"reason": "协议书第一联缺少单位盖章"})
    # Out of the queue of submitted records, in the "returned" filter.
    assert reg.pk not in queue_of(counselor)
    assert queue_of(counselor, status=Status.RETURNED) == [reg.pk]
    # The student sees the reason, edits and resubmits.
    assert registration_get_current(student=reg.student).return_reason == "协议书第一联缺少单位盖章"
    reg_services.registration_set_type(registration=reg, destination_type=DestinationType.objects.get(key="dispatch_general"))
    assert reg_services.registration_submit(registration=reg, actor=reg.student.user) is True
    assert fresh(reg).status == Status.SUBMITTED
    assert queue_of(counselor) == [reg.pk]
    # The next decision is possible and the old reason goes with the verification.
    services.registration_verify(registration=reg, actor=counselor)
    reg = fresh(reg)
    assert reg.status == Status.VERIFIED and reg.return_reason == ""


def test_return_reason_is_kept_to_1000_characters():
    reg = make_submitted()
    services.registration_return(registration=reg, actor=counselor_of(reg.student), reason="退" * 1500)
    assert fresh(reg).return_reason == "退" * 1000


def test_return_of_a_record_that_is_not_submitted_is_a_conflict():
    reg = make_verified()
    with pytest.raises(ReviewConflict):
        services.registration_return(registration=reg, actor=counselor_of(reg.student), reason="单位名称有误")
    reg = fresh(reg)
    assert reg.status == Status.VERIFIED and reg.return_reason == ""


# --- 批量鉴证 (bulk verify) ------------------------------------------------------------------------


def test_bulk_verify_reports_records_changed_meanwhile():
    first = make_submitted()
    counselor = counselor_of(first.student)
    second = make_submitted(school_class=first.student.school_class)
    third = make_submitted(school_class=first.student.school_class)
    chosen = [fresh(first), fresh(second), fresh(third)]  # the list the counselor confirmed
    # Meanwhile the second student takes the record back.
    changes.registration_withdraw(registration=second, actor=second.student.user)
    done, skipped = services.registration_bulk_verify(registrations=chosen, actor=counselor, ip="10.0.0.1")
    assert [r.pk for r in done] == [first.pk, third.pk]
    assert [r.pk for r, _msg in skipped] == [second.pk]
    assert CJK.search(skipped[0][1]) and str(Status.DRAFT.label) in skipped[0][1]
    assert fresh(first).status == fresh(third).status == Status.VERIFIED
    assert fresh(second).status == Status.DRAFT
    assert len(audits(action=AuditAction.VERIFY)) == 2


def test_bulk_verify_skips_a_record_another_counselor_returned():
    a, b = make_submitted(), make_submitted()
    office = make_office()
    chosen = [fresh(a), fresh(b)]
    services.registration_return(registration=b, actor=counselor_of(b.student), reason="材料不清晰")
    done, skipped = services.registration_bulk_verify(registrations=chosen, actor=office)
    assert [r.pk for r in done] == [a.pk]
    assert [r.pk for r, _ in skipped] == [b.pk]
    assert fresh(b).status == Status.RETURNED and fresh(b).verification_no is None


# --- the organisation directory (单位库) ------------------------------------------------------------


def test_verified_employer_enters_the_directory():
    reg = make_verified()
    org = Organisation.objects.get(uscc=reg.org_uscc)
    assert (org.name, org.shanghai_reg_no, org.nature_id, org.industry_id, org.region_id) == (
        reg.org_name, reg.org_shanghai_reg_no, reg.org_nature_id, reg.org_industry_id, reg.org_region_id)
    assert (org.address, org.postcode, org.contact_name, org.contact_phone) == (
        reg.org_address, reg.org_postcode, reg.org_contact_name, reg.org_contact_phone)
    assert org.source == OrganisationSource.VERIFIED_RECORD


def test_submitted_or_returned_records_do_not_enter_the_directory():
    reg = make_submitted()
    services.registration_return(registration=reg, actor=counselor_of(reg.student), reason="单位名称有误")
    assert not Organisation.objects.filter(uscc=reg.org_uscc).exists()


def test_directory_update_never_blanks_what_it_knows():
    uscc = make_uscc(region="310000", serial="425006211")
    Organisation.objects.create(
        uscc=uscc, name="复旦大学（旧称）", shanghai_reg_no="7654321", nature_id="21", industry_id="P",
        region_id="310110", address="上海市杨浦区邯郸路220号", postcode="200433", contact_name="研招办",
        contact_phone="021-65642222", source=OrganisationSource.VERIFIED_RECORD,
    )
    # An admitting school's record carries only name, USCC and region.
    reg = make_verified(destination_type="study_master")
    assert reg.org_uscc == uscc and reg.org_address == "" and reg.org_contact_name == ""
    org = Organisation.objects.get(uscc=uscc)
    assert org.name == "复旦大学"  # the verified record's name wins
    assert (org.shanghai_reg_no, org.nature_id, org.industry_id, org.region_id) == ("7654321", "21", "P", "310110")
    assert (org.address, org.postcode, org.contact_name, org.contact_phone) == (
        "上海市杨浦区邯郸路220号", "200433", "研招办", "021-65642222")
    assert Organisation.objects.filter(uscc=uscc).count() == 1


def test_directory_update_takes_new_details_of_a_verified_record():
    uscc = make_uscc()
    Organisation.objects.create(uscc=uscc, name="上海测试科技有限公司", address="旧地址", contact_phone="021-1",
                                source=OrganisationSource.VERIFIED_RECORD)
    reg = make_verified()
    org = Organisation.objects.get(uscc=uscc)
    assert (org.address, org.contact_phone) == (reg.org_address, reg.org_contact_phone)


def test_office_entries_are_only_filled_in_never_overwritten_by_a_record():
    uscc = make_uscc()
    Organisation.objects.create(uscc=uscc, name="上海测试科技有限公司（中心核定）", address="", contact_phone="021-1",
                                source=OrganisationSource.OFFICE)
    reg = make_verified()
    org = Organisation.objects.get(uscc=uscc)
    assert org.name == "上海测试科技有限公司（中心核定）" and org.contact_phone == "021-1"
    assert org.address == reg.org_address  # a blank the office left is filled
    assert org.source == OrganisationSource.OFFICE


@pytest.mark.parametrize("key", ["abroad_study", "abroad_work", "flexible_freelance", "awaiting_job_hunting"])
def test_abroad_and_no_organisation_kinds_do_not_enter_the_directory(key):
    before = Organisation.objects.count()
    reg = make_verified(destination_type=key)
    assert reg.status == Status.VERIFIED
    assert Organisation.objects.count() == before


# --- 撤回 (withdraw) ------------------------------------------------------------------------------


def test_student_withdraws_a_submitted_record_and_resubmits():
    reg = make_submitted()
    counselor = counselor_of(reg.student)
    student_user = reg.student.user
    changes.registration_withdraw(registration=reg, actor=student_user, ip="192.168.1.5")
    reg = fresh(reg)
    assert reg.status == Status.DRAFT and reg.is_editable
    assert [e.actor for e in events(reg, EventKind.WITHDRAW)] == [student_user]
    entry = AuditEntry.objects.get(action=AuditAction.WITHDRAW)
    assert (entry.actor, entry.ip, entry.registration_id) == (student_user, "192.168.1.5", reg.pk)
    assert queue_of(counselor) == []
    # Editable again, and back in the queue after the next submit.
    reg_services.registration_set_type(registration=reg, destination_type=DestinationType.objects.get(key="dispatch_general"))
    assert reg_services.registration_submit(registration=reg, actor=student_user) is True
    assert queue_of(counselor) == [reg.pk]


@pytest.mark.parametrize("state", ["verified", "returned", "draft"])
def test_withdraw_is_refused_unless_submitted(state):
    if state == "verified":
        reg = make_verified()
    elif state == "returned":
        reg = make_submitted()
        services.registration_return(registration=reg, actor=counselor_of(reg.student), reason="单位名称有误")
    else:
        reg = make_registration(complete=True)
    status_before = fresh(reg).status
    with pytest.raises(ReviewConflict) as exc:
        changes.registration_withdraw(registration=reg, actor=reg.student.user)
    assert CJK.search(str(exc.value))
    assert fresh(reg).status == status_before
    assert not events(reg, EventKind.WITHDRAW) and not audits(action=AuditAction.WITHDRAW)


# --- 变更 (change requests) -----------------------------------------------------------------------


@pytest.mark.parametrize("state", ["none", "draft", "submitted", "returned"])
def test_change_only_from_a_verified_record(state):
    if state == "none":
        student = StudentFactory()
    else:
        reg = make_submitted() if state != "draft" else make_registration(complete=True)
        if state == "returned":
            services.registration_return(registration=reg, actor=counselor_of(reg.student), reason="单位名称有误")
        student = reg.student
    count = Registration.objects.filter(student=student).count()
    with pytest.raises(RegistrationStateError) as exc:
        changes.registration_change_start(student=student, actor=student.user)
    assert CJK.search(str(exc.value))
    assert Registration.objects.filter(student=student).count() == count
    assert not audits(action=AuditAction.CHANGE)


def test_change_copies_the_verified_record_into_the_next_version():
    v1 = make_verified()
    student = v1.student
    draft = changes.registration_change_start(student=student, actor=student.user, ip="10.9.8.7")
    draft = fresh(draft)
    assert draft.pk != v1.pk
    assert (draft.version, draft.status, draft.changed_from_id) == (2, Status.DRAFT, v1.pk)
    for field in answer_fields():
        assert getattr(draft, field) == getattr(v1, field), field
    assert draft.org_uscc and draft.org_name == v1.org_name and draft.archive_unit == v1.archive_unit
    assert (draft.verification_no, draft.verified_at, draft.verified_by, draft.submitted_at) == (None, None, None, None)
    assert fresh(v1).status == Status.VERIFIED
    assert [e.actor for e in events(draft, EventKind.CHANGE)] == [student.user]
    entry = AuditEntry.objects.get(action=AuditAction.CHANGE)
    assert (entry.actor, entry.ip, entry.registration_id, entry.detail) == (student.user, "10.9.8.7", draft.pk,
                                                                             {"from_version": 1})
    # A second click finds the same draft.
    again = changes.registration_change_start(student=student, actor=student.user)
    assert again.pk == draft.pk
    assert Registration.objects.filter(student=student).count() == 2


# What a new version does NOT take over from the verified one: its own identity and place in the history
# (id, student, version, status, changed_from), the decisions and timestamps of the old version (they
# belong to it), and the wizard's scratch input of an unfinished step. Every other column is one of the
# student's answers, so a change request starts from it — including any column added later.
NOT_COPIED = {
    "id", "student", "version", "status", "changed_from",
    "return_reason", "submitted_at", "verified_at", "verification_no", "verified_by",
    "created_at", "updated_at", "pending_input",
}


def answer_fields() -> list[str]:
    names = [f.name for f in Registration._meta.concrete_fields]
    assert NOT_COPIED <= set(names), NOT_COPIED - set(names)  # a renamed bookkeeping column must be noticed
    return [name for name in names if name not in NOT_COPIED]


def test_change_copies_every_answer_of_every_kind_of_record():
    """An employer record and a study-abroad record between them fill every answer column, so a column the
    change leaves behind shows up here (an empty one would compare equal to the empty draft)."""
    filled: set[str] = set()
    for destination_type in ("dispatch_general", "abroad_study"):
        v1 = make_verified(destination_type=destination_type)
        draft = fresh(changes.registration_change_start(student=v1.student, actor=v1.student.user))
        for field in answer_fields():
            assert getattr(draft, field) == getattr(v1, field), (destination_type, field)
            if getattr(v1, field) not in (None, "", False):
                filled.add(field)
    assert set(answer_fields()) - filled == set(), "no test record fills these answers"


def test_change_goes_through_verification_and_supersedes_the_old_version():
    v1 = make_verified()
    student, counselor = v1.student, counselor_of(v1.student)
    old_number = v1.verification_no
    v2 = changes.registration_change_start(student=student, actor=student.user)
    # 改派: a new employer and a new agreement. The change carries its own evidence.
    from quxiang.evidence.services import evidence_add

    Registration.objects.filter(pk=v2.pk).update(org_name="上海新单位有限公司")
    evidence_add(registration=v2, upload=pdf_upload("改派协议书.pdf"), actor=student.user)
    assert reg_services.registration_submit(registration=v2, actor=student.user) is True
    # While the change waits, the verified version stays in force.
    assert fresh(v1).status == Status.VERIFIED and fresh(v2).status == Status.SUBMITTED
    assert queue_of(counselor) == [v2.pk]
    assert registration_get_current(student=student).pk == v2.pk
    services.registration_verify(registration=v2, actor=counselor)
    v1, v2 = fresh(v1), fresh(v2)
    assert v1.status == Status.SUPERSEDED and v1.verification_no == old_number  # still resolvable: 已失效
    assert v2.status == Status.VERIFIED and v2.verification_no not in (None, old_number)
    assert v2.org_name == "上海新单位有限公司"
    assert [e.kind for e in events(v1)][-1] == EventKind.SUPERSEDE
    assert [h.pk for h in registration_history(student=student)] == [v2.pk, v1.pk]
    assert Registration.objects.filter(student=student, status=Status.VERIFIED).get().pk == v2.pk
    # The superseded version is not in the queue, whatever the filter.
    assert v1.pk not in queue_of(counselor, status="")
    assert v1.pk not in queue_of(counselor, status=Status.SUPERSEDED)


def test_a_returned_change_leaves_the_verified_version_in_force():
    v1 = make_verified()
    student, counselor = v1.student, counselor_of(v1.student)
    v2 = changes.registration_change_start(student=student, actor=student.user)
    from quxiang.evidence.services import evidence_add

    evidence_add(registration=v2, upload=pdf_upload(), actor=student.user)
    reg_services.registration_submit(registration=v2, actor=student.user)
    services.registration_return(registration=v2, actor=counselor, reason="改派函缺失")
    assert fresh(v1).status == Status.VERIFIED and fresh(v2).status == Status.RETURNED
    # The student may withdraw a submitted change too; v1 still stands.
    reg_services.registration_submit(registration=v2, actor=student.user)
    changes.registration_withdraw(registration=v2, actor=student.user)
    assert fresh(v1).status == Status.VERIFIED and fresh(v2).status == Status.DRAFT


def test_a_second_change_after_the_first_is_verified_makes_version_three():
    v1 = make_verified(destination_type="awaiting_job_hunting")
    student, counselor = v1.student, counselor_of(v1.student)
    v2 = changes.registration_change_start(student=student, actor=student.user)
    reg_services.registration_submit(registration=v2, actor=student.user)
    services.registration_verify(registration=v2, actor=counselor)
    v3 = changes.registration_change_start(student=student, actor=student.user)
    assert (v3.version, v3.changed_from_id) == (3, v2.pk)
    assert fresh(v1).status == Status.SUPERSEDED and fresh(v2).status == Status.VERIFIED


# --- the change deadline ----------------------------------------------------------------------------


def test_student_cannot_start_a_change_after_the_cohort_deadline():
    v1 = make_verified()
    student = v1.student
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Cohort.objects.update_or_create(year=student.graduation_year, defaults={"change_deadline": yesterday})
    with pytest.raises(RegistrationStateError) as exc:
        changes.registration_change_start(student=student, actor=student.user)
    assert yesterday.isoformat() in str(exc.value) and CJK.search(str(exc.value))
    assert Registration.objects.filter(student=student).count() == 1
    assert not audits(action__in=[AuditAction.CHANGE, AuditAction.REOPEN])


def test_default_deadline_is_august_31_of_the_graduation_year():
    student = StudentFactory(graduation_year=2027)
    assert not Cohort.objects.filter(year=2027).exists()
    assert changes.cohort_change_deadline(year=2027) == dt.date(2027, 8, 31)
    assert changes.registration_change_allowed(student=student, today=dt.date(2027, 8, 31)) is True
    assert changes.registration_change_allowed(student=student, today=dt.date(2027, 9, 1)) is False
    Cohort.objects.create(year=2027)  # no date set: still 31 August
    assert changes.cohort_change_deadline(year=2027) == dt.date(2027, 8, 31)
    Cohort.objects.filter(year=2027).update(change_deadline=dt.date(2027, 12, 31))
    assert changes.registration_change_allowed(student=student, today=dt.date(2027, 9, 1)) is True
    assert changes.registration_change_allowed(student=student, today=dt.date(2028, 1, 1)) is False


def test_default_deadline_applies_without_a_cohort_row():
    v1 = make_verified(graduation_year=2020)  # 2020-08-31 is long past, no Cohort row
    with pytest.raises(RegistrationStateError):
        changes.registration_change_start(student=v1.student, actor=v1.student.user)


def test_office_can_reopen_after_the_deadline():
    v1 = make_verified()
    student = v1.student
    Cohort.objects.update_or_create(year=student.graduation_year,
                                    defaults={"change_deadline": timezone.localdate() - dt.timedelta(days=1)})
    office = make_office()
    draft = changes.registration_change_start(student=student, actor=office, ip="10.0.0.2", reopen=True)
    assert (draft.version, draft.status, draft.changed_from_id) == (2, Status.DRAFT, v1.pk)
    entry = AuditEntry.objects.get(action=AuditAction.REOPEN)
    assert (entry.actor, entry.ip, entry.registration_id) == (office, "10.0.0.2", draft.pk)
    assert fresh(v1).status == Status.VERIFIED
    # The student then works on the reopened draft like any change.
    assert registration_get_current(student=student).pk == draft.pk


@pytest.mark.parametrize("role", [Role.COUNSELOR, Role.COLLEGE_OFFICER, Role.STUDENT])
def test_only_the_office_can_reopen(role):
    v1 = make_verified()
    student = v1.student
    Cohort.objects.update_or_create(year=student.graduation_year,
                                    defaults={"change_deadline": timezone.localdate() - dt.timedelta(days=1)})
    actor = {Role.COUNSELOR: lambda: counselor_of(student),
             Role.COLLEGE_OFFICER: lambda: make_college_officer(college=student.college),
             Role.STUDENT: lambda: student.user}[role]()
    with pytest.raises(RegistrationStateError) as exc:
        changes.registration_change_start(student=student, actor=actor, reopen=True)
    assert "就业指导中心" in str(exc.value)
    assert Registration.objects.filter(student=student).count() == 1
    assert not audits(action=AuditAction.REOPEN)


def test_reopen_needs_a_verified_record():
    reg = make_submitted()
    with pytest.raises(RegistrationStateError):
        changes.registration_change_start(student=reg.student, actor=make_office(), reopen=True)


# --- the audit trail -----------------------------------------------------------------------------


def test_every_state_change_writes_an_audit_entry_with_actor_action_and_ip():
    reg = make_registration(complete=True)
    student = reg.student
    me, counselor, office = student.user, counselor_of(student), make_office()
    reg_services.registration_submit(registration=reg, actor=me, ip="1.1.1.1")
    changes.registration_withdraw(registration=reg, actor=me, ip="1.1.1.2")
    reg_services.registration_submit(registration=reg, actor=me, ip="1.1.1.3")
    services.registration_return(registration=reg, actor=counselor, reason="单位名称有误", ip="2.2.2.1")
    reg_services.registration_submit(registration=reg, actor=me, ip="1.1.1.4")
    services.registration_verify(registration=reg, actor=counselor, ip="2.2.2.2")
    v2 = changes.registration_change_start(student=student, actor=me, ip="1.1.1.5")
    got = [(e.action, e.actor, e.ip, e.registration_id, e.student_id) for e in audits()]
    assert got == [
        (AuditAction.SUBMIT, me, "1.1.1.1", reg.pk, student.pk),
        (AuditAction.WITHDRAW, me, "1.1.1.2", reg.pk, student.pk),
        (AuditAction.SUBMIT, me, "1.1.1.3", reg.pk, student.pk),
        (AuditAction.RETURN, counselor, "2.2.2.1", reg.pk, student.pk),
        (AuditAction.SUBMIT, me, "1.1.1.4", reg.pk, student.pk),
        (AuditAction.VERIFY, counselor, "2.2.2.2", reg.pk, student.pk),
        (AuditAction.CHANGE, me, "1.1.1.5", v2.pk, student.pk),
    ]
    assert all(e.at is not None for e in audits())
    # The office reopening a second change is audited as such.
    Cohort.objects.update_or_create(year=student.graduation_year,
                                    defaults={"change_deadline": timezone.localdate() - dt.timedelta(days=1)})
    again = changes.registration_change_start(student=student, actor=office, ip="3.3.3.3", reopen=True)
    assert again.pk == v2.pk  # the open change is returned, not duplicated


def test_ipv6_addresses_are_stored():
    reg = make_submitted()
    services.registration_verify(registration=reg, actor=counselor_of(reg.student), ip="2001:db8::1")
    assert AuditEntry.objects.get(action=AuditAction.VERIFY).ip == "2001:db8::1"


def test_a_failed_decision_writes_no_audit_entry():
    reg = make_verified()
    n = AuditEntry.objects.count()
    for call in (
        lambda: services.registration_verify(registration=reg, actor=counselor_of(reg.student)),
        lambda: services.registration_return(registration=reg, actor=counselor_of(reg.student), reason="原因原因"),
        lambda: changes.registration_withdraw(registration=reg, actor=reg.student.user),
    ):
        with pytest.raises(ReviewConflict):
            call()
    assert AuditEntry.objects.count() == n
