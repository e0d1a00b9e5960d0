"""Coded domain errors. A service raises one; each door maps it to its own shape (the web shows the
message, the API answers {code, message, fields} with the status the code maps to). Codes are stable
strings the mini-program and tests rely on, as Zulip's JsonableError and Saleor's error codes."""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused the action. ``message`` is for the user (Chinese, translated); ``code`` is for
    machines; ``fields`` maps form field names to their messages when the error belongs to inputs."""

    code: str = "error"
    # The HTTP status an API door should answer with; a door may override it.
    http_status: int = 409

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, list[str]] | None = None,
                 http_status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if http_status is not None:
            self.http_status = http_status
        self.fields = fields or {}
