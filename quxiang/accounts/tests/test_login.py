"""Logging in as a student (学号 + 身份证后六位), the forced first password change, throttling, logout."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from quxiang.accounts.models import Role, User
from quxiang.accounts.services import initial_password_for
from quxiang.testing.factories import StudentFactory, UserFactory, make_national_id

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PASSWORD = "/accounts/password/"
LOGOUT = "/accounts/logout/"
WRONG = "学号或密码不正确"
THROTTLED = "登录失败次数过多"
NEW_PASSWORD = "Qx-登记-2027-ok"


def id_ending_in_x() -> str:
    for seq in range(1000):
        number = make_national_id(seq=seq, birth="20040101")
        if number.endswith("X"):
            return number
    raise AssertionError("no X found")


def new_student(national_id: str | None = None):
    """A student as the roster import leaves them: initial password, must change it on first login."""
    student = StudentFactory(**({"national_id": national_id} if national_id else {}))
    user = student.user
    user.set_password(initial_password_for(national_id=student.national_id))
    user.must_change_password = True
    user.save()
    return student


def login(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def error_text(response) -> str:
    """The visible error box of the login page, whitespace-normalised."""
    html = response.content.decode()
    boxes = re.findall(r'<div class="msg msg-error" role="alert">(.*?)</div>\s*(?:</div>)?', html, re.S)
    return re.sub(r"\s+", " ", " ".join(boxes)).strip()


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_login_page_renders_in_chinese(client):
    r = client.get(LOGIN)
    assert r.status_code == 200
    html = r.content.decode()
    assert "学号" in html and "身份证号后六位" in html


def test_student_logs_in_with_number_and_last_six_of_id(client):
    student = new_student()
    r = login(client, student.student_number, student.national_id[-6:])
    assert r.status_code == 302
    assert is_logged_in(client)
    assert int(client.session["_auth_user_id"]) == student.user.pk


@pytest.mark.parametrize("typed", ["upper", "lower"])
def test_initial_password_trailing_x_either_case(client, typed):
    student = new_student(id_ending_in_x())
    password = student.national_id[-6:]
    assert password.endswith("X")
    r = login(client, student.student_number, password if typed == "upper" else password[:-1] + "x")
    assert r.status_code == 302, error_text(r)
    assert is_logged_in(client)


def test_initial_password_digits_is_a_setting(settings):
    settings.QUXIANG = {**settings.QUXIANG, "INITIAL_PASSWORD_DIGITS": 8}
    assert initial_password_for(national_id="31010420030512123x") == "0512123X"


def test_wrong_password_is_refused_with_chinese_message(client):
    student = new_student()
    r = login(client, student.student_number, "000000")
    assert r.status_code == 200
    assert WRONG in error_text(r)
    assert not is_logged_in(client)


def test_first_login_every_page_leads_to_password_change(client):
    student = new_student()
    r = login(client, student.student_number, student.national_id[-6:], follow=True)
    assert r.redirect_chain[-1][0] == PASSWORD
    assert "初始密码" in r.content.decode()
    for url in ["/", "/registration/", "/registration/step/type/", "/registration/1/", "/evidence/1/",
                "/reference/regions.json", "/admin/"]:
        r = client.get(url)
        assert r.status_code == 302 and r.url == PASSWORD, url
    r = client.post("/registration/start/")
    assert r.status_code == 302 and r.url == PASSWORD
    assert client.get(PASSWORD).status_code == 200


def _change(client, old, new1, new2=None):
    return client.post(PASSWORD, {"old_password": old, "new_password1": new1, "new_password2": new2 or new1})




@pytest.mark.parametrize("new,message", [
    pytest.param("ab12", "密码太短"),
    ("2027051234", "密码只包含数字"),
    ("password123", "这个密码太常见了"),
])
def test_weak_new_password_refused_in_chinese(client, new, message):
    student = new_student()
    login(client, student.student_number, student.national_id[-6:])
    r = _change(client, student.national_id[-6:], new)
    assert r.status_code == 200
    html = r.content.decode()
    assert not re.search(r"This password|It must contain", html), "validator message in English"
    assert message in html


@pytest.mark.parametrize("new", ["ab12", "Ab1-x", "2027051234", "password123", "12345678"])
def test_weak_new_password_keeps_the_user_locked_in(client, new):
    student = new_student()
    login(client, student.student_number, student.national_id[-6:])
    r = _change(client, student.national_id[-6:], new)
    assert r.status_code == 200
    assert 'class="error"' in r.content.decode()
    student.user.refresh_from_db()
    assert student.user.must_change_password
    assert student.user.check_password(student.national_id[-6:])
    assert client.get("/").url == PASSWORD  # still locked in


def test_wrong_old_password_and_mismatch_refused(client):
    student = new_student()
    login(client, student.student_number, student.national_id[-6:])
    r = _change(client, "999999", NEW_PASSWORD)
    assert "旧密码不正确" in r.content.decode()
    r = _change(client, student.national_id[-6:], NEW_PASSWORD, NEW_PASSWORD + "x")
    assert "两个密码不一致" in r.content.decode()


def test_changing_password_unlocks_the_site_and_keeps_session(client):
    student = new_student()
    initial = student.national_id[-6:]
    login(client, student.student_number, initial)
    r = _change(client, initial, NEW_PASSWORD)
    assert r.status_code == 302
    assert is_logged_in(client)  # update_session_auth_hash
    student.user.refresh_from_db()
    assert not student.user.must_change_password
    r = client.get("/", follow=True)
    assert r.redirect_chain[-1][0] == "/registration/"
    assert r.status_code == 200
    assert "密码已修改" in r.content.decode()
    # The initial password no longer works; the new one does.
    client.post(LOGOUT)
    assert WRONG in error_text(login(client, student.student_number, initial))
    assert login(client, student.student_number, NEW_PASSWORD).status_code == 302


def test_lower_case_x_is_not_folded_for_a_changed_password(client):
    student = new_student()
    login(client, student.student_number, student.national_id[-6:])
    _change(client, student.national_id[-6:], "Quxiang-New-X")
    client.post(LOGOUT)
    r = login(client, student.student_number, "Quxiang-New-x")
    assert r.status_code == 200 and not is_logged_in(client)
    assert login(client, student.student_number, "Quxiang-New-X").status_code == 302


def test_five_failures_then_right_password_is_throttled(client):
    student = new_student()
    for _ in range(5):
        r = login(client, student.student_number, "bad-password")
        assert WRONG in error_text(r)
    r = login(client, student.student_number, student.national_id[-6:])
    assert r.status_code == 200
    assert THROTTLED in error_text(r)
    assert not is_logged_in(client)


def test_throttle_counts_the_name_not_the_case(client):
    user = UserFactory(username="teacher01", role=Role.COUNSELOR)
    for _ in range(5):
        login(client, "Teacher01", "bad-password")
    r = login(client, "teacher01", "Quxiang-Test-1")
    assert THROTTLED in error_text(r)
    assert not User.objects.get(pk=user.pk).last_login


def test_success_resets_the_failure_count(client):
    student = new_student()
    for _ in range(4):
        login(client, student.student_number, "bad-password")
    assert login(client, student.student_number, student.national_id[-6:]).status_code == 302
    client.post(LOGOUT)
    for _ in range(4):
        login(client, student.student_number, "bad-password")
    assert login(client, student.student_number, student.national_id[-6:]).status_code == 302


def test_one_address_is_throttled_after_many_names(client):
    """A computer room shares an address: it gets 6 × the per-account limit."""
    student = new_student()
    for i in range(30):
        login(client, f"nobody{i}", "bad-password")
    r = login(client, student.student_number, student.national_id[-6:])
    assert THROTTLED in error_text(r)
    # Another address is not affected.
    r = login(client, student.student_number, student.national_id[-6:], REMOTE_ADDR="10.0.0.9")
    assert r.status_code == 302


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client):
    student = new_student()
    wrong_pw = login(client, student.student_number, "bad-password")
    unknown = login(client, "2099999999", "bad-password")
    assert wrong_pw.status_code == unknown.status_code == 200
    assert error_text(wrong_pw) == error_text(unknown)
    assert WRONG in error_text(unknown)
    # And the throttle behaves the same for both.
    for _ in range(4):
        login(client, "2099999999", "bad-password")
        login(client, student.student_number, "bad-password")
    a = login(client, "2099999999", "bad-password")
    b = login(client, student.student_number, "bad-password")
    assert error_text(a) == error_text(b)
    assert THROTTLED in error_text(a)


def test_inactive_user_gets_the_same_answer_as_a_wrong_password(client):
    student = new_student()
    student.user.is_active = False
    student.user.save()
    r = login(client, student.student_number, student.national_id[-6:])
    unknown = login(client, "2099999999", "bad-password")
    assert error_text(r) == error_text(unknown)
    assert not is_logged_in(client)


@pytest.mark.parametrize("data", [{}, {"username": ""}, {"username": "x" * 500, "password": "y"},
                                  {"username": "2390", "password": "p" * 5000}])
def test_odd_login_input_never_500(client, data):
    r = client.post(LOGIN, data)
    assert r.status_code == 200


def test_logout_by_post(client):
    student = new_student()
    login(client, student.student_number, student.national_id[-6:])
    assert client.get(LOGOUT).status_code == 405
    assert is_logged_in(client)
    r = client.post(LOGOUT)
    assert r.status_code == 302 and r.url == reverse("accounts:login")
    assert not is_logged_in(client)
    assert client.get("/").url.startswith(LOGIN)


def test_logged_in_user_opening_login_is_sent_home(client):
    office = UserFactory(role=Role.OFFICE)
    client.force_login(office)
    r = client.get(LOGIN)
    assert r.status_code == 302 and r.url == "/"


def test_login_redirects_to_next(client):
    UserFactory(username="office01", role=Role.OFFICE)
    r = client.get("/registration/")
    assert r.status_code == 302 and r.url == "/accounts/login/?next=/registration/"
    r = client.post(LOGIN + "?next=/reference/regions.json",
                    {"username": "office01", "password": "Quxiang-Test-1", "next": "/reference/regions.json"})
    assert r.url == "/reference/regions.json"
    # An off-site next is ignored.
    client.post(LOGOUT)
    r = client.post(LOGIN, {"username": "office01", "password": "Quxiang-Test-1", "next": "https://evil.example/"})
    assert r.url == "/"
