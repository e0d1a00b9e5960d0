"""Upload handlers of the import page: the project-wide handler stops files at the evidence limit (10 MB);
a roster workbook may be larger, so the import view swaps in its own limit (see views.index)."""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler

from quxiang.core.upload import upload_handlers_with_limit


def import_max_bytes() -> int:
    return int(settings.QUXIANG.get("IMPORT_MAX_BYTES", 20 * 1024 * 1024))


def import_upload_handlers(request) -> list[FileUploadHandler]:
    return upload_handlers_with_limit(request, max_bytes=import_max_bytes)
