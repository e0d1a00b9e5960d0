"""The findings workflow of issue 12: "Findings get a workflow: open → confirmed / dismissed (with a reason,
by whom); a dismissed finding does not come back unless its data changes; the counselor of the class is
told; everything is audited."

Records are built through the real services (wizard, submit, withdraw, evidence, 鉴证) where the data
change matters, and the scan runs as the real background job (eager in the tests)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from quxiang.audit.models import AuditEntry
from quxiang.evidence.services import evidence_add, evidence_remove
from quxiang.integrity import findings, jobs
from quxiang.integrity.checks import Finding
from quxiang.integrity.models import FindingRecord, IntegrityFinding
from quxiang.integrity.selectors import KIND_SCAN
from quxiang.jobs.models import Job, JobStatus
from quxiang.jobs.services import job_create
from quxiang.registrations.changes import registration_change_start, registration_withdraw
from quxiang.registrations.models import Registration
from quxiang.registrations.services import registration_submit
from quxiang.reviews.services import registration_verify
from quxiang.testing.factories import (
    CollegeFactory,
    SchoolClassFactory,
    StudentFactory,
    counselor_of,
    fill_organisation,
    make_college_officer,
    make_counselor,
    make_office,
    make_submitted,
    make_uscc,
    make_verified_row,
    pdf_upload,
)

pytestmark = pytest.mark.django_db

USCC_NAME = "uscc_name"  # the check "同一信用代码、不同单位名称"


# --- helpers ---------------------------------------------------------------------------------------------

def scan(office, *, year=None) -> Job:
    """开始检查 as the office does: a background job, run at once in the unit tests."""
    job = jobs.scan_start(actor=office, year=year)
    assert job.status == JobStatus.DONE, job.error
    return job


def edit_as_student(reg: Registration, *, org_name: str | None = None, new_file: str | None = None) -> Registration:
    """撤回修改 → change the organisation name and/or replace the evidence file → 提交, as the student."""
    user = reg.student.user
    reg = registration_withdraw(registration=reg, actor=user)
    if org_name is not None:
        reg = fill_organisation(reg, org_name=org_name)
    if new_file is not None:
        for old in list(reg.evidence_files.all()):
            evidence_remove(evidence=old, actor=user)
        evidence_add(registration=reg, upload=pdf_upload("新协议书.pdf", text=new_file), actor=user)
    assert registration_submit(registration=reg, actor=user)
    return Registration.objects.get(pk=reg.pk)


def two_names_one_uscc():
    """Two submitted records with one USCC under two different organisation names."""
    a = make_submitted()
    b = edit_as_student(make_submitted(), org_name="上海乙贸易有限公司")
    assert a.org_uscc == b.org_uscc and a.org_name != b.org_name
    return a, b


def current(check: str = USCC_NAME):
    """Findings of the check that the latest scan still produces."""
    return IntegrityFinding.objects.filter(check_key=check, gone_at__isnull=True)


def record_ids(finding: IntegrityFinding) -> set[int]:
    return set(FindingRecord.objects.filter(finding=finding).values_list("registration_id", flat=True))


@pytest.fixture
def office():
    return make_office(full_name="钱主任")


# --- sync: creates, does not duplicate, keeps decisions ----------------------------------------------------

def test_a_scan_keeps_its_findings_as_open_with_their_records(office):
    a, b = two_names_one_uscc()
    scan(office)
    (finding,) = current()
    assert finding.status == "open" and finding.decided_by is None and finding.decision_reason == ""
    assert record_ids(finding) == {a.pk, b.pk} and finding.record_count == 2
    assert "上海乙贸易有限公司" in finding.reason and finding.graduation_year is None
    assert len(finding.fingerprint) == 64 and finding.first_seen == finding.last_seen


def test_scanning_again_does_not_duplicate_and_refreshes_last_seen(office):
    two_names_one_uscc()
    scan(office)
    before = {f.pk: f.last_seen for f in IntegrityFinding.objects.all()}
    scan(office)
    after = {f.pk: f.last_seen for f in IntegrityFinding.objects.all()}
    assert after.keys() == before.keys()  # the same findings, no new rows
    assert all(after[pk] > before[pk] for pk in before)
    assert FindingRecord.objects.count() == sum(f.record_count for f in IntegrityFinding.objects.all())


def test_a_dismissed_finding_stays_dismissed_when_the_same_data_is_scanned_again(office, client):
    a, b = two_names_one_uscc()
    scan(office)
    (finding,) = current()
    findings.finding_dismiss(actor=office, finding=finding, reason="乙公司是甲公司更名前的名称，已电话核实")
    registration_verify(registration=a, actor=counselor_of(a.student))  # 鉴证 changes no data
    scan(office)
    (again,) = current()
    assert again.pk == finding.pk and again.status == "dismissed"
    assert again.decision_reason == "乙公司是甲公司更名前的名称，已电话核实" and again.decided_by == office
    # Neither the office's default list (待处理) nor the counselor's page shows it as open.
    client.force_login(office)
    html = client.get(reverse("integrity:index"), {"year": ""}).content.decode()
    assert f'id="finding-{finding.pk}"' not in html
    html = client.get(reverse("integrity:index"), {"year": "", "status": "dismissed"}).content.decode()
    assert f'id="finding-{finding.pk}"' in html and "乙公司是甲公司更名前的名称" in html
    client.force_login(counselor_of(b.student))
    assert f'id="finding-{finding.pk}"' not in client.get(reverse("integrity:follow_ups")).content.decode()


def test_a_confirmed_finding_stays_on_the_counselors_list_marked_for_action(office, client):
    """属实 means the counselor has something to do (talk to the student, correct or reopen the record): it
    stays on 核查待办 with the office's reason, until the data changes or the finding is gone."""
    a, b = two_names_one_uscc()
    scan(office)
    (finding,) = current()
    findings.finding_confirm(actor=office, finding=finding, reason="电话核实：学生并未在乙公司就业")
    client.force_login(counselor_of(b.student))
    html = client.get(reverse("integrity:follow_ups")).content.decode()
    assert f'id="finding-{finding.pk}"' in html
    assert "就业指导中心已确认属实，请处理" in html and "电话核实：学生并未在乙公司就业" in html


