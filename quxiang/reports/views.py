"""统计 (staff, scoped) and the national export (office only)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from quxiang.core.http import client_ip
from quxiang.core.permissions import office_required, staff_required
from quxiang.core.storage import StorageUnavailable, storage_unavailable_response, stored_file_response
from quxiang.core.xlsx import XLSX_CONTENT_TYPE, xlsx_response
from quxiang.jobs.models import JobStatus
from quxiang.jobs.services import job_expire_stale
from quxiang.reports import jobs, selectors, services
from quxiang.reports.exports import table_xlsx
from quxiang.reports.forms import NationalExportForm, YearForm
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
    if request.method == "POST":
        form = NationalExportForm(request.POST, years=years)
        if form.is_valid():
            data = form.cleaned_data
            job = jobs.national_export_start(
                actor=request.user, year=data["year"], full_id=data["full_id"], reason=data["reason"],
                verified_only=data["verified_only"], by_college=data["by_college"], ip=client_ip(request),
            )
            return redirect("reports:export_job", pk=job.pk)
    else:
        form = NationalExportForm(initial={"year": years[0]} if years else None, years=years)
    return render(request, "reports/export.html", {
        "form": form, "years": years, "recent": jobs.export_job_list(user=request.user),
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
