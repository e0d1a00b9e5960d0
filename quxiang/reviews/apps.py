from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "quxiang.reviews"
    verbose_name = "鉴证"
    default_auto_field = "django.db.models.BigAutoField"
