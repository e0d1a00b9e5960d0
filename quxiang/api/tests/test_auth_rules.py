"""The mini-program obeys the account rules of the web (issue 9, items 1–2), against the fake WeChat server:
one lockout counted and enforced at every door with the same message, a per-address limit on top, the
initial password opening nothing but the account operations until it is changed, and unbinding /
re-binding after a lock. The web-only doors are in quxiang/accounts/tests/test_account_doors.py."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from quxiang.accounts.admin import user_reset_initial_password
from quxiang.accounts.services import user_role_rights_sync
from quxiang.accounts.tests.helpers import (
    LOCKED,
    LOCKOUT_MINUTES,
    let_time_pass,
    new_student,
    student_with_password,
)
from quxiang.api.api import api
from quxiang.api.models import ApiToken, WeChatBinding
from quxiang.api.tests.helpers import API, PASSWORD, ApiUser, assert_error, bind, login, new_address, new_code
from quxiang.audit.models import AuditAction, AuditEntry
from quxiang.testing.factories import make_office

pytestmark = pytest.mark.django_db

WEB_LOGIN = "/accounts/login/"
NEW_PASSWORD = "Xinmima-2027-ok"
CHANGE_FIRST = "请先修改初始密码，再进行去向登记。"  # the wording


def web_login(client: Client, username: str, password: str, address: str = "127.0.0.1"):
    return client.post(WEB_LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def web_error(response) -> str:
    boxes = re.findall(r'<div class="msg msg-error" role="alert">(.*?)</div>', response.content.decode(), re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", " ".join(boxes))).strip()


def as_user(response, client: Client, address: str) -> ApiUser:
    assert response.status_code == 200, response.content
    return ApiUser(token=response.json()["token"], client=client, address=address)


# --- one lockout for both doors ------------------------------------------------------------------------


def test_five_wrong_web_logins_then_bind_with_the_right_password_is_locked(client, wechat):
    student = student_with_password(PASSWORD)
    for _ in range(5):
        web_login(client, student.student_number, "bad-password")
    web_locked = web_error(web_login(client, student.student_number, PASSWORD))

    r = bind(client, code=new_code(), student_number=student.student_number, password=PASSWORD, address=new_address())

    body = assert_error(r, 429, "login_locked")
    assert LOCKED in body["message"] and body["message"] == web_locked  # the same words at both doors
    assert wechat.received == [] and not WeChatBinding.objects.exists()


def test_five_wrong_binds_then_web_login_with_the_right_password_is_locked(client):
    student = student_with_password(PASSWORD)
    for _ in range(5):
        r = bind(client, code=new_code(), student_number=student.student_number, password="bad-password",
                 address=new_address())
        assert_error(r, 401, "login_failed")
    api_locked = assert_error(bind(client, code=new_code(), student_number=student.student_number,
                                   password=PASSWORD), 429, "login_locked")["message"]

    r = web_login(client, student.student_number, PASSWORD, address=new_address())

    assert r.status_code == 200 and "_auth_user_id" not in client.session
    assert web_error(r) == api_locked


def test_a_locked_account_cannot_log_in_by_code_either(client, wechat):
    student = student_with_password(PASSWORD)
    assert bind(client, code="ok-locked-phone", student_number=student.student_number, password=PASSWORD,
                address=new_address()).status_code == 200
    for _ in range(5):
        web_login(client, student.student_number, "bad-password")

    assert_error(login(client, code="ok-locked-phone", address=new_address()), 429, "login_locked")


def test_wrong_old_passwords_through_the_api_lock_the_web_login_too(client):
    student = student_with_password(PASSWORD)
    address = new_address()
    user = as_user(bind(client, code=new_code(), student_number=student.student_number, password=PASSWORD,
                        address=address), client, address)
    for _ in range(5):
        assert_error(user.post("/auth/password", {"old_password": "bad", "new_password": NEW_PASSWORD}), 422, "invalid")

    r = user.post("/auth/password", {"old_password": PASSWORD, "new_password": NEW_PASSWORD})

    assert_error(r, 429, "login_locked")
    student.user.refresh_from_db()
    assert student.user.check_password(PASSWORD)
    assert LOCKED in web_error(web_login(client, student.student_number, PASSWORD))


def test_unknown_and_known_student_numbers_look_the_same_when_locked(client):
    student = student_with_password(PASSWORD)
    answers = {}
    for number in (student.student_number, "2399999999"):
        for _ in range(5):
            first = bind(client, code=new_code(), student_number=number, password="bad-password", address=new_address())
        answers[number] = (assert_error(first, 401, "login_failed"),
                           assert_error(bind(client, code=new_code(), student_number=number, password=PASSWORD,
                                             address=new_address()), 429, "login_locked"))
    assert answers[student.student_number] == answers["2399999999"]


def test_a_lockout_through_the_api_is_audited(client):
    student = student_with_password(PASSWORD)
    for _ in range(5):
        bind(client, code=new_code(), student_number=student.student_number, password="bad", address="198.18.0.5")
    (entry,) = AuditEntry.objects.filter(action=AuditAction.LOGIN_LOCKED)
    assert (entry.actor, entry.student_id, entry.ip) == (student.user, student.pk, "198.18.0.5")
    assert entry.detail["door"] == "api_bind" and entry.detail["failures"] == 5


# --- the per-address limit -------------------------------------------------------------------------------


def test_one_address_trying_many_accounts_is_limited_and_another_is_not(client, settings, wechat):
    settings.QUXIANG = {**settings.QUXIANG, "LOGIN_ADDRESS_MAX_FAILURES": 6}
    students = [student_with_password(PASSWORD) for _ in range(7)]
    for s in students[:3]:  # six failures over three accounts, two each: no account is locked
        for _ in range(2):
            assert_error(bind(client, code=new_code(), student_number=s.student_number, password="bad",
                              address="198.18.1.1"), 401, "login_failed")

    limited = bind(client, code=new_code(), student_number=students[6].student_number, password=PASSWORD,
                   address="198.18.1.1")
    body = assert_error(limited, 429, "address_limited")
    assert "当前网络" in body["message"]
    assert "来自当前网络" in web_error(web_login(client, students[5].student_number, PASSWORD, address="198.18.1.1"))
    asked = len(wechat.received)
    assert_error(login(client, code=new_code(), address="198.18.1.1"), 429, "address_limited")
    assert len(wechat.received) == asked  # a limited address does not reach WeChat
    # Another address, and the accounts tried from the limited one, are fine.
    for s in (students[0], students[6]):
        assert bind(client, code=new_code(), student_number=s.student_number, password=PASSWORD,
                    address=new_address()).status_code == 200


def test_forged_wechat_codes_count_for_the_address(client, settings):
    settings.QUXIANG = {**settings.QUXIANG, "LOGIN_ADDRESS_MAX_FAILURES": 3}
    for _ in range(3):
        assert_error(login(client, code="invalid", address="198.18.2.1"), 400, "wechat_invalid_code")
    assert_error(login(client, code=new_code(), address="198.18.2.1"), 429, "address_limited")
    assert_error(login(client, code=new_code(), address="198.18.2.2"), 404, "not_bound")


def test_first_logins_of_unbound_wechats_do_not_count_for_the_address(client, settings):
    """Every student's first launch asks login → not_bound → bind; a campus network must not be limited."""
    settings.QUXIANG = {**settings.QUXIANG, "LOGIN_ADDRESS_MAX_FAILURES": 3}
    for _ in range(5):
        assert_error(login(client, code=new_code(), address="198.18.3.1"), 404, "not_bound")
    student = student_with_password(PASSWORD)
    assert bind(client, code=new_code(), student_number=student.student_number, password=PASSWORD,
                address="198.18.3.1").status_code == 200


