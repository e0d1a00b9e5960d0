"""Staff pages and the student's withdraw / change / sheet, through the test client: who may open what
(every role against every new URL), the queue's filters, paging and query count, bulk verify, the list
of students who have not registered (page, xlsx, reminder), evidence views in the audit log, the
registration sheet with its QR code and the public verification page, and the audit log page."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field

import openpyxl
import pytest
import zxingcpp
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from quxiang.accounts.models import Role, User
from quxiang.audit.models import AuditAction, AuditEntry
from quxiang.evidence.models import EvidenceFile
from quxiang.jobs.models import Job
from quxiang.registrations import changes
from quxiang.registrations import services as reg_services
from quxiang.registrations.models import EventKind, Registration, RegistrationEvent, Status
from quxiang.registrations.sheet import verification_url
from quxiang.reviews import services
from quxiang.roster.models import Cohort, Student
from quxiang.testing.factories import (
    CollegeFactory,
    SchoolClassFactory,
    StudentFactory,
    UserFactory,
    make_college_officer,
    make_counselor,
    make_office,
    make_registration,
    make_registration_row,
    make_submitted,
    make_verified,
    pdf_upload,
)

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "owner", "other_student", "counselor", "other_counselor", "officer", "other_officer",
         "office", "admin"]
STUDENTS = {"owner", "other_student"}
IN_SCOPE = {"counselor", "officer", "office", "admin"}  # staff who may act on the owner's record
OUT_OF_SCOPE = {"other_counselor", "other_officer"}  # staff of another class / another college
OFFICE = {"office", "admin"}


@dataclass
class World:
    """College A: class A1 (counselor, owner, other student), class A2 (other counselor).
    College B: class B1 (its own counselor, one student with a submitted record)."""

    owner: Student
    reg: Registration
    other_student: Student
    far_student: Student
    far_reg: Registration
    users: dict[str, User | None] = field(default_factory=dict)

    def verify(self) -> Registration:
        services.registration_verify(registration=self.reg, actor=self.users["counselor"])
        self.reg.refresh_from_db()
        return self.reg


@pytest.fixture
def world() -> World:
    college_a, college_b = CollegeFactory(), CollegeFactory()
    counselor, other_counselor, far_counselor = make_counselor(), make_counselor(), make_counselor()
    class_a1 = SchoolClassFactory(major__college=college_a, counselor=counselor)
    SchoolClassFactory(major__college=college_a, counselor=other_counselor)
    class_b1 = SchoolClassFactory(major__college=college_b, counselor=far_counselor)
    owner = StudentFactory(school_class=class_a1, name="张三丰")
    reg = make_submitted(student=owner)
    other_student = StudentFactory(school_class=class_a1)
    far_student = StudentFactory(school_class=class_b1)
    far_reg = make_submitted(student=far_student)
    users = {
        "anonymous": None, "owner": owner.user, "other_student": other_student.user, "counselor": counselor,
        "other_counselor": other_counselor, "officer": make_college_officer(college=college_a),
        "other_officer": make_college_officer(college=college_b), "office": make_office(),
        "admin": UserFactory(role=Role.ADMIN),
    }
    return World(owner=owner, reg=reg, other_student=other_student, far_student=far_student, far_reg=far_reg,
                 users=users)


def login_as(client, world: World, role: str):
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    return user


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response.url.startswith(reverse("accounts:login") + "?next=")


def status_of(reg: Registration) -> str:
    return Registration.objects.values_list("status", flat=True).get(pk=reg.pk)


def page_pks(response) -> list[int]:
    return [r.pk for r in response.context["page"].object_list]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- permissions: every new URL, every role ---------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_queue_and_unregistered_pages(client, world, role):
    login_as(client, world, role)
    for name in ("reviews:queue", "reviews:unregistered"):
        r = client.get(reverse(name))
        if role == "anonymous":
            assert is_login_redirect(r), name
        elif role in STUDENTS:
            assert r.status_code == 404, name
        else:
            assert r.status_code == 200, name
    if role in IN_SCOPE | OUT_OF_SCOPE:
        listed = set(page_pks(client.get(reverse("reviews:queue"))))
        assert (world.reg.pk in listed) == (role in IN_SCOPE)
        assert (world.far_reg.pk in listed) == (role in OFFICE or role == "other_officer")
        unregistered = set(page_pks(client.get(reverse("reviews:unregistered"))))
        assert (world.other_student.pk in unregistered) == (role in IN_SCOPE)


@pytest.mark.parametrize("role", ROLES)
def test_audit_log_page_is_for_the_office_only(client, world, role):
    login_as(client, world, role)
    r = client.get(reverse("reviews:audit"))
    if role == "anonymous":
        assert is_login_redirect(r)
    elif role in OFFICE:
        assert r.status_code == 200
    else:
        assert r.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_record_page(client, world, role):
    login_as(client, world, role)
    r = client.get(reverse("reviews:record", args=[world.reg.pk]))
    if role == "anonymous":
        assert is_login_redirect(r)
    elif role in IN_SCOPE:
        assert r.status_code == 200
        assert world.owner.student_number in r.content.decode()
    else:
        assert r.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_verify(client, world, role):
    user = login_as(client, world, role)
    r = client.post(reverse("reviews:verify", args=[world.reg.pk]), REMOTE_ADDR="10.20.30.40")
    reg = Registration.objects.get(pk=world.reg.pk)
    if role == "anonymous":
        assert is_login_redirect(r)
    elif role in IN_SCOPE:
        assert r.status_code == 302 and r.url == reverse("reviews:record", args=[reg.pk])
        assert reg.status == Status.VERIFIED and reg.verified_by == user and reg.verification_no
        entry = AuditEntry.objects.get(action=AuditAction.VERIFY)
        assert (entry.actor, entry.ip) == (user, "10.20.30.40")
        return
    else:
        assert r.status_code == 404
    assert reg.status == Status.SUBMITTED and reg.verification_no is None
    assert not AuditEntry.objects.filter(action=AuditAction.VERIFY).exists()


def test_verify_and_return_refuse_get(client, world):
    client.force_login(world.users["counselor"])
    assert client.get(reverse("reviews:verify", args=[world.reg.pk])).status_code == 405
    assert client.get(reverse("reviews:return", args=[world.reg.pk])).status_code == 405
    assert status_of(world.reg) == Status.SUBMITTED


@pytest.mark.parametrize("role", ROLES)
def test_return(client, world, role):
    user = login_as(client, world, role)
    r = client.post(reverse("reviews:return", args=[world.reg.pk]), {"reason": "协议书第一联缺少单位盖章"})
    reg = Registration.objects.get(pk=world.reg.pk)
    if role == "anonymous":
        assert is_login_redirect(r)
    elif role in IN_SCOPE:
        assert r.status_code == 302
        assert reg.status == Status.RETURNED and reg.return_reason == "协议书第一联缺少单位盖章"
        assert AuditEntry.objects.get(action=AuditAction.RETURN).actor == user
        return
    else:
        assert r.status_code == 404
    assert reg.status == Status.SUBMITTED and reg.return_reason == ""


@pytest.mark.parametrize("role", ROLES)
def test_reopen(client, world, role):
    world.verify()
    user = login_as(client, world, role)
    r = client.post(reverse("reviews:reopen", args=[world.reg.pk]))
    versions = Registration.objects.filter(student=world.owner).count()
    if role == "anonymous":
        assert is_login_redirect(r)
    elif role in OFFICE:
        draft = Registration.objects.get(student=world.owner, version=2)
        assert r.status_code == 302 and r.url == reverse("reviews:record", args=[draft.pk])
        assert draft.status == Status.DRAFT and draft.changed_from_id == world.reg.pk
        assert AuditEntry.objects.get(action=AuditAction.REOPEN).actor == user
        return
    else:
        assert r.status_code == 404
    assert versions == 1


@pytest.mark.parametrize("role", ROLES)
def test_sheet_of_a_verified_record(client, world, role):
    world.verify()
    login_as(client, world, role)
    r = client.get(reverse("registrations:sheet", args=[world.reg.pk]))
    if role == "anonymous":
        assert is_login_redirect(r)
    elif role == "owner" or role in IN_SCOPE:
        assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
        assert r.content.startswith(b"%PDF")
        assert AuditEntry.objects.filter(action=AuditAction.SHEET_DOWNLOAD, registration_id=world.reg.pk).count() == 1
        return
    else:
        assert r.status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.SHEET_DOWNLOAD).exists()


@pytest.mark.parametrize("role", ["owner", "counselor", "office"])
def test_no_sheet_before_verification(client, world, role):
    login_as(client, world, role)
    assert client.get(reverse("registrations:sheet", args=[world.reg.pk])).status_code == 404
    services.registration_return(registration=world.reg, actor=world.users["counselor"], reason="材料不清晰")
    assert client.get(reverse("registrations:sheet", args=[world.reg.pk])).status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_withdraw(client, world, role):
    login_as(client, world, role)
    r = client.post(reverse("registrations:withdraw"))
    if role == "anonymous":
        assert is_login_redirect(r)
    elif role == "owner":
        assert r.status_code == 302 and r.url == reverse("registrations:step", args=["review"])
        assert status_of(world.reg) == Status.DRAFT
        assert RegistrationEvent.objects.filter(registration=world.reg, kind=EventKind.WITHDRAW).count() == 1
        return
    elif role == "other_student":
        # Their own (empty) registration is meant: back to their status page with a message.
        assert r.status_code == 302 and r.url == reverse("registrations:status")
    else:
        assert r.status_code == 404  # staff are not students
    assert status_of(world.reg) == Status.SUBMITTED


@pytest.mark.parametrize("role", ROLES)
def test_change(client, world, role):
    world.verify()
    login_as(client, world, role)
    r = client.post(reverse("registrations:change"))
    if role == "anonymous":
        assert is_login_redirect(r)
    elif role == "owner":
        draft = Registration.objects.get(student=world.owner, version=2)
        assert r.status_code == 302 and r.url.startswith(reverse("registrations:step", args=["type"])[:-5])
        assert draft.changed_from_id == world.reg.pk and draft.status == Status.DRAFT
        assert status_of(world.reg) == Status.VERIFIED
        return
    elif role == "other_student":
        # Nothing verified to change: a message on the status page, nobody else's record touched.
        assert r.status_code == 302 and r.url == reverse("registrations:status")
        assert not Registration.objects.filter(student=world.other_student).exists()
    else:
        assert r.status_code == 404
    assert Registration.objects.filter(student=world.owner).count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_bulk_verify_permissions(client, world, role):
    login_as(client, world, role)
    r = client.post(reverse("reviews:bulk_verify"), {"ids": [world.reg.pk], "confirm": "1"})
    if role == "anonymous":
        assert is_login_redirect(r)
    elif role in STUDENTS:
        assert r.status_code == 404
    elif role in OUT_OF_SCOPE:
        assert r.status_code == 302 and r.url == reverse("reviews:queue")
    else:
        assert r.status_code == 302
        assert status_of(world.reg) == Status.VERIFIED
        return
    assert status_of(world.reg) == Status.SUBMITTED


@pytest.mark.parametrize("role", ROLES)
def test_public_verification_page_is_open_to_everyone(client, world, role):
    reg = world.verify()
    login_as(client, world, role)
    r = client.get(reverse("public_verify", args=[reg.verification_no]))
    assert r.status_code == 200 and "核验通过" in r.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_evidence_of_the_record(client, world, role):
    evidence = EvidenceFile.objects.filter(registration=world.reg).first()
    login_as(client, world, role)
    r = client.get(reverse("evidence:download", args=[evidence.pk]))
    if role == "anonymous":
        assert is_login_redirect(r)
    elif role == "owner" or role in IN_SCOPE:
        assert r.status_code == 200
        assert b"".join(r.streaming_content).startswith(b"%PDF")  # consuming it closes the file
    else:
        assert r.status_code == 404


# --- the queue ----------------------------------------------------------------------------------


@pytest.fixture
def queue_world():
    """One counselor with two classes (two majors), plus a class they do not counsel."""
    counselor = make_counselor()
    college = CollegeFactory()
    class_1 = SchoolClassFactory(major__college=college, counselor=counselor, name="软件2301")
    class_2 = SchoolClassFactory(major__college=college, counselor=counselor, name="网络2301")
    class_2.counselors.add(make_counselor())  # a class with two counselors must not show rows twice
    foreign = SchoolClassFactory(major__college=college, name="外班2301")
    rows = {
        "a": make_registration_row(student=StudentFactory(school_class=class_1, student_number="2301010001",
                                                          name="李雷"), destination_type="dispatch_general"),
        "b": make_registration_row(student=StudentFactory(school_class=class_1, student_number="2301010002",
                                                          name="韩梅梅"), destination_type="study_master"),
        "c": make_registration_row(student=StudentFactory(school_class=class_2, student_number="2302020001",
                                                          name="李小龙"), destination_type="dispatch_civil_service"),
        "d": make_registration_row(student=StudentFactory(school_class=class_2, student_number="2302020002",
                                                          name="王芳"), destination_type="abroad_study"),
        "e_returned": make_registration_row(student=StudentFactory(school_class=class_1, student_number="2301010003",
                                                                   name="赵敏"), status=Status.RETURNED,
                                            return_reason="缺章"),
        "f_verified": make_registration_row(student=StudentFactory(school_class=class_2, student_number="2302020003",
                                                                   name="周芷若"), status=Status.VERIFIED,
                                            verification_no="QX2027-TEST0-00000-00000-00001"),
        "g_draft": make_registration_row(student=StudentFactory(school_class=class_1, student_number="2301010004",
                                                                name="张无忌"), status=Status.DRAFT),
        "foreign": make_registration_row(student=StudentFactory(school_class=foreign, student_number="2309090001",
                                                                name="李外")),
    }
    return counselor, class_1, class_2, rows


def queue_pks(client, **params) -> set[int]:
    r = client.get(reverse("reviews:queue"), params)
    assert r.status_code == 200
    pks = page_pks(r)
    assert len(pks) == len(set(pks)), "a record is listed twice"
    return set(pks)


def test_queue_lists_submitted_records_of_the_counselors_classes_only(client, queue_world):
    counselor, _c1, _c2, rows = queue_world
    client.force_login(counselor)
    assert queue_pks(client) == {rows[k].pk for k in "abcd"}


def test_queue_filters(client, queue_world):
    counselor, class_1, class_2, rows = queue_world
    client.force_login(counselor)
    pk = {k: v.pk for k, v in rows.items()}
    assert queue_pks(client, school_class=class_1.pk) == {pk["a"], pk["b"]}
    assert queue_pks(client, school_class=class_2.pk) == {pk["c"], pk["d"]}
    assert queue_pks(client, major=class_2.major_id) == {pk["c"], pk["d"]}
    assert queue_pks(client, destination_type="study_master") == {pk["b"]}
    assert queue_pks(client, status=Status.RETURNED) == {pk["e_returned"]}
    assert queue_pks(client, status=Status.VERIFIED) == {pk["f_verified"]}
    assert queue_pks(client, status=Status.DRAFT) == {pk["g_draft"]}
    assert queue_pks(client, q="230202") == {pk["c"], pk["d"]}  # 学号 prefix
    assert queue_pks(client, q="0202") == set()  # a prefix, not a substring
    assert queue_pks(client, q="李") == {pk["a"], pk["c"]}  # name; 李外 is not in this counselor's classes
    assert queue_pks(client, q="梅梅") == {pk["b"]}
    assert queue_pks(client, q="2301010003", status=Status.RETURNED) == {pk["e_returned"]}
    # Another counselor's class cannot be chosen: the filter is refused, nothing outside the scope leaks.
    foreign_class = rows["foreign"].student.school_class_id
    assert pk["foreign"] not in queue_pks(client, school_class=foreign_class)


def test_queue_filter_by_parent_destination_type(client, queue_world):
    counselor, _c1, _c2, rows = queue_world
    client.force_login(counselor)
    # 派遣 = 一般单位录用 (a) + 公务员录用 (c).
    assert queue_pks(client, destination_type="dispatch") == {rows["a"].pk, rows["c"].pk}


def test_queue_status_all(client, queue_world):
    counselor, _c1, _c2, rows = queue_world
    client.force_login(counselor)
    everything = {v.pk for k, v in rows.items() if k != "foreign"}
    assert queue_pks(client, status="") == everything


def test_queue_pages_by_50(client):
    counselor = make_counselor()
    school_class = SchoolClassFactory(counselor=counselor)
    regs = [make_registration_row(student=StudentFactory(school_class=school_class)) for _ in range(51)]
    client.force_login(counselor)
    r1 = client.get(reverse("reviews:queue"))
    assert len(page_pks(r1)) == 50 and r1.context["page"].paginator.count == 51
    assert "共 51 条" in r1.content.decode()
    r2 = client.get(reverse("reviews:queue"), {"page": 2})
    assert len(page_pks(r2)) == 1
    assert set(page_pks(r1)) | set(page_pks(r2)) == {r.pk for r in regs}
    # Filters survive paging (the pager's links keep the query).
    r = client.get(reverse("reviews:queue"), {"school_class": school_class.pk})
    assert f"school_class={school_class.pk}" in r.context["query"]


# session, user, the form's classes / majors, the count, the page of rows (the destination types come from
# the code tables held in process memory once warm: quxiang/reference/cache.py).
QUEUE_QUERIES = 6


def _queue_world_of(counselor, n: int, classes) -> None:
    keys = ["dispatch_general", "study_master", "abroad_study", "labour_contract", "awaiting_job_hunting"]
    for i in range(n):
        student = StudentFactory(school_class=classes[i % len(classes)])
        make_registration_row(student=student, destination_type=keys[i % len(keys)])


@pytest.mark.parametrize("n", [3, 30])
def test_queue_query_count_does_not_grow_with_records(client, django_assert_num_queries, n):
    counselor = make_counselor()
    classes = [SchoolClassFactory(counselor=counselor) for _ in range(3)]
    _queue_world_of(counselor, n, classes)
    client.force_login(counselor)
    client.get(reverse("reviews:queue"))  # warm caches (session, code tables)
    with django_assert_num_queries(QUEUE_QUERIES):
        r = client.get(reverse("reviews:queue"))
    assert len(page_pks(r)) == n


def test_queue_query_count_is_the_same_for_3_and_30_records(client):
    counselor = make_counselor()
    classes = [SchoolClassFactory(counselor=counselor) for _ in range(3)]
    client.force_login(counselor)
    client.get(reverse("reviews:queue"))  # warm caches (session, code tables)
    counts = []
    for n in (3, 27):
        _queue_world_of(counselor, n, classes)
        with CaptureQueriesContext(connection) as ctx:
            r = client.get(reverse("reviews:queue"))
        assert r.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert len(page_pks(r)) == 30
    assert counts[0] == counts[1], counts


# --- bulk verify -------------------------------------------------------------------------------------


def test_bulk_verify_confirms_first_then_verifies(client, world):
    counselor = world.users["counselor"]
    second = make_submitted(school_class=world.owner.school_class)
    client.force_login(counselor)
    ids = [world.reg.pk, second.pk]
    r = client.post(reverse("reviews:bulk_verify"), {"ids": ids})
    assert r.status_code == 200
    page = r.content.decode()
    assert world.owner.student_number in page and second.student.student_number in page
    assert sorted(x.pk for x in r.context["records"]) == sorted(ids)
    assert status_of(world.reg) == status_of(second) == Status.SUBMITTED
    assert not AuditEntry.objects.filter(action=AuditAction.VERIFY).exists()
    r = client.post(reverse("reviews:bulk_verify"), {"ids": ids, "confirm": "1"}, follow=True)
    assert status_of(world.reg) == status_of(second) == Status.VERIFIED
    assert AuditEntry.objects.filter(action=AuditAction.VERIFY, actor=counselor).count() == 2
    assert any("已鉴证 2 条记录" in m for m in messages_of(r))


def test_bulk_verify_ignores_ids_outside_the_scope(client, world):
    counselor = world.users["counselor"]
    client.force_login(counselor)
    ids = [world.reg.pk, world.far_reg.pk, "abc", "-1", "999999"]
    r = client.post(reverse("reviews:bulk_verify"), {"ids": ids})
    assert [x.pk for x in r.context["records"]] == [world.reg.pk]
    assert world.far_student.student_number not in r.content.decode()
    client.post(reverse("reviews:bulk_verify"), {"ids": ids, "confirm": "1"})
    assert status_of(world.reg) == Status.VERIFIED
    assert status_of(world.far_reg) == Status.SUBMITTED


def test_bulk_verify_reports_a_record_withdrawn_after_the_confirmation_page(client, world):
    second = make_submitted(school_class=world.owner.school_class)
    client.force_login(world.users["counselor"])
    ids = [world.reg.pk, second.pk]
    client.post(reverse("reviews:bulk_verify"), {"ids": ids})
    changes.registration_withdraw(registration=second, actor=second.student.user)
    r = client.post(reverse("reviews:bulk_verify"), {"ids": ids, "confirm": "1"}, follow=True)
    assert status_of(world.reg) == Status.VERIFIED and status_of(second) == Status.DRAFT
    assert any("已鉴证 1 条记录" in m for m in messages_of(r))


def test_bulk_verify_names_the_record_that_changed_after_the_confirmation_page(client, world):
    second = make_submitted(school_class=world.owner.school_class)
    client.force_login(world.users["counselor"])
    ids = [world.reg.pk, second.pk]
    client.post(reverse("reviews:bulk_verify"), {"ids": ids})
    changes.registration_withdraw(registration=second, actor=second.student.user)
    r = client.post(reverse("reviews:bulk_verify"), {"ids": ids, "confirm": "1"}, follow=True)
    assert any(second.student.student_number in m and "草稿" in m for m in messages_of(r)), messages_of(r)


def test_decisions_need_the_csrf_token(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["counselor"])
    assert client.post(reverse("reviews:verify", args=[world.reg.pk])).status_code == 403
    assert client.post(reverse("reviews:return", args=[world.reg.pk]), {"reason": "材料不清晰"}).status_code == 403
    assert client.post(reverse("reviews:bulk_verify"), {"ids": [world.reg.pk], "confirm": "1"}).status_code == 403
    assert status_of(world.reg) == Status.SUBMITTED


def test_bulk_verify_with_nothing_chosen(client, world):
    client.force_login(world.users["counselor"])
    r = client.post(reverse("reviews:bulk_verify"), {}, follow=True)
    assert any("请先勾选" in m for m in messages_of(r))


# --- who has not registered -----------------------------------------------------------------------


@pytest.fixture
def unregistered_world():
    counselor = make_counselor()
    school_class = SchoolClassFactory(counselor=counselor)
    s = {name: StudentFactory(school_class=school_class, email=f"{name}@stu.example.edu.cn")
         for name in ("none", "draft", "returned", "submitted", "verified", "changing")}
    make_registration(student=s["draft"])
    returned = make_submitted(student=s["returned"])
    services.registration_return(registration=returned, actor=counselor, reason="缺少盖章")
    make_submitted(student=s["submitted"])
    make_verified(student=s["verified"])
    make_verified(student=s["changing"])
    changes.registration_change_start(student=s["changing"], actor=s["changing"].user)
    no_email = StudentFactory(school_class=school_class, email="")
    formula = StudentFactory(school_class=school_class, name='=HYPERLINK("http://evil.example/x","点我")',
                             email="formula@stu.example.edu.cn")
    elsewhere = StudentFactory(email="elsewhere@stu.example.edu.cn")
    return counselor, s, no_email, formula, elsewhere


def test_unregistered_list(client, unregistered_world):
    counselor, s, no_email, formula, elsewhere = unregistered_world
    client.force_login(counselor)
    r = client.get(reverse("reviews:unregistered"))
    assert set(page_pks(r)) == {s["none"].pk, s["draft"].pk, s["returned"].pk, no_email.pk, formula.pk}
    by_pk = {x.pk: x.record_status for x in r.context["page"].object_list}
    assert by_pk[s["none"].pk] is None and by_pk[s["draft"].pk] == Status.DRAFT
    assert by_pk[s["returned"].pk] == Status.RETURNED
    body = r.content.decode()
    assert "未登记" in body and "草稿" in body and "已退回" in body
    assert s["verified"].student_number not in body and elsewhere.student_number not in body


def test_unregistered_xlsx(client, unregistered_world):
    counselor, s, _no_email, formula, elsewhere = unregistered_world
    client.force_login(counselor)
    # 导出 Excel starts a background job (run at once in the unit tests); its page offers the file.
    r = client.post(reverse("reviews:unregistered"), {"action": "export"}, REMOTE_ADDR="10.1.1.1")
    assert r.status_code == 302
    page = client.get(r["Location"]).content.decode()
    assert "已导出 5 名尚未完成登记的学生" in page
    link = re.search(r'id="job-download" href="([^"]+)"', page).group(1)
    r = client.get(link)
    assert r.status_code == 200
    assert r["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert r["Content-Disposition"].startswith("attachment;") and "unregistered-" in r["Content-Disposition"]
    assert r["Cache-Control"] == "private, no-store"
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == ["学号", "姓名", "学院", "专业", "班级", "状态", "退回原因", "手机号", "电子邮箱"]
    numbers = {row[0].value for row in rows[1:]}
    assert numbers == {s["none"].student_number, s["draft"].student_number, s["returned"].student_number,
                       _no_email.student_number, formula.student_number}
    for row in rows[1:]:
        assert row[0].data_type == "s" and isinstance(row[0].value, str)  # 学号 as text, leading zeros safe
        assert row[7].data_type == "s"  # 手机号 as text
        for cell in row:
            assert cell.data_type != "f"
            assert not str(cell.value or "").startswith(("=", "+", "-", "@")), cell.value
    named = next(row for row in rows[1:] if row[0].value == formula.student_number)
    assert named[1].value == "'" + formula.name  # escaped, the text kept
    returned_row = next(row for row in rows[1:] if row[0].value == s["returned"].student_number)
    assert (returned_row[5].value, returned_row[6].value) == ("已退回", "缺少盖章")
    assert elsewhere.student_number not in numbers
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert (entry.actor, entry.ip) == (counselor, "10.1.1.1")
    assert (entry.detail["what"], entry.detail["rows"]) == ("unregistered", 5)
    # Downloading again is not another export; another teacher gets a 404 for the file and the job.
    client.get(link)
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT).count() == 1
    client.force_login(make_counselor())
    assert client.get(link).status_code == 404


def test_reminder_goes_to_exactly_the_unregistered_students_with_email(client, unregistered_world, mailoutbox):
    counselor, s, _no_email, formula, _elsewhere = unregistered_world
    client.force_login(counselor)
    r = client.post(reverse("reviews:unregistered"), {"message": "请于本周五前完成毕业去向登记。"},
                    REMOTE_ADDR="10.2.2.2")
    # A background job (run at once in the unit tests); its page says how many were reminded.
    assert r.status_code == 302
    page = client.get(r.url).content.decode()
    assert "已向 4 名学生发送提醒" in page and "1 名学生没有电子邮箱" in page
    recipients = sorted(addr for m in mailoutbox for addr in m.to)
    assert recipients == sorted([s["none"].email, s["draft"].email, s["returned"].email, formula.email])
    assert all(len(m.to) == 1 for m in mailoutbox)  # nobody sees the others' addresses
    assert all("请于本周五前完成毕业去向登记。" in m.body and settings.QUXIANG["SCHOOL_NAME"] in m.subject
               for m in mailoutbox)
    entry = AuditEntry.objects.get(action=AuditAction.REMIND)
    job = Job.objects.get(kind="reviews.remind")
    assert (entry.actor, entry.ip, entry.detail) == (counselor, "10.2.2.2", {"recipients": 4, "job": job.pk})


def test_reminder_needs_a_message(client, unregistered_world, mailoutbox):
    counselor = unregistered_world[0]
    client.force_login(counselor)
    r = client.post(reverse("reviews:unregistered"), {"message": ""})
    assert r.status_code == 200 and r.context["form"].errors
    assert mailoutbox == [] and not AuditEntry.objects.filter(action=AuditAction.REMIND).exists()


# --- evidence views in the audit log ----------------------------------------------------------------


def test_staff_viewing_evidence_is_audited_the_student_is_not(client, world):
    evidence = EvidenceFile.objects.filter(registration=world.reg).first()
    url = reverse("evidence:download", args=[evidence.pk])
    client.force_login(world.owner.user)
    r = client.get(url)
    assert r.status_code == 200
    b"".join(r.streaming_content)  # not r.close(): that fires request_finished and closes the DB connection
    assert not AuditEntry.objects.filter(action=AuditAction.EVIDENCE_VIEW).exists()
    counselor = world.users["counselor"]
    client.force_login(counselor)
    r = client.get(url, REMOTE_ADDR="10.3.3.3")
    assert r.status_code == 200
    b"".join(r.streaming_content)
    entry = AuditEntry.objects.get(action=AuditAction.EVIDENCE_VIEW)
    assert (entry.actor, entry.ip, entry.registration_id, entry.student_id) == (
        counselor, "10.3.3.3", world.reg.pk, world.owner.pk)
    assert entry.detail["evidence_id"] == evidence.pk
    # Out of scope: 404 and nothing written.
    client.force_login(world.users["other_counselor"])
    assert client.get(url).status_code == 404
    assert AuditEntry.objects.filter(action=AuditAction.EVIDENCE_VIEW).count() == 1


# --- the registration sheet and the public verification page ------------------------------------------


def sheet_page(client, reg: Registration):
    r = client.get(reverse("registrations:sheet", args=[reg.pk]))
    assert r.status_code == 200, r.status_code
    return PdfReader(io.BytesIO(r.content)).pages[0]


def qr_codes(page) -> list[str]:
    return [b.text for img in page.images for b in zxingcpp.read_barcodes(img.image)]


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_sheet_content_and_qr_code(client, world):
    reg = world.verify()
    student = world.owner
    client.force_login(student.user)
    page = sheet_page(client, reg)
    text = page.extract_text()
    assert settings.QUXIANG["SCHOOL_NAME"] in text
    assert student.student_number in text and student.name in text
    assert student.masked_national_id in text and student.national_id not in text
    assert student.national_id[4:14] not in text  # no stretch of the hidden middle either
    category = reg.destination_type.category
    assert str(reg.destination_type) in text  # 派遣（签订就业协议书） - 一般单位录用
    assert f"{category.code} {category.name}" in text  # 10 签就业协议形式就业
    assert reg.org_name in text and reg.org_uscc in text
    assert reg.verification_no in text
    assert qr_codes(page) == [verification_url(registration=reg)]
    assert verification_url(registration=reg).endswith(f"/verify/{reg.verification_no}/")


@pytest.mark.parametrize("key, level, expect", [
    ("study_master", "bachelor", ["考研", "801", "复旦大学"]),
    ("abroad_study", "bachelor", ["出国深造", "85", "哥伦比亚大学", "Columbia University", "境外"]),
    ("flexible_freelance", "bachelor", ["自由职业", "76"]),
    ("awaiting_job_hunting", "bachelor", ["求职中", "70"]),
    ("dispatch_general", "master", ["一般单位录用", "10", "上海测试科技有限公司"]),
])
def test_sheet_of_every_kind_of_record(client, key, level, expect):
    from quxiang.roster.models import EducationLevel

    reg = make_verified(destination_type=key, level=EducationLevel(level))
    client.force_login(reg.student.user)
    page = sheet_page(client, reg)
    text = page.extract_text()
    for fragment in [*expect, reg.verification_no, reg.student.student_number]:
        assert fragment in text, fragment
    assert ("档案接收单位" in text) == bool(reg.archive_unit)
    if level == "master":  # postgraduates have no archive step
        assert reg.archive_unit == "" and "档案接收单位" not in text
    assert qr_codes(page) == [verification_url(registration=reg)]


def test_public_page_shows_enough_to_confirm_and_nothing_more(client, world):
    reg = world.verify()
    client.force_login(world.owner.user)
    url = qr_codes(sheet_page(client, reg))[0]
    client.logout()
    r = client.get(path_of(url))
    assert r.status_code == 200
    body = r.content.decode()
    assert "核验通过" in body
    assert "张**" in body and "张三丰" not in body
    assert settings.QUXIANG["SCHOOL_NAME"] in body
    assert str(reg.destination_type) in body and reg.org_name in body
    assert "已鉴证" in body
    assert timezone.localtime(reg.verified_at).strftime("%Y-%m-%d %H:%M") in body
    student = world.owner
    for secret in (student.student_number, student.national_id, student.masked_national_id, student.phone):
        assert secret not in body, secret
    assert r["Cache-Control"] == "no-store"
    # Codes are read case-insensitively (typed by hand from the paper).
    assert client.get(reverse("public_verify", args=[reg.verification_no.lower()])).status_code == 200


def _tampered(code: str) -> str:
    last = code[-1]
    return code[:-1] + ("1" if last != "1" else "2")


@pytest.mark.parametrize("kind", ["unknown", "tampered", "overlong", "not_qx", "junk"])
def test_public_page_for_a_bad_code_is_404_in_chinese(client, world, kind):
    reg = world.verify()
    code = {
        "unknown": "QX2027-AAAAA-BBBBB-CCCCC-DDDDD",
        "tampered": _tampered(reg.verification_no),
        "overlong": reg.verification_no + "0" * 5000,
        "not_qx": reg.verification_no[2:],
        "junk": "<img src=x onerror=alert(1)>",
    }[kind]
    r = client.get(reverse("public_verify", args=[code]))
    assert r.status_code == 404
    body = r.content.decode()
    assert "未找到该验证编号" in body
    assert "<img src=x" not in body
    assert world.owner.name not in body and world.owner.student_number not in body


def test_superseded_sheet_verifies_as_changed(client, world):
    v1 = world.verify()
    student, counselor = world.owner, world.users["counselor"]
    client.force_login(student.user)
    old_url = qr_codes(sheet_page(client, v1))[0]
    v2 = changes.registration_change_start(student=student, actor=student.user)
    from quxiang.evidence.services import evidence_add

    evidence_add(registration=v2, upload=pdf_upload("改派协议书.pdf"), actor=student.user)
    reg_services.registration_submit(registration=v2, actor=student.user)
    # While the change waits, the old sheet still verifies.
    assert "核验通过" in client.get(path_of(old_url)).content.decode()
    services.registration_verify(registration=v2, actor=counselor)
    client.logout()
    r = client.get(path_of(old_url))
    assert r.status_code == 200
    body = r.content.decode()
    assert "已失效" in body and "已变更" in body and "核验通过" not in body
    v2.refresh_from_db()
    r = client.get(reverse("public_verify", args=[v2.verification_no]))
    assert "核验通过" in r.content.decode()
    # The owner can still download the old version's sheet; its QR now says 已失效.
    client.force_login(student.user)
    assert qr_codes(sheet_page(client, v1)) == [old_url]


# --- student actions through the views ---------------------------------------------------------------


def test_change_after_the_deadline_is_refused_and_the_office_reopens(client, world):
    v1 = world.verify()
    Cohort.objects.update_or_create(year=world.owner.graduation_year,
                                    defaults={"change_deadline": timezone.localdate() - dt.timedelta(days=1)})
    client.force_login(world.owner.user)
    r = client.post(reverse("registrations:change"), follow=True)
    assert any("截止日期" in m for m in messages_of(r))
    assert Registration.objects.filter(student=world.owner).count() == 1
    # The counselor has no reopen button and no reopen URL.
    client.force_login(world.users["counselor"])
    r = client.get(reverse("reviews:record", args=[v1.pk]))
    assert reverse("reviews:reopen", args=[v1.pk]) not in r.content.decode()
    assert client.post(reverse("reviews:reopen", args=[v1.pk])).status_code == 404
    client.force_login(world.users["office"])
    r = client.get(reverse("reviews:record", args=[v1.pk]))
    assert reverse("reviews:reopen", args=[v1.pk]) in r.content.decode()
    client.post(reverse("reviews:reopen", args=[v1.pk]))
    draft = Registration.objects.get(student=world.owner, version=2)
    # The student continues the reopened change.
    client.force_login(world.owner.user)
    r = client.get(reverse("registrations:status"))
    assert r.context["registration"].pk == draft.pk


def test_withdraw_after_the_counselor_verified_explains_why(client, world):
    client.force_login(world.owner.user)
    client.get(reverse("registrations:status"))  # the page with the 撤回修改 button
    world.verify()
    r = client.post(reverse("registrations:withdraw"), follow=True)
    assert r.status_code == 200
    assert any("已鉴证" in m for m in messages_of(r))
    assert status_of(world.reg) == Status.VERIFIED


def test_withdraw_after_a_return_says_so(client, world):
    client.force_login(world.owner.user)
    services.registration_return(registration=world.reg, actor=world.users["counselor"], reason="材料不清晰")
    r = client.post(reverse("registrations:withdraw"), follow=True)
    assert r.status_code == 200
    assert any("已退回" in m for m in messages_of(r))
    assert status_of(world.reg) == Status.RETURNED


def test_decision_on_a_record_already_decided_shows_the_conflict(client, world):
    client.force_login(world.users["counselor"])
    services.registration_return(registration=world.reg, actor=world.users["officer"], reason="材料不清晰")
    r = client.post(reverse("reviews:verify", args=[world.reg.pk]), follow=True)
    assert r.status_code == 200
    assert any("已退回" in m and "其他老师" in m for m in messages_of(r))
    assert status_of(world.reg) == Status.RETURNED


def test_return_without_a_reason_through_the_view(client, world):
    client.force_login(world.users["counselor"])
    r = client.post(reverse("reviews:return", args=[world.reg.pk]), {"reason": " "}, follow=True)
    assert any("退回原因" in m for m in messages_of(r))
    assert status_of(world.reg) == Status.SUBMITTED


# --- the audit log page --------------------------------------------------------------------------------


def test_audit_log_filters(client, world):
    counselor, officer = world.users["counselor"], world.users["officer"]
    services.registration_verify(registration=world.reg, actor=counselor, ip="10.0.0.1")
    services.registration_return(registration=world.far_reg, actor=make_office(username="office_b"),
                                 reason="材料不清晰")
    client.force_login(officer)
    evidence = EvidenceFile.objects.filter(registration=world.reg).first()
    b"".join(client.get(reverse("evidence:download", args=[evidence.pk])).streaming_content)
    client.force_login(world.users["office"])
    url = reverse("reviews:audit")

    def entries(**params):
        r = client.get(url, params)
        assert r.status_code == 200
        return list(r.context["page"].object_list)

    everything = entries()
    assert len(everything) == AuditEntry.objects.count() >= 5  # 2 submits, verify, return, evidence view
    assert {e.action for e in entries(action=AuditAction.VERIFY)} == {AuditAction.VERIFY}
    assert [e.actor for e in entries(action=AuditAction.RETURN)] == [User.objects.get(username="office_b")]
    assert {e.action for e in entries(actor=officer.username)} == {AuditAction.EVIDENCE_VIEW}
    assert {e.student_id for e in entries(student=world.far_student.student_number)} == {world.far_student.pk}
    assert {e.action for e in entries(student=world.owner.student_number, actor=counselor.username)} == {
        AuditAction.VERIFY}
    assert entries(actor="nobody") == []
    body = client.get(url, {"action": AuditAction.VERIFY}).content.decode()
    assert counselor.username in body and "10.0.0.1" in body and world.owner.student_number in body


def test_audit_log_is_newest_first(client, world):
    services.registration_verify(registration=world.reg, actor=world.users["counselor"])
    client.force_login(world.users["office"])
    got = list(client.get(reverse("reviews:audit")).context["page"].object_list)
    assert [e.pk for e in got] == sorted((e.pk for e in got), reverse=True)
    assert got[0].action == AuditAction.VERIFY
