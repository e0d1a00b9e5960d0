"""Every way a request can be wrong gets the one error shape {code, message, fields} with a Chinese message,
the right 4xx status, and never a 5xx."""

from __future__ import annotations

import json

import pytest
from django.conf import settings as django_settings
from django.test import Client

from quxiang.api.tests.helpers import API, ApiUser, assert_error, bind
from quxiang.evidence.models import EvidenceFile
from quxiang.reference.models import DestinationType
from quxiang.registrations.models import Registration, Status
from quxiang.testing.factories import employer_org_data, make_pdf_bytes, make_png_bytes

pytestmark = pytest.mark.django_db

ON_POSTGRES = "postgresql" in django_settings.DATABASES["default"]["ENGINE"]
HTML_AS_PDF = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def at_evidence_step(user: ApiUser) -> dict:
    user.ok(user.post("/registration"))
    user.ok(user.put("/registration/type", {"destination_type": "dispatch_general"}))
    return user.ok(user.put("/registration/organisation", employer_org_data()))


def submitted(user: ApiUser) -> dict:
    at_evidence_step(user)
    evidence = user.ok(user.upload(make_pdf_bytes()), 201)
    user.ok(user.put("/registration/archive", user.ok(user.post("/registration/archive/match"))))
    user.ok(user.post("/registration/submit"))
    return evidence


# --- malformed requests ------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["{bad", '{"destination_type": "dispatch_general"', "'single'", "destination_type=x",
                                  b'{"destination_type": "\xff\xfe"}'])
def test_malformed_json_is_bad_request(bound_student, body):
    bound_student.ok(bound_student.post("/registration"))
    body = assert_error(bound_student.put_raw("/registration/type", body), 400, "bad_request")
    assert "JSON" in body["message"]


def test_malformed_json_on_bind_is_bad_request(client):
    assert_error(client.post(f"{API}/auth/bind", "{nope", content_type="application/json"), 400, "bad_request")


@pytest.mark.parametrize(("payload", "field"), [
    ({}, "destination_type"),
    ({"destination_type": 5}, "destination_type"),
    ({"destination_type": None}, "destination_type"),
    ({"destination_type": ["dispatch_general"]}, "destination_type"),
    ({"destination_type": ""}, "destination_type"),
    ({"destination_type": "x" * 41}, "destination_type"),
    (None, "destination_type"),  # a body that is not an object: the field counts as missing
    ([], "destination_type"),
    ("dispatch_general", "destination_type"),
])
def test_wrong_types_and_missing_fields_are_invalid_with_fields(bound_student, payload, field):
    bound_student.ok(bound_student.post("/registration"))
    r = bound_student.put_raw("/registration/type", json.dumps(payload))
    body = assert_error(r, 422, "invalid")
    assert field in body["fields"], body
    assert Registration.objects.get().destination_type is None


@pytest.mark.parametrize(("override", "field"), [
    ({"org_name": 5}, "org_name"),
    ({"org_nature": 39}, "org_nature"),
    ({"signed_on": "2027-13-45"}, "signed_on"),
    ({"signed_on": "昨天"}, "signed_on"),
    ({"org_address": {"line": 1}}, "org_address"),
])
def test_wrong_types_on_the_organisation_step(bound_student, override, field):
    user = bound_student
    user.ok(user.post("/registration"))
    user.ok(user.put("/registration/type", {"destination_type": "dispatch_general"}))
    body = assert_error(user.put("/registration/organisation", {**employer_org_data(), **override}), 422, "invalid")
    assert field in body["fields"]


@pytest.mark.parametrize(("override", "field"), [
    ({"org_name": ""}, "org_name"),
    ({"org_postcode": "2012"}, "org_postcode"),
    ({"org_contact_phone": "12345"}, "org_contact_phone"),
    ({"org_region": "999999"}, "org_region"),
    ({"org_nature": "77"}, "org_nature"),
    ({"job_category": None}, "job_category"),
])
def test_form_rules_on_the_organisation_step(bound_student, override, field):
    user = bound_student
    user.ok(user.post("/registration"))
    user.ok(user.put("/registration/type", {"destination_type": "dispatch_general"}))
    body = assert_error(user.put("/registration/organisation", {**employer_org_data(), **override}), 422, "invalid")
    assert list(body["fields"]) == [field]
    assert body["message"] == body["fields"][field][0]
    assert not Registration.objects.get().organisation_done


