"""Every route has an access rule, and the rule holds for every role.

Two tables list each web URL pattern (by name) and each API operation (by method and path) with the roles
allowed to use it. The sweep walks the URLconf (django.urls.get_resolver, recursively) and the API's own
OpenAPI schema, so a new view or operation that is missing from the tables fails with its name: whoever adds
it has to decide who may open it. Each route is then requested as each role, with the method it answers and
real objects (built through the factories and services) where the pattern needs an id:

* a role that is not allowed gets 404 or a redirect to the login page (web), 401/403/404 (API);
* a role that is allowed gets neither 403, 404, 405 nor 500, and no redirect to the login page.

The objects are in the staff's scope (the student's class counselor, the officer of the student's college),
so "allowed" really means the role may; that a counselor of another class may not is the access tests' job
(quxiang/accounts/tests, reviews/tests). Each request runs in a savepoint that is rolled back, so a POST
(verify, cancel, logout …) leaves the next request the same world.

Left out of the walk, on purpose:
* ``admin/`` — Django's admin has its own gate (is_staff plus model permissions) and a URL per model and
  action; its rules are tested in accounts/tests/test_admin*.py, roster/tests/test_admin.py and
  accounts/tests/test_office_rights.py.
* ``i18n/`` — Django's set_language: public by design, POST only, changes nothing but a cookie.
* static files — served by whitenoise (middleware, STATIC_URL and WHITENOISE_ROOT), not URL patterns.
* ``api/`` — ninja's patterns are the operations of the API table (swept through the schema) plus the
  schema and docs pages, which are checked here as web routes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from quxiang.accounts.models import Role, User
from quxiang.api.services import api_token_issue
from quxiang.evidence.models import EvidenceFile
from quxiang.evidence.services import evidence_add
from quxiang.imports.models import ImportJob, ImportStatus
from quxiang.integrity import services as integrity
from quxiang.integrity.checks import Finding
from quxiang.integrity.findings import findings_sync
from quxiang.integrity.models import Outcome
from quxiang.registrations import changes
from quxiang.registrations.models import Registration
from quxiang.reports.jobs import national_export_start
from quxiang.testing.factories import (
    StudentFactory,
    UserFactory,
    counselor_of,
    make_college_officer,
    make_verified,
    pdf_upload,
)

pytestmark = pytest.mark.django_db

ANON, STUDENT, COUNSELOR, OFFICER, OFFICE, ADMIN = (
    "anonymous", "student", "counselor", "college_officer", "office", "admin")
ROLES = (ANON, STUDENT, COUNSELOR, OFFICER, OFFICE, ADMIN)
EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {ANON}
STUDENTS = frozenset({STUDENT})
STAFF = frozenset({COUNSELOR, OFFICER, OFFICE, ADMIN})
OFFICE_ONLY = frozenset({OFFICE, ADMIN})
OWNER_AND_STAFF = STUDENTS | STAFF
EXPORT_OWNER = frozenset({OFFICE})
NOBODY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Rule:
    allowed: frozenset[str]
    method: str = "GET"
    # Its answer is the login page (logout), so a redirect there is not a refusal.
    ends_on_login: bool = False


GET, POST = "GET", "POST"

# URL name → who may open it (and with which method the view answers).
WEB: dict[str, Rule] = {
    "core:home": Rule(SIGNED_IN),  # dispatches by role
    "core:healthz": Rule(EVERYONE),  # load balancer probe
    "health_ready": Rule(EVERYONE),
    "accounts:login": Rule(EVERYONE),  # signed in: redirected home
    "accounts:logout": Rule(EVERYONE, POST, ends_on_login=True),
    "accounts:password_change": Rule(SIGNED_IN),
    "reference:regions_json": Rule(EVERYONE),  # public code table (the region picker)
    "public_verify": Rule(EVERYONE),  # the sheet's QR code, for archive offices
    "registrations:status": Rule(STUDENTS),
    "registrations:start": Rule(STUDENTS, POST),
    "registrations:step": Rule(STUDENTS),
    "registrations:record": Rule(OWNER_AND_STAFF),
    "registrations:sheet": Rule(OWNER_AND_STAFF),
    "registrations:withdraw": Rule(STUDENTS, POST),
    "registrations:change": Rule(STUDENTS, POST),
    "registrations:change_cancel": Rule(STUDENTS, POST),
    "evidence:download": Rule(OWNER_AND_STAFF),
    "reviews:queue": Rule(STAFF),
    "reviews:home": Rule(STAFF),
    "reviews:record": Rule(STAFF),
    "reviews:verify": Rule(STAFF, POST),
    "reviews:return": Rule(STAFF, POST),
    "reviews:reopen": Rule(OFFICE_ONLY, POST),
    "reviews:bulk_verify": Rule(STAFF, POST),
    "reviews:unregistered": Rule(STAFF),
    "reviews:audit": Rule(OFFICE_ONLY),
    "reviews:jobs": Rule(STAFF),  # each sees their own jobs; the office all
    "reviews:job": Rule(OFFICE_ONLY),  # the office's export job: its starter and the office
    "reviews:job_status": Rule(OFFICE_ONLY),
    "reviews:job_download": Rule(EXPORT_OWNER),  # the file only for whoever started the job
    "imports:index": Rule(OFFICE_ONLY),
    "imports:template": Rule(OFFICE_ONLY),
    "imports:job": Rule(OFFICE_ONLY),
    "imports:run": Rule(OFFICE_ONLY, POST),
    "imports:status": Rule(OFFICE_ONLY),
    "imports:problems": Rule(OFFICE_ONLY),
    "reports:statistics": Rule(STAFF),
    "reports:export": Rule(OFFICE_ONLY),
    # An export's page and file: the office user who started it only (the admin is somebody else).
    "reports:export_job": Rule(EXPORT_OWNER),
    "reports:export_job_status": Rule(EXPORT_OWNER),
    "reports:export_download": Rule(EXPORT_OWNER),
    "reports:precheck": Rule(STAFF),  # 预检: each sees the records of their scope
    "reports:precheck_download": Rule(STAFF),
    "reports:profiles": Rule(OFFICE_ONLY),
    "reports:profile_import": Rule(OFFICE_ONLY, POST),
    "reports:profile_download": Rule(OFFICE_ONLY),
    "reports:profile_copy": Rule(OFFICE_ONLY, POST),
    "reports:school_settings": Rule(OFFICE_ONLY),
    "integrity:index": Rule(OFFICE_ONLY),
    "integrity:sampling": Rule(OFFICE_ONLY),
    "integrity:sample_run": Rule(OFFICE_ONLY),
    "integrity:sample_item_outcome": Rule(OFFICE_ONLY, POST),
    "integrity:sample_item_send_back": Rule(OFFICE_ONLY, POST),
    "integrity:follow_ups": Rule(STAFF),
    "integrity:follow_up_resolve": Rule(STAFF, POST),
    "integrity:finding_decide": Rule(OFFICE_ONLY, POST),
    # The API's own description (ninja): public, as the mini-program's developers read it.
    "api:openapi-json": Rule(EVERYONE),
    "api:openapi-view": Rule(EVERYONE),
    "api:api-root": Rule(NOBODY),  # ninja's /api/ prefix: no operation there, a JSON 404 for all
}

# API operation ("METHOD /path" as in the OpenAPI schema) → who may call it. Staff have no API: a token
# issued to a staff account is refused like no token.
API: dict[str, frozenset[str]] = {
    "POST /api/v1/auth/bind": EVERYONE,  # no token needed: this is how one gets a token
    "POST /api/v1/auth/login": EVERYONE,
    "POST /api/v1/auth/logout": STUDENTS,
    "POST /api/v1/auth/unbind": STUDENTS,
    "POST /api/v1/auth/password": STUDENTS,
    "GET /api/v1/me": STUDENTS,
    "GET /api/v1/reference/destination-types": STUDENTS,
    "GET /api/v1/reference/org-natures": STUDENTS,
    "GET /api/v1/reference/industries": STUDENTS,
    "GET /api/v1/reference/job-categories": STUDENTS,
    "GET /api/v1/reference/regions": STUDENTS,
    "GET /api/v1/reference/countries": STUDENTS,
    "GET /api/v1/organisations/{uscc}": STUDENTS,
    "GET /api/v1/registration": STUDENTS,
    "POST /api/v1/registration": STUDENTS,
    "PUT /api/v1/registration/type": STUDENTS,
    "PUT /api/v1/registration/organisation": STUDENTS,
    "GET /api/v1/registration/evidence": STUDENTS,
    "POST /api/v1/registration/evidence": STUDENTS,
    "DELETE /api/v1/registration/evidence/{evidence_id}": STUDENTS,
    "POST /api/v1/registration/archive/match": STUDENTS,
    "POST /api/v1/registration/archive/copy-organisation": STUDENTS,
    "PUT /api/v1/registration/archive": STUDENTS,
    "POST /api/v1/registration/submit": STUDENTS,
    "POST /api/v1/registration/withdraw": STUDENTS,
    "POST /api/v1/registration/change": STUDENTS,
    "POST /api/v1/registration/change/cancel": STUDENTS,
    "GET /api/v1/registrations": STUDENTS,
    "GET /api/v1/registrations/{registration_id}": STUDENTS,
    "GET /api/v1/registrations/{registration_id}/sheet": STUDENTS,
}

SKIPPED_PREFIXES = ("admin/", "i18n/")


# --- the URLconf and the schema ------------------------------------------------------------------


def url_patterns() -> dict[str, str]:
    """Every named URL pattern outside the skipped prefixes: name → route (with ninja's operations
    left to the API sweep)."""
    found: dict[str, str] = {}

    def walk(patterns, prefix: str, namespace: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if route.startswith(SKIPPED_PREFIXES):
                continue
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route, namespace + (f"{p.namespace}:" if p.namespace else ""))
            elif isinstance(p, URLPattern):
                assert p.name, f"URL pattern {route!r} has no name, so it cannot be listed in WEB"
                found[namespace + p.name] = route

    walk(get_resolver().url_patterns, "", "")
    return found


def api_operations(client: Client) -> list[str]:
    schema = client.get("/api/openapi.json").json()
    return [f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops]


def _is_api_operation(route: str, operations: set[str]) -> bool:
    path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
    return any(op.split(" ", 1)[1] == path for op in operations)


# --- the world -----------------------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, User | None]
    v1: Registration  # the student's verified version
    v2: Registration  # their open change request (an employer, a file)
    evidence: EvidenceFile  # of the verified version
    draft_evidence: EvidenceFile  # of the change request
    job: ImportJob
    run_pk: int
    item_pk: int
    follow_up_pk: int
    export_pk: int
    finding_pk: int


def build_world() -> World:
    student = StudentFactory()
    student.user.must_change_password = False
    student.user.save(update_fields=["must_change_password"])
    counselor = counselor_of(student)
    office = UserFactory(username="sweep-office", role=Role.OFFICE)
    admin = UserFactory(username="sweep-admin", role=Role.ADMIN, is_staff=True, is_superuser=True)
    officer = make_college_officer(college=student.college, username="sweep-officer")
    v1 = make_verified(student=student, verifier=counselor)
    v2 = changes.registration_change_start(student=student, actor=student.user)
    draft_evidence = evidence_add(registration=v2, upload=pdf_upload("新协议书.pdf"), actor=student.user)
    run = integrity.sample_run_draw(actor=office, percentage=100, seed=1)
    item = run.items.get(registration=v1)
    item = integrity.sample_item_record(item=item, outcome=Outcome.MISMATCH, note="单位名称不符", actor=office)
    follow_up = integrity.sample_item_send_back(item=item, actor=office, note="请核实单位名称")
    job = ImportJob.objects.create(created_by=office, original_name="名单.xlsx", status=ImportStatus.DONE,
                                   problems=[{"row": 3, "student_number": "1", "name": "某", "reasons": ["学号有误"]}])
    export = national_export_start(actor=office, year=student.graduation_year)  # a finished job (eager)
    synced = findings_sync(year=student.graduation_year, actor=office,
                           results=[("uscc_name", [Finding(reason="同一信用代码、不同单位名称", registration_ids=(v1.pk,))])])
    users = {ANON: None, STUDENT: student.user, COUNSELOR: counselor, OFFICER: officer, OFFICE: office,
             ADMIN: admin}
    return World(users=users, v1=v1, v2=v2, evidence=v1.evidence_files.first(), draft_evidence=draft_evidence, job=job, run_pk=run.pk, item_pk=item.pk,
                 follow_up_pk=follow_up.pk, export_pk=export.pk, finding_pk=synced.created[0])


def _profile_pk() -> int:
    from quxiang.reports.models import ExportProfile  # the seeded national export profile (issue 14)

    return ExportProfile.objects.order_by("pk").values_list("pk", flat=True).first()


def web_url(name: str, route: str, world: World) -> str:
    """The route with real ids in it."""
    values = {
        "registrations:record": world.v1.pk, "registrations:sheet": world.v1.pk, "reviews:record": world.v1.pk,
        "reviews:verify": world.v1.pk, "reviews:return": world.v1.pk, "reviews:reopen": world.v1.pk,
        "evidence:download": world.evidence.pk, "integrity:sample_run": world.run_pk,
        "integrity:sample_item_outcome": world.item_pk, "integrity:sample_item_send_back": world.item_pk,
        "integrity:follow_up_resolve": world.follow_up_pk, "integrity:finding_decide": world.finding_pk,
        "reports:export_job": world.export_pk, "reports:export_job_status": world.export_pk,
        "reports:export_download": world.export_pk,
        "reviews:job": world.export_pk, "reviews:job_status": world.export_pk,
        "reviews:job_download": world.export_pk,
        "reports:profile_download": _profile_pk(), "reports:profile_copy": _profile_pk(),
    }
    params = {"step": "type", "code": world.v1.verification_no}

    def fill(match: re.Match) -> str:
        converter, param = match.group(1) or "str", match.group(2)
        if param == "pk":
            return str(values.get(name, world.job.pk))
        assert param in params, f"{name}: no value for <{converter}:{param}>; add one to web_url"
        return str(params[param])

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)


def api_url(operation: str, world: World) -> tuple[str, str]:
    method, path = operation.split(" ", 1)
    values = {"uscc": world.v1.org_uscc, "evidence_id": world.draft_evidence.pk, "registration_id": world.v1.pk}
    return method, re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


def _request(client: Client, method: str, url: str, **extra: Any):
    """One request whose writes are rolled back afterwards."""
    with transaction.atomic():
        try:
            response = client.generic(method, url, **extra)
            if response.streaming:  # read to the end: the client then closes the file (not the connection)
                b"".join(response.streaming_content)
        except Exception as exc:  # a 500: name the route, keep the traceback
            raise AssertionError(f"{method} {url} raised {exc!r}") from exc
        transaction.set_rollback(True)
    return response


def _to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(resolve_url(settings.LOGIN_URL))


# --- the tests -----------------------------------------------------------------------------------


def test_every_route_is_in_the_tables(client):
    operations = set(api_operations(client))
    web = {name for name, route in url_patterns().items()
           if not (route.startswith("api/") and _is_api_operation(route, operations))}
    assert not web - WEB.keys(), f"URL patterns without an access rule in WEB: {sorted(web - WEB.keys())}"
    assert not WEB.keys() - web, f"WEB lists URL names that no longer exist: {sorted(WEB.keys() - web)}"
    assert not operations - API.keys(), f"API operations without an access rule: {sorted(operations - API.keys())}"
    assert not API.keys() - operations, f"API lists operations that no longer exist: {sorted(API.keys() - operations)}"
    for rules in (*(r.allowed for r in WEB.values()), *API.values()):
        assert rules <= EVERYONE


def test_web_routes_answer_each_role_as_the_table_says():
    world = build_world()
    problems: list[str] = []
    clients = {role: Client() for role in ROLES}
    for name, route in sorted(url_patterns().items()):
        if name not in WEB:
            continue  # an API operation (swept below) or reported by test_every_route_is_in_the_tables
        rule = WEB[name]
        url = web_url(name, route, world)
        for role in ROLES:
            client, user = clients[role], world.users[role]
            if user is not None:
                client.force_login(user)  # again each time: logout ends the session
            response = _request(client, rule.method, url)
            code = response.status_code
            if role in rule.allowed:
                if code in (403, 404, 405, 500) or (_to_login(response) and not rule.ends_on_login):
                    problems.append(f"{name} {rule.method} {url} as {role} (allowed): {code}")
            elif not (code == 404 or _to_login(response)):
                problems.append(f"{name} {rule.method} {url} as {role} (not allowed): {code}")
    assert not problems, "\n".join(problems)


def test_api_operations_answer_each_role_as_the_table_says(client):
    world = build_world()
    tokens = {role: api_token_issue(user=user)[0] for role, user in world.users.items() if user is not None}
    problems: list[str] = []
    for operation in sorted(api_operations(client)):
        if operation not in API:
            continue  # reported by test_every_route_is_in_the_tables
        method, url = api_url(operation, world)
        for index, role in enumerate(ROLES):
            extra: dict[str, Any] = {"REMOTE_ADDR": f"198.51.100.{index + 1}"}  # each role its own rate limit
            if role in tokens:
                extra["HTTP_AUTHORIZATION"] = f"Bearer {tokens[role]}"
            response = _request(Client(), method, url, data=b"{}" if method != "GET" else "",
                                content_type="application/json", **extra)
            code = response.status_code
            if role in API[operation]:
                if code in (401, 403, 404, 405, 500):
                    problems.append(f"{operation} as {role} (allowed): {code} {response.content[:200]!r}")
            elif code not in (401, 403, 404):
                problems.append(f"{operation} as {role} (not allowed): {code}")
    assert not problems, "\n".join(problems)