# --- the forced password change ---------------------------------------------------------------------------


ACCOUNT_OPERATIONS = {"POST /auth/bind", "POST /auth/login", "POST /auth/logout", "POST /auth/unbind",
                      "POST /auth/password", "GET /me"}


def api_operations() -> list[str]:
    """Every operation of the API, read from its OpenAPI schema: a new endpoint joins the sweep by itself."""
    paths = api.get_openapi_schema(path_prefix="/api/")["paths"]
    return sorted(f"{method.upper()} {path.removeprefix(API)}" for path, ops in paths.items() for method in ops)


REGISTRATION_OPERATIONS = [op for op in api_operations() if op not in ACCOUNT_OPERATIONS]


def call(user: ApiUser, operation: str):
    method, path = operation.split(" ", 1)
    path = re.sub(r"\{[^}]+\}", "1", path)
    return getattr(user.client, method.lower())(API + path, **user.auth)


@pytest.fixture
def initial_user(client) -> tuple[ApiUser, str]:
    """A student bound with the initial password (身份证号后六位), as on their first use."""
    student = new_student()
    initial = student.national_id[-6:]
    address = new_address()
    user = as_user(bind(client, code=new_code(), student_number=student.student_number, password=initial,
                        address=address), client, address)
    user.student = student
    return user, initial


