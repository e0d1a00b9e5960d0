"""The student's wizard and status page as each kind of user meets them through the browser."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from django.urls import reverse

from quxiang.accounts.models import Role
from quxiang.organisations.models import Organisation
from quxiang.registrations.models import EventKind, Registration, Status
from quxiang.roster.models import EducationLevel
from quxiang.testing.factories import (
    SchoolClassFactory,
    StudentFactory,
    UserFactory,
    employer_org_data,
    make_college_officer,
    make_counselor,
    make_registration,
    make_uscc,
    pdf_upload,
)

pytestmark = pytest.mark.django_db

STEPS = ["type", "organisation", "evidence", "archive", "review"]
LOGIN = "/accounts/login/"


def step_url(step: str) -> str:
    return reverse("registrations:step", kwargs={"step": step})


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


def input_value(response, name: str) -> str | None:
    """The value attribute of <input name=...> in the page (None when absent)."""
    m = re.search(rf'<input[^>]*name="{name}"[^>]*>', response.content.decode())
    if not m:
        return None
    v = re.search(r'value="([^"]*)"', m.group(0))
    return htmllib.unescape(v.group(1)) if v else ""


def selected_option(response, name: str) -> str | None:
    m = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', response.content.decode(), re.S)
    if not m:
        return None
    sel = re.search(r'<option value="([^"]*)"[^>]*selected', m.group(1))
    return sel.group(1) if sel else ""


# --- every URL × every role ------------------------------------------------------------------------

@pytest.fixture
def world():
    counselor = make_counselor()
    klass = SchoolClassFactory(counselor=counselor)
    owner = StudentFactory(school_class=klass)
    reg = make_registration(student=owner, complete=True)
    other_class = SchoolClassFactory()
    return {
        "reg": reg,
        "evidence": reg.evidence_files.get(),
        "anonymous": None,
        "owner": owner.user,
        "other_student": StudentFactory().user,
        "counselor": counselor,
        "other_counselor": other_class.counselors.get(),
        "officer_in": make_college_officer(college=owner.college),
        "officer_out": make_college_officer(college=other_class.major.college),
        "office": UserFactory(role=Role.OFFICE),
        "admin": UserFactory(role=Role.ADMIN),
    }


ROLES = ["anonymous", "owner", "other_student", "counselor", "other_counselor", "officer_in", "officer_out",
         "office", "admin"]
STAFF = ROLES[3:]
IN_SCOPE = {"owner", "counselor", "officer_in", "office", "admin"}


def expected(role: str, url_key: str):
    """(status, redirect target or None). Targets are only checked where they are meaningful."""
    if url_key in ("regions", "healthz"):
        return 200, None
    if url_key == "login":
        return (200, None) if role == "anonymous" else (302, "/")
    if url_key == "start_get":
        return 405, None
    if role == "anonymous":
        return 302, LOGIN
    if url_key == "password":
        return 200, None
    if url_key == "home":
        # Core's home only dispatches: students to their record, staff to the dashboard (reviews).
        return (302, "/registration/") if role in ("owner", "other_student") else (302, "/staff/home/")
    if url_key in ("record", "evidence"):
        return (200, None) if role in IN_SCOPE else (404, None)
    if url_key == "step_bogus":
        return 404, None
    # Student-only wizard pages.
    if role in STAFF:
        return 404, None
    if url_key == "status":
        return 200, None
    if url_key == "start_post":
        return 302, step_url("review") if role == "owner" else step_url("type")
    if url_key.startswith("step_"):
        return (200, None) if role == "owner" else (302, "/registration/")
    raise AssertionError(url_key)


def url_for(url_key: str, world) -> tuple[str, str]:
    urls = {
        "home": "/", "status": "/registration/", "start_get": "/registration/start/",
        "start_post": "/registration/start/", "record": f"/registration/{world['reg'].pk}/",
        "evidence": f"/evidence/{world['evidence'].pk}/", "regions": "/reference/regions.json",
        "login": "/accounts/login/", "password": "/accounts/password/", "step_bogus": "/registration/step/bogus/",
        "healthz": "/healthz",
    }
    urls.update({f"step_{s}": step_url(s) for s in STEPS})
    return ("post" if url_key == "start_post" else "get"), urls[url_key]


URL_KEYS = ["home", "status", "start_get", "start_post", "record", "evidence", "regions", "login", "password",
            "step_bogus", "healthz"] + [f"step_{s}" for s in STEPS]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url_key", URL_KEYS)
def test_status_codes_for_every_role(client, world, role, url_key):
    if world[role] is not None:
        client.force_login(world[role])
    method, url = url_for(url_key, world)
    r = getattr(client, method)(url)
    status, target = expected(role, url_key)
    assert r.status_code == status, (role, url, r.status_code, getattr(r, "url", ""))
    if target is not None:
        assert r.url.split("?")[0] == target, (role, url, r.url)
    if url_key == "evidence" and status == 200:
        r.close()


def test_record_ids_out_of_scope_look_like_missing_ones(client, world):
    client.force_login(world["other_counselor"])
    a = client.get(f"/registration/{world['reg'].pk}/")
    b = client.get("/registration/999999/")
    assert a.status_code == b.status_code == 404
    no_token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
    pk = str(world["reg"].pk)
    assert no_token.sub("", a.content.decode()).replace(f"/registration/{pk}/", "/registration/N/") == \
        no_token.sub("", b.content.decode()).replace("/registration/999999/", "/registration/N/")


def test_staff_see_the_record_without_student_buttons(client, world):
    client.force_login(world["counselor"])
    r = client.get(f"/registration/{world['reg'].pk}/")
    page = text(r)
    assert world["reg"].student.name in page
    assert "3101**********" in page or "**********" in page
    assert world["reg"].student.national_id not in page
    assert 'action="/registration/start/"' not in page


def test_staff_home_counts_their_scope(client, world):
    client.force_login(world["counselor"])
    r = client.get("/", follow=True)
    assert r.redirect_chain == [("/staff/home/", 302)] and r.status_code == 200
    assert r.context["student_count"] == 1
    client.force_login(world["office"])
    assert client.get("/", follow=True).context["student_count"] == 2  # owner and other_student


# --- step order ------------------------------------------------------------------------------------

@pytest.fixture
def student_client(client):
    def login(**kwargs):
        reg = make_registration(**kwargs)
        client.force_login(reg.student.user)
        return reg
    return login


@pytest.mark.parametrize("later", ["evidence", "archive", "review"])
def test_later_step_by_url_redirects_to_first_open_with_message(client, student_client, later):
    student_client()  # type chosen, organisation not yet
    r = client.get(step_url(later), follow=True)
    assert r.redirect_chain == [(step_url("organisation"), 302)]
    assert "请先完成“单位信息”。" in messages_of(r)


def test_later_step_post_is_redirected_too(client, student_client):
    reg = student_client()
    r = client.post(step_url("review"), {"action": "submit"}, follow=True)
    assert r.redirect_chain[0] == (step_url("organisation"), 302)
    assert Registration.objects.get(pk=reg.pk).status == Status.DRAFT


def test_step_not_needed_redirects_to_first_open(client, student_client):
    student_client(destination_type="awaiting_job_hunting")
    for step in ("organisation", "evidence", "archive"):
        r = client.get(step_url(step))
        assert r.status_code == 302 and r.url == step_url("review")


def test_postgraduate_has_no_archive_page(client, student_client):
    student_client(level=EducationLevel.MASTER, organisation=True, evidence=1)
    r = client.get(step_url("archive"))
    assert r.url == step_url("review")
    r = client.get(step_url("review"))
    assert r.status_code == 200
    assert "档案信息" not in text(r).split("wizard-steps")[1].split("</ol>")[0]


def test_steps_without_a_record_send_to_status(client):
    student = StudentFactory()
    client.force_login(student.user)
    r = client.get(step_url("type"), follow=True)
    assert r.redirect_chain == [("/registration/", 302)]
    assert "请先点击“毕业去向录入”开始登记。" in messages_of(r)


# --- type step ---------------------------------------------------------------------------------------

def test_start_and_choose_type(client):
    student = StudentFactory()
    client.force_login(student.user)
    r = client.post("/registration/start/")
    assert r.url == step_url("type")
    r = client.post(step_url("type"), {"destination_type": "study_master", "action": "next"})
    assert r.url == step_url("organisation")
    r = client.get(r.url)
    assert "录取学校全称" in text(r)
    assert input_value(r, "org_nature") is None and selected_option(r, "org_nature") is None


@pytest.mark.parametrize("value", ["", "dispatch", "no-such-type", "x" * 5000, "dispatch_general' OR '1'='1"])
def test_bad_type_choice_shows_error(client, value):
    student = StudentFactory()
    client.force_login(student.user)
    client.post("/registration/start/")
    r = client.post(step_url("type"), {"destination_type": value, "action": "next"})
    assert r.status_code == 200
    assert "请选择" in text(r)


# --- organisation step: nothing typed is lost ---------------------------------------------------

ORG_FIELDS = ["org_uscc", "org_name", "org_shanghai_reg_no", "org_address", "org_postcode", "org_contact_name",
              "org_contact_phone", "signed_on", "org_region"]


def test_prev_keeps_typed_values_even_invalid(client, student_client):
    reg = student_client()
    typed = employer_org_data(org_uscc="91310115ABC", org_postcode="2012", org_contact_phone="12345",
                              org_name="上海某某<b>公司</b>", org_region="310115")
    r = client.post(step_url("organisation"), {**typed, "action": "prev"})
    assert r.status_code == 302 and r.url == step_url("type")
    r = client.get(step_url("type"))
    assert 'value="dispatch_general" checked' in r.content.decode()
    r = client.get(step_url("organisation"))
    for name in ORG_FIELDS:
        assert input_value(r, name) == typed[name], name
    assert selected_option(r, "org_nature") == "39"
    assert selected_option(r, "job_category") == "13"
    assert "<b>公司</b>" not in r.content.decode()  # escaped, not markup
    assert not Registration.objects.get(pk=reg.pk).organisation_done


def test_prev_then_same_type_again_keeps_organisation_input(client, student_client):
    student_client()
    client.post(step_url("organisation"), {"org_name": "半截公司", "action": "prev"})
    r = client.post(step_url("type"), {"destination_type": "dispatch_general", "action": "next"})
    r = client.get(r.url)
    assert input_value(r, "org_name") == "半截公司"


def test_validation_error_keeps_every_other_field(client, student_client):
    reg = student_client()
    good = make_uscc()
    typed = employer_org_data(org_uscc=good[:-1] + ("0" if good[-1] != "0" else "1"))
    r = client.post(step_url("organisation"), {**typed, "action": "next"})
    assert r.status_code == 200
    page = text(r)
    assert "统一社会信用代码校验位不正确" in page
    assert "请按提示修改下面标红的内容" in page
    for name in ORG_FIELDS:
        assert input_value(r, name) == typed[name], name
    assert selected_option(r, "org_nature") == "39"
    assert selected_option(r, "org_industry") == "I"
    # And it survives closing the browser: the draft keeps the raw input.
    assert Registration.objects.get(pk=reg.pk).pending_input["organisation"]["org_name"] == typed["org_name"]
    r = client.get(step_url("organisation"))
    for name in ORG_FIELDS:
        assert input_value(r, name) == typed[name], name


def test_several_errors_at_once(client, student_client):
    student_client()
    r = client.post(step_url("organisation"), {**employer_org_data(org_shanghai_reg_no="", org_postcode="20120",
                                                                  org_contact_phone="1380013800"), "action": "next"})
    page = text(r)
    assert "上海单位必须填写单位信息登记号" in page
    assert "邮编应为 6 位数字" in page
    assert "联系电话格式不正确" in page


def test_valid_organisation_moves_on(client, student_client):
    reg = student_client()
    r = client.post(step_url("organisation"), {**employer_org_data(), "action": "next"})
    assert r.status_code == 302 and r.url == step_url("evidence")
    reg = Registration.objects.get(pk=reg.pk)
    assert reg.organisation_done and reg.org_name == "上海测试科技有限公司"
    assert "organisation" not in reg.pending_input


def test_lookup_known_uscc_fills_the_form(client, student_client):
    student_client()
    uscc = make_uscc(serial="MA1FL0777")
    Organisation.objects.create(
        uscc=uscc, name="上海张江高科技园区开发股份有限公司", shanghai_reg_no="7654321", nature_id="31",
        industry_id="K", region_id="310115", address="上海市浦东新区龙东大道200号", postcode="201203",
        contact_name="李老师", contact_phone="021-50801234",
    )
    typed = {"org_uscc": uscc.lower(), "org_name": "", "job_category": "13", "signed_on": "2027-04-01",
             "action": "lookup"}
    r = client.post(step_url("organisation"), typed)
    assert r.status_code == 200
    assert any("已匹配到单位：上海张江高科技园区开发股份有限公司" in m for m in messages_of(r))
    assert input_value(r, "org_uscc") == uscc
    assert input_value(r, "org_name") == "上海张江高科技园区开发股份有限公司"
    assert input_value(r, "org_shanghai_reg_no") == "7654321"
    assert input_value(r, "org_address") == "上海市浦东新区龙东大道200号"
    assert input_value(r, "org_contact_phone") == "021-50801234"
    assert input_value(r, "org_region") == "310115"
    assert selected_option(r, "org_nature") == "31"
    assert selected_option(r, "org_industry") == "K"
    # What the student typed and the directory does not know stays.
    assert selected_option(r, "job_category") == "13"
    assert input_value(r, "signed_on") == "2027-04-01"
    assert 'class="error"' not in r.content.decode()  # a lookup is not a submit


def test_lookup_with_implied_nature_keeps_it(client, student_client):
    student_client(destination_type="dispatch_civil_service")
    uscc = make_uscc(serial="MB0000001")
    Organisation.objects.create(uscc=uscc, name="某区人民政府", nature_id="39")
    r = client.post(step_url("organisation"), {"org_uscc": uscc, "action": "lookup"})
    assert selected_option(r, "org_nature") == "10"


def test_lookup_unknown_valid_uscc_asks_to_type(client, student_client):
    student_client()
    uscc = make_uscc(serial="MA1FL0999")
    r = client.post(step_url("organisation"), {"org_uscc": uscc.lower(), "org_name": "手填公司", "action": "lookup"})
    assert any("单位库中没有该代码的单位" in m for m in messages_of(r))
    assert input_value(r, "org_uscc") == uscc
    assert input_value(r, "org_name") == "手填公司"


@pytest.mark.parametrize("bad", ["91310115MA1FL0001", "91310115MA1FL0001I", "", "x" * 300])
def test_lookup_invalid_uscc_shows_error_and_keeps_input(client, student_client, bad):
    student_client()
    typed = {"org_uscc": bad, "org_name": "我填的公司", "org_address": "某路1号", "action": "lookup"}
    r = client.post(step_url("organisation"), typed)
    assert r.status_code == 200
    msgs = messages_of(r)
    assert any("统一社会信用代码" in m for m in msgs), msgs
    assert input_value(r, "org_name") == "我填的公司"
    assert input_value(r, "org_address") == "某路1号"


# --- archive step --------------------------------------------------------------------------------

def test_archive_match_and_copy_and_save(client, student_client):
    reg = student_client(organisation=True, evidence=1, origin="330114")
    r = client.post(step_url("archive"), {"action": "match_origin"})
    assert input_value(r, "archive_unit") == "杭州市钱塘区人才服务中心"
    r = client.post(step_url("archive"), {"action": "copy_org", "origin_authority_name": "手改的主管单位"})
    assert input_value(r, "archive_unit") == "上海测试科技有限公司"
    assert input_value(r, "origin_authority_name") == "手改的主管单位"
    r = client.post(step_url("archive"), {"action": "match_authority", "archive_unit": "保留"})
    assert input_value(r, "origin_authority_name") == "杭州市钱塘区人力资源和社会保障局"
    assert input_value(r, "archive_unit") == "保留"
    data = dict(Registration.objects.get(pk=reg.pk).pending_input["archive"])
    data.update(archive_destination="employer", archive_unit="上海测试科技有限公司", archive_address="张江路1号",
                archive_postcode="201203", archive_phone="021-58881234", action="next")
    r = client.post(step_url("archive"), data)
    assert r.status_code == 302 and r.url == step_url("review")
    assert Registration.objects.get(pk=reg.pk).archive_done


def test_archive_match_without_authority_warns(client, student_client):
    student_client(organisation=True, evidence=1, origin="810000")
    r = client.post(step_url("archive"), {"action": "match_origin"})
    assert r.status_code == 200
    assert any("未找到您生源地的主管单位" in m for m in messages_of(r))


# --- submit -----------------------------------------------------------------------------------------

def test_double_submit_makes_one_submit_event(client, student_client):
    reg = student_client(complete=True)
    r1 = client.post(step_url("review"), {"action": "submit"}, follow=True)
    assert r1.redirect_chain[-1][0] == "/registration/"
    assert any("提交成功" in m for m in messages_of(r1))
    r2 = client.post(step_url("review"), {"action": "submit"}, follow=True)
    assert r2.redirect_chain[-1][0] == "/registration/"
    assert r2.status_code == 200
    reg = Registration.objects.get(pk=reg.pk)
    assert reg.status == Status.SUBMITTED
    assert reg.events.filter(kind=EventKind.SUBMIT).count() == 1
    assert "待鉴证" in text(r2)


def test_submitted_record_cannot_be_edited_through_the_wizard(client, student_client):
    reg = student_client(complete=True, status=Status.SUBMITTED)
    for step in STEPS:
        r = client.get(step_url(step), follow=True)
        assert r.redirect_chain[-1][0] == "/registration/"
    r = client.post(step_url("organisation"), {**employer_org_data(org_name="改名"), "action": "next"})
    assert r.url == "/registration/"
    assert Registration.objects.get(pk=reg.pk).org_name == "上海测试科技有限公司"


def test_review_prev_goes_back(client, student_client):
    student_client(complete=True)
    r = client.post(step_url("review"), {"action": "prev"})
    assert r.url == step_url("archive")


# --- returned record ------------------------------------------------------------------------------

def test_returned_record_shows_reason_and_can_be_resubmitted(client, student_client):
    reg = student_client(complete=True)
    client.post(step_url("review"), {"action": "submit"})
    Registration.objects.filter(pk=reg.pk).update(status=Status.RETURNED, return_reason="协议书第一联未盖章，请补充")
    r = client.get("/registration/")
    page = text(r)
    assert "已退回" in page
    assert "协议书第一联未盖章，请补充" in page
    assert "修改并重新提交" in page
    r = client.post("/registration/start/")
    assert r.url == step_url("review")
    r = client.get(step_url("organisation"))
    assert "协议书第一联未盖章，请补充" in text(r)
    assert input_value(r, "org_name") == "上海测试科技有限公司"
    r = client.post(step_url("organisation"), {**employer_org_data(org_name="上海测试科技有限公司（更正）"),
                                               "action": "next"})
    assert r.status_code == 302
    r = client.post(step_url("review"), {"action": "submit"}, follow=True)
    assert any("提交成功" in m for m in messages_of(r))
    reg = Registration.objects.get(pk=reg.pk)
    assert reg.status == Status.SUBMITTED
    assert reg.org_name == "上海测试科技有限公司（更正）"
    assert reg.events.filter(kind=EventKind.SUBMIT).count() == 2


# --- status page queries ----------------------------------------------------------------------------

def _status_queries(client, files: int, extra_events: int = 0) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    reg = make_registration(complete=True, evidence=files)
    for _ in range(extra_events):
        reg.events.create(kind=EventKind.RETURN, actor=reg.student.user, note="补充材料")
    client.force_login(reg.student.user)
    client.get("/registration/")  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as ctx:
        r = client.get("/registration/")
    assert r.status_code == 200
    assert len(reg.evidence_files.all()) == files
    return len(ctx.captured_queries)


def test_status_page_queries_do_not_grow(client):
    one = _status_queries(client, files=1)
    client.logout()
    three = _status_queries(client, files=3, extra_events=5)
    assert one == three


@pytest.mark.parametrize("files", [1, 3])
def test_status_page_query_count_pinned(client, django_assert_num_queries, files):
    reg = make_registration(complete=True, evidence=files)
    for _ in range(files):
        reg.events.create(kind=EventKind.RETURN, actor=reg.student.user, note="x")
    client.force_login(reg.student.user)
    client.get("/registration/")
    # the session (database sessions in the test settings), the user with their student, the history (the
    # current record among it), its files, its events
    with django_assert_num_queries(5):
        r = client.get("/registration/")
    assert r.status_code == 200
    assert text(r).count("/evidence/") == files


@pytest.mark.parametrize("files", [1, 3])
def test_record_page_query_count_for_staff(client, django_assert_num_queries, files):
    counselor = make_counselor()
    reg = make_registration(complete=True, evidence=files, school_class=SchoolClassFactory(counselor=counselor))
    client.force_login(counselor)
    client.get(f"/registration/{reg.pk}/")
    with django_assert_num_queries(6):
        r = client.get(f"/registration/{reg.pk}/")
    assert r.status_code == 200


# --- never a 500 -----------------------------------------------------------------------------------

BAD_POSTS = [
    ("type", {"destination_type": "\x00"}),
    ("type", {"action": "nonsense"}),
    ("organisation", {"action": "nonsense"}),
    ("organisation", {"org_region": "999999", "signed_on": "99999-99-99", "org_nature": "'", "action": "next"}),
    ("organisation", {"org_uscc": "\u202e" * 40, "action": "lookup"}),
    ("organisation", {"org_name": "名" * 10000, "org_address": "<script>", "action": "prev"}),
    ("evidence", {"action": "upload", "file": "not-a-file"}),
    ("evidence", {"action": "nonsense"}),
    ("evidence", {"action": "remove", "evidence_id": "-1"}),
    ("archive", {"action": "nonsense", "archive_postcode": "x" * 1000}),
    ("archive", {"action": "copy_org"}),
    ("archive", {"action": "prev"}),
    ("review", {"action": "nonsense"}),
]


@pytest.mark.parametrize("step,data", BAD_POSTS)
def test_bad_input_never_500(client, student_client, step, data):
    student_client(complete=True)
    r = client.post(step_url(step), data)
    assert r.status_code in (200, 302, 404)




@pytest.mark.parametrize("step,data", [
    ("organisation", {"org_region": "\x00\x00", "org_name": "a\x00b", "action": "next"}),
    ("organisation", {"org_name": "a\x00b", "action": "prev"}),
    ("archive", {"archive_unit": "\x00", "action": "next"}),
])
def test_nul_characters_never_500(client, student_client, step, data):
    reg = student_client(complete=True)
    r = client.post(step_url(step), data)
    assert r.status_code in (200, 302)
    pending = Registration.objects.get(pk=reg.pk).pending_input
    assert not any("\x00" in str(v) for fields in pending.values() for v in fields.values()), pending


@pytest.mark.parametrize("url", ["/registration/step/%00/", "/registration/step/ORGANISATION/", "/registration/abc/",
                                 "/registration/99999999999999999999/", "/evidence/99999999999999999999/",
                                 "/evidence/abc/"])
def test_odd_urls_never_500(client, student_client, url):
    student_client(complete=True)
    assert client.get(url).status_code == 404


def test_upload_through_wizard_then_submit_end_to_end(client):
    student = StudentFactory(origin="310115")
    client.force_login(student.user)
    client.post("/registration/start/")
    client.post(step_url("type"), {"destination_type": "dispatch_general"})
    client.post(step_url("organisation"), {**employer_org_data(), "action": "next"})
    client.post(step_url("evidence"), {"action": "upload", "file": pdf_upload()})
    assert client.post(step_url("evidence"), {"action": "next"}).url == step_url("archive")
    r = client.post(step_url("archive"), {"action": "match_origin"})
    assert input_value(r, "archive_unit") == "上海市浦东新区人才交流中心"
    reg = Registration.objects.get(student=student)
    assert client.post(step_url("archive"), {**reg.pending_input["archive"], "action": "next"}).url == step_url("review")
    r = client.get(step_url("review"))
    page = text(r)
    assert "上海测试科技有限公司" in page and "协议书.pdf" in page and "上海市浦东新区人才交流中心" in page
    client.post(step_url("review"), {"action": "submit"})
    assert Registration.objects.get(pk=reg.pk).status == Status.SUBMITTED
