"""The statistics page on the crafted cohort of conftest.py: exact counts and rates per college, major,
level, gender and category; scoping; the xlsx downloads; the query count."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from quxiang.accounts.models import Role
from quxiang.audit.models import AuditAction, AuditEntry
from quxiang.reference.models import DestinationType
from quxiang.reports.selectors import cohort_statistics, cohort_years
from quxiang.testing.factories import (
    CollegeFactory,
    SchoolClassFactory,
    StudentFactory,
    UserFactory,
    make_counselor,
    make_office,
    make_registration_row,
)

pytestmark = pytest.mark.django_db

URL = reverse("reports:statistics")
STATE_KEYS = ["none", "draft", "submitted", "returned", "verified"]


def figures(tally) -> dict:
    return {
        "total": tally.total, **{k: tally.states[k] for k in STATE_KEYS}, "placed": tally.placed,
        "pending": tally.placed_incl_pending, "rate": tally.placement_rate,
        "rate_pending": tally.placement_rate_incl_pending, "knowledge": tally.knowledge_rate,
    }


def fig(total, none, draft, submitted, returned, verified, placed, pending, rate, rate_pending, knowledge) -> dict:
    return {"total": total, "none": none, "draft": draft, "submitted": submitted, "returned": returned,
            "verified": verified, "placed": placed, "pending": pending, "rate": rate, "rate_pending": rate_pending,
            "knowledge": knowledge}


# --- the numbers -------------------------------------------------------------------------------------


def test_overall_counts_each_student_once_by_current_state(cohort):
    stats = cohort_statistics(user=cohort.users["office"], year=2027)
    # s11 has a verified v1 and an open change draft v2: counted once, as 已鉴证 and placed.
    assert figures(stats.overall) == fig(11, 3, 1, 1, 1, 5, 4, 5, 36.4, 45.5, 45.5)


def test_breakdown_by_college(cohort):
    stats = cohort_statistics(user=cohort.users["office"], year=2027)
    by = {t.extra["code"]: figures(t) for t in stats.by_college}
    assert by == {
        "007": fig(7, 2, 0, 1, 0, 4, 3, 4, 42.9, 57.1, 57.1),
        "008": fig(4, 1, 1, 0, 1, 1, 1, 1, 25.0, 25.0, 25.0),
    }


def test_breakdown_by_gender_and_level(cohort):
    stats = cohort_statistics(user=cohort.users["office"], year=2027)
    assert {t.key: figures(t) for t in stats.by_gender} == {
        "M": fig(6, 1, 1, 1, 0, 3, 3, 4, 50.0, 66.7, 50.0),
        "F": fig(5, 2, 0, 0, 1, 2, 1, 1, 20.0, 20.0, 40.0),
    }
    assert {t.key: figures(t) for t in stats.by_level} == {
        "bachelor": fig(9, 2, 1, 1, 1, 4, 4, 5, 44.4, 55.6, 44.4),
        "master": fig(2, 1, 0, 0, 0, 1, 0, 0, 0.0, 0.0, 50.0),
    }
    assert [t.label for t in stats.by_level] == ["本科", "硕士"]


def test_breakdown_by_major(cohort):
    stats = cohort_statistics(user=cohort.users["office"], year=2027)
    by = {t.extra["code"]: figures(t) for t in stats.by_major}
    assert by == {
        "080202": fig(5, 1, 0, 1, 0, 3, 3, 4, 60.0, 80.0, 60.0),
        "080200": fig(2, 1, 0, 0, 0, 1, 0, 0, 0.0, 0.0, 50.0),
        "080401": fig(4, 1, 1, 0, 1, 1, 1, 1, 25.0, 25.0, 25.0),
    }


def test_breakdown_by_national_category(cohort):
    stats = cohort_statistics(user=cohort.users["office"], year=2027)
    by = {c.code: (c.verified, c.pending, c.is_placed) for c in stats.by_category}
    assert {k: v for k, v in by.items() if v[0] or v[1]} == {
        "10": (1, 1, True), "11": (1, 0, True), "801": (1, 0, True), "85": (1, 0, True), "70": (1, 0, False),
    }
    # Every category of the code table is listed (zeros included), in the table's order.
    assert len(stats.by_category) == 16 and stats.by_category[0].code == "10"


def test_other_years_are_separate(cohort):
    office = cohort.users["office"]
    assert cohort_years(user=office) == [2027, 2026]
    old = cohort_statistics(user=office, year=2026)
    assert figures(old.overall) == fig(1, 0, 0, 0, 0, 1, 1, 1, 100.0, 100.0, 100.0)


def test_empty_cohort_has_no_rates(db):
    stats = cohort_statistics(user=make_office(), year=2030)
    assert stats.overall.total == 0 and stats.overall.placement_rate is None
    assert stats.by_college == []


# --- scoping -----------------------------------------------------------------------------------------


def test_counselor_sees_only_their_classes(cohort):
    stats = cohort_statistics(user=cohort.users["counselor_a1"], year=2027)
    # Class A1: s1, s2, s5, s8, s11.
    assert figures(stats.overall) == fig(5, 1, 0, 1, 0, 3, 3, 4, 60.0, 80.0, 60.0)
    assert [t.extra["code"] for t in stats.by_college] == ["007"]
    assert cohort_years(user=cohort.users["counselor_a1"]) == [2027, 2026]


def test_college_officer_sees_only_their_college(cohort):
    stats = cohort_statistics(user=cohort.users["officer_b"], year=2027)
    assert figures(stats.overall) == fig(4, 1, 1, 0, 1, 1, 1, 1, 25.0, 25.0, 25.0)
    assert cohort_years(user=cohort.users["officer_b"]) == [2027]


def test_counselor_page_shows_their_numbers_only(client, cohort):
    client.force_login(cohort.users["counselor_b1"])
    r = client.get(URL)
    assert r.status_code == 200
    page = r.content.decode()
    assert "机械工程学院" not in page  # college A is not theirs
    assert 'id="rate-placement">25.0%' in page
    assert "=HYPERLINK(&quot;http://evil&quot;)学院" in page  # shown as text, HTML-escaped
    assert 'href="/office/reports/export/"' not in page  # the national export is the office's


# --- the page ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["anonymous", "student", "counselor", "college_officer", "office", "admin"])
def test_who_may_open_the_page(client, cohort, role):
    if role == "student":
        client.force_login(cohort.students["s1"].user)
    elif role == "college_officer":
        client.force_login(cohort.users["officer_b"])
    elif role != "anonymous":
        client.force_login(UserFactory(role=role))
    r = client.get(URL)
    if role == "anonymous":
        assert r.status_code == 302 and r.url.startswith(reverse("accounts:login"))
    elif role == "student":
        assert r.status_code == 404
    else:
        assert r.status_code == 200


def test_page_shows_headline_rates_tables_and_chart_data(client, cohort):
    client.force_login(cohort.users["office"])
    r = client.get(URL)
    page = r.content.decode()
    assert "2027 届" in page
    assert 'id="rate-placement">36.4%' in page
    assert "45.5%" in page  # 含待鉴证 and 知晓率
    assert "已鉴证落实 4 / 11" in page
    for key in ("summary", "college", "major", "level", "gender", "category"):
        assert f'id="table-{key}"' in page and f"download={key}" in page
    assert "echarts-5.6.0/echarts.min.js" in page and "js/reports.js" in page
    start = page.index('<script id="stats-data" type="application/json">') + len('<script id="stats-data" type="application/json">')
    data = json.loads(page[start:page.index("</script>", start)])
    assert data["colleges"] == ["机械工程学院", '=HYPERLINK("http://evil")学院']
    assert data["placement"] == [42.9, 25.0]
    assert {s["key"]: s["data"] for s in data["states"]}["verified"] == [4, 1]
    assert sorted(c["value"] for c in data["categories"]) == [1, 1, 1, 1, 1]


def test_year_can_be_chosen(client, cohort):
    client.force_login(cohort.users["office"])
    r = client.get(URL, {"year": 2026})
    assert r.context["stats"].overall.total == 1
    assert "2026 届" in r.content.decode()
    r = client.get(URL, {"year": 1999})  # not a cohort: falls back to the latest
    assert r.context["year"] == 2027


def test_user_without_students_sees_a_note(client, db):
    client.force_login(make_counselor())
    r = client.get(URL)
    assert r.status_code == 200
    assert 'id="no-cohort"' in r.content.decode()


# --- downloads --------------------------------------------------------------------------------------


def _sheet(response):
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return book.active


def test_college_table_downloads_as_xlsx_with_text_codes_and_escaped_names(client, cohort):
    client.force_login(cohort.users["office"])
    r = client.get(URL, {"year": 2027, "download": "college"})
    ws = _sheet(r)
    header = [c.value for c in ws[3]]
    assert header[:2] == ["学院代码", "学院"] and "去向落实率" in header
    rows = {ws.cell(row=i, column=1).value: [c for c in ws[i]] for i in range(4, ws.max_row + 1)}
    a, b = rows["007"], rows["008"]
    assert a[0].data_type == "s" and a[0].value == "007"  # code kept as text, leading zeros intact
    assert b[1].value == "'=HYPERLINK(\"http://evil\")学院" and b[1].data_type == "s"  # escaped, not a formula
    assert a[2].value == 7 and a[header.index("已鉴证")].value == 4
    assert a[header.index("去向落实率")].value == pytest.approx(0.429)
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.actor == cohort.users["office"] and entry.detail == {"what": "statistics", "year": 2027, "table": "college"}


def test_major_and_category_tables_download(client, cohort):
    client.force_login(cohort.users["office"])
    ws = _sheet(client.get(URL, {"year": 2027, "download": "major"}))
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=4)]
    majors = {v[1]: v for v in values}
    assert majors["080401"][2] == "'+材料科学与工程"
    assert majors["080202"][4] == 5
    ws = _sheet(client.get(URL, {"year": 2027, "download": "category"}))
    cats = {row[0].value: row for row in ws.iter_rows(min_row=4)}
    assert cats["70"][2].value == "否" and cats["70"][3].value == 1
    assert cats["801"][0].data_type == "s"


def test_counselor_download_is_scoped_and_unknown_table_is_404(client, cohort):
    client.force_login(cohort.users["counselor_a1"])
    ws = _sheet(client.get(URL, {"year": 2027, "download": "summary"}))
    assert ws.cell(row=4, column=2).value == 5
    assert client.get(URL, {"year": 2027, "download": "students"}).status_code == 404


# --- query count ------------------------------------------------------------------------------------

# session, user, cohort years, categories, the one grouped aggregation, the types' categories, names of its
# colleges and majors; on PostgreSQL the aggregation runs in its own transaction with SET LOCAL work_mem (a
# savepoint in tests).
PAGE_QUERIES = 8 + (3 if connection.vendor == "postgresql" else 0)


def _cohort_of(n: int, classes) -> None:
    keys = ["dispatch_general", "study_master", "abroad_study", "labour_contract", "awaiting_job_hunting"]
    statuses = ["verified", "submitted", "returned", "draft", None]
    for i in range(n):
        student = StudentFactory(school_class=classes[i % len(classes)])
        if statuses[i % 5]:
            make_registration_row(student=student, destination_type=keys[i % len(keys)], status=statuses[i % 5])


@pytest.mark.parametrize("role", [Role.OFFICE, Role.COUNSELOR])
def test_query_count_is_pinned_and_does_not_grow_with_students(client, django_assert_num_queries, role):
    user = UserFactory(role=role)
    classes = [SchoolClassFactory(counselor=user, major__college=CollegeFactory()) for _ in range(3)]
    client.force_login(user)
    totals = []
    for n in (3, 40):
        _cohort_of(n, classes)
        with django_assert_num_queries(PAGE_QUERIES):
            r = client.get(URL)
        totals.append(r.context["stats"].overall.total)
    assert totals == [3, 43]


def test_download_query_count_does_not_grow(client):
    office = make_office()
    classes = [SchoolClassFactory() for _ in range(2)]
    client.force_login(office)
    counts = []
    for n in (2, 20):
        _cohort_of(n, classes)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL, {"download": "major"}).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] == PAGE_QUERIES + 1  # + the audit entry


def test_the_database_returns_groups_not_students(db):
    """The aggregation happens in SQL: 40 alike students come back as one row with n=40."""
    from quxiang.reports.selectors import grouped_counts_queryset

    school_class = SchoolClassFactory()
    for _ in range(40):
        make_registration_row(student=StudentFactory(school_class=school_class), status="verified")
    rows = list(grouped_counts_queryset(user=make_office(), year=2027))
    assert len(rows) == 1 and rows[0][-1] == 40 and rows[0][4] == "verified"
    assert DestinationType.objects.get(key=rows[0][5]).category_id == "10"  # the type; its category after


def test_groups_of_types_of_one_category_are_counted_together(db):
    """Two types of category 10 (签就业协议形式就业) in one class: the statistics count 5 + 3 = 8 in 10."""
    from quxiang.reports.selectors import _grouped_counts

    school_class = SchoolClassFactory()
    ten = list(DestinationType.objects.filter(category_id="10", is_active=True).values_list("key", flat=True))[:2]
    assert len(ten) == 2
    for key, n in zip(ten, (5, 3), strict=True):
        for _ in range(n):
            make_registration_row(student=StudentFactory(school_class=school_class, gender="M"), status="verified",
                                  destination_type=key)
    rows = _grouped_counts(user=make_office(), year=2027)
    assert [(r[4], r[5], r[-1]) for r in rows] == [("verified", "10", 8)]
