from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _

from quxiang.accounts import services


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") if request else ""


class LoginForm(AuthenticationForm):
    """学号 + 密码, throttled. Errors never say whether the account exists."""

    username = forms.CharField(label=_("学号 / 工号"), max_length=150, widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))
    error_messages = {
        "invalid_login": _("学号或密码不正确。初始密码为身份证号后六位（末位 x 大小写均可）。"),
        "inactive": _("学号或密码不正确。初始密码为身份证号后六位（末位 x 大小写均可）。"),
        "throttled": _("登录失败次数过多，请 15 分钟后再试，或联系辅导员重置密码。"),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request)
        if username and services.login_throttle_is_blocked(username=username, ip=ip):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username:
                services.login_throttle_record_failure(username=username, ip=ip)
            raise
        services.login_throttle_reset(username=username, ip=ip)
        return cleaned


class ChangePasswordForm(PasswordChangeForm):
    def clean_old_password(self):
        old = self.cleaned_data.get("old_password", "")
        # The initial password may be typed with a lower-case x, as at login.
        if self.user.must_change_password and old.endswith("x") and self.user.check_password(old[:-1] + "X"):
            return old[:-1] + "X"
        return super().clean_old_password()

    def save(self, commit: bool = True):
        services.user_set_password(user=self.user, password=self.cleaned_data["new_password1"])
        return self.user
