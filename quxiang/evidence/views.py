from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from quxiang.accounts.access import get_for_user
from quxiang.audit.models import AuditAction
from quxiang.audit.services import audit_record
from quxiang.core.http import client_ip
from quxiang.core.storage import StorageUnavailable, storage_unavailable_response, stored_file_response
from quxiang.evidence.models import EvidenceFile


@login_required
@require_GET
@xframe_options_sameorigin  # staff see PDFs inline in the record page
def download(request: HttpRequest, pk: int) -> HttpResponse:
    """The only way to an evidence file: scoped by the access helper, never a public URL (nor a URL of the
    object store): the bytes are streamed from the store through this view. A file that is gone is a 404,
    a store that cannot be reached the 503 page. Every staff view is written to the audit log."""
    evidence = get_for_user(
        user=request.user, model=EvidenceFile.objects.select_related("registration__student"), pk=pk
    )
    try:
        response = stored_file_response(
            storage=evidence.file.storage, name=evidence.file.name, content_type=evidence.content_type,
            filename=evidence.original_name, as_attachment=bool(request.GET.get("download")),
        )
    except StorageUnavailable:
        return storage_unavailable_response(request)
    if request.user.is_staff_role:
        audit_record(
            actor=request.user, action=AuditAction.EVIDENCE_VIEW, ip=client_ip(request),
            registration=evidence.registration, detail={"evidence_id": evidence.pk, "name": evidence.original_name},
        )
    return response
