"""Upload handlers of the import page: the project-wide handler stops files at the evidence limit (10 MB);
a roster workbook may be larger, so the import view swaps in its own limit (see views.index)."""

from django.conf import settings
from django.core.files.uploadhandler import (
    FileUploadHandler,
    MemoryFileUploadHandler,
    StopUpload,
    TemporaryFileUploadHandler,
)


def import_max_bytes() -> int:
    return int(settings.QUXIANG.get("IMPORT_MAX_BYTES", 20 * 1024 * 1024))


class ImportSizeLimitUploadHandler(FileUploadHandler):
    """Stops reading the file part once it passes the import limit; the view sees `request.upload_too_large`."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.request.upload_too_large = False
        self.limit = import_max_bytes()

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


def import_upload_handlers(request) -> list[FileUploadHandler]:
    return [
        ImportSizeLimitUploadHandler(request),
        MemoryFileUploadHandler(request),
        TemporaryFileUploadHandler(request),
    ]
