from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload


class SizeLimitUploadHandler(FileUploadHandler):
    """Stops reading a file part as soon as it passes the evidence size limit, so a 60 MB upload is not
    written to disk. Django then drains the rest of the body; the view sees `request.upload_too_large`."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # Fields placed before the file in the form (the CSRF token, the action) are still parsed;
        # only the file part is cut short.
        self.request.upload_too_large = False
        self.limit = self.max_bytes()

    def max_bytes(self) -> int:
        """The per-file limit; a page with other files (the roster import) overrides this."""
        return settings.QUXIANG["EVIDENCE_MAX_BYTES"]

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
