"""The whole 去向登记 flow through the mini-program API, for every destination type of the manual, and the
same draft seen from the web pages."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from quxiang.api.tests.helpers import ApiUser, assert_error
from quxiang.organisations.models import Organisation, OrganisationSource
from quxiang.registrations.models import EventKind, Registration, RegistrationEvent, Status
from quxiang.reviews.services import registration_return, registration_verify
from quxiang.roster.models import Cohort, EducationLevel
from quxiang.testing.factories import (
    abroad_org_data,
    counselor_of,
    employer_org_data,
    make_jpeg_bytes,
    make_pdf_bytes,
    make_png_bytes,
    make_uscc,
    school_org_data,
)

pytestmark = pytest.mark.django_db

ALL_STEPS = ["type", "organisation", "evidence", "archive", "review"]
HANGZHOU_EMPLOYER = {"org_region": "330106", "org_shanghai_reg_no": "", "org_address": "浙江省杭州市西湖区文三路 90 号",
                     "org_postcode": "310012", "org_contact_phone": "0571-88001234"}

# key → (organisation payload or None, archive: "copy" | "match" | None, national category, steps)
FLOWS = {
    # 派遣 — 一般单位录用 in Shanghai: the 单位信息登记号 is required.
    "dispatch_general": (employer_org_data(org_uscc=make_uscc(serial="MA1FL0011")), "copy", "10", ALL_STEPS),
    "dispatch_startup": (employer_org_data(org_uscc=make_uscc(serial="MA1FL0012"), org_name="上海自创科技有限公司"),
                         "match", "75", ALL_STEPS),
    "dispatch_military": (employer_org_data(org_uscc=make_uscc(serial="MA1FL0013"), org_name="中国人民解放军某部",
                                            org_nature="40", org_industry="JD", job_category="80"),
                          "copy", "46", ALL_STEPS),
    "dispatch_civil_service": (employer_org_data(org_uscc=make_uscc(serial="MA1FL0014"),
                                                 org_name="上海市浦东新区人民政府办公室", org_nature="10",
                                                 org_industry="S", job_category="10"),
                               "copy", "10", ALL_STEPS),
    # 国内升学: the admitting school.
    "study_master": (school_org_data(), "match", "801", ALL_STEPS),
    "study_second_degree": (school_org_data(org_uscc=make_uscc(region="310000", serial="425006212"),
                                            org_name="华东师范大学", org_region="310107"), "match", "802", ALL_STEPS),
    # 出国: country from the list, 境外 (no region).
    "abroad_study": (abroad_org_data(), "match", "85", ALL_STEPS),
    "abroad_work": (abroad_org_data(abroad_country="GB", org_name="英国某软件公司", abroad_name_original="Example Ltd",
                                    programme="软件工程师", programme_original="Software Engineer"),
                    "match", "12", ALL_STEPS),
    # 劳动合同 with an employer outside Shanghai: no 登记号 needed.
    "labour_contract": (employer_org_data(org_uscc=make_uscc(region="330106", serial="MA1FL0015"),
                                          org_name="杭州测试网络有限公司", **HANGZHOU_EMPLOYER), "copy", "11", ALL_STEPS),
    # 灵活就业
    "flexible_other": (employer_org_data(org_uscc=make_uscc(serial="MA1FL0016"), org_name="上海某工作室"),
                       "match", "12", ALL_STEPS),
    "flexible_freelance": (None, "match", "76", ["type", "evidence", "archive", "review"]),
}


def walk_to_submitted(user: ApiUser, dtype: str, org: dict | None, archive: str | None,
                      evidence: bytes | None = None) -> dict:
    """create → type → organisation → evidence → archive → submit, checking each answer on the way."""
    reg = user.ok(user.post("/registration"))
    assert reg["status"] == "draft" and reg["version"] == 1 and reg["next_step"] == "type"
    assert reg["destination_type"] is None and reg["evidence"] == [] and reg["events"][0]["kind"] == "create"

    reg = user.ok(user.put("/registration/type", {"destination_type": dtype}))
    assert reg["destination_type"] == dtype and "type" in reg["done_steps"]
    if org is not None:
        assert reg["next_step"] == "organisation"
        reg = user.ok(user.put("/registration/organisation", org))
        assert reg["done_steps"][:2] == ["type", "organisation"]
        for name, value in org.items():
            assert reg["organisation"][name] == (value or None), (name, reg["organisation"])
    if "evidence" in reg["steps"]:
        assert reg["next_step"] == "evidence"
        uploaded = user.ok(user.upload(evidence or make_pdf_bytes(dtype), name=f"{dtype}.pdf"), 201)
        assert uploaded["content_type"] == "application/pdf" and uploaded["name"] == f"{dtype}.pdf"
        assert [e["id"] for e in user.ok(user.get("/registration/evidence"))] == [uploaded["id"]]
        reg = user.ok(user.get("/registration"))
    if "archive" in reg["steps"]:
        assert reg["next_step"] == "archive"
        fill = user.ok(user.post(f"/registration/archive/{'copy-organisation' if archive == 'copy' else 'match'}"))
        if archive == "copy":
            assert fill["archive_destination"] == "employer" and fill["archive_unit"] == org["org_name"]
            fill["origin_authority_name"] = user.ok(user.post("/registration/archive/match"))["origin_authority_name"]
        else:
            assert fill["archive_destination"] == "origin"
        assert fill["origin_authority_name"] == "上海市学生事务中心"  # origin 310104 → the 上海 authority
        reg = user.ok(user.put("/registration/archive", fill))
        assert reg["archive"]["archive_unit"] == fill["archive_unit"]
    assert reg["next_step"] == "review"
    assert reg["done_steps"] == reg["steps"][:-1]

    result = user.ok(user.post("/registration/submit"))
    assert result["submitted"] is True and result["already_submitted"] is False
    reg = result["registration"]
    assert reg["status"] == "submitted" and reg["status_display"] == "待鉴证"
    assert reg["submitted_at"] is not None and reg["events"][-1]["kind"] == "submit"
    assert user.ok(user.get("/registration"))["status"] == "submitted"
    return reg


@pytest.mark.parametrize("dtype", list(FLOWS))
def test_undergraduate_flow_for_every_destination_type(bound_student, dtype):
    org, archive, category, steps = FLOWS[dtype]

    reg = walk_to_submitted(bound_student, dtype, org, archive)

    assert reg["steps"] == steps
    assert reg["category_code"] == category
    db = Registration.objects.get(pk=reg["id"])
    assert db.status == Status.SUBMITTED and db.student == bound_student.student
    assert db.archive_done and db.origin_authority_name == "上海市学生事务中心"
    if org is None:
        assert db.org_name == "" and reg["organisation"]["org_name"] is None
    else:
        assert db.org_name == org["org_name"]
    if dtype.startswith("abroad"):
        assert db.abroad_country_id == org["abroad_country"] and db.org_region_id is None


def test_the_shanghai_registration_number_is_required_for_a_shanghai_employer(bound_student):
    user = bound_student
    user.ok(user.post("/registration"))
    user.ok(user.put("/registration/type", {"destination_type": "dispatch_general"}))
    body = assert_error(user.put("/registration/organisation", employer_org_data(org_shanghai_reg_no="")), 422, "invalid")
    assert "org_shanghai_reg_no" in body["fields"] and "登记号" in body["fields"]["org_shanghai_reg_no"][0]
    body = assert_error(user.put("/registration/organisation", employer_org_data(org_shanghai_reg_no="12345")), 422)
    assert "org_shanghai_reg_no" in body["fields"]


@pytest.mark.parametrize("dtype", ["dispatch_military", "dispatch_civil_service"])
def test_types_with_a_fixed_nature_prefill_it(bound_student, dtype):
    user = bound_student
    user.ok(user.post("/registration"))
    reg = user.ok(user.put("/registration/type", {"destination_type": dtype}))
    assert reg["organisation"]["org_nature"] == {"dispatch_military": "40", "dispatch_civil_service": "10"}[dtype]


@pytest.mark.parametrize("dtype", ["awaiting_job_hunting", "awaiting_signing", "awaiting_exam", "awaiting_startup",
                                   "not_seeking_study"])
def test_not_yet_placed_goes_from_type_straight_to_submit(bound_student, dtype):
    user = bound_student
    user.ok(user.post("/registration"))
    reg = user.ok(user.put("/registration/type", {"destination_type": dtype}))
    assert reg["steps"] == ["type", "review"] and reg["next_step"] == "review"
    assert reg["category_code"] in ("70", "71")
    # There is no organisation, evidence or archive step to open.
    assert_error(user.put("/registration/organisation", employer_org_data()), 409, "step_not_ready")
    assert_error(user.upload(make_pdf_bytes()), 409, "step_not_ready")
    assert_error(user.post("/registration/archive/match"), 409, "step_not_ready")

    result = user.ok(user.post("/registration/submit"))

    assert result["submitted"] is True
    assert result["registration"]["status"] == "submitted"
    assert result["registration"]["archive"]["archive_unit"] is None


@pytest.mark.parametrize("level", [EducationLevel.MASTER, EducationLevel.DOCTOR])
def test_postgraduates_have_no_archive_step(make_bound_student, level):
    user = make_bound_student(level=level)
    assert user.bind_response["student"]["needs_archive_step"] is False
    user.ok(user.post("/registration"))
    reg = user.ok(user.put("/registration/type", {"destination_type": "dispatch_general"}))
    assert reg["steps"] == ["type", "organisation", "evidence", "review"]
    assert "archive" not in reg["steps"]
    user.ok(user.put("/registration/organisation", employer_org_data()))
    user.ok(user.upload(make_png_bytes(), name="协议书.png", content_type="image/png"), 201)
    reg = user.ok(user.get("/registration"))
    assert reg["next_step"] == "review"
    for path in ("/registration/archive/match", "/registration/archive/copy-organisation"):
        assert_error(user.post(path), 409, "step_not_ready")

    result = user.ok(user.post("/registration/submit"))

    assert result["registration"]["status"] == "submitted"
    assert Registration.objects.get(pk=reg["id"]).archive_unit == ""


def test_submit_before_the_steps_are_done_is_refused(bound_student):
    user = bound_student
    user.ok(user.post("/registration"))
    user.ok(user.put("/registration/type", {"destination_type": "dispatch_general"}))
    user.ok(user.put("/registration/organisation", employer_org_data()))
    body = assert_error(user.post("/registration/submit"), 409, "step_not_ready")
    assert "佐证材料" in body["message"] and body["fields"] == {"step": ["evidence"]}
    assert Registration.objects.get().status == Status.DRAFT


def test_starting_twice_returns_the_same_draft(bound_student):
    first = bound_student.ok(bound_student.post("/registration"))
    again = bound_student.ok(bound_student.post("/registration"))
    assert first["id"] == again["id"]
    assert Registration.objects.count() == 1


def test_no_registration_yet(bound_student):
    assert_error(bound_student.get("/registration"), 404, "no_registration")
    assert_error(bound_student.get("/registration/evidence"), 404, "no_registration")
    assert bound_student.ok(bound_student.get("/registrations")) == []


# --- organisation lookup --------------------------------------------------------------------------


def test_organisation_lookup_finds_an_organisation_of_the_office_directory(bound_student):
    uscc = make_uscc(serial="MA1FL0100")
    Organisation.objects.create(uscc=uscc, name="上海目录科技有限公司", nature_id="39", industry_id="I",
                                region_id="310115", address="上海市浦东新区科苑路 1 号", postcode="201203",
                                contact_name="李老师", contact_phone="021-50001234", shanghai_reg_no="7654321")
    body = bound_student.ok(bound_student.get(f"/organisations/{uscc}"))
    assert body == {"uscc": uscc, "name": "上海目录科技有限公司", "shanghai_reg_no": "7654321", "nature": "39",
                    "industry": "I", "region": "310115", "region_name": body["region_name"],
                    "address": "上海市浦东新区科苑路 1 号", "postcode": "201203", "contact_name": "李老师",
                    "contact_phone": "021-50001234", "notices": []}
    assert "浦东新区" in body["region_name"]
    # Lower case and spaces are forgiven, as on the web form.
    spaced = f"{uscc[:6]} {uscc[6:12].lower()} {uscc[12:]}"
    assert bound_student.ok(bound_student.get(f"/organisations/{spaced}"))["uscc"] == uscc


def test_organisation_lookup_finds_an_employer_of_an_earlier_verified_graduate(bound_student, make_bound_student):
    earlier = make_bound_student()
    org = employer_org_data(org_uscc=make_uscc(serial="MA1FL0101"), org_name="上海往届科技有限公司")
    reg = walk_to_submitted(earlier, "dispatch_general", org, "copy")
    assert_error(bound_student.get(f"/organisations/{org['org_uscc']}"), 404, "not_found")  # not verified yet
    registration_verify(registration=Registration.objects.get(pk=reg["id"]), actor=counselor_of(earlier.student))

    body = bound_student.ok(bound_student.get(f"/organisations/{org['org_uscc']}"))

    assert body["name"] == "上海往届科技有限公司" and body["shanghai_reg_no"] == org["org_shanghai_reg_no"]
    assert Organisation.objects.get(uscc=org["org_uscc"]).source == OrganisationSource.VERIFIED_RECORD


def test_organisation_lookup_of_an_unknown_code_is_not_found(bound_student):
    body = assert_error(bound_student.get(f"/organisations/{make_uscc(serial='MA1FL0999')}"), 404, "not_found")
    assert "协议书" in body["message"]


@pytest.mark.parametrize("bad", ["bad-check-digit", "91310115MA1FL0001", "91310115MA1FL0001IO", "ABCDEFGHJKLMNPQRTU"])
def test_organisation_lookup_of_a_malformed_code_is_invalid(bound_student, bad):
    if bad == "bad-check-digit":
        good = make_uscc()
        bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    body = assert_error(bound_student.get(f"/organisations/{bad}"), 422, "invalid")
    assert list(body["fields"]) == ["uscc"]
    assert "统一社会信用代码" in body["message"]


def test_a_wrong_check_digit_is_refused_on_the_organisation_step(bound_student):
    user = bound_student
    user.ok(user.post("/registration"))
    user.ok(user.put("/registration/type", {"destination_type": "dispatch_general"}))
    good = make_uscc()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    body = assert_error(user.put("/registration/organisation", employer_org_data(org_uscc=bad)), 422, "invalid")
    assert "校验位" in body["fields"]["org_uscc"][0]


# --- return, resubmit, verify, sheet, change, history ---------------------------------------------


def test_return_fix_resubmit_verify_sheet_change_and_history(bound_student, make_bound_student):
    user = bound_student
    org = employer_org_data(org_uscc=make_uscc(serial="MA1FL0200"))
    reg = walk_to_submitted(user, "dispatch_general", org, "copy")
    counselor = counselor_of(user.student)
    db = Registration.objects.get(pk=reg["id"])

    # 退回 with a reason; the student sees it.
    registration_return(registration=db, actor=counselor, reason="协议书第一联缺少单位公章，请重新上传。")
    current = user.ok(user.get("/registration"))
    assert current["status"] == "returned" and current["status_display"] == "已退回"
    assert current["return_reason"] == "协议书第一联缺少单位公章，请重新上传。"
    assert current["events"][-1]["kind"] == "return" and current["events"][-1]["note"] == current["return_reason"]

    # The student replaces the file and resubmits.
    old = current["evidence"][0]["id"]
    new = user.ok(user.upload(make_jpeg_bytes(), name="盖章协议书.jpg", content_type="image/jpeg"), 201)
    assert user.delete(f"/registration/evidence/{old}").status_code == 204
    assert [e["id"] for e in user.ok(user.get("/registration/evidence"))] == [new["id"]]
    result = user.ok(user.post("/registration/submit"))
    assert result["submitted"] is True and result["registration"]["status"] == "submitted"
    assert RegistrationEvent.objects.filter(registration=db, kind=EventKind.SUBMIT).count() == 2

    # Before 鉴证 there is no sheet.
    assert_error(user.get(f"/registrations/{reg['id']}/sheet"), 409, "not_verified")

    registration_verify(registration=db, actor=counselor)
    current = user.ok(user.get("/registration"))
    assert current["status"] == "verified" and current["verified_at"] and current["return_reason"] == ""
    assert current["verification_no"].startswith("QX2027-")

    sheet = user.get(f"/registrations/{reg['id']}/sheet")
    assert sheet.status_code == 200
    assert sheet["Content-Type"] == "application/pdf"
    assert sheet["Content-Disposition"].startswith("attachment;")
    assert sheet.content.startswith(b"%PDF-")
    # Nobody else gets it: another student's id is simply not found.
    other = make_bound_student()
    assert_error(other.get(f"/registrations/{reg['id']}/sheet"), 404, "not_found")
    assert_error(other.get(f"/registrations/{reg['id']}"), 404, "not_found")

    # A verified student cannot start a second record, only a change request.
    assert_error(user.post("/registration"), 409, "state_conflict")
    v2 = user.ok(user.post("/registration/change"))
    assert v2["version"] == 2 and v2["status"] == "draft" and v2["changed_from_version"] == 1
    assert v2["organisation"]["org_name"] == org["org_name"]
    # The verified version's evidence is carried (as copies): nothing to upload again unless it changed.
    assert [e["name"] for e in v2["evidence"]] == ["盖章协议书.jpg"] and v2["evidence"][0]["id"] != new["id"]
    assert v2["next_step"] == "review"
    assert user.ok(user.post("/registration/change"))["id"] == v2["id"]  # asking again returns the same draft
    assert user.ok(user.get("/registration"))["id"] == v2["id"]

    history = user.ok(user.get("/registrations"))
    assert [(h["version"], h["status"]) for h in history] == [(2, "draft"), (1, "verified")]
    assert all(h["destination_type_name"] == "派遣（签订就业协议书） - 一般单位录用" for h in history)
    assert user.ok(user.get(f"/registrations/{reg['id']}"))["verification_no"] == current["verification_no"]

    # The change goes through 鉴证 again; the first version then becomes 已变更 and stays in history.
    user.ok(user.put("/registration/type", {"destination_type": "labour_contract"}))
    user.ok(user.upload(make_pdf_bytes("labour contract"), name="劳动合同.pdf"), 201)
    assert user.ok(user.post("/registration/submit"))["registration"]["status"] == "submitted"
    registration_verify(registration=Registration.objects.get(pk=v2["id"]), actor=counselor)
    history = user.ok(user.get("/registrations"))
    assert [(h["version"], h["status"]) for h in history] == [(2, "verified"), (1, "superseded")]
    assert user.get(f"/registrations/{reg['id']}/sheet").status_code == 200  # the old sheet stays valid


def test_change_without_a_verified_record_is_refused(bound_student):
    bound_student.ok(bound_student.post("/registration"))
    body = assert_error(bound_student.post("/registration/change"), 409, "state_conflict")
    assert "已鉴证" in body["message"]


def test_withdraw_a_submitted_record_to_change_it(bound_student):
    user = bound_student
    reg = walk_to_submitted(user, "study_master", school_org_data(), "match")

    withdrawn = user.ok(user.post("/registration/withdraw"))

    assert withdrawn["id"] == reg["id"] and withdrawn["status"] == "draft"
    assert withdrawn["events"][-1]["kind"] == "withdraw"
    fixed = user.ok(user.put("/registration/organisation", school_org_data(org_name="上海交通大学")))
    assert fixed["organisation"]["org_name"] == "上海交通大学"
    assert user.ok(user.post("/registration/submit"))["submitted"] is True
    # Once a counselor has decided, there is nothing to withdraw.
    registration_verify(registration=Registration.objects.get(pk=reg["id"]), actor=counselor_of(user.student))
    assert_error(user.post("/registration/withdraw"), 404, "no_registration")


def test_withdraw_of_a_draft_is_a_conflict(bound_student):
    bound_student.ok(bound_student.post("/registration"))
    assert_error(bound_student.post("/registration/withdraw"), 409, "state_conflict")


# --- the web pages and the API share one draft ------------------------------------------------------


def test_a_draft_started_in_the_mini_program_continues_on_the_web(bound_student):
    user = bound_student
    org = employer_org_data(org_uscc=make_uscc(serial="MA1FL0300"), org_name="上海跨端测试有限公司")
    user.ok(user.post("/registration"))
    user.ok(user.put("/registration/type", {"destination_type": "dispatch_general"}))
    user.ok(user.put("/registration/organisation", org))
    web = Client()
    web.force_login(user.student.user)

    r = web.get("/registration/step/evidence/")
    assert r.status_code == 200  # not redirected back to an earlier step: the web sees type + organisation done

    # The file goes up on the web, the archive is filled in the mini-program, the web shows the review.
    r = web.post("/registration/step/evidence/", {"action": "upload", "file": pdf_named("网页上传.pdf")})
    assert r.status_code == 302
    assert [e["name"] for e in user.ok(user.get("/registration/evidence"))] == ["网页上传.pdf"]
    fill = user.ok(user.post("/registration/archive/match"))
    user.ok(user.put("/registration/archive", fill))
    r = web.get("/registration/step/review/")
    assert r.status_code == 200
    page = html.unescape(r.content.decode())
    assert "上海跨端测试有限公司" in page and "网页上传.pdf" in page and fill["archive_unit"] in page
    # Submitted on the web, seen as 待鉴证 in the mini-program.
    assert web.post("/registration/step/review/", {"action": "submit"}).status_code == 302
    assert user.ok(user.get("/registration"))["status"] == "submitted"
    assert user.ok(user.post("/registration/submit"))["already_submitted"] is True


def test_a_draft_started_on_the_web_continues_in_the_mini_program(bound_student):
    user = bound_student
    web = Client()
    web.force_login(user.student.user)
    assert web.post("/registration/start/").status_code == 302
    assert web.post("/registration/step/type/", {"destination_type": "study_master"}).status_code == 302
    r = web.post("/registration/step/organisation/", {**school_org_data(), "action": "next"})
    assert r.status_code == 302 and r["Location"].endswith("/registration/step/evidence/")

    reg = user.ok(user.get("/registration"))

    assert reg["destination_type"] == "study_master" and reg["organisation"]["org_name"] == "复旦大学"
    assert reg["next_step"] == "evidence" and reg["done_steps"] == ["type", "organisation"]
    uploaded = user.ok(user.upload(make_pdf_bytes(), name="调档函.pdf"), 201)
    r = web.get("/registration/step/evidence/")
    assert r.status_code == 200 and "调档函.pdf" in html.unescape(r.content.decode())
    assert web.get("/registration/step/archive/").status_code == 200
    assert uploaded["id"] in [e["id"] for e in user.ok(user.get("/registration/evidence"))]


def pdf_named(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_pdf_bytes(name), content_type="application/pdf")


def test_change_after_the_deadline_is_refused(bound_student):
    user = bound_student
    reg = walk_to_submitted(user, "awaiting_job_hunting", None, None)
    registration_verify(registration=Registration.objects.get(pk=reg["id"]), actor=counselor_of(user.student))
    Cohort.objects.update_or_create(year=user.student.graduation_year,
                                    defaults={"change_deadline": dt.date(2020, 8, 31)})

    body = assert_error(user.post("/registration/change"), 409, "state_conflict")

    assert "2020-08-31" in body["message"]
    assert [h["version"] for h in user.ok(user.get("/registrations"))] == [1]
