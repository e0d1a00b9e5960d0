"""Queries per request of a registration through the mini-program API, pinned (issue 13): the flow of
bench/load/run.py --mode api (bind, 开始, type, 检索匹配, organisation, upload, 匹配, archive, 提交, status).
Code tables, types and regions come from process memory (quxiang/reference/cache.py) once a request has
read them, so the flow runs once before it is counted.

Every authenticated request costs the token with its user (TokenAuth) and the student (the access
helper); a step on the record adds the open record with its evidence count. An answer after a write
reads the record's evidence and events (two queries) and takes the rest from the saved instance and from
memory instead of reading the record again."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from quxiang.api.tests.conftest import bound_student_for
from quxiang.api.tests.helpers import ApiUser
from quxiang.organisations.models import Organisation, OrganisationSource
from quxiang.testing.factories import StudentFactory, make_pdf_bytes, make_uscc

pytestmark = pytest.mark.django_db

AUTH = 1  # the token with its user and the student
OPEN = 1  # the open record with its evidence count
TX = 4  # BEGIN, SELECT … FOR UPDATE, UPDATE, COMMIT
ANSWER = 2  # the evidence and the events of the saved record

EXPECTED = {
    "api_type": AUTH + OPEN + TX + ANSWER,
    "api_org_lookup": AUTH + OPEN + 1,  # + the directory (one round trip for a hit)
    "api_org_save": AUTH + OPEN + TX + ANSWER,
    "api_archive_match": AUTH + OPEN + 1,  # + the 生源地主管单位
    "api_archive_save": AUTH + OPEN + TX + 1 + ANSWER,  # + the step gate's evidence count under the lock
    "api_status": AUTH + 3,  # the current record, its evidence and its events
    # With an Idempotency-Key (claim: SAVEPOINT, INSERT, RELEASE; answer: UPDATE, inside one transaction)
    # and the services' own writes: one count for the step gate and the limit, the file's row (upload); the
    # row lock, the 提交 event, the audit entry and the student's state, then the submitted record read
    # again (submit).
    "api_evidence_upload": 13,
    "api_submit": 21,
    # The open/verified checks, version, INSERT, the CREATE event and the student's state (services).
    "api_start": 13,
}


def flow(user: ApiUser, counts: dict | None = None) -> None:
    def run(name, call, status=200):
        with CaptureQueriesContext(connection) as q:
            response = call()
        assert response.status_code == status, (name, response.status_code, response.content[:1000])
        if counts is not None:
            counts[name] = len(q.captured_queries)
        return response.json() if response.content else None

    uscc = make_uscc(serial=f"MA1QC{Organisation.objects.count():04d}")
    Organisation.objects.create(
        uscc=uscc, name="上海测试科技有限公司", nature_id="39", industry_id="I", region_id="310115",
        address="上海市浦东新区张江路1号", postcode="201203", contact_name="王经理", contact_phone="021-58881234",
        shanghai_reg_no="1234567", source=OrganisationSource.OFFICE)
    run("api_start", lambda: user.post("/registration"))
    run("api_type", lambda: user.put("/registration/type", {"destination_type": "dispatch_general"}))
    org = run("api_org_lookup", lambda: user.get(f"/organisations/{uscc}"))
    payload = {"org_uscc": org["uscc"], "org_name": org["name"], "org_shanghai_reg_no": org["shanghai_reg_no"],
               "org_nature": org["nature"], "org_industry": org["industry"], "org_region": org["region"],
               "org_address": org["address"], "org_postcode": org["postcode"],
               "org_contact_name": org["contact_name"], "org_contact_phone": org["contact_phone"],
               "job_category": "13", "signed_on": "2027-03-01"}
    run("api_org_save", lambda: user.put("/registration/organisation", payload))
    run("api_evidence_upload", lambda: user.upload(make_pdf_bytes("qc"), key=f"up-{uscc}"), 201)
    fill = run("api_archive_match", lambda: user.post("/registration/archive/match"))
    run("api_archive_save", lambda: user.put("/registration/archive", fill))
    result = run("api_submit", lambda: user.post("/registration/submit", key=f"sub-{uscc}"))
    assert result["submitted"] is True
    assert run("api_status", lambda: user.get("/registration"))["status"] == "submitted"


def test_api_query_counts_pinned():
    flow(bound_student_for(StudentFactory()))  # warms the code tables in process memory
    counts: dict[str, int] = {}
    flow(bound_student_for(StudentFactory()), counts)
    assert {k: counts[k] for k in EXPECTED} == EXPECTED
