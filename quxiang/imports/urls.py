from django.urls import path

from quxiang.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.index, name="index"),
    path("template.xlsx", views.template, name="template"),
    path("jobs/<int:pk>/", views.job, name="job"),
    path("jobs/<int:pk>/import/", views.run, name="run"),
    path("jobs/<int:pk>/status/", views.status, name="status"),
    path("jobs/<int:pk>/problems.xlsx", views.problems, name="problems"),
]
