"""POST /registration/change/cancel: the mini-program's door to 撤销变更申请, with the web's rules and codes;
and a change started through the API carries the verified version's evidence."""

from __future__ import annotations

import pytest

from quxiang.api.tests.helpers import assert_error
from quxiang.registrations.models import Registration
from quxiang.testing.factories import make_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def verified_user(bound_student):
    make_verified(student=bound_student.student)
    return bound_student


def test_a_change_through_the_api_carries_the_evidence_and_can_be_cancelled(verified_user):
    user = verified_user
    v1 = Registration.objects.get(student=user.student)
    v2 = user.ok(user.post("/registration/change"))
    assert [e["name"] for e in v2["evidence"]] == [v1.evidence_files.get().original_name]

    current = user.ok(user.post("/registration/change/cancel"))

    assert (current["id"], current["version"], current["status"]) == (v1.pk, 1, "verified")
    assert user.ok(user.get("/registration"))["id"] == v1.pk
    assert [(h["version"], h["status"]) for h in user.ok(user.get("/registrations"))] == [(1, "verified")]
    body = assert_error(user.post("/registration/change/cancel"), 404, "no_change_request")
    assert "变更申请" in body["message"]


def test_a_submitted_change_is_refused_until_withdrawn(verified_user):
    user = verified_user
    v2 = user.ok(user.post("/registration/change"))
    assert user.ok(user.post("/registration/submit"))["submitted"] is True

    body = assert_error(user.post("/registration/change/cancel"), 409, "change_submitted")
    assert "撤回" in body["message"]
    assert Registration.objects.filter(pk=v2["id"]).exists()

    user.ok(user.post("/registration/withdraw"))
    assert user.ok(user.post("/registration/change/cancel"))["status"] == "verified"
    assert not Registration.objects.filter(pk=v2["id"]).exists()


def test_an_ordinary_draft_is_not_a_change_request(bound_student):
    bound_student.ok(bound_student.post("/registration"))
    assert_error(bound_student.post("/registration/change/cancel"), 404, "no_change_request")
    assert Registration.objects.filter(student=bound_student.student).count() == 1
