from django.urls import path

from quxiang.reviews import job_views, views

app_name = "reviews"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("home/", views.staff_home, name="home"),
    path("records/<int:pk>/", views.record, name="record"),
    path("records/<int:pk>/verify/", views.verify, name="verify"),
    path("records/<int:pk>/return/", views.return_record, name="return"),
    path("records/<int:pk>/reopen/", views.reopen, name="reopen"),
    path("bulk-verify/", views.bulk_verify, name="bulk_verify"),
    path("unregistered/", views.unregistered, name="unregistered"),
    path("audit/", views.audit_log, name="audit"),
    path("jobs/", job_views.job_list, name="jobs"),
    path("jobs/<int:pk>/", job_views.job_detail, name="job"),
    path("jobs/<int:pk>/status/", job_views.job_status, name="job_status"),
    path("jobs/<int:pk>/download/", job_views.job_download, name="job_download"),
]
