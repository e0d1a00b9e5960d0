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
  It also implements the server-side calls of the 审核结果通知 (issue 10):
  ``GET /cgi-bin/token`` hands out ``TOKEN-<n>`` with ``expires_in = server.token_expires_in``;
  ``POST /cgi-bin/message/subscribe/send`` answers 40001 for a token it did not hand out (or that
  ``wechat.revoke_tokens()`` revoked), else the next errcode of ``server.send_errcodes`` (then 0); an errcode
  of ``"slow"`` sleeps SLOW_SECONDS first. ``wechat.sends`` / ``wechat.token_fetches`` list what arrived.
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
from quxiang.api.wechat import wechat_token_forget
from quxiang.testing.factories import StudentFactory

WECHAT_READ_TIMEOUT = 0.5
WECHAT_CONNECT_TIMEOUT = 1.0
SLOW_SECONDS = 2.0
REVIEW_TEMPLATE_ID = "tmpl-review-result"

_ERRCODES = {"invalid": 40029, "used": 40163, "limit": 45011, "busy": -1, "blocked": 40226, "unknown-error": 99999}


class _WeChatHandler(http.server.BaseHTTPRequestHandler):
    server: _WeChatServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        self.server.received.append({"path": url.path, **query})
        if url.path == "/cgi-bin/token":
            self._issue_token(query)
            return
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

    def _issue_token(self, query: dict[str, str]) -> None:
        if query.get("grant_type") != "client_credential" or not query.get("secret"):
            self._send(200, {"errcode": 40013, "errmsg": "invalid appid"})
            return
        with self.server.lock:
            self.server.token_count += 1
            token = f"TOKEN-{self.server.token_count}"
            self.server.valid_tokens.add(token)
        self._send(200, {"access_token": token, "expires_in": self.server.token_expires_in})

    def do_POST(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            body = None
        self.server.received.append({"path": url.path, **query, "body": body})
        if url.path != "/cgi-bin/message/subscribe/send":
            self._send(404, {"errcode": 404, "errmsg": "not found"})
            return
        if query.get("access_token") not in self.server.valid_tokens:
            self._send(200, {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"})
            return
        with self.server.lock:
            errcode = self.server.send_errcodes.pop(0) if self.server.send_errcodes else 0
        if errcode == "slow":
            time.sleep(SLOW_SECONDS)
            errcode = 0
        self._send(200, {"errcode": errcode, "errmsg": "ok" if not errcode else f"fake error {errcode}"})

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
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.received.clear()
        self.token_count = 0
        self.token_expires_in = 7200
        self.valid_tokens: set[str] = set()
        self.send_errcodes: list[int | str] = []

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

    @property
    def sends(self) -> list[dict[str, Any]]:
        return [r for r in self.received if r["path"] == "/cgi-bin/message/subscribe/send"]

    @property
    def token_fetches(self) -> list[dict[str, Any]]:
        return [r for r in self.received if r["path"] == "/cgi-bin/token"]

    def revoke_tokens(self) -> None:
        """WeChat invalidated every token handed out so far (e.g. someone fetched a new one elsewhere)."""
        self.server.valid_tokens.clear()


@pytest.fixture(autouse=True)
def wechat(settings, _wechat_server) -> FakeWeChat:
    """Every API test talks to the fake WeChat server, with a short read timeout for the "slow" case."""
    fake = FakeWeChat(server=_wechat_server, settings=settings)
    fake._set(API_BASE=_wechat_server.base_url, READ_TIMEOUT=WECHAT_READ_TIMEOUT,
              CONNECT_TIMEOUT=WECHAT_CONNECT_TIMEOUT, REVIEW_TEMPLATE_ID=REVIEW_TEMPLATE_ID)
    _wechat_server.reset()
    wechat_token_forget()  # no token cached by an earlier test (the cache outlives a test)
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