@pytest.mark.parametrize("key", ["no_such_type", "dispatch", "awaiting"])
def test_unknown_destination_type_is_invalid(bound_student, key):
    bound_student.ok(bound_student.post("/registration"))
    body = assert_error(bound_student.put("/registration/type", {"destination_type": key}), 422, "invalid")
    assert "去向类型" in body["fields"]["destination_type"][0]


def test_an_inactive_destination_type_cannot_be_chosen(bound_student):
    DestinationType.objects.filter(key="flexible_freelance").update(is_active=False)
    bound_student.ok(bound_student.post("/registration"))
    assert_error(bound_student.put("/registration/type", {"destination_type": "flexible_freelance"}), 422, "invalid")


@pytest.mark.parametrize(("payload", "field"), [
    ({"archive_destination": "moon"}, "archive_destination"),
    ({"archive_postcode": "abc"}, "archive_postcode"),
    ({"archive_phone": "1"}, "archive_phone"),
    ({"origin_authority_name": None}, "origin_authority_name"),
])
def test_archive_form_rules(bound_student, payload, field):
    user = bound_student
    at_evidence_step(user)
    user.ok(user.upload(make_pdf_bytes()), 201)
    fill = user.ok(user.post("/registration/archive/match"))
    body = assert_error(user.put("/registration/archive", {**fill, **payload}), 422, "invalid")
    assert field in body["fields"]


# --- steps out of order, missing records ----------------------------------------------------------------


def test_organisation_before_type_is_step_not_ready(bound_student):
    bound_student.ok(bound_student.post("/registration"))
    body = assert_error(bound_student.put("/registration/organisation", employer_org_data()), 409, "step_not_ready")
    assert "去向类型" in body["message"]


def test_evidence_before_organisation_is_step_not_ready(bound_student):
    user = bound_student
    user.ok(user.post("/registration"))
    user.ok(user.put("/registration/type", {"destination_type": "dispatch_general"}))
    body = assert_error(user.upload(make_pdf_bytes()), 409, "step_not_ready")
    assert "单位信息" in body["message"]
    assert not EvidenceFile.objects.exists()


def test_archive_before_evidence_is_step_not_ready(bound_student):
    at_evidence_step(bound_student)
    for r in (bound_student.post("/registration/archive/match"),
              bound_student.post("/registration/archive/copy-organisation"),
              bound_student.put("/registration/archive", {"origin_authority_name": "x"})):
        body = assert_error(r, 409, "step_not_ready")
        assert "佐证材料" in body["message"]


@pytest.mark.parametrize(("method", "path", "payload"), [
    ("put", "/registration/type", {"destination_type": "dispatch_general"}),
    ("put", "/registration/organisation", employer_org_data()),
    ("get", "/registration/evidence", None),
    ("delete", "/registration/evidence/1", None),
    ("post", "/registration/archive/match", None),
    ("post", "/registration/submit", None),
    ("post", "/registration/withdraw", None),
])
def test_before_starting_there_is_no_registration(bound_student, method, path, payload):
    args = (path,) if payload is None else (path, payload)
    assert_error(getattr(bound_student, method)(*args), 404, "no_registration")


def test_unknown_evidence_id_is_not_found(bound_student):
    at_evidence_step(bound_student)
    assert_error(bound_student.delete("/registration/evidence/999999"), 404, "not_found")


def test_another_students_evidence_is_not_found(bound_student, make_bound_student):
    other = make_bound_student()
    at_evidence_step(other)
    theirs = other.ok(other.upload(make_pdf_bytes()), 201)
    at_evidence_step(bound_student)

    assert_error(bound_student.delete(f"/registration/evidence/{theirs['id']}"), 404, "not_found")

    assert EvidenceFile.objects.filter(pk=theirs["id"]).exists()


def test_another_students_registration_is_not_found(bound_student, make_bound_student):
    other = make_bound_student()
    theirs = other.ok(other.post("/registration"))
    mine = bound_student.ok(bound_student.post("/registration"))
    assert bound_student.ok(bound_student.get(f"/registrations/{mine['id']}"))["id"] == mine["id"]
    assert_error(bound_student.get(f"/registrations/{theirs['id']}"), 404, "not_found")
    assert_error(bound_student.get(f"/registrations/{theirs['id']}/sheet"), 404, "not_found")
    assert_error(bound_student.get("/registrations/999999"), 404, "not_found")
    assert_error(bound_student.get("/registrations/99999999999999999999999"), 404, "not_found")


