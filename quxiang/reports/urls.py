from django.urls import path

from quxiang.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.statistics, name="statistics"),
    path("export/", views.national_export, name="export"),
    path("export/jobs/<int:pk>/", views.export_job, name="export_job"),
    path("export/jobs/<int:pk>/status/", views.export_job_status, name="export_job_status"),
    path("export/jobs/<int:pk>/download/", views.export_download, name="export_download"),
]
