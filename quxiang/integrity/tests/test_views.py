"""The integrity pages through the test client: who may open them, what the office sees, and the sampling
workflow end to end (draw → call outcomes → summary → send back → the counselor's follow-up)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from quxiang.accounts.models import Role
from quxiang.integrity.models import FollowUp, Outcome, SampleItem, SampleRun
from quxiang.registrations.models import Registration, Status
from quxiang.testing.factories import (
    CollegeFactory,
    SchoolClassFactory,
    StudentFactory,
    UserFactory,
    counselor_of,
    make_college_officer,
    make_counselor,
    make_evidence_row,
    make_office,
    make_uscc,
    make_verified_row,
)

pytestmark = pytest.mark.django_db

OFFICE_PAGES = ["integrity:index", "integrity:sampling"]


def scan(client, **query) -> str:
    """Start a scan (开始检查: a background job, run at once in the unit tests) and return the index page
    the finished job leads to."""
    response = client.post(reverse("integrity:index") + ("?" + "&".join(f"{k}={v}" for k, v in query.items())
                                                         if query else ""))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("integrity:index"))  # done: straight to the findings
    return client.get(response["Location"]).content.decode()


@pytest.fixture
def users():
    college = CollegeFactory()
    return {
        "student": StudentFactory().user,
        "counselor": make_counselor(),
        "officer": make_college_officer(college=college),
        "office": make_office(),
        "admin": UserFactory(role=Role.ADMIN),
    }


@pytest.mark.parametrize("name", OFFICE_PAGES)
@pytest.mark.parametrize("who,status", [("student", 404), ("counselor", 404), ("officer", 404), ("office", 200),
                                        ("admin", 200)])
def test_office_pages_are_for_the_office_only(client, users, name, who, status):
    client.force_login(users[who])
    assert client.get(reverse(name)).status_code == status


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("integrity:index"))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("who,status", [("student", 404), ("counselor", 200), ("officer", 200), ("office", 200)])
def test_follow_ups_are_for_staff(client, users, who, status):
    client.force_login(users[who])
    assert client.get(reverse("integrity:follow_ups")).status_code == status


def test_index_lists_flagged_records_with_reason_and_link(client):
    uscc = make_uscc(serial="MA1FL0901")
    a = make_verified_row(student=StudentFactory(name="张三"), org_uscc=uscc, org_name="上海甲科技有限公司")
    b = make_verified_row(student=StudentFactory(name="李四"), org_uscc=uscc, org_name="上海乙贸易有限公司")
    innocent_uscc = make_uscc(serial="MA1FL0902")
    c = make_verified_row(student=StudentFactory(name="王五"), org_uscc=innocent_uscc, org_name="上海丙（浦东）有限公司")
    make_verified_row(student=StudentFactory(name="赵六"), org_uscc=innocent_uscc, org_name="上海丙(浦东)有限公司")
    client.force_login(make_office())

    html = scan(client)

    assert "同一信用代码、不同单位名称" in html
    assert f"统一社会信用代码 {uscc} 在不同记录中登记为 2 个不同的单位名称" in html
    for record in (a, b):
        assert reverse("reviews:record", args=[record.pk]) in html
    assert reverse("reviews:record", args=[c.pk]) not in html
    assert "1 项检查发现需要复核的记录" in html


def test_index_shows_all_clear_and_year_choice(client):
    make_verified_row(student=StudentFactory(graduation_year=2026))
    make_verified_row(student=StudentFactory(graduation_year=2027))
    client.force_login(make_office())
    assert "该届别尚未检查" in client.get(reverse("integrity:index")).content.decode()
    html = scan(client)
    assert "各项检查均未发现问题" in html
    assert re.search(r'<option value="2027" selected>', html)
    assert client.get(reverse("integrity:index"), {"year": ""}).status_code == 200
    # The scan is of its cohort: all cohorts, or 2026, have none yet.
    assert "该届别尚未检查" in client.get(reverse("integrity:index"), {"year": "2026"}).content.decode()
    assert "各项检查均未发现问题" in scan(client, year="")


def test_index_query_count_does_not_grow_with_findings(client):
    client.force_login(make_office())

    def plant(n: int, serial: str):
        for i in range(n):
            a = make_verified_row(student=StudentFactory(), org_uscc=make_uscc(serial=f"{serial}{i:02d}"), org_name="甲")
            b = make_verified_row(student=StudentFactory(), org_uscc=make_uscc(serial=f"{serial}{i:02d}"), org_name="乙")
            make_evidence_row(registration=a, sha256=f"{serial}{i:02d}".ljust(64, "0"))
            make_evidence_row(registration=b, sha256=f"{serial}{i:02d}".ljust(64, "0"))

    plant(1, "MA1FL05")
    scan(client)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("integrity:index"))
    plant(6, "MA1FL06")
    scan(client)
    with CaptureQueriesContext(connection) as large:
        html = client.get(reverse("integrity:index")).content.decode()
    assert html.count("个不同的单位名称") == 7
    assert len(large.captured_queries) == len(small.captured_queries)


@pytest.fixture
def sampled_school():
    """Two colleges with verified records; the counselor of the first has an email address."""
    counselor = make_counselor(full_name="周老师", email="zhou@example.edu.cn")
    cls = SchoolClassFactory(counselor=counselor, major__college=CollegeFactory(code="01", name="机械工程学院"))
    other = SchoolClassFactory(major__college=CollegeFactory(code="02", name="管理学院"))
    for _ in range(6):
        make_verified_row(student=StudentFactory(school_class=cls, phone="13600000001"),
                          org_contact_name="刘经理", org_contact_phone="021-55556666")
    for _ in range(2):
        make_verified_row(student=StudentFactory(school_class=other))
    return counselor


def summary_rows(html: str) -> list[list[str]]:
    """The cells of the run's 按学院汇总 table, as text (the cells carry phone-card labels)."""
    table = re.search(r'<table[^>]*id="summary".*?</table>', html, flags=re.S).group(0)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)]