def test_the_sweep_covers_the_registration_and_evidence_operations():
    assert {"POST /registration", "PUT /registration/type", "POST /registration/evidence",
            "POST /registration/submit", "GET /reference/regions", "GET /organisations/{uscc}"} <= set(
        REGISTRATION_OPERATIONS)
    assert ACCOUNT_OPERATIONS <= set(api_operations())  # the exemptions exist, nothing more is exempt


@pytest.mark.parametrize("operation", REGISTRATION_OPERATIONS)
def test_with_the_initial_password_every_registration_operation_is_refused_until_it_is_changed(
        initial_user, operation):
    user, initial = initial_user

    body = assert_error(call(user, operation), 403, "password_change_required")
    assert body["message"] == CHANGE_FIRST

    assert user.post("/auth/password", {"old_password": initial, "new_password": NEW_PASSWORD}).status_code == 204
    after = call(user, operation)
    assert not (after.status_code == 403 and after.json().get("code") == "password_change_required"), after.content


def test_the_account_operations_stay_open_with_the_initial_password(initial_user, client):
    user, initial = initial_user
    me = user.ok(user.get("/me"))
    assert me["must_change_password"] is True
    assert_error(user.post("/registration"), 403, "password_change_required")

    assert user.post("/auth/password", {"old_password": initial, "new_password": NEW_PASSWORD}).status_code == 204

    assert user.ok(user.get("/me"))["must_change_password"] is False
    reg = user.ok(user.post("/registration"))
    assert reg["status"] == "draft"
    assert user.ok(user.put("/registration/type", {"destination_type": "dispatch_general"}))["destination_type"]
    assert user.get("/reference/regions").status_code == 200
    # Logging out and unbinding work before the change too.
    second = new_student()
    other = as_user(bind(client, code=new_code(), student_number=second.student_number,
                         password=second.national_id[-6:], address=user.address), client, user.address)
    assert other.post("/auth/unbind").status_code == 204


def test_an_office_reset_closes_the_api_again_until_the_next_change(initial_user):
    user, initial = initial_user
    user.post("/auth/password", {"old_password": initial, "new_password": NEW_PASSWORD})
    assert user.get("/registrations").status_code == 200
    user_reset_initial_password(user=user.student.user, actor=make_office())
    assert_error(user.get("/registrations"), 403, "password_change_required")


# --- unbinding and re-binding after a lock ----------------------------------------------------------------


