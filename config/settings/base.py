"""Settings shared by every environment. Defaults give the embedded demo: SQLite and local files."""

import os
from pathlib import Path

import dj_database_url

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
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
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
STORAGES = {
    # Evidence is private: no MEDIA_URL, files are only served through the authorised view.
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "private-media"), "base_url": None},
    },
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
}
QUXIANG["API_TOKEN_TTL_SECONDS"] = int(os.environ.get("QUXIANG_API_TOKEN_TTL_SECONDS", str(7 * 24 * 3600)))
QUXIANG["API_AUTH_RATE"] = (10, 60)  # bind/login calls per minute per address and per 学号
