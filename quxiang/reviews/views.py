"""Staff pages: verification queue, record, decisions, who has not registered, audit log."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from quxiang.accounts.access import get_for_user, scope
from quxiang.audit.models import AuditAction
from quxiang.core.http import client_ip
from quxiang.core.permissions import office_required, staff_required
from quxiang.evidence.selectors import registration_evidence_comparison
from quxiang.jobs.selectors import job_next_url
from quxiang.reference.selectors import destination_groups
from quxiang.registrations import changes
from quxiang.registrations.models import Registration, Status
from quxiang.registrations.selectors import registration_detail_queryset, registration_history
from quxiang.registrations.services import RegistrationStateError
from quxiang.reviews import jobs, selectors, services
from quxiang.reviews.forms import QueueFilterForm, ReminderForm, ReturnForm
from quxiang.roster.models import Student

PAGE_SIZE = 50


@staff_required
def staff_home(request: HttpRequest) -> HttpResponse:
    """工作台: the staff member's students and their records by status (core's home redirects here)."""
    students = scope(user=request.user, queryset=Student.objects.all())
    records = scope(user=request.user, queryset=Registration.objects.exclude(status=Status.SUPERSEDED))
    counts = {row: records.filter(status=row).count() for row in Status.values if row != Status.SUPERSEDED}
    return render(request, "reviews/staff_home.html", {
        "student_count": students.count(), "counts": counts, "status_labels": dict(Status.choices),
    })


@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    data = request.GET.copy()
    data.setdefault("status", Status.SUBMITTED)
    form = QueueFilterForm(
        data, classes=selectors.classes_in_scope(user=request.user), majors=selectors.majors_in_scope(user=request.user),
        groups=destination_groups(),
    )
    if form.is_valid():
        # An empty status means 全部; other empty filters mean "not filtered".
        chosen = {k: v for k, v in form.cleaned_data.items() if v not in (None, "") or k == "status"}
        filters = selectors.QueueFilters(**chosen)
    else:
        filters = selectors.QueueFilters()
        messages.warning(request, _("筛选条件无效，已显示全部待鉴证记录。"))
    page = Paginator(selectors.review_queue(user=request.user, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = data.copy()
    query.pop("page", None)
    return render(request, "reviews/queue.html", {"form": form, "page": page, "query": query.urlencode()})


@staff_required
def record(request: HttpRequest, pk: int) -> HttpResponse:
    registration = get_for_user(user=request.user, model=registration_detail_queryset(), pk=pk)
    return render(request, "reviews/record.html", {
        "registration": registration, "return_form": ReturnForm(),
        "history": registration_history(student=registration.student),
        "can_reopen": request.user.is_office and registration.status == Status.VERIFIED,
        "evidence_comparison": registration_evidence_comparison(registration=registration),
    })


def _decide(request: HttpRequest, pk: int, action) -> HttpResponse:
    registration = get_for_user(user=request.user, model=Registration, pk=pk)
    try:
        action(registration)
    except RegistrationStateError as exc:
        messages.error(request, str(exc))
    return redirect("reviews:record", pk=pk)


@require_POST
@staff_required
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    def act(reg):
        done = services.registration_verify(registration=reg, actor=request.user, ip=client_ip(request))
        messages.success(request, _("已鉴证通过，验证编号 %(no)s。") % {"no": done.verification_no})

    return _decide(request, pk, act)


@require_POST
@staff_required
def return_record(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["reason"][0])
        return redirect("reviews:record", pk=pk)

    def act(reg):
        services.registration_return(registration=reg, actor=request.user, reason=form.cleaned_data["reason"],
                                     ip=client_ip(request))
        messages.success(request, _("已退回，学生将在登记页面看到退回原因。"))

    return _decide(request, pk, act)


@require_POST
@office_required
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    registration = get_for_user(user=request.user, model=Registration, pk=pk)
    try:
        draft = changes.registration_change_start(
            student=registration.student, actor=request.user, ip=client_ip(request), reopen=True
        )
    except RegistrationStateError as exc:
        messages.error(request, str(exc))
        return redirect("reviews:record", pk=pk)
    messages.success(request, _("已为该学生开放变更（第 %(v)d 版草稿），学生可登录修改后提交。") % {"v": draft.version})
    return redirect("reviews:record", pk=draft.pk)


@require_POST
@staff_required
def bulk_verify(request: HttpRequest) -> HttpResponse:
    ids = [i for i in request.POST.getlist("ids") if i.isdigit()]
    # On the confirmation round, records changed since the list was shown are kept so the service can
    # name them as skipped rather than leaving them out silently.
    in_scope = scope(user=request.user, queryset=Registration.objects.filter(pk__in=ids))
    if request.POST.get("confirm") != "1":
        in_scope = in_scope.filter(status=Status.SUBMITTED)
    chosen = list(in_scope.select_related("student", "destination_type__parent"))
    if not chosen:
        messages.error(request, _("请先勾选待鉴证的记录。"))
        return redirect(reverse("reviews:queue"))
    if request.POST.get("confirm") != "1":
        return render(request, "reviews/bulk_confirm.html", {"records": chosen})
    done, skipped = services.registration_bulk_verify(registrations=chosen, actor=request.user, ip=client_ip(request))
    messages.success(request, _("已鉴证 %(n)d 条记录。") % {"n": len(done)})
    for reg, reason in skipped:
        messages.warning(request, f"{reg.student}：{reason}")
    return redirect(reverse("reviews:queue"))


@staff_required
def unregistered(request: HttpRequest) -> HttpResponse:
    """Who has not registered; the xlsx list and the reminders run as background jobs (reviews/jobs.py)
    whose page shows the progress, then the download or how many were reminded."""
    years = selectors.cohort_years(user=request.user)
    requested = request.GET.get("year", "")
    year = int(requested) if requested.isdigit() and int(requested) in years else (years[0] if years else None)
    form = ReminderForm()
    if request.method == "POST" and request.POST.get("action") == "export":
        job = jobs.unregistered_xlsx_start(actor=request.user, year=year, ip=client_ip(request))
        return redirect(job_next_url(job=job))
    if request.method == "POST":
        form = ReminderForm(request.POST)
        if form.is_valid():
            job = jobs.reminder_start(actor=request.user, year=year, message=form.cleaned_data["message"],
                                      ip=client_ip(request))
            return redirect(job_next_url(job=job))
    students = selectors.students_unregistered(user=request.user, year=year)
    page = Paginator(students, 100).get_page(request.GET.get("page"))
    return render(request, "reviews/unregistered.html", {"page": page, "form": form, "years": years, "year": year,
                                                          "status_labels": dict(Status.choices), "query": f"year={year or ''}"})


@office_required
def audit_log(request: HttpRequest) -> HttpResponse:
    action = request.GET.get("action", "")
    who = request.GET.get("actor", "").strip()
    number = request.GET.get("student", "").strip()
    entries = selectors.audit_log_entries(action=action, actor_username=who, student_number=number)
    page = Paginator(entries, 100).get_page(request.GET.get("page"))
    return render(request, "reviews/audit.html", {
        "page": page, "actions": AuditAction.choices, "action": action, "actor": who, "student": number,
    })
