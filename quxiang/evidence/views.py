from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from quxiang.accounts.access import get_for_user
from quxiang.audit.models import AuditAction
from quxiang.audit.services import audit_record
from quxiang.core.http import client_ip
from quxiang.evidence.models import EvidenceFile


@login_required
@require_GET
@xframe_options_sameorigin  # staff see PDFs inline in the record page
def download(request: HttpRequest, pk: int) -> FileResponse:
    """The only way to an evidence file: scoped by the access helper, never a public URL.
    Every staff view is written to the audit log."""
    evidence = get_for_user(
        user=request.user, model=EvidenceFile.objects.select_related("registration__student"), pk=pk
    )
    try:
        handle = evidence.file.open("rb")
    except OSError:
        raise Http404 from None
    if request.user.is_staff_role:
        audit_record(
            actor=request.user, action=AuditAction.EVIDENCE_VIEW, ip=client_ip(request),
            registration=evidence.registration, detail={"evidence_id": evidence.pk, "name": evidence.original_name},
        )
    response = FileResponse(handle, content_type=evidence.content_type)
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(evidence.original_name)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
