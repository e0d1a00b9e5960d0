from django.contrib import admin
from django.urls import include, path

from quxiang.api.api import api
from quxiang.core import health
from quxiang.registrations.views import public_verify

urlpatterns = [
    path("", include("quxiang.core.urls")),
    path("accounts/", include("quxiang.accounts.urls")),
    path("reference/", include("quxiang.reference.urls")),
    path("registration/", include("quxiang.registrations.urls")),
    path("evidence/", include("quxiang.evidence.urls")),
    path("staff/", include("quxiang.reviews.urls")),
    path("office/import/", include("quxiang.imports.urls")),
    path("office/reports/", include("quxiang.reports.urls")),
    path("office/integrity/", include("quxiang.integrity.urls")),
    path("verify/<str:code>/", public_verify, name="public_verify"),
    path("healthz/ready", health.ready, name="health_ready"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