def test_an_edited_record_brings_the_finding_back_as_open_linked_to_the_earlier_decision(office):
    a, b = two_names_one_uscc()
    scan(office)
    (dismissed,) = current()
    findings.finding_dismiss(actor=office, finding=dismissed, reason="同一单位，已核实")

    edit_as_student(b, org_name="上海丙贸易有限公司")  # the student changes the data
    scan(office)

    (new,) = current()
    assert new.pk != dismissed.pk and new.status == "open"
    assert record_ids(new) == {a.pk, b.pk} and "上海丙贸易有限公司" in new.reason
    assert new.previous_id == dismissed.pk  # the office sees what was decided before the change
    dismissed.refresh_from_db()
    assert dismissed.status == "dismissed" and dismissed.gone_at is not None  # history, not deleted


def test_a_replaced_evidence_file_brings_the_finding_back_as_open(office):
    a, b = two_names_one_uscc()
    scan(office)
    (dismissed,) = current()
    findings.finding_dismiss(actor=office, finding=dismissed, reason="已核实")
    edit_as_student(b, new_file="补充的劳动合同")  # same name as before, another file
    scan(office)
    (new,) = current()
    assert new.status == "open" and new.fingerprint != dismissed.fingerprint and new.previous_id == dismissed.pk


def test_a_change_request_is_new_data(office):
    a = make_submitted()
    registration_verify(registration=a, actor=counselor_of(a.student))
    b = edit_as_student(make_submitted(), org_name="上海乙贸易有限公司")
    scan(office)
    (dismissed,) = current()
    findings.finding_dismiss(actor=office, finding=dismissed, reason="已核实")
    change = registration_change_start(student=a.student, actor=a.student.user)  # 变更: version 2
    assert registration_submit(registration=change, actor=a.student.user)
    scan(office)
    (new,) = current()
    assert new.status == "open" and record_ids(new) == {change.pk, b.pk} and new.previous_id == dismissed.pk


