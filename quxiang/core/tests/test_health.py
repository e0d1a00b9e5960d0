"""Readiness probe (quxiang.core.health.ready) and the 503 page when the database or Redis is away
(ServiceUnavailableMiddleware), including the fault cases that fit the suite's time: a database error in
the middle of 提交 leaves no half-written record, a refused disk write gives a Chinese message and no
row, an upload cut off mid-body leaves neither row nor file."""

from __future__ import annotations

import io
import json
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.cache.backends.base import BaseCache
from django.core.files.storage import FileSystemStorage
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import path, reverse

from quxiang.core import health
from quxiang.evidence.models import EvidenceFile
from quxiang.registrations.models import EventKind, RegistrationEvent, Status
from quxiang.testing.factories import make_pdf_bytes, make_registration

MIDDLEWARE_503 = "quxiang.core.health.ServiceUnavailableMiddleware"


def with_503_middleware() -> list[str]:
    stack = list(settings.MIDDLEWARE)
    at = stack.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1
    return [*stack[:at], MIDDLEWARE_503, *stack[at:]]


class BrokenCache(BaseCache):
    """A cache whose server is gone: every call raises, as django-redis does when Redis is down."""

    def __init__(self, location, params):
        super().__init__(params)

    def _fail(self, *args, **kwargs):
        raise ConnectionError("redis: connection refused")

    add = get = set = delete = touch = incr = has_key = clear = _fail


class ForgetfulCache(BaseCache):
    """Answers, but keeps nothing (a full Redis with noeviction would refuse; a wrong one forgets)."""

    def __init__(self, location, params):
        super().__init__(params)

    def set(self, *args, **kwargs):
        return None

    def get(self, key, default=None, version=None):
        return default

    def delete(self, *args, **kwargs):
        return False


# --- the readiness view ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_ready_is_200_when_database_and_cache_answer():
    response = health.ready(RequestFactory().get("/healthz/ready"))
    assert response.status_code == 200
    assert json.loads(response.content) == {"database": "ok", "cache": "ok", "storage": "ok"}
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


@pytest.mark.django_db
@override_settings(CACHES={"default": {"BACKEND": "quxiang.core.tests.test_health.BrokenCache"}})
def test_ready_is_503_and_names_the_cache_when_redis_is_down(caplog):
    response = health.ready(RequestFactory().get("/healthz/ready"))
    assert response.status_code == 503
    assert json.loads(response.content) == {"database": "ok", "cache": "error", "storage": "ok"}
    assert "connection refused" not in response.content.decode()  # details go to the log only
    assert "cache 'default' unavailable" in caplog.text


@pytest.mark.django_db
@override_settings(
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "sessions": {"BACKEND": "quxiang.core.tests.test_health.BrokenCache"}},
    SESSION_ENGINE="django.contrib.sessions.backends.cache", SESSION_CACHE_ALIAS="sessions",
)
def test_ready_checks_the_sessions_cache_too_when_it_is_separate():
    response = health.ready(RequestFactory().get("/healthz/ready"))
    assert response.status_code == 503
    assert json.loads(response.content) == {"database": "ok", "cache": "error", "storage": "ok"}


@pytest.mark.django_db
@override_settings(CACHES={"default": {"BACKEND": "quxiang.core.tests.test_health.ForgetfulCache"}})
def test_ready_is_503_when_the_cache_does_not_keep_what_was_set():
    response = health.ready(RequestFactory().get("/healthz/ready"))
    assert response.status_code == 503
    assert json.loads(response.content)["cache"] == "error"


@pytest.mark.django_db
def test_ready_is_503_and_names_the_database_when_it_is_down(caplog):
    connection = connections["default"]
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("could not connect to server")):
        response = health.ready(RequestFactory().get("/healthz/ready"))
    assert response.status_code == 503
    assert json.loads(response.content) == {"database": "error", "cache": "ok", "storage": "ok"}
    assert "could not connect" not in response.content.decode()
    assert "database 'default' unavailable" in caplog.text


