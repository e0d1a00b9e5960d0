"""The one size-limit upload handler: it stops reading a file part as soon as it passes the limit, so a
60 MB upload is not written to disk. Django then drains the rest of the body; the view sees
`request.upload_too_large`. Project-wide it applies the evidence limit (settings.FILE_UPLOAD_HANDLERS);
a page with larger files (the roster import) installs `upload_handlers_with_limit` for its request."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.files.uploadhandler import (
    FileUploadHandler,
    MemoryFileUploadHandler,
    StopUpload,
    TemporaryFileUploadHandler,
)


class SizeLimitUploadHandler(FileUploadHandler):
    def __init__(self, request=None, *, max_bytes: Callable[[], int] | None = None):
        super().__init__(request)
        self._max_bytes = max_bytes

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # Fields placed before the file in the form (the CSRF token, the action) are still parsed;
        # only the file part is cut short.
        self.request.upload_too_large = False
        self.limit = self.max_bytes()

    def max_bytes(self) -> int:
        """The per-file limit: the evidence limit unless the page gave its own."""
        return self._max_bytes() if self._max_bytes else settings.QUXIANG["EVIDENCE_MAX_BYTES"]

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request.upload_too_large = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None


def upload_handlers_with_limit(request, *, max_bytes: Callable[[], int]) -> list[FileUploadHandler]:
    """The project's handler chain with another per-file limit (read when the upload starts)."""
    return [
        SizeLimitUploadHandler(request, max_bytes=max_bytes),
        MemoryFileUploadHandler(request),
        TemporaryFileUploadHandler(request),
    ]
