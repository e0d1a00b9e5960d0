"""The API's bearer-token auth, and where the forced password change is applied to the API: once, here.

The API's default auth (`TokenAuth()`) refuses a student who still has the initial password with 403
`password_change_required`, so every operation added later is covered without a word. Only the account
operations opt out with `ACCOUNT_AUTH`: /auth/logout, /auth/unbind, /auth/password and /me, i.e. what the
password-change screen needs (the web opens only the change page and logout). The code tables and the
organisation lookup are refused too: the mini-program needs none of them before the change, and one rule
("nothing but the account until the password is changed") is what the web does."""

from __future__ import annotations

from ninja.security import HttpBearer

from quxiang.accounts.authentication import PasswordChangeRequired, user_password_change_required
from quxiang.api import services


class TokenAuth(HttpBearer):
    def __init__(self, *, allow_initial_password: bool = False):
        super().__init__()
        self.allow_initial_password = allow_initial_password

    def authenticate(self, request, token):
        user = services.api_token_user(token=token)
        if user is None or not user.is_student:
            return None
        request.user = user  # the access helper and the services take the user
        if not self.allow_initial_password and user_password_change_required(user=user):
            raise PasswordChangeRequired()  # mapped once by quxiang/api/errors.py (403)
        return user


ACCOUNT_AUTH = TokenAuth(allow_initial_password=True)