@pytest.mark.django_db
@override_settings(CACHES={"default": {"BACKEND": "quxiang.core.tests.test_health.BrokenCache"}})
def test_ready_reports_both_parts_down():
    with mock.patch.object(connections["default"], "cursor", side_effect=InterfaceError("connection already closed")):
        response = health.ready(RequestFactory().get("/healthz/ready"))
    assert response.status_code == 503
    assert json.loads(response.content) == {"database": "error", "cache": "error", "storage": "ok"}


def test_ready_answers_get_only():
    assert health.ready(RequestFactory().post("/healthz/ready")).status_code == 405


# --- the 503 page ----------------------------------------------------------------------------------------


def _raise_operational(request):
    raise OperationalError("server closed the connection unexpectedly")


def _raise_interface(request):
    raise InterfaceError("connection already closed")


def _raise_value(request):
    raise ValueError("a bug, not an outage")


def _ok(request):
    return HttpResponse("ok")


class RaisingInnerMiddleware:
    """Stands for the authentication middleware loading the user while PostgreSQL is away."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/fails-in-middleware/":
            raise OperationalError("terminating connection due to administrator command")
        return self.get_response(request)


urlpatterns = [
    path("db-down/", _raise_operational),
    path("db-gone/", _raise_interface),
    path("api/v1/db-down/", _raise_operational),
    path("bug/", _raise_value),
    path("fails-in-middleware/", _ok),
    path("ok/", _ok),
]


@pytest.fixture
def outage_client():
    stack = [*with_503_middleware(), "quxiang.core.tests.test_health.RaisingInnerMiddleware"]
    with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=stack):
        yield Client(raise_request_exception=False)


def _assert_503_page(response):
    assert response.status_code == 503
    assert response["Retry-After"] == str(health.RETRY_AFTER_SECONDS)
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    assert "系统" in body and "稍后" in body and 'lang="zh-hans"' in body
    for leak in ("Traceback", "OperationalError", "InterfaceError", "server closed", "administrator command"):
        assert leak not in body


def test_database_error_in_a_view_gives_the_chinese_503_page(outage_client, caplog):
    _assert_503_page(outage_client.get("/db-down/"))
    assert "service unavailable (OperationalError) on GET /db-down/" in caplog.text


def test_lost_connection_gives_the_503_page(outage_client):
    _assert_503_page(outage_client.post("/db-gone/"))


def test_database_error_in_a_middleware_below_gives_the_503_page(outage_client):
    _assert_503_page(outage_client.get("/fails-in-middleware/"))


def test_api_clients_get_json_503(outage_client):
    response = outage_client.get("/api/v1/db-down/")
    assert response.status_code == 503 and response["Retry-After"]
    assert response.json() == {"detail": "系统繁忙或正在维护，请稍后重试。您已填写的内容不会丢失。"}


def test_other_errors_stay_500_with_the_chinese_page_and_no_trace(outage_client):
    response = outage_client.get("/bug/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "系统繁忙" in body and "Traceback" not in body and "ValueError" not in body


def test_healthy_requests_pass_untouched(outage_client):
    response = outage_client.get("/ok/")
    assert response.status_code == 200 and response.content == b"ok"
    assert "Retry-After" not in response


def test_middleware_process_exception_ignores_other_errors():
    mw = health.ServiceUnavailableMiddleware(lambda r: HttpResponse())
    request = RequestFactory().get("/x")
    assert mw.process_exception(request, ValueError("x")) is None
    _assert_503_page(mw.process_exception(request, OperationalError("down")))


def test_templates_503_and_500_are_chinese_and_standalone():
    from django.template import loader

    for name in ("503.html", "500.html"):
        html = loader.get_template(name).render()
        assert 'lang="zh-hans"' in html and "请稍后" in html
        assert "{%" not in html and "<script" not in html


# --- faults that fit the suite's time -----------------------------------------------------------------


def _step(step: str) -> str:
    return reverse("registrations:step", kwargs={"step": step})


@pytest.mark.django_db
def test_database_failing_in_the_middle_of_submit_leaves_no_half_written_record():
    """The SUBMIT event insert fails after the status UPDATE ran in the same transaction (the connection
    dropped): the student sees the 503 page and the record is still a complete, unsubmitted draft."""
    reg = make_registration(complete=True)
    client = Client(raise_request_exception=False)
    client.force_login(reg.student.user)
    with override_settings(MIDDLEWARE=with_503_middleware()), mock.patch(
        "quxiang.registrations.services.RegistrationEvent.objects.create",
        side_effect=OperationalError("terminating connection due to administrator command"),
    ):
        response = client.post(_step("review"), {"action": "submit"})
    _assert_503_page(response)
    reg.refresh_from_db()
    assert reg.status == Status.DRAFT and reg.submitted_at is None
    assert not RegistrationEvent.objects.filter(registration=reg, kind=EventKind.SUBMIT).exists()
    # …and once the database is back, the same click goes through exactly once.
    with override_settings(MIDDLEWARE=with_503_middleware()):
        response = client.post(_step("review"), {"action": "submit"})
    assert response.status_code == 302
    reg.refresh_from_db()
    assert reg.status == Status.SUBMITTED
    assert RegistrationEvent.objects.filter(registration=reg, kind=EventKind.SUBMIT).count() == 1


class RefusingStorage(FileSystemStorage):
    """The disk refuses the write (full, read-only, permission denied)."""

    def _save(self, name, content):
        raise OSError(28, "No space left on device")


@pytest.mark.django_db
def test_disk_refusing_the_evidence_write_gives_a_chinese_message_and_no_row(tmp_path):
    reg = make_registration(organisation=True)
    client = Client()
    client.force_login(reg.student.user)
    storages = {**settings.STORAGES, "default": {
        "BACKEND": "quxiang.core.tests.test_health.RefusingStorage", "OPTIONS": {"location": str(tmp_path)},
    }}
    with override_settings(STORAGES=storages):
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("协议书.pdf", make_pdf_bytes(), content_type="application/pdf")
        response = client.post(_step("evidence"), {"action": "upload", "file": upload}, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "服务器暂时无法保存文件，请稍后重试。您已填写的内容不会丢失。" in body
    assert "No space left" not in body
    assert not EvidenceFile.objects.filter(registration=reg).exists()
    assert not any(tmp_path.rglob("*.pdf"))


def _padded_pdf(size: int) -> bytes:
    """A real one-page PDF made big by an embedded file, so that half of it is a broken PDF."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_attachment("scan.bin", bytes(range(256)) * (size // 256))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.django_db
