from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from quxiang.accounts.authentication import Door, user_password_change_required
from quxiang.accounts.forms import ChangePasswordForm, LoginForm
from quxiang.core.http import client_ip


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@login_required
def password_change(request):
    form = ChangePasswordForm(request.user, request.POST or None, ip=client_ip(request), door=Door.WEB_PASSWORD)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        messages.success(request, _("密码已修改。"))
        return redirect("core:home")
    forced = user_password_change_required(user=request.user)
    return render(request, "accounts/password_change.html", {"form": form, "forced": forced})
