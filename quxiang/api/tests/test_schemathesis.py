"""Schemathesis against /api/openapi.json, in-process through the real WSGI app (config.wsgi.application).

* ``test_api_conforms_to_its_openapi_schema``: ``schemathesis.openapi.from_wsgi("/api/openapi.json",
  application, config=CONFIG)`` + ``@schema.parametrize()`` — one pytest item per operation, every built-in
  check enabled (not_a_server_error, status_code / content_type / response_schema / response_headers
  conformance, positive_data_acceptance, negative_data_rejection, missing_required_header, ignored_auth,
  unsupported_method, use_after_free, ensure_resource_availability, …), at most MAX_EXAMPLES generated cases
  per operation and phase, derandomized (the same cases every run), no example database.
  Each operation gets a fresh student holding a bearer token, with a verified v1 and a complete v2 change
  draft (one evidence file), so the registration endpoints reach their real answers.
* ``test_every_operation_answers_its_documented_shape_on_the_happy_path``: the success answers fuzzing rarely
  reaches (bind/login through the fake WeChat server, 201 upload, the PDF sheet, 204s), each sent as an
  explicit Schemathesis case and validated by the same checks.

The WSGI app runs Django's full request cycle in this thread, on this thread's database connection. A real
server closes that connection at the start and end of every request (``close_old_connections``), which would
end the test's transaction; ``wsgi_in_test_transaction`` disconnects exactly that, as Django's own test
Client does, so the app sees the fixture's rows and everything is rolled back afterwards. (The alternative,
``django_db(transaction=True, serialized_rollback=True)``, works too but re-loads the ~3,500 seeded code-table
rows before every operation: 2.5 s each, more than the fuzzing itself.)
"""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from django.conf import settings as django_settings
from schemathesis.config import SchemathesisConfig

from config.wsgi import application
from quxiang.api.services import api_token_issue
from quxiang.api.tests.helpers import API, PASSWORD, SESSION_KEY
from quxiang.evidence.services import evidence_add
from quxiang.organisations.models import Organisation
from quxiang.registrations.changes import registration_change_start
from quxiang.registrations.models import Registration
from quxiang.reviews.services import registration_verify
from quxiang.testing.factories import (
    StudentFactory,
    counselor_of,
    employer_org_data,
    make_pdf_bytes,
    make_png_bytes,
    make_uscc,
    make_verified,
    pdf_upload,
)

MAX_EXAMPLES = 25
ON_POSTGRES = "postgresql" in django_settings.DATABASES["default"]["ENGINE"]

# Schema-valid is not always domain-valid: a destination type, region or USCC is a string in the schema but
# must exist in the code tables / pass its check digit (422 invalid), and a wx.login code is only known to be
# bad once WeChat says so (400 wechat_invalid_code). Every other check runs with its defaults.
_POSITIVE = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
CONFIG = SchemathesisConfig.from_dict({
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
    "checks": {"positive_data_acceptance": {"expected-statuses": _POSITIVE}},
    "operations": [{
        "include-path-regex": "/auth/(bind|login)$",
        "checks": {"positive_data_acceptance": {"expected-statuses": [*_POSITIVE, "400"]}},
    }],
})
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application, config=CONFIG)


def _relaxed_auth_rate(settings) -> None:
    # Every generated request comes from one address: lift the login lockout and the per-address limit so
    # the generated binds reach the real code.
    settings.QUXIANG = {**settings.QUXIANG, "LOGIN_MAX_FAILURES": 1_000_000, "LOGIN_ADDRESS_MAX_FAILURES": 1_000_000}


