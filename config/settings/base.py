"""Settings shared by every environment. Defaults give the embedded demo: SQLite and local files."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("QUXIANG_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "quxiang.core",
    "quxiang.accounts",
    "quxiang.reference",
    "quxiang.roster",
    "quxiang.organisations",
    "quxiang.registrations",
    "quxiang.evidence",
    "quxiang.reviews",
    "quxiang.audit",
    "quxiang.jobs",
    "quxiang.api",
    "quxiang.imports",
    "quxiang.reports",
    "quxiang.integrity",
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "quxiang.core.health.ServiceUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "quxiang.core.middleware.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "quxiang.accounts.middleware.ForcePasswordChangeMiddleware",
    "quxiang.api.middleware.ApiJsonErrorsMiddleware",
]

ROOT_URLCONF = "config.urls"
# Widgets render with the project's templates too (templates/widgets/region_picker.html).
FORM_RENDERER = "quxiang.core.renderers.WidgetRenderer"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "quxiang.core.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'quxiang.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo database: readers keep reading while a roster import writes, and writers queue for the
    # lock at the start of a transaction instead of failing half way.
    DATABASES["default"]["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "quxiang",
    }
}
if os.environ.get("REDIS_URL"):
    CACHES["default"] = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
# Progress of background jobs, written by the worker and read by the web: a cache both processes see.
CACHES["jobs"] = (
    {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": os.environ["REDIS_URL"], "KEY_PREFIX": "qxj"}
    if os.environ.get("REDIS_URL")
    else {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(VAR_DIR / "cache-jobs")}
)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files browsers ask for at the site root (/favicon.ico), served by whitenoise without a URL pattern.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"


# --- files: Django's storage API (issue 11, docs/decisions.md "Object storage (issue 11)") -------------
# Evidence, job result files (exports) and import files live in STORAGES["default"]: the local disk under
# var/ (`make run`, one server), or S3-compatible object storage (MinIO, Ceph RGW, a cloud bucket) when
# QUXIANG_STORAGE=s3, for several app servers and workers. Private either way: no MEDIA_URL, no public
# ACL; a file is only ever served through the authorised view (quxiang.core.storage).
QUXIANG_STORAGE = os.environ.get("QUXIANG_STORAGE", "local").strip().lower() or "local"
AWS_S3_ENDPOINT_URL = os.environ.get("AWS_S3_ENDPOINT_URL", "").strip() or None  # None: AWS itself
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "").strip()
AWS_ACCESS_KEY_ID = os.environ.get("AWS_ACCESS_KEY_ID", "").strip() or None
AWS_SECRET_ACCESS_KEY = os.environ.get("AWS_SECRET_ACCESS_KEY", "").strip() or None
AWS_S3_REGION_NAME = os.environ.get("AWS_S3_REGION_NAME", "").strip() or "us-east-1"


def s3_storage_backend(*, endpoint_url: str | None, bucket: str, access_key: str | None, secret_key: str | None,
                       region: str = "us-east-1") -> dict:
    """STORAGES["default"] for an S3 endpoint: private objects, path-style addressing (MinIO, moto), and
    small timeouts: an object store that does not answer fails an upload or a download within seconds
    (the user gets a Chinese message or the 503 page), it does not hang a worker."""
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config

    mib = 1024 * 1024
    # Evidence (≤ 10 MB) goes up as one PUT streamed from Django's temporary upload file; a large export
    # in 8 MB parts, two at a time and at most two in memory (s3transfer's default would hold ten).
    transfer = TransferConfig(multipart_threshold=64 * mib, multipart_chunksize=8 * mib, max_concurrency=2,
                              io_chunksize=256 * 1024)
    transfer.max_in_memory_upload_chunks = 2
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket, "endpoint_url": endpoint_url, "region_name": region,
            "access_key": access_key, "secret_key": secret_key,
            "default_acl": None,  # the bucket's own policy: private
            "querystring_auth": True, "querystring_expire": 60,  # url() is never used; if it were: signed, 60 s
            # Generated names (uuid) never collide; no HEAD request before every upload.
            "file_overwrite": True,
            # Reading a file (evidence OCR) spools to a temporary file past 2.5 MB instead of memory.
            "max_memory_size": int(2.5 * mib),
            "client_config": Config(
                s3={"addressing_style": "path"}, signature_version="s3v4",
                connect_timeout=2, read_timeout=10, retries={"max_attempts": 2, "mode": "standard"},
                # Checksums only where S3 requires them: MinIO and Ceph RGW releases before 2025 refuse
                # the streamed (aws-chunked) uploads botocore sends by default.
                request_checksum_calculation="when_required", response_checksum_validation="when_required",
            ),
            "transfer_config": transfer,
        },
    }


def default_storage_backend() -> dict:
    if QUXIANG_STORAGE == "local":
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(VAR_DIR / "private-media"), "base_url": None},
        }
    if QUXIANG_STORAGE != "s3":
        raise ImproperlyConfigured(f"QUXIANG_STORAGE must be local or s3, not {QUXIANG_STORAGE!r}.")
    if not AWS_STORAGE_BUCKET_NAME:
        raise ImproperlyConfigured("QUXIANG_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME (see docs/deploy.md).")
    return s3_storage_backend(endpoint_url=AWS_S3_ENDPOINT_URL, bucket=AWS_STORAGE_BUCKET_NAME,
                              access_key=AWS_ACCESS_KEY_ID, secret_key=AWS_SECRET_ACCESS_KEY,
                              region=AWS_S3_REGION_NAME)


STORAGES = {
    "default": default_storage_backend(),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_HANDLERS = [
    "quxiang.core.upload.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_AGE = 60 * 60 * 8

# --- Quxiang's own settings (documented in README) ---
QUXIANG = {
    "SCHOOL_NAME": os.environ.get("QUXIANG_SCHOOL_NAME", "示范理工大学"),
    # How many trailing ID characters form the initial password (some provinces use eight).
    "INITIAL_PASSWORD_DIGITS": int(os.environ.get("QUXIANG_INITIAL_PASSWORD_DIGITS", "6")),
    "EVIDENCE_MAX_FILES": 3,
    "EVIDENCE_MAX_BYTES": int(os.environ.get("QUXIANG_EVIDENCE_MAX_BYTES", str(10 * 1024 * 1024))),
    # 单位信息登记号 of the Shanghai graduate service platform; format is a setting.
    "SHANGHAI_REG_NO_REGEX": os.environ.get("QUXIANG_SHANGHAI_REG_NO_REGEX", r"^\d{7}$"),
    "IMPORT_MAX_BYTES": int(os.environ.get("QUXIANG_IMPORT_MAX_BYTES", str(20 * 1024 * 1024))),
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCKOUT_SECONDS": 15 * 60,
    # Failed logins from one address (all doors, all accounts) before it waits out the lockout too;
    # more room than one account, as a computer room or campus NAT shares an address.
    "LOGIN_ADDRESS_MAX_FAILURES": 30,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

AUTHENTICATION_BACKENDS = ["quxiang.accounts.backends.StudentNumberBackend"]

# Reminders to students go through Django's email backend (console in development).
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "jiuye@example.edu.cn")
# The public address printed in the registration sheet's QR code.
QUXIANG["PUBLIC_BASE_URL"] = os.environ.get("QUXIANG_PUBLIC_BASE_URL", "http://127.0.0.1:8000")

QUXIANG["WECHAT"] = {
    "APP_ID": os.environ.get("WECHAT_APP_ID", "wx-demo-appid"),
    "APP_SECRET": os.environ.get("WECHAT_APP_SECRET", "demo-secret"),
    "API_BASE": os.environ.get("WECHAT_API_BASE", "https://api.weixin.qq.com"),
    "CONNECT_TIMEOUT": 3.05,
    "READ_TIMEOUT": 5,
    # 审核结果通知 (subscribeMessage.send after 鉴证 / 退回, quxiang/api/notify.py). The template is the one
    # chosen in the mini-program's admin console; FIELDS maps our values to its keywords (thing1, phrase2…):
    # "result" 结果 (鉴证通过 / 已退回), "reason" 退回原因 (or 无), "time" 处理时间, "name" 学生姓名.
    "REVIEW_TEMPLATE_ID": os.environ.get("WECHAT_REVIEW_TEMPLATE_ID", ""),
    "REVIEW_TEMPLATE_FIELDS": {"name": "thing1", "result": "phrase2", "reason": "thing3", "time": "time4"},
    "REVIEW_PAGE": "pages/home/index",  # what the message opens
    "MINIPROGRAM_STATE": os.environ.get("WECHAT_MINIPROGRAM_STATE", "formal"),  # developer | trial | formal
    # access_token lives 7200 s; it is refetched this long before WeChat's expires_in runs out.
    "TOKEN_REFRESH_MARGIN_SECONDS": 300,
}
QUXIANG["API_TOKEN_TTL_SECONDS"] = int(os.environ.get("QUXIANG_API_TOKEN_TTL_SECONDS", str(7 * 24 * 3600)))


# --- background jobs: Celery (issue 11, docs/decisions.md "Background jobs") ------------------------
def celery_broker_options(url: str) -> dict:
    """Transport options for the broker URL: Redis (production) or kombu's file transport (`make run`)."""
    if url.startswith("filesystem://"):
        # No server to install: the web process writes each message as a file that the worker picks up.
        queue = VAR_DIR / "celery" / "queue"
        control = VAR_DIR / "celery" / "control"
        for folder in (queue, control):
            folder.mkdir(parents=True, exist_ok=True)
        # The worker looks for new files this often (kombu's default is 1 s).
        return {"data_folder_in": str(queue), "data_folder_out": str(queue), "control_folder": str(control),
                "polling_interval": 0.25}
    if url.startswith(("redis://", "rediss://")):
        return {
            # A worker killed whole (SIGKILL, machine lost) leaves its message unacknowledged; another
            # worker puts it back after this many seconds. Jobs may run longer: the job's heartbeat
            # (quxiang.jobs) keeps a second worker off a job whose worker is alive.
            "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "120")),
            # How often a worker looks for such messages (interval × throttle seconds; kombu's default is 100).
            "unacked_restore_interval": int(os.environ.get("CELERY_RESTORE_INTERVAL", "10")),
            "unacked_restore_throttle": int(os.environ.get("CELERY_RESTORE_THROTTLE", "3")),
            # A Redis that does not answer fails the enqueue quickly (the page says so) instead of hanging.
            "socket_connect_timeout": 3,
            "socket_timeout": 10,
        }
    return {}


CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = celery_broker_options(CELERY_BROKER_URL)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# Results live in our own job rows (quxiang.jobs.models.Job), not in a Celery result backend.
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# At least once: acknowledged after the job ran, redelivered when its worker dies.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker that loses the broker stops its jobs, which are redelivered, rather than finishing them twice.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Publishing gives up after ~1.5 s of failed attempts; the job is then marked "could not be queued".
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
QUXIANG["JOBS"] = {
    name: int(os.environ[f"QUXIANG_JOB_{name}"])
    for name in ("HEARTBEAT_SECONDS", "LEASE_SECONDS", "STALE_SECONDS", "MAX_ATTEMPTS")
    if os.environ.get(f"QUXIANG_JOB_{name}")
}