def test_an_undecided_finding_follows_its_students_data_instead_of_piling_up(office):
    a = make_submitted()
    registration_verify(registration=a, actor=counselor_of(a.student))
    b = edit_as_student(make_submitted(), org_name="上海乙贸易有限公司")
    scan(office)
    (finding,) = current()
    change = registration_change_start(student=a.student, actor=a.student.user)  # nobody decided yet
    assert registration_submit(registration=change, actor=a.student.user)
    scan(office)
    (moved,) = current()
    assert moved.pk == finding.pk and moved.status == "open" and moved.first_seen == finding.first_seen
    assert moved.fingerprint != finding.fingerprint and record_ids(moved) == {change.pk, b.pk}
    assert IntegrityFinding.objects.filter(check_key=USCC_NAME).count() == 1


def test_a_finding_no_longer_produced_is_kept_as_gone_and_leaves_the_lists(office, client):
    a, b = two_names_one_uscc()
    scan(office)
    (finding,) = current()
    edit_as_student(b, org_name=a.org_name)  # the conflict is corrected
    scan(office)
    finding.refresh_from_db()
    assert finding.gone_at is not None and finding.status == "open"
    assert not current().exists()
    client.force_login(counselor_of(b.student))
    assert f'id="finding-{finding.pk}"' not in client.get(reverse("integrity:follow_ups")).content.decode()
    client.force_login(office)
    html = client.get(reverse("integrity:index"), {"year": "", "status": "gone"}).content.decode()
    assert f'id="finding-{finding.pk}"' in html and "不再出现" in html


def test_a_decision_holds_for_the_same_data_in_another_cohort_scope(office):
    a, b = two_names_one_uscc()
    year = a.student.graduation_year
    assert b.student.graduation_year == year
    scan(office, year=year)
    (cohort,) = current()
    assert cohort.graduation_year == year
    findings.finding_dismiss(actor=office, finding=cohort, reason="已核实")
    scan(office)  # 全部届别: the same records, the same data
    (everyone,) = current().filter(graduation_year__isnull=True)
    assert everyone.pk != cohort.pk and everyone.status == "dismissed" and everyone.decision_reason == "已核实"


def test_two_findings_of_one_check_on_the_same_records_are_kept_once():
    reg = make_verified_row(student=StudentFactory())
    result = findings.findings_sync(year=None, results=[("class_cluster", [
        Finding(reason="比例异常", registration_ids=(reg.pk,)), Finding(reason="填写雷同", registration_ids=(reg.pk,))])])
    (finding,) = IntegrityFinding.objects.filter(pk__in=result.created)
    assert finding.reason == "比例异常\n填写雷同"


# --- redelivery -----------------------------------------------------------------------------------

def test_a_redelivered_scan_job_leaves_one_set_of_findings(office):
    two_names_one_uscc()
    job = job_create(kind=KIND_SCAN, created_by=office, params={"year": None})
    jobs.scan_handler(job)
    first = set(IntegrityFinding.objects.values_list("pk", "fingerprint"))
    audits = AuditEntry.objects.filter(action="finding_sync").count()
    jobs.scan_handler(job)  # the message delivered again after the job committed
    assert set(IntegrityFinding.objects.values_list("pk", "fingerprint")) == first
    assert AuditEntry.objects.filter(action="finding_sync").count() == audits == 1
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.summary["synced"] is True
    # A second scan job of the same cohort meets the same fingerprints: nothing new, nothing audited.
    scan(office)
    assert set(IntegrityFinding.objects.values_list("pk", "fingerprint")) == first
    assert AuditEntry.objects.filter(action="finding_sync").count() == 1


def test_a_handler_whose_job_ended_meanwhile_rolls_its_sync_back(office):
    two_names_one_uscc()
    job = job_create(kind=KIND_SCAN, created_by=office, params={"year": None})
    Job.objects.filter(pk=job.pk).update(status=JobStatus.FAILED)  # another delivery gave it up
    jobs.scan_handler(job)
    assert not IntegrityFinding.objects.exists()


# --- decisions --------------------------------------------------------------------------------------

