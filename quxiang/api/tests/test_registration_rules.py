"""The wizard's rules through the mini-program API (issue 9, defects 3 and 4): the same type-change clearing,
the same fixed 单位性质 on save and on lookup, and the same step gating (409 step_not_ready) as the web."""

from __future__ import annotations

import pytest

from quxiang.api.tests.helpers import ApiUser, assert_error
from quxiang.evidence.models import EvidenceFile
from quxiang.organisations.models import Organisation
from quxiang.registrations.models import Registration, Status
from quxiang.testing.factories import (
    abroad_org_data,
    employer_org_data,
    make_pdf_bytes,
    make_uscc,
    school_org_data,
)

pytestmark = pytest.mark.django_db


def employer_submitted(user: ApiUser) -> dict:
    user.ok(user.post("/registration"))
    user.ok(user.put("/registration/type", {"destination_type": "dispatch_general"}))
    user.ok(user.put("/registration/organisation", employer_org_data()))
    user.ok(user.upload(make_pdf_bytes("agreement"), name="就业协议书.pdf"), 201)
    fill = user.ok(user.post("/registration/archive/copy-organisation"))
    fill["origin_authority_name"] = user.ok(user.post("/registration/archive/match"))["origin_authority_name"]
    user.ok(user.put("/registration/archive", fill))
    result = user.ok(user.post("/registration/submit"))
    assert result["registration"]["status"] == "submitted"
    return result


def test_employer_submitted_withdrawn_then_abroad_starts_clean(bound_student):
    """The issue's scenario 3 through the API."""
    user = bound_student
    submitted = employer_submitted(user)
    assert "就业协议书原件" in submitted["message"] and submitted["registration"]["signed_on_label"] == "签约日期"
    user.ok(user.post("/registration/withdraw"))

    reg = user.ok(user.put("/registration/type", {"destination_type": "abroad_study"}))

    assert {k: v for k, v in reg["organisation"].items() if v is not None} == {}
    assert reg["done_steps"] == ["type"] and reg["next_step"] == "organisation"
    assert reg["evidence"] == [] and not EvidenceFile.objects.exists()
    assert reg["archive"]["archive_destination"] is None and reg["archive"]["archive_unit"] is None
    assert any("就业协议书.pdf" in n and "已删除" in n and "录取 Offer" in n for n in reg["notices"]), reg["notices"]
    assert reg["signed_on_label"] == "录取或签证日期" and "录取 Offer" in reg["submit_guidance"]
    # The notices belong to the type change, not to every later answer.
    assert user.ok(user.get("/registration"))["notices"] == []

    body = assert_error(user.post("/registration/submit"), 409, "step_not_ready")
    assert body["fields"] == {"step": ["organisation"]}
    user.ok(user.put("/registration/organisation", abroad_org_data()))
    body = assert_error(user.post("/registration/submit"), 409, "step_not_ready")
    assert "佐证材料" in body["message"] and body["fields"] == {"step": ["evidence"]}
    user.ok(user.upload(make_pdf_bytes("offer"), name="Offer.pdf"), 201)
    user.ok(user.put("/registration/archive", user.ok(user.post("/registration/archive/match"))))
    result = user.ok(user.post("/registration/submit"))
    assert result["submitted"] is True and "录取 Offer" in result["message"] and "协议书" not in result["message"]
    db = Registration.objects.get(pk=reg["id"])
    assert db.status == Status.SUBMITTED and db.org_uscc == "" and db.org_contact_phone == ""
    assert [f.kind for f in db.evidence_files.all()] == ["offer"]


@pytest.mark.parametrize(("key", "nature", "name"), [("dispatch_military", "40", "部队"),
                                                     ("dispatch_civil_service", "10", "机关")])
def test_saving_another_nature_for_a_type_that_fixes_it_is_a_field_error(bound_student, key, nature, name):
    """The issue's scenario 4 through the API."""
    user = bound_student
    user.ok(user.post("/registration"))
    user.ok(user.put("/registration/type", {"destination_type": key}))

    body = assert_error(user.put("/registration/organisation", employer_org_data(org_nature="39")), 422, "invalid")

    assert list(body["fields"]) == ["org_nature"]
    assert f"单位性质应为“{name}”" in body["fields"]["org_nature"][0]
    assert not Registration.objects.get().organisation_done
    reg = user.ok(user.put("/registration/organisation", employer_org_data(org_nature=nature)))
    assert reg["organisation"]["org_nature"] == nature and "organisation" in reg["done_steps"]


def test_the_lookup_gives_the_nature_the_students_type_fixes(bound_student):
    user = bound_student
    uscc = make_uscc(serial="MB0000088")
    Organisation.objects.create(uscc=uscc, name="某区人民政府", nature_id="39", industry_id="S", region_id="310115")
    assert user.ok(user.get(f"/organisations/{uscc}"))["nature"] == "39"  # no type yet: the directory's
    user.ok(user.post("/registration"))
    user.ok(user.put("/registration/type", {"destination_type": "dispatch_civil_service"}))

    body = user.ok(user.get(f"/organisations/{uscc}"))

    assert body["nature"] == "10" and body["name"] == "某区人民政府"
    assert any("机关" in n for n in body["notices"]), body


def test_copy_organisation_for_a_school_is_refused(bound_student):
    user = bound_student
    user.ok(user.post("/registration"))
    user.ok(user.put("/registration/type", {"destination_type": "study_master"}))
    user.ok(user.put("/registration/organisation", school_org_data()))
    user.ok(user.upload(make_pdf_bytes("letter"), name="调档函.pdf"), 201)
    body = assert_error(user.post("/registration/archive/copy-organisation"), 422, "invalid")
    assert "archive_destination" in body["fields"]
    fill = {**user.ok(user.post("/registration/archive/match")), "archive_destination": "employer"}
    body = assert_error(user.put("/registration/archive", fill), 422, "invalid")
    assert "不能转至签约单位" in body["fields"]["archive_destination"][0]


def test_web_and_api_gate_with_the_same_message(bound_student, client):
    user = bound_student
    user.ok(user.post("/registration"))
    user.ok(user.put("/registration/type", {"destination_type": "dispatch_general"}))
    body = assert_error(user.upload(make_pdf_bytes()), 409, "step_not_ready")
    client.force_login(user.student.user)
    r = client.get("/registration/step/evidence/", follow=True)
    assert body["message"] in [str(m) for m in r.context["messages"]]
    assert body["fields"] == {"step": ["organisation"]}
