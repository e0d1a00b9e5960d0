from django.urls import path

from quxiang.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("reference/regions.json", views.regions_json, name="regions_json"),
    path("healthz", views.healthz, name="healthz"),
]
