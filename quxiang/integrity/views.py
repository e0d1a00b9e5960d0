"""Office pages: integrity checks and their findings (confirm / dismiss), sampling for verification calls;
staff page: follow-ups and open findings in scope."""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from quxiang.accounts.access import get_for_user
from quxiang.core.http import client_ip
from quxiang.core.permissions import office_required, staff_required
from quxiang.integrity import findings, jobs, selectors, services
from quxiang.integrity.checks import CHECKS
from quxiang.integrity.conf import integrity_setting
from quxiang.integrity.forms import (
    FindingDecisionForm,
    OutcomeForm,
    ResolveForm,
    SampleDrawForm,
    SendBackForm,
    YearForm,
)
from quxiang.integrity.models import (
    FindingStatus,
    FollowUp,
    FollowUpStatus,
    IntegrityFinding,
    Outcome,
    SampleItem,
    SampleRun,
)
from quxiang.jobs.models import JobStatus
from quxiang.jobs.selectors import job_description, job_next_url
from quxiang.registrations.models import Registration
from quxiang.registrations.services import RegistrationStateError
from quxiang.roster.models import College

ITEMS_PER_PAGE = 100


def _year_form(request: HttpRequest, years: list[int]) -> tuple[YearForm, int | None]:
    data = request.GET.copy()
    if "year" not in data and years:
        data["year"] = str(years[0])  # the latest cohort unless 全部届别 was chosen
    form = YearForm(data, years=years)
    return form, (form.cleaned_data["year"] if form.is_valid() else None)


def _finding_filters(data) -> tuple[str, str]:
    """The findings list's filters: status (default 待处理) and check key, each only from its known values."""
    status = data.get("status", FindingStatus.OPEN)
    check = data.get("check", "")
    return (status if status in selectors.FINDING_FILTERS else FindingStatus.OPEN,
            check if check in {c.key for c in CHECKS} else "")


@office_required
def index(request: HttpRequest) -> HttpResponse:
    """The latest scan of the chosen cohort (the checks run as a background job: 开始检查) and its findings
    kept for decisions (确认属实 / 排除), filtered by status and check; a scan still running."""
    form, year = _year_form(request, selectors.graduation_years())
    if request.method == "POST":
        job = jobs.scan_start(actor=request.user, year=year)
        return redirect(job_next_url(job=job))
    status, check = _finding_filters(request.GET)
    scan = selectors.scan_latest(year=year)
    sections, overview, counts = [], [], {}
    flagged = 0
    if scan:
        found = {c["key"]: len(c["findings"]) for c in (scan.summary or {}).get("checks", [])}
        flagged = sum(1 for n in found.values() if n)
        listed = list(selectors.findings_list(year=year, status=status, check=check))
        records = selectors.finding_records(findings=listed, limit=jobs.RECORDS_PER_FINDING)
        counts = selectors.findings_counts(year=year)
        overview = [{"check": c, "ran": c.key in found, "found": found.get(c.key, 0),
                     "open": counts["open_by_check"].get(c.key, 0)} for c in CHECKS]
        sections = [
            {**row, "findings": [{"finding": f, **records[f.pk]} for f in listed if f.check_key == row["check"].key]}
            for row in overview if not check or row["check"].key == check
        ]
    return render(request, "integrity/index.html", {
        "form": form, "year": year, "scan": scan, "running": selectors.scan_running(year=year),
        "sections": sections, "overview": overview, "flagged": flagged,
        "synced": bool(scan and (scan.summary or {}).get("synced")),
        "status": status, "check": check, "counts": counts, "checks": CHECKS,
        "statuses": [("", _("全部")), *FindingStatus.choices, (selectors.FINDINGS_GONE, _("已不再出现"))],
        "thresholds": {k: integrity_setting(k) for k in (
            "FLEXIBLE_SHARE_RATIO", "FLEXIBLE_MIN_RECORDS", "QUICK_VERIFY_SECONDS", "QUICK_VERIFY_WINDOW_SECONDS",
            "QUICK_VERIFY_MIN_RECORDS")},
    })


@require_POST
@office_required
def finding_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """确认属实 / 排除 one finding, back to the list where it was (its cohort, the same filters)."""
    finding = get_object_or_404(IntegrityFinding, pk=pk)
    status, check = _finding_filters(request.POST)
    url = (f"{reverse('integrity:index')}?year={finding.graduation_year or ''}&status={status}&check={check}"
           f"#finding-{finding.pk}")
    form = FindingDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择“确认属实”或“排除”，说明不超过 2000 字。"))
        return redirect(url)
    decide = findings.finding_confirm if form.cleaned_data["decision"] == "confirm" else findings.finding_dismiss
    try:
        decided = decide(actor=request.user, finding=finding, reason=form.cleaned_data["reason"],
                         ip=client_ip(request))
    except findings.FindingRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已将该线索标记为“%(status)s”。") % {"status": decided.get_status_display()})
    return redirect(url)


