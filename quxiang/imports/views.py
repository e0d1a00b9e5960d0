"""The office's roster import: template download, upload, preview with progress, import."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from quxiang.core.permissions import office_required
from quxiang.core.xlsx import xlsx_response
from quxiang.imports import selectors, services
from quxiang.imports.forms import UploadForm
from quxiang.imports.upload import import_max_bytes, import_upload_handlers
from quxiang.imports.workbooks import problems_xlsx_build, template_xlsx_build

PROBLEMS_PER_PAGE = 100


@csrf_exempt  # the upload handlers must be swapped before the body is read; CSRF is checked by _index
@office_required
def index(request: HttpRequest) -> HttpResponse:
    request.upload_handlers = import_upload_handlers(request)
    return _index(request)


@csrf_protect
def _index(request: HttpRequest) -> HttpResponse:
    max_bytes = import_max_bytes()
    max_mb = max_bytes // (1024 * 1024)
    too_large = _("文件超过 %(mb)d MB 上限，请分批导入。") % {"mb": max_mb}
    upload_error = ""
    files = request.FILES if request.method == "POST" else None  # parsing the body sets upload_too_large
    if files is not None and getattr(request, "upload_too_large", False):
        form, upload_error = UploadForm(), too_large  # the file part was cut short: say only that
    elif request.method == "POST":
        form = UploadForm(request.POST, files)
        if form.is_valid():
            try:
                job = services.import_job_create(upload=form.cleaned_data["file"], actor=request.user)
            except ValidationError as exc:
                form.add_error("file", exc)
            else:
                services.import_job_start_check(job=job)
                return redirect("imports:job", pk=job.pk)
    else:
        form = UploadForm()
    return render(request, "imports/index.html", {
        "form": form, "jobs": selectors.import_job_list(), "max_mb": max_mb, "max_bytes": max_bytes,
        "too_large": too_large, "upload_error": upload_error,
    })


@office_required
def template(request: HttpRequest) -> HttpResponse:
    content = template_xlsx_build(majors=selectors.majors_for_template())
    return xlsx_response(content=content, stem="roster-template")


@office_required
def job(request: HttpRequest, pk: int) -> HttpResponse:
    job = services.import_job_expire_stale(job=selectors.import_job_get(pk=pk))
    page = Paginator(job.problems, PROBLEMS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "imports/job.html", {
        "job": job, "page": page, "query": "", "progress": selectors.import_job_progress(job=job),
        "outcome": selectors.import_job_preview_outcome(job=job),
    })


@require_POST
@office_required
def run(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_job_get(pk=pk, with_problems=False)
    if not services.import_job_start_import(job=job, actor=request.user):
        messages.info(request, _("该文件正在导入或已经导入，无需重复操作。"))
    return redirect("imports:job", pk=pk)


def _busy_is_not_an_error(view):
    """On SQLite an import's write transaction can keep even the session lookup waiting past the lock timeout;
    the progress bar then gets a 503 and asks again, instead of a 500 in the log."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except OperationalError:
            return JsonResponse({"running": True, "busy": True}, status=503)

    return wrapper


@never_cache
@_busy_is_not_an_error
@office_required
def status(request: HttpRequest, pk: int) -> JsonResponse:
    job = services.import_job_expire_stale(job=selectors.import_job_get(pk=pk, with_problems=False))
    return JsonResponse(selectors.import_job_status_payload(job=job), json_dumps_params={"ensure_ascii": False})


@office_required
def problems(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_job_get(pk=pk)
    return xlsx_response(content=problems_xlsx_build(job=job), stem=f"import-{job.pk}-problems")
