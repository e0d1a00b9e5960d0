"""统计 (staff, scoped) and the national export (office only)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from quxiang.core.errors import DomainError
from quxiang.core.http import client_ip
from quxiang.core.permissions import office_required, staff_required
from quxiang.core.storage import StorageUnavailable, storage_unavailable_response, stored_file_response
from quxiang.core.xlsx import XLSX_CONTENT_TYPE, xlsx_response
from quxiang.jobs.models import JobStatus
from quxiang.jobs.services import job_expire_stale
from quxiang.reports import jobs, precheck, profile_services, profiles, selectors, services
from quxiang.reports.exports import table_xlsx
from quxiang.reports.forms import (
    NationalExportForm,
    PrecheckForm,
    ProfileImportForm,
    SchoolSettingsForm,
    YearForm,
)
from quxiang.reports.models import ExportProfile
from quxiang.reports.tables import chart_data, statistics_tables


@staff_required
def statistics(request: HttpRequest) -> HttpResponse:
    years = selectors.cohort_years(user=request.user)
    form = YearForm(request.GET if "year" in request.GET else None, years=years)
    # A year the user has no students in falls back to the latest one (the form shows why).
    year = form.cleaned_data["year"] if form.is_bound and form.is_valid() else (years[0] if years else None)
    if not form.is_bound:
        form = YearForm(initial={"year": year}, years=years)
    stats = selectors.cohort_statistics(user=request.user, year=year) if year is not None else None
    tables = statistics_tables(stats) if stats else {}
    download = request.GET.get("download")
    if download:
        table = tables.get(download)
        if table is None:
            raise Http404
        services.statistics_download_log(actor=request.user, year=year, table=download, ip=client_ip(request))
        title = _("%(year)d 届毕业去向统计 · %(table)s（导出于 %(at)s）") % {
            "year": year, "table": table.title, "at": timezone.localtime().strftime("%Y-%m-%d %H:%M")}
        return xlsx_response(content=table_xlsx(table=table, title=title), stem=f"statistics-{year}-{download}",
                             stamp=False)
    return render(request, "reports/statistics.html", {
        "form": form, "year": year, "stats": stats, "tables": list(tables.values()),
        "charts": chart_data(stats) if stats else None,
        "can_export": request.user.is_office,
    })


@office_required
def national_export(request: HttpRequest) -> HttpResponse:
    """The form; submitting it queues the export as a background job and opens the job's page."""
    years = selectors.cohort_years(user=request.user)
    available = profiles.profile_list()
    if request.method == "POST":
        form = NationalExportForm(request.POST, years=years, profiles=available)
        if form.is_valid():
            data = form.cleaned_data
            profile = next((p for p in available if p.pk == data["profile"]), None)
            try:
                if profile is not None:  # missing school codes stop the export here, with the reason
                    profiles.profile_settings_check(compiled=profiles.profile_compile(profile=profile))
                job = jobs.national_export_start(
                    actor=request.user, year=data["year"], full_id=data["full_id"], reason=data["reason"],
                    verified_only=data["verified_only"], by_college=data["by_college"], ip=client_ip(request),
                    profile_id=profile.pk if profile else None, clean_only=data["clean_only"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("reports:export_job", pk=job.pk)
    else:
        initial = {"year": years[0]} if years else {}
        if "profile" in request.GET and request.GET["profile"].isdigit():
            initial["profile"] = int(request.GET["profile"])
        form = NationalExportForm(initial=initial, years=years, profiles=available)
    return render(request, "reports/export.html", {
        "form": form, "years": years, "recent": jobs.export_job_list(user=request.user),
        "school": profiles.school_settings_values(), "profiles": available,
    })


@office_required
def export_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = job_expire_stale(job=jobs.export_job_get(user=request.user, pk=pk))
    return render(request, "reports/export_job.html", {
        "job": job, "status": jobs.export_job_status_payload(job=job),
        "file_name": jobs.export_job_file_name(job=job),
    })


@never_cache
@office_required
def export_job_status(request: HttpRequest, pk: int) -> JsonResponse:
    job = job_expire_stale(job=jobs.export_job_get(user=request.user, pk=pk))
    return JsonResponse(jobs.export_job_status_payload(job=job), json_dumps_params={"ensure_ascii": False})


@office_required
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The finished file, to the person who started the export only (404 for anybody else, and while the
    job runs: a file is offered only once the job is done, never a half-written one). Streamed from the
    file store; the 503 page when the store cannot be reached."""
    job = jobs.export_job_get(user=request.user, pk=pk)
    if job.status != JobStatus.DONE or not job.result_file:
        raise Http404
    try:
        return stored_file_response(
            storage=job.result_file.storage, name=job.result_file.name, content_type=XLSX_CONTENT_TYPE,
            filename=jobs.export_job_file_name(job=job), as_attachment=True,
        )
    except StorageUnavailable:
        return storage_unavailable_response(request)


# --- 预检, export profiles, the school's codes (issue 14) ---------------------------------------------


def _precheck_form(request: HttpRequest) -> tuple[PrecheckForm, int | None, ExportProfile | None]:
    """The year and profile asked for, defaulting to the latest year and the national profile."""
    years = selectors.cohort_years(user=request.user)
    available = profiles.profile_list()
    if not years or not available:
        return PrecheckForm(years=years, profiles=available), None, None
    default = next((p for p in available if p.key == "national"), available[0])
    form = PrecheckForm({"year": request.GET.get("year") or years[0],
                         "profile": request.GET.get("profile") or default.pk}, years=years, profiles=available)
    if not form.is_valid():
        return form, None, None
    pk = form.cleaned_data["profile"]
    return form, form.cleaned_data["year"], next(p for p in available if p.pk == pk)


@staff_required
def precheck_page(request: HttpRequest) -> HttpResponse:
    """Every record in the user's scope against an export profile: the office's whole cohort, a counselor's
    classes, a college officer's college. Each problem links to the record and says who can fix it."""
    form, year, profile = _precheck_form(request)
    result = None
    if year is not None and profile is not None:
        result = precheck.precheck_run(user=request.user, profile=profile, year=year)
    return render(request, "reports/precheck.html", {
        "form": form, "result": result, "year": year, "profile": profile,
        "shown": [(p, precheck.problem_url(p)) for p in result.problems[:precheck.PAGE_LIMIT]] if result else [],
        "limit": precheck.PAGE_LIMIT, "is_office": request.user.is_office,
    })


@staff_required
def precheck_download(request: HttpRequest) -> HttpResponse:
    form, year, profile = _precheck_form(request)
    if year is None or profile is None:
        raise Http404
    result = precheck.precheck_run(user=request.user, profile=profile, year=year)
    services.statistics_download_log(actor=request.user, year=year, table=f"precheck:{profile.pk}",
                                     ip=client_ip(request))
    content = precheck.precheck_xlsx(result=result, base_url=request.build_absolute_uri("/").rstrip("/"))
    return xlsx_response(content=content, stem=f"precheck-{year}-{profile.key}-v{profile.version}")


@office_required
def profile_list(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/profiles.html", {
        "profiles": profiles.profile_list(active_only=False), "import_form": ProfileImportForm(),
        "school": profiles.school_settings_values(),
    })


@office_required
def profile_download(request: HttpRequest, pk: int) -> HttpResponse:
    profile = get_object_or_404(ExportProfile, pk=pk)
    return xlsx_response(content=profile_services.profile_config_xlsx(profile=profile),
                         stem=f"profile-{profile.key}-{profile.year}-v{profile.version}", stamp=False)


@require_POST
@office_required
def profile_copy(request: HttpRequest, pk: int) -> HttpResponse:
    profile = get_object_or_404(ExportProfile, pk=pk)
    new = profile_services.profile_copy(profile=profile, actor=request.user)
    messages.success(request, _("已复制为新版本：%(p)s。可在管理后台修改字段和代码值。") % {"p": str(new)})
    return redirect("reports:profiles")


@require_POST
@office_required
def profile_import(request: HttpRequest) -> HttpResponse:
    form = ProfileImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            new = profile_services.profile_config_import(file=form.cleaned_data["file"], actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已导入为新版本：%(p)s。") % {"p": str(new)})
            return redirect("reports:profiles")
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return render(request, "reports/profiles.html", {
        "profiles": profiles.profile_list(active_only=False), "import_form": form,
        "school": profiles.school_settings_values(),
    }, status=400)


@office_required
def school_settings(request: HttpRequest) -> HttpResponse:
    current = profiles.school_settings_values()
    form = SchoolSettingsForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        profile_services.school_settings_update(actor=request.user, **form.cleaned_data)
        messages.success(request, _("院校信息已保存。"))
        return redirect("reports:school_settings")
    return render(request, "reports/school_settings.html", {"form": form})
