"""Upload handlers of the import page: the project-wide handler stops files at the evidence limit (10 MB);
a roster workbook may be larger, so the import view swaps in its own limit (see views.index)."""

from django.conf import settings
from django.core.files.uploadhandler import (
    FileUploadHandler,
    MemoryFileUploadHandler,
    TemporaryFileUploadHandler,
)

from quxiang.evidence.upload import SizeLimitUploadHandler


def import_max_bytes() -> int:
    return int(settings.QUXIANG.get("IMPORT_MAX_BYTES", 20 * 1024 * 1024))


class ImportSizeLimitUploadHandler(SizeLimitUploadHandler):
    """The evidence handler with the import limit; the view sees `request.upload_too_large`."""

    def max_bytes(self) -> int:
        return import_max_bytes()


def import_upload_handlers(request) -> list[FileUploadHandler]:
    return [
        ImportSizeLimitUploadHandler(request),
        MemoryFileUploadHandler(request),
        TemporaryFileUploadHandler(request),
    ]
