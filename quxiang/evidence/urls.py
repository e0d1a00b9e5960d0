from django.urls import path

from quxiang.evidence import views

app_name = "evidence"
urlpatterns = [path("<int:pk>/", views.download, name="download")]