def test_a_non_numeric_id_is_invalid(bound_student):
    body = assert_error(bound_student.get("/registrations/abc"), 422, "invalid")
    assert "registration_id" in body["fields"]
    assert_error(bound_student.delete("/registration/evidence/abc"), 422, "invalid")


# --- sizes and files --------------------------------------------------------------------------------


def test_a_json_body_over_the_request_limit_is_413(bound_student):
    bound_student.ok(bound_student.post("/registration"))
    payload = json.dumps({"destination_type": "x" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    body = assert_error(bound_student.put_raw("/registration/type", payload), 413, "too_large")
    assert "过大" in body["message"]


def test_a_file_over_the_evidence_limit_is_413_too_large(settings, bound_student):
    settings.QUXIANG = {**settings.QUXIANG, "EVIDENCE_MAX_BYTES": 1024 * 1024}
    at_evidence_step(bound_student)
    pdf = make_pdf_bytes()
    big = pdf + b"%" + b"0" * (1024 * 1024 - len(pdf))

    body = assert_error(bound_student.upload(big), 413, "too_large")

    assert "1 MB" in body["message"]
    assert not EvidenceFile.objects.exists()
    assert bound_student.upload(pdf).status_code == 201  # a file under the limit still goes up


@pytest.mark.parametrize(("delta", "status"), [(0, 201), (-1, 413)])
def test_the_evidence_limit_is_inclusive(settings, bound_student, delta, status):
    pdf = make_pdf_bytes()
    settings.QUXIANG = {**settings.QUXIANG, "EVIDENCE_MAX_BYTES": len(pdf) + delta}
    at_evidence_step(bound_student)
    r = bound_student.upload(pdf)
    if status == 201:
        assert r.status_code == 201, r.content
    else:
        assert_error(r, 413, "too_large")


@pytest.mark.parametrize(("content", "name", "needle"), [
    (HTML_AS_PDF, "协议书.pdf", "PDF、JPG 或 PNG"),
    (b"MZ\x90\x00" + b"\x00" * 200, "scan.pdf", "PDF、JPG 或 PNG"),
    (make_pdf_bytes()[:-60], "协议书.pdf", "不完整"),
    (make_png_bytes() + b"PK\x03\x04smuggled.zip", "证明.png", "多余内容"),
    (b"", "empty.pdf", "0 字节"),
])
def test_files_that_are_not_what_they_claim_are_invalid_file(bound_student, content, name, needle):
    at_evidence_step(bound_student)
    body = assert_error(bound_student.upload(content, name=name), 422, "invalid_file")
    assert needle in body["message"], body["message"]
    assert list(body["fields"]) == ["file"]
    assert not EvidenceFile.objects.exists()


def test_an_upload_without_the_file_field_is_invalid(bound_student):
    at_evidence_step(bound_student)
    r = bound_student.client.post(f"{API}/registration/evidence", {"attachment": "x"}, **bound_student.auth)
    body = assert_error(r, 422, "invalid")
    assert "file" in body["fields"]
    r = bound_student.client.post(f"{API}/registration/evidence", "{}", content_type="application/json",
                                  **bound_student.auth)
    assert_error(r, 422, "invalid")


def test_a_fourth_file_is_refused(bound_student):
    at_evidence_step(bound_student)
    for i in range(3):
        bound_student.ok(bound_student.upload(make_pdf_bytes(f"page {i}"), name=f"第{i + 1}页.pdf"), 201)

    body = assert_error(bound_student.upload(make_pdf_bytes("four")), 422, "invalid_file")

    assert "3" in body["message"]
    assert EvidenceFile.objects.count() == 3
    # After removing one, a file can go up again.
    first = bound_student.ok(bound_student.get("/registration/evidence"))[0]["id"]
    assert bound_student.delete(f"/registration/evidence/{first}").status_code == 204
    assert bound_student.upload(make_pdf_bytes("four")).status_code == 201


# --- not editable after submit ------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "payload"), [
    ("put", "/registration/type", {"destination_type": "labour_contract"}),
    ("put", "/registration/organisation", employer_org_data(org_name="改过的单位")),
    ("upload", None, None),
    ("delete", "/registration/evidence/{evidence}", None),
    ("post", "/registration/archive/match", None),
    ("post", "/registration/archive/copy-organisation", None),
    ("put", "/registration/archive", {"origin_authority_name": "改过的主管单位"}),
])
def test_edits_after_submit_are_not_editable(bound_student, method, path, payload):
    evidence = submitted(bound_student)
    before = Registration.objects.values().get()
    if method == "upload":
        r = bound_student.upload(make_pdf_bytes("late"))
    else:
        path = path.format(evidence=evidence["id"])
        r = getattr(bound_student, method)(*((path,) if payload is None else (path, payload)))

    body = assert_error(r, 409, "not_editable")

    assert "等待辅导员鉴证" in body["message"]
    assert Registration.objects.values().get() == before
    assert EvidenceFile.objects.count() == 1


