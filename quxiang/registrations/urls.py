from django.urls import path

from quxiang.registrations import views

app_name = "registrations"
urlpatterns = [
    path("", views.status, name="status"),
    path("start/", views.start, name="start"),
    path("step/<slug:step>/", views.step, name="step"),
    path("<int:pk>/", views.record, name="record"),
    path("<int:pk>/sheet.pdf", views.sheet, name="sheet"),
    path("withdraw/", views.withdraw, name="withdraw"),
    path("change/", views.change, name="change"),
    path("change/cancel/", views.change_cancel, name="change_cancel"),
]
