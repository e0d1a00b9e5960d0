"""Binding the mini-program to a web account (学号 + 密码 + wx.login code), our bearer tokens, and the
WeChat failures a student can meet on a bad day. WeChat is the fake server of conftest.py, over real HTTP."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from quxiang.accounts.models import Role
from quxiang.accounts.services import initial_password_for
from quxiang.api.models import ApiToken, WeChatBinding
from quxiang.api.services import api_token_issue
from quxiang.api.tests.conftest import WECHAT_READ_TIMEOUT, bound_student_for
from quxiang.api.tests.helpers import (
    API,
    PASSWORD,
    SESSION_KEY,
    ApiUser,
    assert_error,
    bind,
    has_chinese,
    login,
    new_address,
    new_code,
)
from quxiang.testing.factories import StudentFactory, UserFactory, make_national_id

pytestmark = pytest.mark.django_db


def student_with_password(password: str = PASSWORD, **kwargs):
    student = StudentFactory(**kwargs)
    student.user.set_password(password)
    student.user.save(update_fields=["password"])
    return student


def as_user(response, client: Client, address: str = "127.0.0.1") -> ApiUser:
    assert response.status_code == 200, response.content
    return ApiUser(token=response.json()["token"], client=client, address=address)


# --- bind ---------------------------------------------------------------------------------------


def test_bind_returns_our_token_and_the_student_never_the_session_key(client, wechat):
    student = student_with_password()
    r = bind(client, code="ok-alice", student_number=student.student_number, password=PASSWORD)

    assert r.status_code == 200, r.content
    assert SESSION_KEY not in r.content.decode()
    body = r.json()
    assert body["token"].startswith("qx_") and len(body["token"]) > 30
    assert body["token_type"] == "Bearer"
    assert timezone.now() < dt.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert body["student"]["student_number"] == student.student_number
    assert body["student"]["name"] == student.name
    assert student.national_id not in r.content.decode()  # only the masked form leaves the server
    assert body["student"]["national_id_masked"].startswith(student.national_id[:4])
    assert body["student"]["needs_archive_step"] is True
    binding = WeChatBinding.objects.get(user=student.user)
    assert binding.openid == "openid-alice"
    # Only the token's hash is stored.
    assert not ApiToken.objects.filter(key_hash=body["token"]).exists()
    assert ApiToken.objects.filter(user=student.user).count() == 1
    # WeChat was asked properly: appid, secret and the grant type of jscode2session.
    (asked,) = wechat.received
    conf = django_settings.QUXIANG["WECHAT"]
    assert asked == {"path": "/sns/jscode2session", "appid": conf["APP_ID"], "secret": conf["APP_SECRET"],
                     "js_code": "ok-alice", "grant_type": "authorization_code"}


def test_the_token_opens_the_api(client):
    student = student_with_password()
    user = as_user(bind(client, code=new_code(), student_number=student.student_number, password=PASSWORD), client)
    r = user.get("/me")
    assert r.status_code == 200, r.content
    assert r.json()["student_number"] == student.student_number


def test_wrong_password_and_unknown_student_number_get_the_same_chinese_answer(client, wechat):
    student = student_with_password()
    wrong = bind(client, code=new_code(), student_number=student.student_number, password="not-it")
    unknown = bind(client, code=new_code(), student_number="2399999999", password=PASSWORD)

    a = assert_error(wrong, 401, "login_failed")
    b = assert_error(unknown, 401, "login_failed")
    assert a == b
    assert "学号或密码不正确" in a["message"]
    assert wechat.received == []  # WeChat is not asked before the password is right
    assert not WeChatBinding.objects.exists()


def test_initial_password_with_a_lower_case_x_is_accepted(client):
    national_id = next(n for n in (make_national_id(seq=s, birth="20040101") for s in range(300)) if n.endswith("X"))
    student = StudentFactory(national_id=national_id)
    student.user.set_password(initial_password_for(national_id=national_id))
    student.user.must_change_password = True
    student.user.save()

    r = bind(client, code=new_code(), student_number=student.student_number, password=national_id[-6:].lower())

    assert r.status_code == 200, r.content
    assert WeChatBinding.objects.filter(user=student.user).exists()


def test_binding_the_same_pair_again_is_fine_and_gives_a_new_token(client):
    student = student_with_password()
    first = bind(client, code="ok-same", student_number=student.student_number, password=PASSWORD)
    again = bind(client, code="ok-same", student_number=student.student_number, password=PASSWORD)

    assert first.status_code == again.status_code == 200
    assert first.json()["token"] != again.json()["token"]
    assert WeChatBinding.objects.count() == 1
    for r in (first, again):  # both tokens work
        assert as_user(r, client).get("/me").status_code == 200


def test_one_wechat_cannot_bind_two_accounts(client):
    alice, bob = student_with_password(), student_with_password()
    assert bind(client, code="ok-phone", student_number=alice.student_number, password=PASSWORD).status_code == 200

    r = bind(client, code="ok-phone", student_number=bob.student_number, password=PASSWORD)

    body = assert_error(r, 409, "openid_bound")
    assert "解除绑定" in body["message"]
    assert not WeChatBinding.objects.filter(user=bob.user).exists()


def test_one_account_cannot_be_bound_to_two_wechats(client):
    student = student_with_password()
    assert bind(client, code="ok-phone-1", student_number=student.student_number, password=PASSWORD).status_code == 200

    r = bind(client, code="ok-phone-2", student_number=student.student_number, password=PASSWORD)

    assert_error(r, 409, "account_bound")
    assert list(WeChatBinding.objects.values_list("openid", flat=True)) == ["openid-phone-1"]


def test_staff_credentials_cannot_bind(client, wechat):
    counselor = UserFactory(role=Role.COUNSELOR, password=PASSWORD)
    r = bind(client, code=new_code(), student_number=counselor.username, password=PASSWORD)
    assert_error(r, 401, "login_failed")
    assert wechat.received == []


def test_inactive_student_cannot_bind(client):
    student = student_with_password()
    student.user.is_active = False
    student.user.save()
    assert_error(bind(client, code=new_code(), student_number=student.student_number, password=PASSWORD), 401,
                 "login_failed")


@pytest.mark.parametrize("field", ["code", "student_number", "password"])
def test_bind_with_an_empty_field_is_invalid(client, field):
    payload = {"code": new_code(), "student_number": "2390000001", "password": PASSWORD, field: ""}
    r = client.post(f"{API}/auth/bind", payload, content_type="application/json")
    body = assert_error(r, 422, "invalid")
    assert field in body["fields"]


# --- WeChat failures ------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "status", "error"), [
    ("invalid", 400, "wechat_invalid_code"),
    ("used", 400, "wechat_invalid_code"),
    ("limit", 429, "wechat_rate_limited"),
    ("busy", 503, "wechat_busy"),
    ("blocked", 403, "wechat_blocked"),
    ("unknown-error", 502, "wechat_error"),
    ("no-openid", 502, "wechat_error"),
    ("garbage", 502, "wechat_unavailable"),
])
def test_wechat_errors_on_bind_become_chinese_errors(client, wechat, code, status, error):
    student = student_with_password()
    r = bind(client, code=code, student_number=student.student_number, password=PASSWORD)

    assert_error(r, status, error)
    assert SESSION_KEY not in r.content.decode()
    assert [q["js_code"] for q in wechat.received] == [code]
    assert not WeChatBinding.objects.exists()


def test_wechat_too_slow_is_a_timeout(client, wechat):
    student = student_with_password()
    started = time.monotonic()
    r = bind(client, code="slow", student_number=student.student_number, password=PASSWORD)
    elapsed = time.monotonic() - started

    # The fake server answers after SLOW_SECONDS; the configured read timeout gave up before that.
    body = assert_error(r, 504, "wechat_timeout")
    assert "超时" in body["message"]
    assert elapsed >= WECHAT_READ_TIMEOUT
    assert not WeChatBinding.objects.exists()


def test_wechat_down_is_a_bad_gateway(client, wechat):
    student = student_with_password()
    wechat.go_down()
    r = bind(client, code=new_code(), student_number=student.student_number, password=PASSWORD)
    assert_error(r, 502, "wechat_unavailable")
    assert not WeChatBinding.objects.exists()


def test_wechat_answering_json_that_is_not_an_object_is_a_bad_gateway(wechat):
    client = Client(raise_request_exception=False)
    student = student_with_password()
    r = bind(client, code="not-object", student_number=student.student_number, password=PASSWORD)
    assert_error(r, 502)


@pytest.mark.parametrize(("code", "status", "error"), [
    ("invalid", 400, "wechat_invalid_code"),
    ("limit", 429, "wechat_rate_limited"),
    ("busy", 503, "wechat_busy"),
    ("slow", 504, "wechat_timeout"),
    ("garbage", 502, "wechat_unavailable"),
])
def test_wechat_errors_on_login(client, code, status, error):
    assert_error(login(client, code=code), status, error)


def test_login_when_wechat_is_down(client, wechat):
    wechat.go_down()
    assert_error(login(client, code=new_code()), 502, "wechat_unavailable")


# --- login, logout, unbind ------------------------------------------------------------------------


def test_login_with_the_code_alone_gives_a_token_for_the_bound_account(client, wechat):
    student = student_with_password()
    bind(client, code="ok-bob", student_number=student.student_number, password=PASSWORD)

    r = login(client, code="ok-bob")  # wx.login gives a new code each time; the openid is what counts

    assert r.status_code == 200, r.content
    assert SESSION_KEY not in r.content.decode()
    body = r.json()
    assert body["token"].startswith("qx_")
    assert body["student"]["student_number"] == student.student_number
    assert as_user(r, client).get("/me").json()["student_number"] == student.student_number
    assert wechat.received[-1]["grant_type"] == "authorization_code"


def test_login_with_an_unbound_wechat_is_not_bound(client):
    body = assert_error(login(client, code="ok-stranger"), 404, "not_bound")
    assert "绑定" in body["message"]


def test_unbind_revokes_every_token_and_login_no_longer_works(client):
    student = student_with_password()
    first = as_user(bind(client, code="ok-carol", student_number=student.student_number, password=PASSWORD), client)
    second = as_user(login(client, code="ok-carol"), client)

    r = first.post("/auth/unbind")

    assert r.status_code == 204 and r.content == b""
    assert not WeChatBinding.objects.filter(user=student.user).exists()
    assert_error(first.get("/me"), 401, "unauthorized")
    assert_error(second.get("/me"), 401, "unauthorized")
    assert_error(login(client, code="ok-carol"), 404, "not_bound")
    # The account can be bound again, even to another WeChat.
    assert bind(client, code="ok-carol-new", student_number=student.student_number, password=PASSWORD).status_code == 200


def test_logout_revokes_only_that_token(client):
    student = student_with_password()
    phone = as_user(bind(client, code="ok-dave", student_number=student.student_number, password=PASSWORD), client)
    tablet = as_user(login(client, code="ok-dave"), client)

    assert phone.post("/auth/logout").status_code == 204

    assert_error(phone.get("/me"), 401, "unauthorized")
    assert tablet.get("/me").status_code == 200
    assert WeChatBinding.objects.filter(user=student.user).exists()  # logging out is not unbinding
    assert login(client, code="ok-dave").status_code == 200


def test_expired_token_is_refused(bound_student):
    ApiToken.objects.filter(user=bound_student.student.user).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    body = assert_error(bound_student.get("/me"), 401, "unauthorized")
    assert "重新登录" in body["message"]


def test_token_lifetime_is_the_setting(settings, client):
    settings.QUXIANG = {**settings.QUXIANG, "API_TOKEN_TTL_SECONDS": 3600}
    student = student_with_password()
    r = bind(client, code=new_code(), student_number=student.student_number, password=PASSWORD)
    expires = dt.datetime.fromisoformat(r.json()["expires_at"].replace("Z", "+00:00"))
    assert dt.timedelta(minutes=59) < expires - timezone.now() <= dt.timedelta(hours=1)


@pytest.mark.parametrize("header", [
    None,
    "",
    "Bearer",
    "Bearer ",
    "Bearer qx_forged-token-that-was-never-issued",
    "Bearer qx_" + "A" * 200,
    "Token {token}",
    "Basic {token}",
    "{token}",
    "Bearer {token}x",
    "Bearer  {token} extra",
    "bearer-{token}",
])
def test_forged_or_malformed_authorization_is_refused(bound_student, header):
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header.format(token=bound_student.token)}
    r = bound_student.client.get(f"{API}/me", **extra)
    assert_error(r, 401, "unauthorized")


def test_a_token_issued_to_staff_is_refused(client):
    counselor = UserFactory(role=Role.COUNSELOR)
    token, _expires = api_token_issue(user=counselor)
    r = client.get(f"{API}/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_error(r, 401, "unauthorized")
    office = UserFactory(role=Role.OFFICE)
    token, _expires = api_token_issue(user=office)
    assert_error(client.get(f"{API}/registration", HTTP_AUTHORIZATION=f"Bearer {token}"), 401, "unauthorized")


def test_a_deactivated_students_token_is_refused(bound_student):
    bound_student.student.user.is_active = False
    bound_student.student.user.save()
    assert_error(bound_student.get("/me"), 401, "unauthorized")


def test_a_web_session_does_not_open_the_api(client):
    student = student_with_password()
    client.force_login(student.user)
    assert_error(client.get(f"{API}/me"), 401, "unauthorized")


# --- lockout and address limit (the account service's; more in test_auth_rules.py) -------------------


def test_wrong_binds_of_one_student_number_lock_it_whatever_the_address(client, wechat):
    """Guessing one student's password from many addresses locks the account after 5 wrong passwords."""
    student = student_with_password()
    for _ in range(5):
        r = bind(client, code=new_code(), student_number=student.student_number, password="guess",
                 address=new_address())
        assert_error(r, 401, "login_failed")

    r = bind(client, code=new_code(), student_number=student.student_number, password=PASSWORD, address=new_address())

    body = assert_error(r, 429, "login_locked")
    assert "登录失败次数过多" in body["message"]
    assert wechat.received == []
    assert not WeChatBinding.objects.exists()
    # Other students are not affected.
    other = student_with_password()
    assert bind(client, code=new_code(), student_number=other.student_number, password=PASSWORD,
                address=new_address()).status_code == 200


