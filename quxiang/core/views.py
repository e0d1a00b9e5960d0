from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import cache_control

from quxiang.core.access import scope
from quxiang.reference.selectors import region_tree
from quxiang.registrations.models import Registration, Status
from quxiang.roster.models import Student


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_student:
        return redirect("registrations:status")
    students = scope(user=request.user, queryset=Student.objects.all())
    records = scope(user=request.user, queryset=Registration.objects.exclude(status=Status.SUPERSEDED))
    counts = {row: records.filter(status=row).count() for row in Status.values if row != Status.SUPERSEDED}
    return render(request, "core/staff_home.html", {
        "student_count": students.count(), "counts": counts, "status_labels": dict(Status.choices),
    })


@cache_control(max_age=3600, public=True)
def regions_json(request: HttpRequest) -> JsonResponse:
    """Province → city → county tree for the region picker (public reference data)."""
    return JsonResponse(region_tree(), safe=False, json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