def test_draw_call_and_summary(client, sampled_school):
    office = make_office()
    client.force_login(office)

    response = client.post(reverse("integrity:sampling"), {"year": "2027", "percentage": "50", "seed": ""})
    run = SampleRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("integrity:sample_run", args=[run.pk])
    html = client.get(response["Location"]).content.decode()
    assert f'<dd class="mono" id="run-seed">{run.seed}</dd>' in html
    assert ["机械工程学院", "3", "0", "0", "0", "3"] in summary_rows(html)
    assert ["管理学院", "1", "0", "0", "0", "1"] in summary_rows(html)
    assert "021-55556666" in html and "13600000001" in html  # whom to call

    # The same seed drawn again over the same data: the same records.
    client.post(reverse("integrity:sampling"), {"year": "2027", "percentage": "50", "seed": str(run.seed)})
    again = SampleRun.objects.exclude(pk=run.pk).get()
    assert set(again.items.values_list("registration_id", flat=True)) == set(
        run.items.values_list("registration_id", flat=True))

    items = list(run.items.filter(college__code="01"))
    client.post(reverse("integrity:sample_item_outcome", args=[items[0].pk]),
                {"outcome": "confirmed", "note": "学生确认", "query": "outcome=pending"})
    client.post(reverse("integrity:sample_item_outcome", args=[items[1].pk]), {"outcome": "unreachable", "note": ""})
    response = client.post(reverse("integrity:sample_item_outcome", args=[items[2].pk]),
                           {"outcome": "mismatch", "note": ""}, follow=True)
    assert "请写明哪里不符" in response.content.decode()
    html = client.get(reverse("integrity:sample_run", args=[run.pk])).content.decode()
    assert ["机械工程学院", "3", "1", "0", "1", "1"] in summary_rows(html)
    assert "学生确认" in html
    # Filter by outcome.
    html = client.get(reverse("integrity:sample_run", args=[run.pk]), {"outcome": "pending"}).content.decode()
    assert html.count('class="outcome-form"') == 2  # 1 pending in 机械, 1 in 管理


def test_outcome_redirect_keeps_the_filter(client, sampled_school):
    client.force_login(make_office())
    client.post(reverse("integrity:sampling"), {"year": "2027", "percentage": "50", "seed": "1"})
    item = SampleItem.objects.first()
    response = client.post(reverse("integrity:sample_item_outcome", args=[item.pk]),
                           {"outcome": "confirmed", "query": "outcome=pending&college=1"})
    assert response["Location"] == (reverse("integrity:sample_run", args=[item.run_id])
                                    + f"?outcome=pending&college=1#item-{item.pk}")
    response = client.post(reverse("integrity:sample_item_outcome", args=[item.pk]),
                           {"outcome": "confirmed", "query": "//evil.example/"})
    assert response["Location"].startswith(reverse("integrity:sample_run", args=[item.run_id]) + "#")