def test_submitting_again_is_harmless(bound_student):
    submitted(bound_student)
    again = bound_student.ok(bound_student.post("/registration/submit"))
    assert again["submitted"] is False and again["already_submitted"] is True
    assert Registration.objects.get().status == Status.SUBMITTED


# --- the error shape everywhere ------------------------------------------------------------------------


def test_every_error_of_a_long_session_has_the_shape(bound_student, make_bound_student):
    """A sweep over many mistakes in one session: all 4xx, all {code, message, fields}, all Chinese."""
    user = bound_student
    seen = []
    seen.append(user.get("/registration"))
    seen.append(user.put("/registration/type", {"destination_type": "dispatch_general"}))
    user.ok(user.post("/registration"))
    seen.append(user.put_raw("/registration/type", "{"))
    seen.append(user.put("/registration/type", {"destination_type": 1}))
    seen.append(user.put("/registration/organisation", employer_org_data()))
    user.ok(user.put("/registration/type", {"destination_type": "dispatch_general"}))
    seen.append(user.put("/registration/organisation", {"org_uscc": "123"}))
    seen.append(user.upload(HTML_AS_PDF))
    seen.append(user.get("/organisations/123"))
    seen.append(user.get("/registrations/0"))
    seen.append(user.post("/registration/change"))
    seen.append(user.client.get(f"{API}/me", HTTP_AUTHORIZATION="Bearer nope"))
    seen.append(bind(Client(), code="ok-x", student_number="nobody", password="x"))
    for r in seen:
        assert 400 <= r.status_code < 500, (r.status_code, r.content)
        assert_error(r, r.status_code)


# --- bugs: answers outside the error shape ------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::django.core.cache.backends.base.CacheKeyWarning")  # the 学号 is in the key
@pytest.mark.parametrize("student_number", ["2390\x00000001", "\x00"])
def test_a_nul_character_in_the_student_number_is_refused_not_a_crash(student_number):
    client = Client(raise_request_exception=False)
    r = bind(client, code="ok-nul", student_number=student_number, password="123456")
    assert r.status_code in (401, 422), r.status_code
    assert_error(r, r.status_code)


@pytest.mark.parametrize("kind", ["no-boundary", "too-many-fields"])
def test_unparseable_multipart_is_a_bad_request_in_the_error_shape(bound_student, kind):
    at_evidence_step(bound_student)
    client = Client(raise_request_exception=False)
    if kind == "no-boundary":
        r = client.post(f"{API}/registration/evidence", b"--x\r\n", content_type="multipart/form-data",
                        **bound_student.auth)
    else:
        fields = {f"f{i}": "1" for i in range(django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
        r = client.post(f"{API}/registration/evidence", fields, **bound_student.auth)
    assert_error(r, 400, "bad_request")


def test_an_unexpected_server_error_still_answers_in_the_error_shape(bound_student, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("quxiang.api.api.selectors.registration_get_current", boom)
    client = Client(raise_request_exception=False)
    r = client.get(f"{API}/registration", **bound_student.auth)
    assert r.status_code == 500
    assert r["Content-Type"].startswith("application/json")
    assert set(r.json()) == {"code", "message", "fields"}


@pytest.mark.parametrize(("method", "path"), [("get", "/no-such-endpoint"), ("patch", "/registration/type")])
def test_unknown_endpoints_and_methods_answer_in_the_error_shape(bound_student, method, path):
    r = getattr(bound_student.client, method)(f"{API}{path}", **bound_student.auth)
    assert r.status_code in (404, 405)
    assert r["Content-Type"].startswith("application/json")


def test_a_body_sent_to_an_operation_without_one_is_ignored(bound_student):
    """wx.request sends "{}" (or junk) on a POST without data: submit does not read a body."""
    submitted(bound_student)
    r = bound_student.client.post(f"{API}/registration/submit", "{bad", content_type="application/json",
                                  **bound_student.auth)
    assert r.status_code == 200 and r.json()["already_submitted"] is True
