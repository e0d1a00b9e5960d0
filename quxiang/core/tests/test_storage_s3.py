"""Object storage (issue 11) against a real S3 endpoint (moto's server, quxiang/core/tests/s3.py): the
settings switch, the readiness probe, the streamed download helper, and the national export's result file
stored in the bucket and downloaded through its access-checked view."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import RequestFactory
from django.urls import reverse

from quxiang.core import health
from quxiang.core.storage import (
    StorageUnavailable,
    storage_check,
    storage_delete_quietly,
    stored_file_response,
)
from quxiang.core.tests.s3 import s3_endpoint_fixture, s3_fixture  # noqa: F401 (pytest fixtures)
from quxiang.jobs.models import Job, JobStatus
from quxiang.reports.jobs import KIND_EXPORT, national_export_start
from quxiang.testing.factories import StudentFactory, make_office

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
MB = 1024 * 1024

# --- the settings switch ---------------------------------------------------------------------------

PROD_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "x7V!q2#pL9w@Zr4$Tn8^Ku1&Bm6*Yc3(Hd5)Jf0_Gs2+Wq9=Ep7-Ra4",
    "DJANGO_ALLOWED_HOSTS": "jiuye.example.edu.cn",
    "DATABASE_URL": "postgres://quxiang@db.internal:5432/quxiang",
}
DUMP = """
import json, django
django.setup()
from django.conf import settings
from django.core.files.storage import storages
d = storages["default"]
out = {"class": type(d).__name__, "base_url": settings.STORAGES["default"]["OPTIONS"].get("base_url")}
if out["class"] == "S3Storage":
    c = d.client_config
    out.update({"bucket": d.bucket_name, "endpoint": d.endpoint_url, "region": d.region_name, "acl": d.default_acl,
        "querystring_auth": d.querystring_auth, "expire": d.querystring_expire, "addressing": c.s3["addressing_style"],
        "connect": c.connect_timeout, "read": c.read_timeout, "attempts": c.retries["max_attempts"],
        "access": d.access_key})
