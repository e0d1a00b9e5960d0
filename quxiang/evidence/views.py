from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from quxiang.core.access import get_for_user
from quxiang.evidence.models import EvidenceFile


@login_required
@require_GET
def download(request: HttpRequest, pk: int) -> FileResponse:
    """The only way to an evidence file: scoped by the access helper, never a public URL."""
    evidence = get_for_user(user=request.user, model=EvidenceFile.objects.select_related("registration"), pk=pk)
    try:
        handle = evidence.file.open("rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(handle, content_type=evidence.content_type)
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(evidence.original_name)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    return response
