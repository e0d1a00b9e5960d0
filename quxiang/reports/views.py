"""统计 (staff, scoped) and the national export (office only)."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from quxiang.core.http import client_ip
from quxiang.core.permissions import office_required, staff_required
from quxiang.core.xlsx import XLSX_CONTENT_TYPE, xlsx_response
from quxiang.reports import selectors, services
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
    years = selectors.cohort_years(user=request.user)
    if request.method == "POST":
        form = NationalExportForm(request.POST, years=years)
        if form.is_valid():
            data = form.cleaned_data
            export = services.national_export_create(
                actor=request.user, year=data["year"], full_id=data["full_id"], reason=data["reason"],
                verified_only=data["verified_only"], ip=client_ip(request),
            )
            # FileResponse closes the anonymous temporary file when the download ends; closing deletes it.
            return FileResponse(export.file, as_attachment=True, filename=export.filename,
                                content_type=XLSX_CONTENT_TYPE)
    else:
        form = NationalExportForm(initial={"year": years[0]} if years else None, years=years)
    return render(request, "reports/export.html", {"form": form, "years": years})
