"""One account rulebook for every door (issue 9, items 1–2): the web login, the admin login, the web
password change and the mini-program's doors all count toward and obey the same per-account lockout and
per-address limit, with the same message, and a lockout is audited. The mini-program's side, against the
fake WeChat server, is quxiang/api/tests/test_auth_rules.py."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser

from quxiang.accounts.admin import user_reset_initial_password
from quxiang.accounts.authentication import (
    Door,
    LoginFailed,
    LoginLocked,
    account_authenticate,
    user_password_change_required,
)
from quxiang.accounts.models import Role
from quxiang.accounts.tests.helpers import LOCKED, LOCKOUT_MINUTES, WRONG, let_time_pass, new_student
from quxiang.audit.display import audit_detail_items
from quxiang.audit.models import AuditAction, AuditEntry
from quxiang.testing.factories import UserFactory, make_office

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
PASSWORD = "/accounts/password/"
NEW_PASSWORD = "Qx-登记-2027-ok"


def web_login(client, username, password, address="127.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def admin_login(client, username, password, address="127.0.0.1"):
    return client.post(ADMIN_LOGIN, {"username": username, "password": password, "next": "/admin/"},
                       REMOTE_ADDR=address)


def page_text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def locked_message(username: str) -> str:
    """What any door says to a locked account (taken from the service's error, one door away)."""
    with pytest.raises(LoginLocked) as caught:
        account_authenticate(username=username, password="whatever", ip="192.0.2.99", door=Door.API_BIND)
    return caught.value.message


# --- the lock is shared by the doors -------------------------------------------------------------------


def test_failures_from_every_web_door_add_up_and_the_lock_closes_them_all(client):
    student = new_student()
    office = make_office()
    for _ in range(2):
        assert WRONG in page_text(web_login(client, student.student_number, "bad-password"))
    for _ in range(2):
        assert admin_login(client, student.student_number, "bad-password").status_code == 200
    # The fifth failure comes from the password-change page of a session opened before.
    other_client = client.__class__()
    other_client.force_login(student.user)
    r = other_client.post(PASSWORD, {"old_password": "bad-password", "new_password1": NEW_PASSWORD,
                                     "new_password2": NEW_PASSWORD})
    assert "旧密码不正确" in page_text(r)

    r = web_login(client, student.student_number, student.national_id[-6:])

    assert LOCKED in page_text(r) and not logged_in(client)
    assert LOCKED in page_text(admin_login(client, student.student_number, student.national_id[-6:]))
    r = other_client.post(PASSWORD, {"old_password": student.national_id[-6:], "new_password1": NEW_PASSWORD,
                                     "new_password2": NEW_PASSWORD})
    assert LOCKED in page_text(r)
    student.user.refresh_from_db()
    assert student.user.must_change_password  # nothing was changed while locked
    # Another account is not affected by this one's lock.
    assert web_login(client, office.username, "Quxiang-Test-1").status_code == 302


def test_the_admin_login_is_a_door_too(client):
    office = make_office()
    for _ in range(5):
        r = admin_login(client, office.username, "bad-password")
        assert r.status_code == 200 and not logged_in(client)

    assert LOCKED in page_text(web_login(client, office.username, "Quxiang-Test-1"))
    assert LOCKED in page_text(admin_login(client, office.username, "Quxiang-Test-1"))
    assert not logged_in(client)


def test_the_right_password_of_an_account_a_door_does_not_admit_counts_as_a_failure(client):
    """A counselor's right password at the students' door (mini-program bind) is refused like a wrong one
    and counts: the answer and the lockout never tell whether a guess was right."""
    counselor = UserFactory(role=Role.COUNSELOR)
    for _ in range(5):
        with pytest.raises(LoginFailed):
            account_authenticate(username=counselor.username, password="Quxiang-Test-1", ip="192.0.2.1",
                                 door=Door.API_BIND)
    assert LOCKED in page_text(web_login(client, counselor.username, "Quxiang-Test-1"))


def test_the_locked_message_is_the_same_for_an_unknown_name(client):
    student = new_student()
    for name in (student.student_number, "2099999999"):
        for _ in range(5):
            web_login(client, name, "bad-password")
    known = page_text(web_login(client, student.student_number, student.national_id[-6:]))
    unknown = page_text(web_login(client, "2099999999", "bad-password"))
    assert LOCKED in known
    assert locked_message(student.student_number) == locked_message("2099999999")
    assert locked_message("2099999999") in known and locked_message("2099999999") in unknown
    assert f"{LOCKOUT_MINUTES} 分钟" in locked_message("2099999999")


# --- how long it lasts, and who lifts it -------------------------------------------------------------------


def test_the_lock_lasts_the_lockout_time_then_the_right_password_works(client, monkeypatch):
    student = new_student()
    for _ in range(5):
        web_login(client, student.student_number, "bad-password")
    let_time_pass(monkeypatch, minutes=LOCKOUT_MINUTES - 1)
    assert LOCKED in page_text(web_login(client, student.student_number, student.national_id[-6:]))
    let_time_pass(monkeypatch, minutes=2)
    assert web_login(client, student.student_number, student.national_id[-6:]).status_code == 302


def test_the_lock_runs_from_the_failure_that_set_it(client, monkeypatch):
    """Failures spread over the window still lock for the full lockout time, not for what is left."""
    student = new_student()
    for _ in range(4):
        web_login(client, student.student_number, "bad-password")
    let_time_pass(monkeypatch, minutes=LOCKOUT_MINUTES - 1)
    web_login(client, student.student_number, "bad-password")  # the fifth, just inside the window
    let_time_pass(monkeypatch, minutes=5)
    assert LOCKED in page_text(web_login(client, student.student_number, student.national_id[-6:]))


def test_an_office_reset_lifts_the_lock(client):
    student = new_student()
    for _ in range(5):
        web_login(client, student.student_number, "bad-password")
    assert user_reset_initial_password(user=student.user, actor=make_office())
    assert web_login(client, student.student_number, student.national_id[-6:]).status_code == 302


# --- the address limit ------------------------------------------------------------------------------------


def test_one_address_is_limited_across_accounts_and_doors_and_another_is_not(client, settings):
    settings.QUXIANG = {**settings.QUXIANG, "LOGIN_ADDRESS_MAX_FAILURES": 8}
    student = new_student()
    for i in range(4):  # eight names, one failure each: no account is near its own lock
        web_login(client, f"nobody{i}", "bad-password", address="203.0.113.7")
        admin_login(client, f"stranger{i}", "bad-password", address="203.0.113.7")

    r = web_login(client, student.student_number, student.national_id[-6:], address="203.0.113.7")
    assert "来自当前网络的登录失败次数过多" in page_text(r) and not logged_in(client)
    # The account is not locked: from another address the same login works.
    assert web_login(client, student.student_number, student.national_id[-6:], address="203.0.113.8").status_code == 302


# --- the audit log ------------------------------------------------------------------------------------------


def test_a_lockout_is_audited_once_with_door_failures_and_address(client):
    student = new_student()
    for _ in range(5):
        web_login(client, student.student_number, "bad-password", address="203.0.113.20")
    for _ in range(3):  # attempts while locked add no entry
        web_login(client, student.student_number, "bad-password", address="203.0.113.20")

    (entry,) = AuditEntry.objects.filter(action=AuditAction.LOGIN_LOCKED)
    assert (entry.actor, entry.student_id, entry.ip) == (student.user, student.pk, "203.0.113.20")
    assert entry.detail["door"] == "web_login" and entry.detail["failures"] == 5
    assert entry.detail["username"] == student.student_number
    shown = dict(audit_detail_items(detail=entry.detail))
    assert shown["入口"] == "网页登录" and shown["失败次数"] == "5" and "锁定至" in shown


def test_a_lockout_of_an_unknown_name_is_audited_without_an_actor(client):
    for _ in range(5):
        admin_login(client, "no-such-user", "bad-password", address="203.0.113.21")
    (entry,) = AuditEntry.objects.filter(action=AuditAction.LOGIN_LOCKED)
    assert entry.actor is None and entry.student_id is None
    assert entry.detail["username"] == "no-such-user" and entry.detail["door"] == "admin_login"


# --- the forced change ------------------------------------------------------------------------------------


def test_the_forced_change_predicate():
    student = new_student()
    assert user_password_change_required(user=student.user)
    assert not user_password_change_required(user=AnonymousUser())
    assert not user_password_change_required(user=None)
    student.user.must_change_password = False
    assert not user_password_change_required(user=student.user)