@pytest.fixture
def wsgi_in_test_transaction(db):
    """Let requests through the WSGI app use the test's open transaction (see the module docstring)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_student(wsgi_in_test_transaction, settings, wechat) -> dict[str, str]:
    """A student with a verified v1 and a complete v2 change draft; returns their Authorization header."""
    _relaxed_auth_rate(settings)
    v1 = make_verified(destination_type="dispatch_general")
    student = v1.student
    student.user.set_password(PASSWORD)
    student.user.save(update_fields=["password"])
    v2 = registration_change_start(student=student, actor=student.user)
    evidence_add(registration=v2, upload=pdf_upload("变更协议书.pdf"), actor=student.user)
    token, _expires = api_token_issue(user=student.user)
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
@hypothesis.settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
@pytest.mark.filterwarnings("ignore::django.core.cache.backends.base.CacheKeyWarning")  # raw 学号 in rate-limit key
def test_api_conforms_to_its_openapi_schema(case, fuzz_student):
    case.call_and_validate(headers=fuzz_student)


def _call(method: str, path: str, status: int, token: str | None = None, **case_kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else None
    case = schema[f"{API}{path}"][method].Case(headers=headers, **case_kwargs)
    response = case.call_and_validate()
    assert response.status_code == status, (method, path, response.status_code, response.text[:500])
    return response


def test_every_operation_answers_its_documented_shape_on_the_happy_path(wsgi_in_test_transaction, settings, wechat):
    _relaxed_auth_rate(settings)
    student = StudentFactory()
    student.user.set_password(PASSWORD)
    student.user.save(update_fields=["password"])
    known = make_uscc(serial="MA1FL0400")
    Organisation.objects.create(uscc=known, name="上海目录科技有限公司", nature_id="39", region_id="310115")

    bound = _call("POST", "/auth/bind", 200,
                  body={"code": "ok-walk", "student_number": student.student_number, "password": PASSWORD})
    assert SESSION_KEY not in bound.text
    token = bound.json()["token"]
    second = _call("POST", "/auth/login", 200, body={"code": "ok-walk"}).json()["token"]
    _call("POST", "/auth/login", 404, body={"code": "ok-nobody"})
    _call("POST", "/auth/login", 400, body={"code": "invalid"})
    for path in ("/me", "/reference/destination-types", "/reference/org-natures", "/reference/industries",
                 "/reference/job-categories", "/reference/regions", "/reference/countries", "/registrations"):
        _call("GET", path, 200, token)
    _call("GET", "/organisations/{uscc}", 200, token, path_parameters={"uscc": known})
    _call("GET", "/organisations/{uscc}", 404, token, path_parameters={"uscc": make_uscc(serial="MA1FL0401")})
    _call("GET", "/organisations/{uscc}", 422, token, path_parameters={"uscc": "123"})

    _call("GET", "/registration", 404, token)
    reg_id = _call("POST", "/registration", 200, token).json()["id"]
    _call("PUT", "/registration/type", 200, token, body={"destination_type": "dispatch_general"})
    _call("PUT", "/registration/organisation", 200, token, body=employer_org_data())
    upload = {"media_type": "multipart/form-data"}
    first = _call("POST", "/registration/evidence", 201, token, body={"file": make_png_bytes()}, **upload).json()
    _call("POST", "/registration/evidence", 201, token, body={"file": make_pdf_bytes()}, **upload)
    _call("POST", "/registration/evidence", 422, token, body={"file": b"<html></html>"}, **upload)
    _call("GET", "/registration/evidence", 200, token)
    _call("DELETE", "/registration/evidence/{evidence_id}", 204, token, path_parameters={"evidence_id": first["id"]})
    _call("DELETE", "/registration/evidence/{evidence_id}", 404, token, path_parameters={"evidence_id": first["id"]})
    _call("POST", "/registration/archive/copy-organisation", 200, token)
    fill = _call("POST", "/registration/archive/match", 200, token).json()
    _call("PUT", "/registration/archive", 200, token, body=fill)
    _call("POST", "/registration/submit", 200, token)
    _call("PUT", "/registration/type", 409, token, body={"destination_type": "labour_contract"})
    _call("POST", "/registration/withdraw", 200, token)
    _call("POST", "/registration/submit", 200, token)
    _call("GET", "/registrations/{registration_id}/sheet", 409, token, path_parameters={"registration_id": reg_id})

    registration_verify(registration=Registration.objects.get(pk=reg_id), actor=counselor_of(student))
    _call("GET", "/registration", 200, token)
    _call("GET", "/registrations/{registration_id}", 200, token, path_parameters={"registration_id": reg_id})
    sheet = _call("GET", "/registrations/{registration_id}/sheet", 200, token,
                  path_parameters={"registration_id": reg_id})
    assert sheet.headers["content-type"] == ["application/pdf"] and sheet.content.startswith(b"%PDF-")
    _call("POST", "/registration/change", 200, token)
    _call("POST", "/registration/change/cancel", 200, token)
    _call("POST", "/registration/change/cancel", 404, token)
    _call("GET", "/registrations", 200, token)

    _call("POST", "/auth/logout", 204, second)
    _call("GET", "/me", 401, second)
    _call("POST", "/auth/unbind", 204, token)
    _call("GET", "/me", 401, token)


@pytest.mark.filterwarnings("ignore::django.core.cache.backends.base.CacheKeyWarning")
def test_bind_with_a_nul_in_the_student_number_passes_the_checks(wsgi_in_test_transaction, settings):
    """The case Schemathesis shrank to on PostgreSQL (generated data, [Filtered] password replaced)."""
    _relaxed_auth_rate(settings)
    nul = "\u00d3\u00e6\u0000Y"
    # NUL is outside the documented pattern: a 422 in the error shape, never a 500.
    _call("POST", "/auth/bind", 422, body={"code": nul, "student_number": nul, "password": "x"})


def test_the_schema_is_served_and_documents_every_v1_operation(client):
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    operations = {f"{method.upper()} {path.removeprefix(API)}" for path, ops in paths.items() for method in ops}
    assert all(p.startswith(API) for p in paths)
    assert {"POST /auth/bind", "POST /auth/login", "POST /auth/logout", "POST /auth/unbind", "GET /me",
            "GET /organisations/{uscc}", "GET /registration", "POST /registration", "PUT /registration/type",
            "PUT /registration/organisation", "GET /registration/evidence", "POST /registration/evidence",
            "DELETE /registration/evidence/{evidence_id}", "POST /registration/archive/match",
            "POST /registration/archive/copy-organisation", "PUT /registration/archive",
            "POST /registration/submit", "POST /registration/withdraw", "POST /registration/change",
            "POST /registration/change/cancel",
            "GET /registrations", "GET /registrations/{registration_id}",
            "GET /registrations/{registration_id}/sheet"} <= operations
    assert len(operations) == 30


def test_the_docs_page_uses_no_cdn(client):
    r = client.get("/api/docs")
    assert r.status_code == 200
    page = r.content.decode().lower()
    assert "cdn" not in page and "unpkg" not in page and "jsdelivr" not in page
    assert "/api/openapi.json" in page
