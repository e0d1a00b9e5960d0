"""The wizard's rules as a student meets them in the browser (issue 9, defects 3 and 4 and "messages fit the
type"): a type change starts the new type's steps clean and says what it removed; the 单位性质 a type fixes
holds after a lookup and an edit; the review page and the success message speak of the evidence the type
really needs, and the date is labelled as the form labels it."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from django.urls import reverse

from quxiang.organisations.models import Organisation
from quxiang.registrations.models import Registration, Status, Step
from quxiang.testing.factories import (
    abroad_org_data,
    employer_org_data,
    make_registration,
    make_uscc,
    pdf_upload,
)

pytestmark = pytest.mark.django_db


def step_url(step: str) -> str:
    return reverse("registrations:step", kwargs={"step": step})


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


def input_value(response, name: str) -> str | None:
    m = re.search(rf'<input[^>]*name="{name}"[^>]*>', response.content.decode())
    if not m:
        return None
    v = re.search(r'value="([^"]*)"', m.group(0))
    return htmllib.unescape(v.group(1)) if v else ""


def label_of(response, name: str) -> str:
    m = re.search(rf'<label for="id_{name}"[^>]*>(.*?)</label>', response.content.decode(), re.S)
    assert m, name
    return htmllib.unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip()


def done_steps(response) -> set[str]:
    return {s.value for s in response.context["done_steps"]}


def hint(response) -> str:
    m = re.search(r'<p class="hint" id="submit-guidance">(.*?)</p>', response.content.decode(), re.S)
    assert m
    return htmllib.unescape(m.group(1))


# --- defect 3: a type change keeps nothing stale ------------------------------------------------------

def test_employer_submitted_withdrawn_then_abroad_starts_clean(client):
    """The issue's scenario 3 on the web."""
    reg = make_registration(complete=True)  # 一般单位录用, employer, 材料1.pdf, archive matched
    client.force_login(reg.student.user)
    assert client.post(step_url("review"), {"action": "submit"}).status_code == 302
    client.post(reverse("registrations:withdraw"))
    assert Registration.objects.get(pk=reg.pk).status == Status.DRAFT

    r = client.post(step_url("type"), {"destination_type": "abroad_study", "action": "next"}, follow=True)

    assert r.redirect_chain[-1][0] == step_url("organisation")
    msgs = messages_of(r)
    assert any("材料1.pdf" in m and "已删除" in m for m in msgs), msgs
    # The school-or-employer name is not the domestic employer's, the date is the offer's and empty.
    assert label_of(r, "org_name") == "学校或单位中文名称"
    assert input_value(r, "org_name") == ""
    assert label_of(r, "signed_on") == "录取或签证日期"
    assert input_value(r, "signed_on") == ""
    assert done_steps(r) == {"type"}  # 单位信息, 佐证材料, 档案信息 are to be done again

    # 提交 is refused until the abroad details and an offer are there.
    r = client.post(step_url("review"), {"action": "submit"}, follow=True)
    assert r.redirect_chain[-1][0] == step_url("organisation")
    assert "请先完成“单位信息”。" in messages_of(r)
    client.post(step_url("organisation"), {**abroad_org_data(), "action": "next"})
    r = client.get(step_url("evidence"))
    assert "材料1.pdf" not in text(r) and "录取 Offer" in text(r)
    r = client.post(step_url("review"), {"action": "submit"}, follow=True)
    assert "请先完成“佐证材料”。" in messages_of(r)
    assert Registration.objects.get(pk=reg.pk).status == Status.DRAFT

    client.post(step_url("evidence"), {"action": "upload", "file": pdf_upload("Offer.pdf")})
    client.post(step_url("archive"), {"action": "match_origin"})
    fill = Registration.objects.get(pk=reg.pk).pending_input["archive"]
    assert client.post(step_url("archive"), {**fill, "action": "next"}).url == step_url("review")
    r = client.get(step_url("review"))
    page = text(r)
    assert "录取或签证日期" in page and "签约日期" not in page
    assert "协议书" not in hint(r) and "录取 Offer" in hint(r)
    r = client.post(step_url("review"), {"action": "submit"}, follow=True)
    success = [m for m in messages_of(r) if "提交成功" in m]
    assert success and "录取 Offer" in success[0] and "协议书" not in success[0]
    assert Registration.objects.get(pk=reg.pk).status == Status.SUBMITTED


