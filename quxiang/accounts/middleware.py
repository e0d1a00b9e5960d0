from django.shortcuts import redirect
from django.urls import reverse

from quxiang.accounts.authentication import user_password_change_required


class ForcePasswordChangeMiddleware:
    """After the first login with the initial password, nothing but the change page (and logout) opens.
    The API applies the same predicate in its auth class (403 password_change_required)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if user_password_change_required(user=getattr(request, "user", None)):
            allowed = {reverse("accounts:password_change"), reverse("accounts:logout")}
            if request.path not in allowed and not request.path.startswith(("/static/", "/i18n/", "/api/")):
                return redirect("accounts:password_change")
        return self.get_response(request)
