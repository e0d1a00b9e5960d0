"""A fake WeChat server (jscode2session) on 127.0.0.1 for the API mode of the load test and the profile:
a wx.login code "ok-<anything>" binds to openid "openid-<anything>"; every other code is refused, as
WeChat refuses an expired one. bench/cluster/stack.py runs the same handler."""

from __future__ import annotations

import http.server
import json
import socketserver
import threading
from urllib.parse import parse_qs, urlsplit


class WeChatHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        code = query.get("js_code", "")
        if url.path == "/sns/jscode2session" and code.startswith("ok-"):
            body = {"openid": "openid-" + code[3:], "session_key": "SK-LOAD"}
        elif url.path in ("/cgi-bin/token", "/cgi-bin/stable_token"):
            body = {"access_token": "AT-LOAD", "expires_in": 7200}
        else:
            body = {"errcode": 40029, "errmsg": "invalid code"}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args) -> None:  # noqa: A002
        pass


class ThreadingServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


class FakeWeChat:
    def __init__(self, port: int):
        self.port = port
        self.server: ThreadingServer | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FakeWeChat:
        self.server = ThreadingServer(("127.0.0.1", self.port), WeChatHandler)
        threading.Thread(target=self.server.serve_forever, name="fake-wechat", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