def test_mismatch_sent_back_reaches_the_counselor(client, sampled_school, django_capture_on_commit_callbacks):
    counselor = sampled_school
    client.force_login(make_office())
    client.post(reverse("integrity:sampling"), {"year": "2027", "percentage": "100", "seed": "8"})
    item = SampleItem.objects.filter(college__code="01").first()
    client.post(reverse("integrity:sample_item_outcome", args=[item.pk]),
                {"outcome": "mismatch", "note": "单位称学生未入职"})
    html = client.get(reverse("integrity:sample_run", args=[item.run_id])).content.decode()
    assert "退回辅导员核实" in html

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("integrity:sample_item_send_back", args=[item.pk]),
                               {"note": "单位称学生未入职，请核实", "reopen": "1"}, follow=True)
    html = response.content.decode()
    assert "已退回辅导员核实，并为学生开放了变更（第 2 版草稿）" in html
    assert "已退回辅导员核实" in html
    follow_up = FollowUp.objects.get()
    assert (follow_up.note, follow_up.reopened.version) == ("单位称学生未入职，请核实", 2)
    assert [m.to for m in mail.outbox] == [["zhou@example.edu.cn"]]
    student = item.registration.student
    assert Registration.objects.filter(student=student, status=Status.DRAFT, version=2).exists()

    client.force_login(counselor)
    html = client.get(reverse("integrity:follow_ups")).content.decode()
    assert "单位称学生未入职，请核实" in html and student.student_number in html
    assert "已为学生开放变更（第 2 版）" in html
    assert counselor_of(student) == counselor


@pytest.mark.parametrize("who", ["counselor", "officer", "student"])
def test_only_the_office_records_calls(client, users, sampled_school, who):
    run_owner = make_office()
    from quxiang.integrity.services import sample_run_draw

    item = sample_run_draw(actor=run_owner, percentage=10, seed=1).items.first()
    client.force_login(users[who])
    assert client.post(reverse("integrity:sample_item_outcome", args=[item.pk]),
                       {"outcome": "confirmed"}).status_code == 404
    assert client.post(reverse("integrity:sample_item_send_back", args=[item.pk]),
                       {"note": "xx"}).status_code == 404
    assert client.get(reverse("integrity:sample_run", args=[item.run_id])).status_code == 404
    item.refresh_from_db()
    assert item.outcome == Outcome.PENDING


def test_a_pending_call_starts_with_no_outcome_chosen(client, sampled_school):
    client.force_login(make_office())
    client.post(reverse("integrity:sampling"), {"year": "2027", "percentage": "10", "seed": "3", "placed_only": "on"})
    run = SampleRun.objects.get()
    assert run.placed_only
    html = client.get(reverse("integrity:sample_run", args=[run.pk])).content.decode()
    assert '<option value="" selected>请选择</option>' in html
    assert "已鉴证且已落实去向的记录" in html
    item = run.items.first()
    response = client.post(reverse("integrity:sample_item_outcome", args=[item.pk]), {"outcome": ""}, follow=True)
    assert "请选择回访结果" in response.content.decode()
    item.refresh_from_db()
    assert item.outcome == Outcome.PENDING


def test_follow_up_page_query_count_does_not_grow(client):
    from quxiang.integrity import services

    office = make_office()
    counselor = make_counselor()
    cls = SchoolClassFactory(counselor=counselor)

    def add(n: int):
        for _ in range(n):
            reg = make_verified_row(student=StudentFactory(school_class=cls))
            run = services.sample_run_draw(actor=office, percentage=100, seed=1)
            item = run.items.get(registration=reg)
            services.sample_item_record(item=item, outcome=Outcome.MISMATCH, note="不符", actor=office)
            services.sample_item_send_back(item=item, actor=office, note="请核实")

    client.force_login(counselor)
    add(1)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("integrity:follow_ups"))
    add(4)
    with CaptureQueriesContext(connection) as large:
        html = client.get(reverse("integrity:follow_ups")).content.decode()
    assert html.count("提交核实结果") == 5
    assert len(large.captured_queries) == len(small.captured_queries)


def test_a_large_finding_lists_the_first_records_and_counts_the_rest(client, monkeypatch):
    from quxiang.integrity import jobs

    uscc = make_uscc(serial="MA1FL0701")
    made = [make_verified_row(student=StudentFactory(), org_uscc=uscc, org_name=f"名称{i}") for i in range(4)]
    client.force_login(make_office())
    monkeypatch.setattr(jobs, "RECORDS_PER_FINDING", 3)
    html = scan(client)
    assert "4 个不同的单位名称" in html and "另有 1 条记录未列出" in html
    assert reverse("reviews:record", args=[made[3].pk]) not in html
    assert reverse("reviews:record", args=[made[0].pk]) in html
