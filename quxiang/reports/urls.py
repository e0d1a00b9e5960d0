from django.urls import path

from quxiang.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.statistics, name="statistics"),
    path("export/", views.national_export, name="export"),
]
