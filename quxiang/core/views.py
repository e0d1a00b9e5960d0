from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The one start address. Core sits below every app, so it dispatches by role to named routes
    instead of importing the pages: students to their record, staff to the dashboard (reviews)."""
    return redirect("registrations:status" if request.user.is_student else "reviews:home")


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
