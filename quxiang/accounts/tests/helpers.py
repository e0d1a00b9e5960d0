"""Plain helpers of the account tests (also used by the API's account-rule tests)."""

from __future__ import annotations

import time

from quxiang.accounts.services import initial_password_for
from quxiang.testing.factories import StudentFactory

LOCKOUT_MINUTES = 15  # the issue: "after 5 wrong web logins an account is locked for 15 minutes"
WRONG = "学号或密码不正确"
LOCKED = "登录失败次数过多"


def new_student(**kwargs):
    """A student as the roster import leaves them: initial password, must change it on first login."""
    student = StudentFactory(**kwargs)
    user = student.user
    user.set_password(initial_password_for(national_id=student.national_id))
    user.must_change_password = True
    user.save()
    return student


def student_with_password(password: str, **kwargs):
    student = StudentFactory(**kwargs)
    student.user.set_password(password)
    student.user.save(update_fields=["password"])
    return student


def let_time_pass(monkeypatch, *, minutes: float) -> None:
    """Move the clock of the cache (locmem reads time.time) forward, as if the minutes had passed."""
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + minutes * 60)
