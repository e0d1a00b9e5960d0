"""Plain helpers of the API tests (imported by the test modules; fixtures live in conftest.py)."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from quxiang.roster.models import Student

API = "/api/v1"
PASSWORD = "Qx-Api-Test-2027"  # what the bound students' accounts use (set in make_bound_student)
SESSION_KEY = "SK-SECRET"  # what the fake WeChat server hands out; it must never leave our server
ERROR_KEYS = {"code", "message", "fields"}
_CJK = re.compile(r"[\u4e00-\u9fff]")
_codes = itertools.count(1)
_addresses = itertools.count(1)


def new_code() -> str:
    """A wx.login() code the fake WeChat server accepts ("ok-<n>" → openid "openid-<n>")."""
    return f"ok-{next(_codes)}"


def new_address() -> str:
    """A distinct client address (REMOTE_ADDR), so a test's failures do not add up on one address."""
    n = next(_addresses)
    return f"198.51.{n // 250}.{n % 250 + 1}"


def has_chinese(text: str) -> bool:
    return bool(_CJK.search(text or ""))


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The one error shape: exactly {code, message, fields}, JSON, a Chinese message, never a 5xx."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    assert isinstance(body["code"], str) and body["code"]
    assert isinstance(body["fields"], dict)
    assert all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in body["fields"].values()), body
    assert has_chinese(body["message"]), body["message"]
    if code is not None:
        assert body["code"] == code, body
    return body


def pdf_file(content: bytes, name: str = "协议书.pdf", content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@dataclass
class ApiUser:
    """A client holding one bearer token. Paths are relative to /api/v1."""

    token: str
    client: Client = field(default_factory=Client)
    address: str = "127.0.0.1"
    student: Student | None = None
    bind_response: dict[str, Any] | None = None

    @property
    def auth(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}", "REMOTE_ADDR": self.address}

    def _extra(self, key: str | None, extra: dict) -> dict:
        headers = {**self.auth, **extra}
        if key is not None:
            headers["HTTP_IDEMPOTENCY_KEY"] = key
        return headers

    def get(self, path: str, **extra):
        return self.client.get(API + path, **self._extra(None, extra))

    def post(self, path: str, payload: Any = None, *, key: str | None = None, **extra):
        if payload is None:
            return self.client.post(API + path, **self._extra(key, extra))
        return self.client.post(API + path, json.dumps(payload), content_type="application/json",
                                **self._extra(key, extra))

    def put(self, path: str, payload: Any, **extra):
        return self.client.put(API + path, json.dumps(payload), content_type="application/json",
                               **self._extra(None, extra))

    def put_raw(self, path: str, body: bytes | str, content_type: str = "application/json", **extra):
        return self.client.put(API + path, body, content_type=content_type, **self._extra(None, extra))

    def delete(self, path: str, **extra):
        return self.client.delete(API + path, **self._extra(None, extra))

    def upload(self, content: bytes, name: str = "协议书.pdf", *, key: str | None = None,
               content_type: str = "application/pdf", **extra):
        """Multipart upload with the field name "file", as wx.uploadFile sends it."""
        return self.client.post(API + "/registration/evidence", {"file": pdf_file(content, name, content_type)},
                                **self._extra(key, extra))

    def ok(self, response, status: int = 200) -> Any:
        assert response.status_code == status, (response.status_code, response.content[:1000])
        return response.json() if response.content else None


def bind(client: Client, *, code: str, student_number: str, password: str, address: str = "127.0.0.1"):
    return client.post(f"{API}/auth/bind", {"code": code, "student_number": student_number, "password": password},
                       content_type="application/json", REMOTE_ADDR=address)


def login(client: Client, *, code: str, address: str = "127.0.0.1"):
    return client.post(f"{API}/auth/login", {"code": code}, content_type="application/json", REMOTE_ADDR=address)