print(json.dumps(out))
"""

def settings_run(**env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_", "DB_", "QUXIANG_", "AWS_"))}
    return subprocess.run([sys.executable, "-c", DUMP], cwd=ROOT, env={**base, **env}, capture_output=True,
                          text=True, timeout=120)


def test_production_switches_to_the_bucket_with_quxiang_storage_s3():
    proc = settings_run(**PROD_ENV, QUXIANG_STORAGE="s3", AWS_S3_ENDPOINT_URL="http://10.0.0.9:9000",
                        AWS_STORAGE_BUCKET_NAME="quxiang-files", AWS_ACCESS_KEY_ID="AK",
                        AWS_SECRET_ACCESS_KEY="SK")
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got == {
        "class": "S3Storage", "base_url": None, "bucket": "quxiang-files", "endpoint": "http://10.0.0.9:9000",
        "region": "us-east-1", "acl": None, "querystring_auth": True, "expire": 60, "addressing": "path",
        "connect": 2, "read": 10, "attempts": 2, "access": "AK",
    }


def test_local_disk_stays_the_default():
    proc = settings_run(**PROD_ENV)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"class": "FileSystemStorage", "base_url": None}


@pytest.mark.parametrize("env,message", [
    ({"QUXIANG_STORAGE": "s3"}, "AWS_STORAGE_BUCKET_NAME"),
    ({"QUXIANG_STORAGE": "ftp"}, "QUXIANG_STORAGE must be local or s3"),
])
def test_a_wrong_storage_setting_stops_the_start(env, message):
    proc = settings_run(**PROD_ENV, **env)
    assert proc.returncode != 0 and message in proc.stderr


# --- readiness --------------------------------------------------------------------------------------

def test_ready_reports_the_bucket(s3):
    response = health.ready(RequestFactory().get("/healthz/ready"))
    assert response.status_code == 200
    assert json.loads(response.content)["storage"] == "ok"


def test_ready_is_503_when_the_store_is_down(s3, caplog):
    s3.unreachable()
    started = time.monotonic()
    response = health.ready(RequestFactory().get("/healthz/ready"))
    assert time.monotonic() - started < 10
    assert response.status_code == 503
    assert json.loads(response.content) == {"database": "ok", "cache": "ok", "storage": "error"}
    assert "storage unavailable" in caplog.text


def test_a_bucket_that_does_not_exist_is_not_ready(s3):
    s3.client.delete_bucket(Bucket=s3.name)
    assert storage_check() == "error"


# --- the streamed download helper -------------------------------------------------------------------

def test_a_download_streams_in_blocks_with_its_length(s3):
    data = os.urandom(3 * MB + 17)
    name = default_storage.save("jobs/x/大表.xlsx", ContentFile(data))
    response = stored_file_response(name=name, content_type="application/octet-stream", filename="大表.xlsx",
                                    as_attachment=True)
    assert response.streaming and response["Content-Length"] == str(len(data))
    assert response["Content-Disposition"] == "attachment; filename*=UTF-8''%E5%A4%A7%E8%A1%A8.xlsx"
    blocks = list(response.streaming_content)
    response.close()
    assert len(blocks) > 1 and max(len(b) for b in blocks) <= 256 * 1024
    assert b"".join(blocks) == data


def test_a_download_from_a_store_that_is_down_raises_storage_unavailable(s3):
    name = default_storage.save("jobs/y/a.bin", ContentFile(b"abc"))
    s3.unreachable()
    with pytest.raises(StorageUnavailable) as caught:
        stored_file_response(name=name, content_type="application/octet-stream", filename="a.bin",
                             as_attachment=True)
    assert caught.value.http_status == 503 and "文件存储暂时无法连接" in caught.value.message


def test_quiet_delete_says_whether_the_object_went(s3):
    name = default_storage.save("jobs/z/a.bin", ContentFile(b"abc"))
    s3.unreachable()
    assert storage_delete_quietly(name=name) is False
    s3.reachable()
    assert s3.keys() == [name]
    assert storage_delete_quietly(name=name) is True and s3.keys() == []
    assert storage_delete_quietly(name=name) is True  # gone already: nothing to do


# --- the national export's file in the bucket -------------------------------------------------------

@pytest.fixture
def office(s3):
    for _ in range(3):
        StudentFactory()
    return make_office()


def test_the_export_file_is_stored_in_the_bucket_and_downloaded_by_its_owner_only(s3, client, office):
    job = national_export_start(actor=office, year=2027)
    job.refresh_from_db()
    assert (job.kind, job.status) == (KIND_EXPORT, JobStatus.DONE)
    assert s3.keys() == [job.result_file.name] and job.result_file.name.startswith("jobs/")
    url = reverse("reports:export_download", kwargs={"pk": job.pk})
    client.force_login(office)
    response = client.get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    body = b"".join(response.streaming_content)
    assert body == s3.body(job.result_file.name)
    rows = list(openpyxl.load_workbook(io.BytesIO(body)).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 1 + 3
    client.force_login(make_office())
    assert client.get(url).status_code == 404  # another office user's export


def test_export_download_while_the_store_is_down_is_the_503_page(s3, client, office):
    job = national_export_start(actor=office, year=2027)
    client.force_login(office)
    s3.unreachable()
    response = client.get(reverse("reports:export_download", kwargs={"pk": job.pk}))
    assert response.status_code == 503 and "文件存储暂时无法连接" in response.content.decode()


def test_export_whose_file_cannot_be_stored_fails_in_chinese_and_leaves_nothing(s3, office):
    s3.unreachable()
    job = national_export_start(actor=office, year=2027)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and not job.result_file
    assert "导出文件未能保存" in job.error
    s3.reachable()
    assert s3.keys() == [] and s3.incomplete_uploads() == []
    assert Job.objects.filter(kind=KIND_EXPORT, status=JobStatus.DONE).count() == 0