def test_confirm_and_dismiss_record_who_when_and_why_and_are_audited(office):
    regs = [make_verified_row(student=StudentFactory()) for _ in range(3)]
    result = findings.findings_sync(year=None, actor=office, results=[(USCC_NAME, [
        Finding(reason="一", registration_ids=(regs[0].pk,)), Finding(reason="二", registration_ids=(regs[1].pk, regs[2].pk))])])
    one, two = IntegrityFinding.objects.filter(pk__in=result.created).order_by("pk")
    sync_entry = AuditEntry.objects.get(action="finding_sync")
    assert sync_entry.actor == office and sync_entry.detail["created"] == 2

    confirmed = findings.finding_confirm(actor=office, finding=one, reason="", ip="10.0.0.8")
    assert confirmed.status == "confirmed" and confirmed.decided_by == office and confirmed.decided_at is not None
    entry = AuditEntry.objects.get(action="finding_confirm")
    assert entry.actor == office and entry.ip == "10.0.0.8" and entry.registration_id == regs[0].pk
    assert entry.student_id == regs[0].student_id and entry.detail["finding"] == one.pk

    dismissed = findings.finding_dismiss(actor=office, finding=two, reason="  同一集团的两家子公司  ")
    assert dismissed.status == "dismissed" and dismissed.decision_reason == "同一集团的两家子公司"
    entry = AuditEntry.objects.get(action="finding_dismiss")
    assert entry.detail["reason"] == "同一集团的两家子公司" and entry.registration_id is None
    assert set(entry.detail["records"]) == {regs[1].pk, regs[2].pk} and entry.detail["record_count"] == 2


def test_dismissing_without_a_reason_is_refused_in_chinese_and_changes_nothing(office, client):
    reg = make_verified_row(student=StudentFactory())
    (pk,) = findings.findings_sync(year=None, results=[(USCC_NAME, [Finding("一", (reg.pk,))])]).created
    finding = IntegrityFinding.objects.get(pk=pk)
    with pytest.raises(findings.FindingRefused) as refused:
        findings.finding_dismiss(actor=office, finding=finding, reason="   ")
    assert refused.value.code == "finding_reason_required" and "理由" in refused.value.message
    client.force_login(office)
    response = client.post(reverse("integrity:finding_decide", args=[pk]), {"decision": "dismiss", "reason": ""},
                           follow=True)
    assert response.status_code == 200 and "排除线索时请写明理由" in response.content.decode()
    finding.refresh_from_db()
    assert finding.status == "open" and finding.decided_by is None
    assert not AuditEntry.objects.filter(action__in=["finding_confirm", "finding_dismiss"]).exists()


def test_a_decided_finding_cannot_be_decided_again(office):
    reg = make_verified_row(student=StudentFactory())
    (pk,) = findings.findings_sync(year=None, results=[(USCC_NAME, [Finding("一", (reg.pk,))])]).created
    finding = IntegrityFinding.objects.get(pk=pk)
    findings.finding_confirm(actor=office, finding=finding)
    with pytest.raises(findings.FindingRefused) as refused:
        findings.finding_dismiss(actor=office, finding=finding, reason="误报")
    assert refused.value.code == "finding_decided" and "已确认" in refused.value.message
    finding.refresh_from_db()
    assert finding.status == "confirmed" and AuditEntry.objects.filter(action="finding_dismiss").count() == 0


def test_only_the_office_decides(client, office):
    student = StudentFactory()
    reg = make_verified_row(student=student)
    officer = make_college_officer(college=student.college)
    (pk,) = findings.findings_sync(year=None, results=[(USCC_NAME, [Finding("一", (reg.pk,))])]).created
    url = reverse("integrity:finding_decide", args=[pk])
    for user in (student.user, counselor_of(student), officer):
        client.force_login(user)
        assert client.post(url, {"decision": "confirm"}).status_code == 404
        with pytest.raises(findings.FindingRefused) as refused:
            findings.finding_confirm(actor=user, finding=IntegrityFinding.objects.get(pk=pk))
        assert refused.value.code == "finding_forbidden"
    client.force_login(office)
    assert client.get(url).status_code == 405  # POST only
    response = client.post(url, {"decision": "confirm", "reason": "单位不存在", "status": "open"})
    assert response.status_code == 302 and response["Location"].endswith(f"#finding-{pk}")
    assert IntegrityFinding.objects.get(pk=pk).status == "confirmed"
    assert "已将该线索标记为“已确认”" in client.get(response["Location"]).content.decode()
    client.logout()
    assert client.post(url, {"decision": "dismiss", "reason": "x"}).status_code == 302  # to the login page
    assert IntegrityFinding.objects.get(pk=pk).status == "confirmed"