def test_upload_cut_off_mid_body_leaves_no_row_and_no_file():
    """The client promises a Content-Length and closes after half of the multipart body (a phone losing
    its signal): whatever Django makes of it, no EvidenceFile row and no file may remain."""
    from django.test.client import ClientHandler

    reg = make_registration(organisation=True)
    client = Client()
    client.force_login(reg.student.user)
    cookie = "; ".join(f"{k}={v.value}" for k, v in client.cookies.items())
    boundary = "----quxiangcutoff"
    pdf = _padded_pdf(200_000)
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"action\"\r\n\r\nupload\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n"
        f"Content-Type: application/pdf\r\n\r\n"
    ).encode() + pdf + f"\r\n--{boundary}--\r\n".encode()

    def send(data: bytes) -> str:
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": _step("evidence"), "SERVER_NAME": "testserver",
            "SERVER_PORT": "80", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(data),
            "wsgi.errors": io.StringIO(), "CONTENT_TYPE": f"multipart/form-data; boundary={boundary}",
            "CONTENT_LENGTH": str(len(body)), "HTTP_COOKIE": cookie, "HTTP_HOST": "testserver",
            "REMOTE_ADDR": "127.0.0.1",
        }
        # The test client's handler (a WSGI handler that leaves the test's database connection open),
        # fed a raw environ whose body is shorter than its Content-Length.
        with override_settings(MIDDLEWARE=with_503_middleware()):
            response = ClientHandler(enforce_csrf_checks=False)(environ)  # closes the response itself
        return response.status_code

    media = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    before = {p for p in media.rglob("*") if p.is_file()}
    status = send(body[: len(body) // 2])
    assert status < 500, status
    assert not EvidenceFile.objects.filter(registration=reg).exists()
    assert {p for p in media.rglob("*") if p.is_file()} == before
    # The same request, whole, does upload: the test above is not passing for another reason.
    assert send(body) == 302
    assert EvidenceFile.objects.filter(registration=reg).count() == 1


ON_POSTGRES = connections["default"].vendor == "postgresql"


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: ten real concurrent connections and row locks")
@pytest.mark.django_db(transaction=True, serialized_rollback=ON_POSTGRES)
def test_ten_concurrent_submits_of_one_record_make_exactly_one_submission():
    import threading

    from quxiang.audit.models import AuditAction, AuditEntry

    reg = make_registration(complete=True)
    clients = []
    for _ in range(10):
        client = Client()
        client.force_login(reg.student.user)
        clients.append(client)
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def click(client: Client) -> None:
        try:
            barrier.wait(timeout=10)
            statuses.append(client.post(_step("review"), {"action": "submit"}).status_code)
        finally:
            connections.close_all()  # this thread's connection

    threads = [threading.Thread(target=click, args=(c,), daemon=True) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert statuses == [302] * 10
    reg.refresh_from_db()
    assert reg.status == Status.SUBMITTED
    assert RegistrationEvent.objects.filter(registration=reg, kind=EventKind.SUBMIT).count() == 1
    assert AuditEntry.objects.filter(registration_id=reg.pk, action=AuditAction.SUBMIT).count() == 1


# --- what is an outage, and what the log says about it ----------------------------------------------


def _wrapped(psycopg_error: Exception) -> OperationalError:
    """As Django raises it: django.db.OperationalError from the driver's error."""
    error = OperationalError(str(psycopg_error))
    error.__cause__ = psycopg_error
    return error


def test_outage_errors_are_told_apart_from_statement_errors():
    import psycopg.errors
    import redis.exceptions

    assert health.is_outage(OperationalError("connection failed: Connection refused"))
    assert health.is_outage(InterfaceError("connection already closed"))
    assert health.is_outage(_wrapped(psycopg.errors.AdminShutdown("terminating connection")))  # 57P01
    assert health.is_outage(_wrapped(psycopg.errors.CannotConnectNow("the database system is starting up")))
    assert health.is_outage(_wrapped(psycopg.errors.TooManyConnections("too many clients")))  # 53300
    assert health.is_outage(redis.exceptions.ConnectionError("Connection refused"))
    assert not health.is_outage(_wrapped(psycopg.errors.DeadlockDetected("deadlock detected")))  # 40P01
    assert not health.is_outage(_wrapped(psycopg.errors.QueryCanceled("statement timeout")))  # 57014
    assert not health.is_outage(ValueError("x"))


def test_an_outage_is_one_log_line_but_a_deadlock_keeps_its_traceback(caplog):
    import psycopg.errors

    mw = health.ServiceUnavailableMiddleware(lambda r: HttpResponse())
    request = RequestFactory().post("/registration/step/review/")
    mw.process_exception(request, OperationalError("connection failed"))
    mw.process_exception(request, _wrapped(psycopg.errors.DeadlockDetected("deadlock detected")))
    outage, deadlock = [r for r in caplog.records if r.name == "quxiang.health"]
    assert outage.exc_info is None and "connection failed" in outage.getMessage()
    assert deadlock.exc_info is not None and "deadlock detected" in deadlock.getMessage()


def test_outage_noise_filter_drops_djangos_traceback_record_only_for_outages():
    import logging
    import sys

    import psycopg.errors

    from quxiang.core.logging import OutageNoiseFilter

    def record(name: str, error: BaseException) -> logging.LogRecord:
        try:
            raise error
        except BaseException:
            exc_info = sys.exc_info()
        return logging.LogRecord(name, logging.ERROR, __file__, 1, "Internal Server Error: %s", ("/x",), exc_info)

    f = OutageNoiseFilter()
    assert f.filter(record("django.request", OperationalError("connection failed"))) is False
    assert f.filter(record("django.request", _wrapped(psycopg.errors.DeadlockDetected("deadlock")))) is True
    assert f.filter(record("django.request", ValueError("bug"))) is True
    assert f.filter(record("quxiang.health", OperationalError("connection failed"))) is True
    plain = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Not Found: %s", ("/x",), None)
    assert f.filter(plain) is True
