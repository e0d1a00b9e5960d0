from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _

from quxiang.accounts import authentication
from quxiang.accounts.authentication import AccountError, Door, LoginFailed
from quxiang.accounts.services import user_set_password
from quxiang.core.http import client_ip


class _ServiceLoginMixin:
    """The login forms ask the account service (lockout, address limit, counting) instead of calling
    authenticate() themselves; the service's message is what the page shows."""

    door: Door

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = authentication.account_authenticate(
                    username=username, password=password, ip=client_ip(self.request), door=self.door,
                    request=self.request)
            except LoginFailed as exc:
                raise self._failed(exc) from None
            except AccountError as exc:
                raise forms.ValidationError(exc.message, code=exc.code) from None
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

    def _failed(self, exc: LoginFailed) -> forms.ValidationError:
        return forms.ValidationError(exc.message, code=exc.code)


class LoginForm(_ServiceLoginMixin, AuthenticationForm):
    """学号 + 密码. Errors never say whether the account exists."""

    door = Door.WEB_LOGIN
    username = forms.CharField(label=_("学号 / 工号"), max_length=150, widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))


class AdminLoginForm(_ServiceLoginMixin, AdminAuthenticationForm):
    """The admin's login page: the same lockout as every other door, the admin's own wrong-login text."""

    door = Door.ADMIN_LOGIN

    def _failed(self, exc: LoginFailed) -> forms.ValidationError:
        return self.get_invalid_login_error()


class ChangePasswordForm(PasswordChangeForm):
    """Django's password rules; the old password is checked by the account service (x for X while the
    initial password is in use, and the same lockout as a login). `account_error` keeps a lock or address
    limit for the API, which answers those with their own code."""

    def __init__(self, user, *args, ip: str | None = None, door: Door = Door.WEB_PASSWORD, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.ip, self.door = ip, door
        self.account_error: AccountError | None = None

    def clean_old_password(self):
        try:
            return authentication.account_check_password(
                user=self.user, password=self.cleaned_data.get("old_password", ""), ip=self.ip, door=self.door)
        except authentication.PasswordIncorrect as exc:
            raise forms.ValidationError(exc.message, code="password_incorrect") from None
        except AccountError as exc:
            self.account_error = exc
            raise forms.ValidationError(exc.message, code=exc.code) from None

    def save(self, commit: bool = True):
        user_set_password(user=self.user, password=self.cleaned_data["new_password1"])
        return self.user
