"""The project's URLs plus the readiness probe (bench only; see load_settings.py)."""

from django.urls import path

from config.urls import urlpatterns as project_urlpatterns
from quxiang.core import health

urlpatterns = [
    path("healthz/ready", health.ready, name="health_ready"),
    *project_urlpatterns,
]
