from django.urls import path

from quxiang.integrity import views

app_name = "integrity"
urlpatterns = [
    path("", views.index, name="index"),
    path("findings/<int:pk>/decide/", views.finding_decide, name="finding_decide"),
    path("sampling/", views.sampling, name="sampling"),
    path("sampling/runs/<int:pk>/", views.sample_run, name="sample_run"),
    path("sampling/items/<int:pk>/outcome/", views.sample_item_outcome, name="sample_item_outcome"),
    path("sampling/items/<int:pk>/send-back/", views.sample_item_send_back, name="sample_item_send_back"),
    path("follow-ups/", views.follow_ups, name="follow_ups"),
    path("follow-ups/<int:pk>/resolve/", views.follow_up_resolve, name="follow_up_resolve"),
]
