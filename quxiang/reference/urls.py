from django.urls import path

from quxiang.reference import views

app_name = "reference"
urlpatterns = [
    path("regions.json", views.regions_json, name="regions_json"),
]
