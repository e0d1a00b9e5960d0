from django.urls import path

from quxiang.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.statistics, name="statistics"),
    path("export/", views.national_export, name="export"),
    path("export/jobs/<int:pk>/", views.export_job, name="export_job"),
    path("export/jobs/<int:pk>/status/", views.export_job_status, name="export_job_status"),
    path("export/jobs/<int:pk>/download/", views.export_download, name="export_download"),
    path("precheck/", views.precheck_page, name="precheck"),
    path("precheck/download/", views.precheck_download, name="precheck_download"),
    path("profiles/", views.profile_list, name="profiles"),
    path("profiles/import/", views.profile_import, name="profile_import"),
    path("profiles/<int:pk>/download/", views.profile_download, name="profile_download"),
    path("profiles/<int:pk>/copy/", views.profile_copy, name="profile_copy"),
    path("school/", views.school_settings, name="school_settings"),
]