def test_typed_but_unsaved_employer_input_does_not_follow_into_another_kind(client):
    reg = make_registration()
    client.force_login(reg.student.user)
    client.post(step_url("organisation"), {"org_name": "半截的国内公司", "action": "prev"})
    client.post(step_url("type"), {"destination_type": "study_master", "action": "next"})
    r = client.get(step_url("organisation"))
    assert input_value(r, "org_name") == ""


# --- defect 4: the 单位性质 a type fixes holds on save -------------------------------------------------

@pytest.mark.parametrize(("key", "nature", "name"), [("dispatch_civil_service", "10", "机关"),
                                                     ("dispatch_military", "40", "部队")])
def test_editing_the_nature_after_the_lookup_is_refused_on_the_field(client, key, nature, name):
    reg = make_registration(destination_type=key)
    client.force_login(reg.student.user)
    uscc = make_uscc(serial="MB0000077")
    Organisation.objects.create(uscc=uscc, name="目录里的单位", nature_id="39", industry_id="S", region_id="310115")
    r = client.post(step_url("organisation"), {"org_uscc": uscc, "action": "lookup"})
    assert re.search(rf'<option value="{nature}"[^>]*selected', r.content.decode())
    assert any("其他企业" in m and name in m for m in messages_of(r)), messages_of(r)

    r = client.post(step_url("organisation"), {**employer_org_data(org_uscc=uscc, org_nature="39"), "action": "next"})

    assert r.status_code == 200
    errors = r.context["form"].errors
    assert list(errors) == ["org_nature"], errors  # the error belongs to 单位性质, nothing else
    assert f"单位性质应为“{name}”" in errors["org_nature"][0]
    assert f"单位性质应为“{name}”" in text(r)
    assert not Registration.objects.get(pk=reg.pk).organisation_done


# --- step gating: one function, one set of messages ----------------------------------------------------

def test_a_step_the_type_does_not_have_says_so(client):
    reg = make_registration(destination_type="awaiting_job_hunting")
    client.force_login(reg.student.user)
    r = client.get(step_url("evidence"), follow=True)
    assert r.redirect_chain == [(step_url("review"), 302)]
    assert any("无需填写“佐证材料”" in m for m in messages_of(r)), messages_of(r)


def test_copy_organisation_for_a_school_is_refused_with_a_message(client):
    reg = make_registration(destination_type="study_master", organisation=True, evidence=1)
    client.force_login(reg.student.user)
    r = client.post(step_url("archive"), {"action": "copy_org"})
    assert r.status_code == 200
    assert any("不能转至签约单位" in m for m in messages_of(r))
    data = {"origin_authority_name": "x", "archive_destination": "employer", "archive_unit": "某大学",
            "archive_address": "某路 1 号", "archive_postcode": "200000", "archive_phone": "021-12345678",
            "action": "next"}
    r = client.post(step_url("archive"), data)
    assert r.status_code == 200 and "不能转至签约单位" in text(r)
    assert not Registration.objects.get(pk=reg.pk).archive_done


# --- messages fit the type -----------------------------------------------------------------------------

@pytest.mark.parametrize(("key", "says", "never"), [
    ("awaiting_job_hunting", "无需上传佐证材料", "协议书"),
    ("abroad_study", "录取 Offer", "协议书"),
    ("study_master", "调档政审函", "协议书"),
    ("dispatch_general", "就业协议书原件", "无需"),
])
def test_review_page_and_success_message_speak_of_the_types_evidence(client, key, says, never):
    reg = make_registration(destination_type=key, complete=True)
    client.force_login(reg.student.user)
    r = client.get(step_url("review"))
    assert says in hint(r) and never not in hint(r), hint(r)
    r = client.post(step_url("review"), {"action": "submit"}, follow=True)
    success = [m for m in messages_of(r) if "提交成功" in m]
    assert success and says in success[0] and never not in success[0], success
    assert says in text(r)  # the status page while 待鉴证


@pytest.mark.parametrize(("key", "label"), [("dispatch_general", "签约日期"), ("abroad_study", "录取或签证日期")])
def test_the_summary_labels_the_date_as_the_form_does(client, key, label):
    reg = make_registration(destination_type=key, complete=True)
    Registration.objects.filter(pk=reg.pk).update(signed_on="2027-05-06")
    client.force_login(reg.student.user)
    page = text(client.get(step_url("review")))
    assert re.search(rf"<dt>{label}</dt><dd>2027-05-06</dd>", page), page.split("summary")[1][:3000]
    form = client.get(step_url(Step.ORGANISATION.value))
    assert label_of(form, "signed_on") == label