def test_a_missing_finding_is_404(client, office):
    client.force_login(office)
    assert client.post(reverse("integrity:finding_decide", args=[999999]), {"decision": "confirm"}).status_code == 404


# --- the counselor is told --------------------------------------------------------------------------------

@pytest.fixture
def two_classes():
    college = CollegeFactory()
    first, second = make_counselor(full_name="周老师", email="zhou@example.edu.cn"), make_counselor(full_name="吴老师")
    cls1 = SchoolClassFactory(counselor=first, major__college=college)
    cls2 = SchoolClassFactory(counselor=second, major__college=college)
    mine = make_verified_row(student=StudentFactory(school_class=cls1, name="孙一"))
    theirs = make_verified_row(student=StudentFactory(school_class=cls2, name="钱二"))
    return {"first": first, "second": second, "mine": mine, "theirs": theirs, "college": college}


def test_counselors_see_open_findings_of_their_classes_only(client, two_classes):
    mine, theirs = two_classes["mine"], two_classes["theirs"]
    other = make_verified_row(student=StudentFactory(name="李三"))  # another college
    findings.findings_sync(year=None, results=[
        (USCC_NAME, [Finding("只涉及一班的线索", (mine.pk,)), Finding("跨班级的线索", (mine.pk, theirs.pk))]),
        ("phone_shared", [Finding("别的学院的线索", (other.pk,))]),
    ])
    client.force_login(two_classes["first"])
    html = client.get(reverse("integrity:follow_ups")).content.decode()
    assert "只涉及一班的线索" in html and "跨班级的线索" in html and "别的学院的线索" not in html
    assert reverse("reviews:record", args=[mine.pk]) in html
    assert reverse("reviews:record", args=[theirs.pk]) not in html  # only records in their own scope
    client.force_login(two_classes["second"])
    html = client.get(reverse("integrity:follow_ups")).content.decode()
    assert "只涉及一班的线索" not in html and "跨班级的线索" in html
    assert reverse("reviews:record", args=[theirs.pk]) in html and reverse("reviews:record", args=[mine.pk]) not in html
    client.force_login(make_college_officer(college=two_classes["college"]))
    html = client.get(reverse("integrity:follow_ups")).content.decode()
    assert "只涉及一班的线索" in html and "跨班级的线索" in html and "别的学院的线索" not in html


def test_counselors_with_an_address_get_one_email_for_new_findings(two_classes, django_capture_on_commit_callbacks):
    results = [(USCC_NAME, [Finding("一", (two_classes["mine"].pk,)), Finding("二", (two_classes["mine"].pk,
                                                                                    two_classes["theirs"].pk))])]
    with django_capture_on_commit_callbacks(execute=True):
        findings.findings_sync(year=None, results=results)
    assert [m.to for m in mail.outbox] == [["zhou@example.edu.cn"]]  # 吴老师 has no address
    assert "2 条" in mail.outbox[0].body and "核查待办" in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        findings.findings_sync(year=None, results=results)  # nothing new: no second email
    assert len(mail.outbox) == 1


