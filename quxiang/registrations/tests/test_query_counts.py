"""Queries per request of the whole web registration, pinned (issue 13). Sessions live in the cache, as in
production (config/settings/production.py), so what is counted is the application's own work. Code
tables, destination types and regions come from process memory (quxiang/reference/cache.py) after the
first request that needs them; the flow is run once before it is counted, as a running server would.

Every wizard request costs two queries before its own work: the user with their student row
(AuthenticationMiddleware through accounts/backends.py; student_required takes the row through the access
helper) and the open record with its evidence count (registration_get_open_for_step). Writes add their transaction: BEGIN, the row lock
(SELECT … FOR UPDATE), the UPDATE, COMMIT."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from quxiang.organisations.models import Organisation, OrganisationSource
from quxiang.registrations.models import Registration, Status
from quxiang.testing.factories import StudentFactory, make_uscc, pdf_upload

pytestmark = pytest.mark.django_db

BASE = 2  # the user with their student, the open record with its evidence count
TX = 4  # BEGIN, SELECT … FOR UPDATE, UPDATE, COMMIT

EXPECTED = {
    "type_page": BASE,
    "type_save": BASE + TX,
    "org_page": BASE,
    # + the directory (one round trip for a hit), and the typed input kept on the record (TX)
    "org_lookup": BASE + 1 + TX,
    "org_save": BASE + TX,
    "evidence_page": BASE + 1,  # + the files
    # + BEGIN, lock, one count for the step gate and the limit, INSERT, COMMIT (the reading job is queued
    # after the commit: one INSERT more outside a test's transaction)
    "evidence_upload": BASE + 5,
    "evidence_page_after": BASE + 1,
    "evidence_next": BASE,
    "archive_page": BASE,
    "archive_match": BASE + 1 + TX,  # + the 生源地主管单位, and the filled input kept (TX)
    "archive_save": BASE + TX + 1,  # + the step gate's evidence count under the lock
    "review_page": BASE + 1,  # + the files for the summary
    # Not the wizard's own: the student's state kept with every status change (registrations/state.py),
    # the 提交 event and the audit entry. 开始: the open/verified checks, version, INSERT, event, state (its
    # row lock, the recount, the UPDATE: no savepoint of its own).
    "start": 11,
    "submit": 12,
    # the user with their student, the history (the current record is taken from it), its files and events
    "status": 2,  # (no record yet)
    "status_after": 4,
}


def step_url(step):
    return reverse("registrations:step", kwargs={"step": step})


def flow(client, counts: dict | None = None) -> Registration:
    def run(name, method, url, data=None, expect=None):
        with CaptureQueriesContext(connection) as q:
            r = getattr(client, method)(url, data or {})
        if counts is not None:
            counts[name] = len(q.captured_queries)
        if expect is not None:
            assert r.status_code == expect, (name, r.status_code, r.content.decode()[:2000])
        return r

    run("status", "get", reverse("registrations:status"), expect=200)
    run("start", "post", reverse("registrations:start"), expect=302)
    run("type_page", "get", step_url("type"), expect=200)
    run("type_save", "post", step_url("type"), {"destination_type": "dispatch_general", "action": "next"}, 302)
    run("org_page", "get", step_url("organisation"), expect=200)
    uscc = make_uscc(serial=f"MA1FL{Registration.objects.count():04d}")
    Organisation.objects.get_or_create(uscc=uscc, defaults={
        "name": "上海测试科技有限公司", "nature_id": "39", "industry_id": "I", "region_id": "310115",
        "address": "上海市浦东新区张江路1号", "postcode": "201203", "contact_name": "王经理",
        "contact_phone": "021-58881234", "shanghai_reg_no": "1234567", "source": OrganisationSource.OFFICE})
    run("org_lookup", "post", step_url("organisation"), {"org_uscc": uscc, "action": "lookup"}, 200)
    run("org_save", "post", step_url("organisation"), {
        "org_uscc": uscc, "org_name": "上海测试科技有限公司", "org_shanghai_reg_no": "1234567",
        "org_nature": "39", "org_industry": "I", "org_region": "310115", "org_address": "上海市浦东新区张江路1号",
        "org_postcode": "201203", "org_contact_name": "王经理", "org_contact_phone": "021-58881234",
        "job_category": "13", "signed_on": "2027-03-01", "action": "next"}, 302)
    run("evidence_page", "get", step_url("evidence"), expect=200)
    run("evidence_upload", "post", step_url("evidence"), {"action": "upload", "file": pdf_upload()}, 302)
    run("evidence_page_after", "get", step_url("evidence"), expect=200)
    run("evidence_next", "post", step_url("evidence"), {"action": "next"}, 302)
    run("archive_page", "get", step_url("archive"), expect=200)
    r = run("archive_match", "post", step_url("archive"), {"action": "match_origin"}, 200)
    assert "上海市学生事务中心" in r.content.decode()
    fill = Registration.objects.get(status=Status.DRAFT, student__user_id=client.session["_auth_user_id"]).pending_input[
        "archive"]
    run("archive_save", "post", step_url("archive"), {**fill, "action": "next"}, 302)
    run("review_page", "get", step_url("review"), expect=200)
    run("submit", "post", step_url("review"), {"action": "submit"}, 302)
    run("status_after", "get", reverse("registrations:status"), expect=200)
    reg = Registration.objects.get(student__user_id=client.session["_auth_user_id"])
    assert reg.status == Status.SUBMITTED
    return reg


@override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cache")
def test_wizard_query_counts_pinned(client, settings):
    first = StudentFactory()
    client.force_login(first.user)
    flow(client)  # warms the code tables in process memory, as the first requests of a server do
    student = StudentFactory()
    client.force_login(student.user)
    counts: dict[str, int] = {}
    flow(client, counts)
    assert counts == EXPECTED


@pytest.mark.parametrize("dtype", ["dispatch_general", "abroad_study", "study_master"])
def test_no_wizard_page_over_60_kb(client, dtype):
    """Issue 13: every page of the wizard stays under 60 KB before compression, the organisation step of a
    type abroad (its <select> of every country) included; the regions come from regions.json."""
    student = StudentFactory()
    client.force_login(student.user)
    client.post(reverse("registrations:start"))
    sizes = {"type": len(client.get(step_url("type")).content)}
    client.post(step_url("type"), {"destination_type": dtype, "action": "next"})
    r = client.get(step_url("organisation"))
    assert r.status_code == 200
    sizes["organisation"] = len(r.content)
    sizes["review"] = len(client.get(step_url("review"), follow=True).content)
    assert max(sizes.values()) <= 60 * 1024, sizes
