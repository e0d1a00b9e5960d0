"""Sampling for verification calls (抽查): reproducible draws, call outcomes with audit, the per-college
summary, and a mismatch sent back to the record's counselor."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from quxiang.audit.models import AuditAction, AuditEntry
from quxiang.integrity import services
from quxiang.integrity.models import FollowUp, FollowUpStatus, Outcome
from quxiang.integrity.selectors import sample_run_summary
from quxiang.registrations.models import Registration, Status
from quxiang.testing.factories import (
    CollegeFactory,
    SchoolClassFactory,
    StudentFactory,
    counselor_of,
    make_counselor,
    make_office,
    make_registration_row,
    make_verified,
    make_verified_row,
)

pytestmark = pytest.mark.django_db


def college_with_verified(n: int, *, name: str, code: str, year: int = 2027) -> list[Registration]:
    cls = SchoolClassFactory(major__college=CollegeFactory(code=code, name=name))
    return [make_verified_row(student=StudentFactory(school_class=cls, graduation_year=year)) for _ in range(n)]


@pytest.fixture
def school():
    big = college_with_verified(20, name="机械工程学院", code="01")
    small = college_with_verified(3, name="外语学院", code="04")
    # A college with only a submitted record and one with nothing: nothing to sample there.
    pending_cls = SchoolClassFactory(major__college=CollegeFactory(code="05", name="材料学院"))
    make_registration_row(student=StudentFactory(school_class=pending_cls), status="submitted")
    return big, small


def sampled(run) -> set[int]:
    return set(run.items.values_list("registration_id", flat=True))


def test_same_seed_same_data_same_sample(school):
    office = make_office()
    first = services.sample_run_draw(actor=office, percentage=10, seed=424242)
    again = services.sample_run_draw(actor=office, percentage=10, seed=424242)
    other = services.sample_run_draw(actor=office, percentage=10, seed=7)

    assert sampled(first) == sampled(again)
    assert sampled(first) != sampled(other)
    assert first.seed == 424242


def test_percentage_per_college_at_least_one_only_verified(school):
    big, small = school
    run = services.sample_run_draw(actor=make_office(), percentage=10, seed=1)

    by_college = {row["college__name"]: row["sampled"] for row in sample_run_summary(run=run)}
    assert by_college == {"机械工程学院": 2, "外语学院": 1}  # 10 % of 20; at least 1 of 3; none for 材料学院
    assert sampled(run) <= {r.pk for r in big + small}
    assert Registration.objects.filter(pk__in=sampled(run)).exclude(status=Status.VERIFIED).count() == 0


def test_a_change_elsewhere_does_not_move_a_colleges_sample(school):
    office = make_office()
    before = services.sample_run_draw(actor=office, percentage=25, seed=99)
    college_with_verified(4, name="新学院", code="09")
    after = services.sample_run_draw(actor=office, percentage=25, seed=99)

    old_ids = {i.registration_id for i in before.items.all()}
    new_ids = {i.registration_id for i in after.items.exclude(college__code="09")}
    assert old_ids == new_ids


def test_year_limits_the_draw(school):
    old = college_with_verified(2, name="往届学院", code="07", year=2026)
    run = services.sample_run_draw(actor=make_office(), percentage=100, seed=5, year=2026)
    assert sampled(run) == {r.pk for r in old}


def test_nothing_to_sample_is_refused():
    with pytest.raises(services.IntegrityRefused, match="没有可抽查"):
        services.sample_run_draw(actor=make_office(), percentage=5, seed=1)


def test_outcome_is_recorded_and_audited(school):
    office = make_office()
    run = services.sample_run_draw(actor=office, percentage=10, seed=3)
    item = run.items.first()

    services.sample_item_record(item=item, outcome=Outcome.UNREACHABLE, note="两次未接通", actor=office, ip="10.0.0.9")
    services.sample_item_record(item=item, outcome=Outcome.CONFIRMED, note="学生确认已入职", actor=office)

    item.refresh_from_db()
    assert (item.outcome, item.note, item.called_by) == (Outcome.CONFIRMED, "学生确认已入职", office)
    entries = AuditEntry.objects.filter(action=AuditAction.SAMPLE_CALL, registration_id=item.registration_id)
    assert [e.detail["outcome"] for e in entries.order_by("at", "id")] == ["unreachable", "confirmed"]
    assert entries.filter(ip="10.0.0.9").count() == 1


def test_mismatch_needs_a_note(school):
    office = make_office()
    item = services.sample_run_draw(actor=office, percentage=10, seed=3).items.first()
    with pytest.raises(services.IntegrityRefused, match="哪里不符"):
        services.sample_item_record(item=item, outcome=Outcome.MISMATCH, note="", actor=office)


def _mismatch_item():
    """A verified record (through the services) sampled and called: the employer has never heard of the student."""
    office = make_office()
    reg = make_verified()
    counselor = counselor_of(reg.student)
    counselor.email = "fdy@example.edu.cn"
    counselor.save()
    run = services.sample_run_draw(actor=office, percentage=100, seed=11)
    item = run.items.get(registration=reg)
    services.sample_item_record(item=item, outcome=Outcome.MISMATCH, note="单位人事称无此人", actor=office)
    return office, reg, counselor, item


def test_send_back_creates_a_follow_up_the_counselor_sees(client, django_capture_on_commit_callbacks):
    office, reg, counselor, item = _mismatch_item()
    outsider = make_counselor()
    SchoolClassFactory(counselor=outsider)

    with django_capture_on_commit_callbacks(execute=True):
        follow_up = services.sample_item_send_back(item=item, actor=office, note="请联系学生核实就业单位")

    assert follow_up.status == FollowUpStatus.OPEN and follow_up.reopened is None
    assert AuditEntry.objects.filter(action=AuditAction.FOLLOW_UP_OPEN, registration_id=reg.pk).exists()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["fdy@example.edu.cn"]
    assert reg.student.name in mail.outbox[0].body
    # The record itself is untouched: still the verified version.
    assert Registration.objects.get(pk=reg.pk).status == Status.VERIFIED

    client.force_login(counselor)
    page = client.get(reverse("integrity:follow_ups")).content.decode()
    assert "请联系学生核实就业单位" in page and reg.student.student_number in page

    client.force_login(outsider)
    page = client.get(reverse("integrity:follow_ups")).content.decode()
    assert reg.student.student_number not in page
    assert client.post(reverse("integrity:follow_up_resolve", args=[follow_up.pk]),
                       {"resolution": "x" * 5}).status_code == 404

    client.force_login(counselor)
    response = client.post(reverse("integrity:follow_up_resolve", args=[follow_up.pk]),
                           {"resolution": "已联系学生：公司更名，学生将提交变更"}, follow=True)
    assert "已记录核实结果" in response.content.decode()
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.RESOLVED and follow_up.resolved_by == counselor
    assert AuditEntry.objects.filter(action=AuditAction.FOLLOW_UP_RESOLVE, actor=counselor).exists()
    page = client.get(reverse("integrity:follow_ups"), {"status": "resolved"}).content.decode()
    assert "公司更名" in page


def test_send_back_twice_is_refused_until_resolved():
    office, _reg, counselor, item = _mismatch_item()
    first = services.sample_item_send_back(item=item, actor=office, note="请核实")
    with pytest.raises(services.IntegrityRefused, match="尚未处理完毕"):
        services.sample_item_send_back(item=item, actor=office, note="再次")
    services.follow_up_resolve(follow_up=first, actor=counselor, resolution="已核实属实")
    with pytest.raises(services.IntegrityRefused, match="已由他人处理"):
        services.follow_up_resolve(follow_up=first, actor=counselor, resolution="再次")
    assert services.sample_item_send_back(item=item, actor=office, note="再次回访仍不符").pk != first.pk


def test_send_back_with_reopen_opens_a_change_for_the_student():
    office, reg, _counselor, item = _mismatch_item()

    follow_up = services.sample_item_send_back(item=item, actor=office, note="单位不符，请学生更正", reopen=True)

    draft = follow_up.reopened
    assert draft is not None and draft.status == Status.DRAFT and draft.version == 2
    assert draft.student_id == reg.student_id and draft.changed_from_id == reg.pk
    assert Registration.objects.get(pk=reg.pk).status == Status.VERIFIED  # in force until the change is verified
    assert FollowUp.objects.get(pk=follow_up.pk).reopened_id == draft.pk


def test_send_back_only_for_a_mismatch(school):
    office = make_office()
    item = services.sample_run_draw(actor=office, percentage=10, seed=3).items.first()
    with pytest.raises(services.IntegrityRefused, match="情况不符"):
        services.sample_item_send_back(item=item, actor=office, note="请核实")
    assert not FollowUp.objects.exists()


def test_placed_only_leaves_out_students_still_looking():
    cls = SchoolClassFactory(major__college=CollegeFactory(code="08", name="化工学院"))
    placed = make_verified_row(student=StudentFactory(school_class=cls))
    looking = make_verified_row(student=StudentFactory(school_class=cls), destination_type="awaiting_job_hunting")
    office = make_office()

    assert sampled(services.sample_run_draw(actor=office, percentage=100, seed=1)) == {placed.pk}
    everything = services.sample_run_draw(actor=office, percentage=100, seed=1, placed_only=False)
    assert sampled(everything) == {placed.pk, looking.pk} and not everything.placed_only