@office_required
def sampling(request: HttpRequest) -> HttpResponse:
    """The draw runs as a background job (integrity/jobs.py); once done its run's page opens."""
    years = selectors.graduation_years()
    if request.method == "POST":
        form = SampleDrawForm(request.POST, years=years)
        if form.is_valid():
            job = jobs.sample_draw_start(
                actor=request.user, percentage=form.cleaned_data["percentage"], seed=form.cleaned_data["seed"],
                year=form.cleaned_data["year"], placed_only=form.cleaned_data["placed_only"], ip=client_ip(request),
            )
            if job.status == JobStatus.DONE:
                messages.success(request, job_description(job=job))
            elif job.status == JobStatus.FAILED:
                messages.error(request, job.error)
                return render(request, "integrity/sampling.html", {
                    "form": form, "runs": selectors.sample_runs_with_totals()})
            return redirect(job_next_url(job=job))
    else:
        form = SampleDrawForm(initial={"year": years[0] if years else None, "placed_only": True}, years=years)
    return render(request, "integrity/sampling.html", {
        "form": form, "runs": selectors.sample_runs_with_totals(),
    })


@office_required
def sample_run(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(SampleRun.objects.select_related("created_by"), pk=pk)
    outcome = request.GET.get("outcome", "")
    outcome = outcome if outcome in Outcome.values else ""
    college = request.GET.get("college", "")
    college = int(college) if college.isdigit() else None
    items = selectors.sample_items(run=run, outcome=outcome, college=college)
    page = Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    summary = selectors.sample_run_summary(run=run)
    totals = {k: sum(r[k] for r in summary) for k in ("sampled", "confirmed", "mismatch", "unreachable", "pending")}
    return render(request, "integrity/sample_run.html", {
        "run": run, "summary": summary, "totals": totals, "page": page, "query": query.urlencode(),
        "outcomes": Outcome.choices, "outcome": outcome, "college": college,
        "colleges": College.objects.filter(pk__in=run.items.values("college_id")).order_by("code"),
        "outcome_form": OutcomeForm(), "send_back_form": SendBackForm(),
    })


def _back_to_run(request: HttpRequest, item: SampleItem) -> HttpResponse:
    """Back to the run page, keeping its filters (a query string this page built) and the row in view."""
    url = reverse("integrity:sample_run", args=[item.run_id])
    query = request.POST.get("query", "")
    if query and re.fullmatch(r"[A-Za-z0-9_=&%.-]+", query):
        url += "?" + query
    return redirect(f"{url}#item-{item.pk}")


@require_POST
@office_required
def sample_item_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(SampleItem, pk=pk)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择回访结果。"))
        return _back_to_run(request, item)
    try:
        services.sample_item_record(item=item, outcome=form.cleaned_data["outcome"], note=form.cleaned_data["note"],
                                    actor=request.user, ip=client_ip(request))
    except services.IntegrityRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已保存回访结果。"))
    return _back_to_run(request, item)


@require_POST
@office_required
def sample_item_send_back(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(SampleItem, pk=pk)
    form = SendBackForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请写明需要辅导员核实的内容。"))
        return _back_to_run(request, item)
    try:
        follow_up = services.sample_item_send_back(
            item=item, actor=request.user, note=form.cleaned_data["note"], reopen=form.cleaned_data["reopen"],
            ip=client_ip(request),
        )
    except (services.IntegrityRefused, RegistrationStateError) as exc:
        messages.error(request, str(exc))
    else:
        if follow_up.reopened_id:
            messages.success(request, _("已退回辅导员核实，并为学生开放了变更（第 %(v)d 版草稿）。")
                             % {"v": follow_up.reopened.version})
        else:
            messages.success(request, _("已退回辅导员核实，辅导员会在“核查待办”中看到。"))
    return _back_to_run(request, item)


@staff_required
def follow_ups(request: HttpRequest) -> HttpResponse:
    """Follow-ups of sampling calls, and (待核查) the open findings of the integrity checks that concern
    records in the user's scope: the counselor is told, the office decides on 数据核查."""
    status = request.GET.get("status", FollowUpStatus.OPEN)
    status = status if status in FollowUpStatus.values else ""
    page = Paginator(selectors.follow_ups_for(user=request.user, status=status), 50).get_page(request.GET.get("page"))
    open_findings, records = [], {}
    if not request.user.is_office:
        open_findings = selectors.findings_for_user(user=request.user)
        records = selectors.finding_records(findings=open_findings, limit=jobs.RECORDS_PER_FINDING, user=request.user)
    titles = {c.key: c.title for c in CHECKS}
    return render(request, "integrity/follow_ups.html", {
        "page": page, "status": status, "statuses": FollowUpStatus.choices, "resolve_form": ResolveForm(),
        "query": f"status={status}",
        "findings": [{"finding": f, "title": titles.get(f.check_key, f.check_key), **records[f.pk]}
                     for f in open_findings],
    })


@require_POST
@staff_required
def follow_up_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = get_object_or_404(FollowUp, pk=pk)
    # Scope: the follow-up is reachable exactly when its record is (404 otherwise, as everywhere).
    get_for_user(user=request.user, model=Registration, pk=follow_up.registration_id)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写核实结果。"))
        return redirect("integrity:follow_ups")
    try:
        services.follow_up_resolve(follow_up=follow_up, actor=request.user, resolution=form.cleaned_data["resolution"],
                                   ip=client_ip(request))
    except services.IntegrityRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已记录核实结果。"))
    return redirect("integrity:follow_ups")