def test_many_students_binding_from_one_address_is_fine(client):
    """A campus network shares one address: successful binds never count against it."""
    for _ in range(12):
        s = student_with_password()
        assert bind(client, code=new_code(), student_number=s.student_number, password=PASSWORD).status_code == 200


def test_authenticated_calls_are_not_rate_limited(bound_student):
    for _ in range(15):
        assert bound_student.get("/me").status_code == 200


def test_bound_student_fixture_binds_through_the_api(bound_student):
    assert bound_student.bind_response["student"]["student_number"] == bound_student.student.student_number
    assert WeChatBinding.objects.filter(user=bound_student.student.user).exists()
    assert has_chinese(bound_student.bind_response["student"]["education_level_display"])


def test_rebinding_an_existing_student_helper(db):
    student = StudentFactory()
    user = bound_student_for(student)
    assert user.get("/me").status_code == 200


def test_initial_password_must_be_changed_through_the_api_with_the_web_rules(client):
    student = StudentFactory()
    initial = initial_password_for(national_id=student.national_id)
    student.user.set_password(initial)
    student.user.must_change_password = True
    student.user.save()
    user = as_user(bind(client, code=new_code(), student_number=student.student_number, password=initial), client)
    assert user.get("/me").json()["must_change_password"] is True
    weak = user.post("/auth/password", {"old_password": initial, "new_password": "12345678"})
    assert_error(weak, 422, "invalid")
    wrong_old = user.post("/auth/password", {"old_password": "nope", "new_password": "Xinmima-2027"})
    assert_error(wrong_old, 422, "invalid")
    ok = user.post("/auth/password", {"old_password": initial, "new_password": "Xinmima-2027"})
    assert ok.status_code == 204, ok.content
    assert user.get("/me").json()["must_change_password"] is False
    student.user.refresh_from_db()
    assert student.user.check_password("Xinmima-2027")
