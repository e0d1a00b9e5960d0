"""Settings for the test suite: same as base, with fast hashing and throwaway files."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import CACHES, QUXIANG_STORAGE, STORAGES, celery_broker_options

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
# Files: a throwaway folder on the local disk; a real worker started by quxiang/jobs/tests/test_worker.py
# is handed the test run's media folder. The object-storage tests switch to S3 themselves (a moto server on
# 127.0.0.1, quxiang/core/tests/s3.py); QUXIANG_STORAGE=s3 with AWS_* set runs the whole suite on S3.
if QUXIANG_STORAGE != "s3":
    _tmp = Path(os.environ.get("QUXIANG_TEST_MEDIA_DIR") or tempfile.mkdtemp(prefix="quxiang-test-media-"))
    STORAGES = {**STORAGES, "default": {**STORAGES["default"], "OPTIONS": {"location": str(_tmp), "base_url": None}}}
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = None

# Background jobs run inline in the unit tests (quxiang.jobs.services.job_enqueue); the worker tests
# (quxiang/jobs/tests/test_worker.py) start real workers against Redis instead.
CELERY_TASK_ALWAYS_EAGER = os.environ.get("QUXIANG_TEST_JOBS_EAGER", "1") == "1"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "memory://")
CELERY_BROKER_TRANSPORT_OPTIONS = celery_broker_options(CELERY_BROKER_URL)
CACHES = {**CACHES, "jobs": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "quxiang-jobs"}}