def test_follow_ups_page_query_count_is_pinned(client, two_classes, django_assert_num_queries):
    counselor, mine = two_classes["first"], two_classes["mine"]
    cls = mine.student.school_class

    def plant(n: int, tag: str):
        regs = [make_verified_row(student=StudentFactory(school_class=cls)) for _ in range(n)]
        findings.findings_sync(year=None, results=[(tag, [Finding(f"{tag}{i}", (r.pk, mine.pk)) for i, r in
                                                          enumerate(regs)])])

    plant(1, "uscc_name")
    client.force_login(counselor)
    client.get(reverse("integrity:follow_ups"))  # the session and the user are cached after this
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("integrity:follow_ups"))
    pinned = len(small.captured_queries)
    plant(5, "phone_shared")
    with django_assert_num_queries(pinned):
        html = client.get(reverse("integrity:follow_ups")).content.decode()
    assert html.count('id="finding-') == 6


# --- the office's page ------------------------------------------------------------------------------

def test_index_lists_findings_with_decision_forms_and_filters(client, office):
    a, b = two_names_one_uscc()
    client.force_login(office)
    client.post(reverse("integrity:index") + "?year=")
    (finding,) = current()
    html = client.get(reverse("integrity:index"), {"year": ""}).content.decode()
    assert f'id="finding-{finding.pk}"' in html and reverse("integrity:finding_decide", args=[finding.pk]) in html
    assert "确认属实" in html and "排除" in html and 'class="table cards findings"' in html
    # Filtered to another check: the finding is not listed.
    html = client.get(reverse("integrity:index"), {"year": "", "check": "phone_own"}).content.decode()
    assert f'id="finding-{finding.pk}"' not in html
    client.post(reverse("integrity:finding_decide", args=[finding.pk]),
                {"decision": "dismiss", "reason": "更名，已核实", "status": "open"})
    html = client.get(reverse("integrity:index"), {"year": "", "status": ""}).content.decode()
    assert f'id="finding-{finding.pk}"' in html and "已排除" in html and "更名，已核实" in html
    assert reverse("integrity:finding_decide", args=[finding.pk]) not in html  # no form once decided


def test_index_query_count_is_pinned(client, office, django_assert_num_queries):
    def plant(n: int, serial: str):
        """n conflicts of one USCC under two names (three records each), as the real check finds them."""
        for i in range(n):
            uscc = make_uscc(serial=f"{serial}{i:02d}")
            for name in ("甲", "乙", "乙"):
                make_verified_row(student=StudentFactory(), org_uscc=uscc, org_name=name)

    client.force_login(office)
    plant(1, "MA1FD05")
    client.post(reverse("integrity:index") + "?year=")
    client.get(reverse("integrity:index"), {"year": ""})
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("integrity:index"), {"year": ""})
    pinned = len(small.captured_queries)  # read now: the next request clears the connection's query log
    assert pinned <= 12
    plant(5, "MA1FD06")
    client.post(reverse("integrity:index") + "?year=")
    with django_assert_num_queries(pinned):
        html = client.get(reverse("integrity:index"), {"year": ""}).content.decode()
    assert html.count("个不同的单位名称") == 6
    assert html.count('id="finding-') == html.count('name="decision" value="dismiss"') >= 6


# --- the database's own guards ------------------------------------------------------------------------------

def _row(**kwargs) -> IntegrityFinding:
    now = timezone.now()
    fields = {"check_key": USCC_NAME, "fingerprint": "f" * 64, "subject": "s" * 64, "reason": "r",
              "first_seen": now, "last_seen": now, **kwargs}
    with transaction.atomic():
        return IntegrityFinding.objects.create(**fields)


def test_database_refuses_duplicates_bad_status_and_a_dismissal_without_reason(office):
    _row()
    with pytest.raises(IntegrityError):
        _row()  # same check and fingerprint for 全部届别
    _row(graduation_year=2027)
    with pytest.raises(IntegrityError):
        _row(graduation_year=2027)
    with pytest.raises(IntegrityError):
        _row(fingerprint="1" * 64, status="maybe")
    now = timezone.now()
    with pytest.raises(IntegrityError):
        _row(fingerprint="2" * 64, status="dismissed", decided_by=office, decided_at=now, decision_reason="")
    with pytest.raises(IntegrityError):
        _row(fingerprint="3" * 64, status="confirmed")  # decided by nobody
    assert _row(fingerprint="4" * 64, status="dismissed", decided_by=office, decided_at=now, decision_reason="误报")
