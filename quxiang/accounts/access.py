"""The one access helper. Every object a user reaches goes through `get_for_user` or a `*_for` queryset.

Scope: a student sees their own record only; a counselor their classes; a college officer their
college; the office (and system admin) everything. Anything else is a 404, never a 403, so that ids
outside one's scope are indistinguishable from ids that do not exist."""

from __future__ import annotations

from typing import TypeVar

from django.db import models
from django.http import Http404

from quxiang.accounts.models import User

M = TypeVar("M", bound=models.Model)


def _student_filter(user: User, prefix: str) -> models.Q | None:
    """The Q that limits `<prefix>` (a path to roster.Student) to the user's scope; None = everything."""
    if not user.is_authenticated or not user.is_active:
        return models.Q(pk__in=[])
    if user.is_office:
        return None
    if user.is_student:
        return models.Q(**{f"{prefix}user": user})
    if user.is_counselor:
        return models.Q(**{f"{prefix}school_class__counselors": user})
    if user.is_college_officer:
        return models.Q(**{f"{prefix}college_id": user.college_id})
    return models.Q(pk__in=[])


# Model label → path from that model to the student it belongs to.
_STUDENT_PATHS = {
    "roster.student": "",
    "registrations.registration": "student__",
    "registrations.registrationevent": "registration__student__",
    "evidence.evidencefile": "registration__student__",
}


def scope(*, user: User, queryset: models.QuerySet[M]) -> models.QuerySet[M]:
    """Limit any queryset of a student-owned model to what `user` may see."""
    label = queryset.model._meta.label_lower
    if label not in _STUDENT_PATHS:
        raise LookupError(f"no access rule for {label}")
    q = _student_filter(user, _STUDENT_PATHS[label])
    if q is None:
        return queryset
    qs = queryset.filter(q)
    # A counselor of two classes would otherwise see a row twice through the M2M join.
    return qs.distinct() if getattr(user, "is_counselor", False) else qs


def get_for_user(*, user: User, model: type[M] | models.QuerySet[M], **lookup) -> M:
    """Fetch one object within the user's scope or raise Http404."""
    queryset = model if isinstance(model, models.QuerySet) else model._default_manager.all()
    try:
        return scope(user=user, queryset=queryset).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def student_of(*, user: User):
    """The student row of the signed-in student `user` (their own, the only one in their scope), or 404.
    Taken from the row the auth backend and the API's token lookup load with the user (no query); one
    query for a user loaded without it."""
    if not (user.is_authenticated and user.is_active and user.is_student):
        raise Http404
    try:
        return user.student
    except models.ObjectDoesNotExist:
        raise Http404 from None