def test_a_locked_account_cannot_bind_even_with_the_right_password_until_the_lock_expires(client, wechat,
                                                                                         monkeypatch):
    student = student_with_password(PASSWORD)
    for _ in range(5):
        bind(client, code=new_code(), student_number=student.student_number, password="bad", address=new_address())
    assert_error(bind(client, code="ok-after-lock", student_number=student.student_number, password=PASSWORD,
                      address=new_address()), 429, "login_locked")
    let_time_pass(monkeypatch, minutes=LOCKOUT_MINUTES - 1)
    assert_error(bind(client, code="ok-after-lock", student_number=student.student_number, password=PASSWORD,
                      address=new_address()), 429, "login_locked")

    let_time_pass(monkeypatch, minutes=2)
    r = bind(client, code="ok-after-lock", student_number=student.student_number, password=PASSWORD,
             address=new_address())

    assert r.status_code == 200, r.content
    assert WeChatBinding.objects.get(user=student.user).openid == "openid-after-lock"


def test_after_an_office_reset_the_locked_student_binds_with_the_initial_password(client):
    student = student_with_password(PASSWORD)
    for _ in range(5):
        bind(client, code=new_code(), student_number=student.student_number, password="bad", address=new_address())

    user_reset_initial_password(user=student.user, actor=make_office())
    address = new_address()
    r = bind(client, code=new_code(), student_number=student.student_number, password=student.national_id[-6:],
             address=address)

    user = as_user(r, client, address)
    assert user.ok(user.get("/me"))["must_change_password"] is True
    assert_error(user.post("/registration"), 403, "password_change_required")


def test_the_student_unbinds_wechat_a_and_binds_wechat_b(client):
    student = student_with_password(PASSWORD)
    address = new_address()
    phone_a = as_user(bind(client, code="ok-phone-a", student_number=student.student_number, password=PASSWORD,
                           address=address), client, address)
    assert_error(bind(client, code="ok-phone-b", student_number=student.student_number, password=PASSWORD,
                      address=address), 409, "account_bound")

    assert phone_a.post("/auth/unbind").status_code == 204

    (entry,) = AuditEntry.objects.filter(action=AuditAction.WECHAT_UNBIND)
    assert (entry.actor, entry.student_id, entry.ip) == (student.user, student.pk, address)
    assert entry.detail == {"username": student.student_number, "channel": "api"}
    assert_error(phone_a.get("/me"), 401, "unauthorized")
    phone_b = as_user(bind(client, code="ok-phone-b", student_number=student.student_number, password=PASSWORD,
                           address=address), client, address)
    assert phone_b.get("/me").status_code == 200
    assert_error(login(client, code="ok-phone-a", address=address), 404, "not_bound")
    assert WeChatBinding.objects.get(user=student.user).openid == "openid-phone-b"


def test_the_office_unbinds_a_stranger_and_the_student_binds_their_own_wechat(client):
    """A stranger guessed the initial password and bound their WeChat; the office unbinds it in the admin."""
    student = new_student()
    stranger = as_user(bind(client, code="ok-stranger", student_number=student.student_number,
                            password=student.national_id[-6:], address=new_address()), client, "198.18.9.9")
    office = make_office()
    user_role_rights_sync(user=office)  # the office's admin rights, as the admin sets them up
    office_client = Client()
    office_client.force_login(office)
    binding = WeChatBinding.objects.get(user=student.user)

    r = office_client.post("/admin/api/wechatbinding/", {"action": "unbind", "_selected_action": [binding.pk]},
                           REMOTE_ADDR="10.0.0.8", follow=True)

    assert r.status_code == 200 and "已解除 1 个微信绑定" in r.content.decode()
    assert not WeChatBinding.objects.exists()
    assert not ApiToken.objects.filter(user=student.user, revoked_at__isnull=True).exists()
    assert_error(stranger.get("/me"), 401, "unauthorized")
    (entry,) = AuditEntry.objects.filter(action=AuditAction.WECHAT_UNBIND)
    assert (entry.actor, entry.student_id, entry.ip, entry.detail["channel"]) == (office, student.pk, "10.0.0.8", "web")
    user_reset_initial_password(user=student.user, actor=office)
    assert bind(client, code="ok-own-phone", student_number=student.student_number,
                password=student.national_id[-6:], address=new_address()).status_code == 200
