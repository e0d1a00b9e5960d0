"""View decorators by role. Object access still goes through quxiang.accounts.access."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404


def staff_required(view):
    """Counselors, college officers, the office and admins."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff_role:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def office_required(view):
    """The employment office (and system admins) only."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_office:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
