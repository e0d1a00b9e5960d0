"""后台任务: the staff member's background jobs (the office sees everybody's), one job's page with its
progress bar, the status its bar polls, and the download of a finished job's file."""

from __future__ import annotations

import mimetypes

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from quxiang.core.permissions import staff_required
from quxiang.jobs.registry import job_kind_label
from quxiang.jobs.selectors import job_back_url, job_description, job_next_url, job_page_url
from quxiang.jobs.services import job_expire_stale
from quxiang.reviews import job_selectors as sel

PAGE_SIZE = 50


@staff_required
def job_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(sel.jobs_for(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "jobs/list.html", {
        "page": page, "rows": sel.job_rows(user=request.user, jobs=page.object_list),
        "show_owner": request.user.is_office, "query": "",
    })


@staff_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = job_expire_stale(job=sel.job_get_for(user=request.user, pk=pk))
    return render(request, "jobs/job.html", {
        "job": job, "label": job_kind_label(job.kind), "status": sel.job_status_payload(user=request.user, job=job),
        "file_name": sel.job_file_name(job=job), "description": job_description(job=job),
        "result_url": job_next_url(job=job) if not job.is_active else None,
        "own_page": job_page_url(job=job), "back_url": job_back_url(job=job),
    })


@never_cache
@staff_required
def job_status(request: HttpRequest, pk: int) -> JsonResponse:
    job = job_expire_stale(job=sel.job_get_for(user=request.user, pk=pk))
    return JsonResponse(sel.job_status_payload(user=request.user, job=job), json_dumps_params={"ensure_ascii": False})


@staff_required
def job_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The finished job's file, to the person who started it only (404 for anybody else, while the job runs,
    and once the file has expired)."""
    job = sel.job_get_for(user=request.user, pk=pk)
    if not sel.job_can_download(user=request.user, job=job):
        raise Http404
    try:
        fh = job.result_file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    name = sel.job_file_name(job=job)
    response = FileResponse(fh, as_attachment=True, filename=name,
                            content_type=mimetypes.guess_type(name)[0] or "application/octet-stream")
    response["Cache-Control"] = "private, no-store"
    return response
