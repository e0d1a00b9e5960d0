"""Fixtures of the API tests.

* A fake WeChat server: a real ``ThreadingHTTPServer`` on 127.0.0.1 (random port) in a thread, implementing
  ``GET /sns/jscode2session``. Every API test points ``QUXIANG["WECHAT"]["API_BASE"]`` at it (autouse), so
  no test can reach api.weixin.qq.com. The ``js_code`` chooses the answer:

  ===================  ======================================================================
  ``ok-<x>``           ``{"openid": "openid-<x>", "session_key": "SK-SECRET"}``
  ``invalid``          errcode 40029 (also any code not listed here)
  ``used``             errcode 40163
  ``limit``            errcode 45011
  ``busy``             errcode -1
  ``blocked``          errcode 40226
  ``unknown-error``    errcode 99999 (one we have no mapping for)
  ``no-openid``        200 JSON without an openid
  ``not-object``       200 JSON that is not an object (``[]``)
  ``garbage``          200 with an HTML body (not JSON)
  ``slow``             sleeps ``SLOW_SECONDS`` (> the read timeout set here) before answering
  ===================  ======================================================================

  ``wechat.go_down()`` points API_BASE at a closed port (connection refused).
* Students bound through the API (``make_bound_student`` / ``bound_student``), each from its own client
  address, so that a test's failed logins from 127.0.0.1 (per-address limit) never touch them.
"""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from quxiang.api.tests.helpers import PASSWORD, SESSION_KEY, ApiUser, bind, new_address, new_code
from quxiang.testing.factories import StudentFactory

WECHAT_READ_TIMEOUT = 0.5
WECHAT_CONNECT_TIMEOUT = 1.0
SLOW_SECONDS = 2.0

_ERRCODES = {"invalid": 40029, "used": 40163, "limit": 45011, "busy": -1, "blocked": 40226, "unknown-error": 99999}


class _WeChatHandler(http.server.BaseHTTPRequestHandler):
    server: _WeChatServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        self.server.received.append({"path": url.path, **query})
        if url.path != "/sns/jscode2session":
            self._send(404, {"errcode": 404, "errmsg": "not found"})
            return
        code = query.get("js_code", "")
        if code.startswith("ok-"):
            self._send(200, {"openid": "openid-" + code[3:], "session_key": SESSION_KEY})
        elif code == "slow":
            time.sleep(SLOW_SECONDS)
            self._send(200, {"openid": "openid-slow", "session_key": SESSION_KEY})
        elif code == "garbage":
            self._send_raw(200, b"<html><body>502 Bad Gateway</body></html>", "text/html")
        elif code == "no-openid":
            self._send(200, {"session_key": SESSION_KEY})
        elif code == "not-object":
            self._send(200, [])
        else:
            errcode = _ERRCODES.get(code, 40029)
            self._send(200, {"errcode": errcode, "errmsg": f"fake error {errcode}"})

    def _send(self, status: int, body: Any) -> None:
        self._send_raw(status, json.dumps(body).encode(), "application/json")

    def _send_raw(self, status: int, data: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (the "slow" case)
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class _WeChatServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _WeChatHandler)
        self.received: list[dict[str, str]] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"


def closed_port_url() -> str:
    """An address on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def _wechat_server() -> Iterator[_WeChatServer]:
    server = _WeChatServer()
    thread = threading.Thread(target=server.serve_forever, name="fake-wechat", daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@dataclass
class FakeWeChat:
    server: _WeChatServer
    settings: Any

    @property
    def received(self) -> list[dict[str, str]]:
        return self.server.received

    def _set(self, **wechat: Any) -> None:
        quxiang = dict(self.settings.QUXIANG)
        quxiang["WECHAT"] = {**quxiang["WECHAT"], **wechat}
        self.settings.QUXIANG = quxiang

    def go_down(self) -> None:
        self._set(API_BASE=closed_port_url())


@pytest.fixture(autouse=True)
def wechat(settings, _wechat_server) -> FakeWeChat:
    """Every API test talks to the fake WeChat server, with a short read timeout for the "slow" case."""
    fake = FakeWeChat(server=_wechat_server, settings=settings)
    fake._set(API_BASE=_wechat_server.base_url, READ_TIMEOUT=WECHAT_READ_TIMEOUT,
              CONNECT_TIMEOUT=WECHAT_CONNECT_TIMEOUT)
    _wechat_server.received.clear()
    return fake


def bound_student_for(student, *, code: str | None = None) -> ApiUser:
    """Bind an existing student through the API and return their client holding the new token."""
    user = student.user
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    client, address = Client(), new_address()
    response = bind(client, code=code or new_code(), student_number=student.student_number, password=PASSWORD,
                    address=address)
    assert response.status_code == 200, response.content
    body = response.json()
    return ApiUser(token=body["token"], client=client, address=address, student=student, bind_response=body)


@pytest.fixture
def make_bound_student(db):
    """Factory: a new student (StudentFactory kwargs) bound to the mini-program through the API."""

    def make(**student_kwargs) -> ApiUser:
        return bound_student_for(StudentFactory(**student_kwargs))

    return make


@pytest.fixture
def bound_student(make_bound_student) -> ApiUser:
    """An undergraduate (origin 上海市徐汇区) bound through the API."""
    return make_bound_student()
