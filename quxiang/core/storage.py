"""Stored files (issue 11): evidence, job result files and import files live in STORAGES["default"], the
local disk (`make run`) or S3-compatible object storage (config/settings/base.py, QUXIANG_STORAGE=s3).

Everything that touches the store goes through Django's storage API; this module holds what the doors
share on top of it:

- `STORAGE_ERRORS`: what a failed save, open or delete raises on either backend (a full disk, an object
  store that does not answer or refuses), so that a service can turn it into a Chinese message;
- `stored_file_response`: a download streamed from the store in chunks (the object store's GetObject body
  read as it arrives, never the whole file in memory), 404 for a file that is gone, `StorageUnavailable`
  when the store cannot be reached; `storage_unavailable_response` is the Chinese 503 page for that case;
- `storage_delete_quietly`: removal in cleanup paths and on_commit hooks, which must not fail the request;
- `storage_check`: the readiness probe's view of the store (quxiang.core.health.ready).

Files are never offered under a URL of the store: a download is authorised by the view that calls
`stored_file_response` (docs/decisions.md "Object storage (issue 11)")."""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import quote

from django.core.files.storage import Storage, default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

from quxiang.core.errors import DomainError

logger = logging.getLogger("quxiang.storage")

RETRY_AFTER_SECONDS = 15
# What a download reads from the store per step (Django's FileResponse default is 4 KB).
STREAM_BLOCK_SIZE = 256 * 1024


def _storage_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [OSError]
    try:
        from boto3.exceptions import Boto3Error
        from botocore.exceptions import BotoCoreError, ClientError

        errors += [BotoCoreError, ClientError, Boto3Error]
    except ImportError:  # pragma: no cover - boto3 is in requirements.txt
        pass
    return tuple(errors)


STORAGE_ERRORS = _storage_errors()


class StorageUnavailable(DomainError):
    """The file store could not be reached (or refused): the user is asked to try again later."""

    code = "storage_unavailable"
    http_status = 503

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("文件存储暂时无法连接，请稍后重试。您已保存的内容不会丢失。"))


def is_s3(storage: Storage) -> bool:
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # pragma: no cover
        return False
    return isinstance(storage, S3Storage)


def _is_missing(error: BaseException) -> bool:
    if isinstance(error, FileNotFoundError):
        return True
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return False
    code = str(response.get("Error", {}).get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in {"NoSuchKey", "404", "NotFound"} or (status == 404 and code != "NoSuchBucket")


class StoredStream:
    """An open stored file read from the start: `read(n)`, `close()`, and its `size` in bytes."""

    def __init__(self, handle: Any, size: int | None) -> None:
        self._handle = handle
        self.size = size

    def read(self, amount: int = -1) -> bytes:
        return self._handle.read(amount) if amount is not None and amount >= 0 else self._handle.read()

    def close(self) -> None:
        self._handle.close()

    def fileno(self) -> int:
        """The local file's descriptor (gunicorn then uses sendfile); an object store's body has none."""
        return self._handle.fileno()


def stored_file_open(*, name: str, storage: Storage | None = None) -> StoredStream:
    """Open a stored file for reading as a stream. Raises FileNotFoundError when it is not there and
    StorageUnavailable when the store cannot be reached."""
    storage = storage or default_storage
    try:
        if is_s3(storage):
            # GetObject's body is read from the socket as it is consumed; S3File would first download the
            # whole object.
            key = storage._normalize_name(name)
            answer = storage.connection.meta.client.get_object(Bucket=storage.bucket_name, Key=key)
            return StoredStream(answer["Body"], answer.get("ContentLength"))
        handle = storage.open(name, "rb")
        try:
            size = os.fstat(handle.fileno()).st_size
        except (AttributeError, OSError, ValueError):
            size = None
        return StoredStream(handle, size)
    except STORAGE_ERRORS as exc:
        if _is_missing(exc):
            raise FileNotFoundError(name) from None
        logger.error("storage: %s could not be opened: %s: %s", name, type(exc).__name__, _first_line(exc))
        raise StorageUnavailable from None


def stored_file_response(
    *, name: str, content_type: str, filename: str, as_attachment: bool, storage: Storage | None = None,
) -> FileResponse:
    """The stored file as a streamed download (private, not cached). Http404 when the file is gone;
    StorageUnavailable (→ `storage_unavailable_response`) when the store does not answer. The caller has
    checked access first."""
    try:
        stream = stored_file_open(name=name, storage=storage)
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(stream, content_type=content_type)
    response.block_size = STREAM_BLOCK_SIZE
    # One form for every name (Chinese names are the rule): RFC 6266's filename*.
    response["Content-Disposition"] = (
        f"{'attachment' if as_attachment else 'inline'}; filename*=UTF-8''{quote(filename)}")
    if stream.size is not None:
        response["Content-Length"] = str(stream.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def storage_unavailable_response(request: HttpRequest | None = None) -> HttpResponse:
    """The Chinese 503 page (JSON for the API) for a file store that cannot be reached."""
    if request is not None and request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"code": StorageUnavailable.code, "detail": StorageUnavailable().message}, status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = HttpResponse(loader.get_template("core/storage_unavailable.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def storage_delete_quietly(*, name: str, storage: Storage | None = None) -> bool:
    """Remove a stored file; a store that fails is logged, not raised (a cleanup path or an on_commit hook
    must not fail a request whose data is already right). False when the file may still be there."""
    if not name:
        return True
    storage = storage or default_storage
    try:
        storage.delete(name)
    except STORAGE_ERRORS as exc:
        if _is_missing(exc):
            return True
        logger.error("storage: %s could not be removed (left behind): %s: %s", name, type(exc).__name__,
                     _first_line(exc))
        return False
    return True


def storage_check(storage: Storage | None = None) -> str:
    """"ok" when the store answers (the bucket exists and the credentials are accepted; the local folder
    is writable), else "error" (logged, no detail in the answer)."""
    storage = storage or default_storage
    try:
        if is_s3(storage):
            storage.connection.meta.client.head_bucket(Bucket=storage.bucket_name)
        else:
            location = getattr(storage, "location", None)
            if location:
                os.makedirs(location, exist_ok=True)
                if not os.access(location, os.W_OK):
                    raise PermissionError(f"{location} is not writable")
    except Exception as exc:  # whatever the store says, the probe answers "error"
        logger.warning("readiness: storage unavailable: %s: %s", type(exc).__name__, _first_line(exc))
        return "error"
    return "ok"


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else ""
