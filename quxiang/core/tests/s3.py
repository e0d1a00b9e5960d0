"""A real S3 API endpoint for the tests: moto's server mode (moto[server]) in a process of its own on
127.0.0.1:<free port>, started once per test session, spoken to over HTTP by boto3 exactly as production
speaks to MinIO, Ceph RGW or a cloud bucket. No client is mocked. A separate process, so that the memory
the endpoint holds does not count in the app's memory checks and the endpoint can be stopped.

Use it in a test module with

    from quxiang.core.tests.s3 import s3_endpoint_fixture, s3_fixture  # noqa: F401 (pytest fixtures)

and ask for `s3` (and `s3_endpoint`) by name. `s3` gives each test a fresh private bucket and switches STORAGES["default"] to it (the settings the app
uses with QUXIANG_STORAGE=s3, built by config.settings.base.s3_storage_backend); `s3.keys()` lists the
objects in the bucket with boto3, `s3.unreachable()` points the storage at a closed port, `s3.reachable()`
back at the server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

ACCESS_KEY = "qx-test-access"
SECRET_KEY = "qx-test-secret"  # noqa: S105 (moto accepts any)
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def boto3_client(endpoint_url: str):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3", endpoint_url=endpoint_url, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        region_name=REGION, config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
    )


@dataclass
class S3Endpoint:
    url: str
    process: subprocess.Popen

    def client(self):
        return boto3_client(self.url)


def _wait_until_listening(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"moto_server did not listen on 127.0.0.1:{port} within {timeout} s")


@pytest.fixture(scope="session", name="s3_endpoint")
def s3_endpoint_fixture() -> Iterator[S3Endpoint]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "1"},
    )
    try:
        _wait_until_listening(port, process)
        yield S3Endpoint(url=f"http://127.0.0.1:{port}", process=process)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


class S3Bucket:
    """A fresh bucket of the session's endpoint, used as the app's default storage for one test."""

    def __init__(self, endpoint: S3Endpoint, settings) -> None:
        self.endpoint = endpoint
        self.name = f"qx-test-{uuid.uuid4().hex[:16]}"
        self.client = endpoint.client()
        self.client.create_bucket(Bucket=self.name)
        self._settings = settings
        self.reachable()

    def use(self, endpoint_url: str) -> None:
        from config.settings.base import s3_storage_backend

        self._settings.STORAGES = {
            **self._settings.STORAGES,
            "default": s3_storage_backend(endpoint_url=endpoint_url, bucket=self.name, access_key=ACCESS_KEY,
                                          secret_key=SECRET_KEY, region=REGION),
        }

    def reachable(self) -> None:
        self.use(self.endpoint.url)

    def unreachable(self) -> None:
        """The same bucket behind a port nothing listens on (an object store that is down)."""
        self.use(f"http://127.0.0.1:{free_port()}")

    def keys(self, prefix: str = "") -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def body(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def incomplete_uploads(self) -> list[str]:
        return [u["Key"] for u in self.client.list_multipart_uploads(Bucket=self.name).get("Uploads", [])]


@pytest.fixture(name="s3")
def s3_fixture(s3_endpoint, settings) -> S3Bucket:
    return S3Bucket(s3_endpoint, settings)
