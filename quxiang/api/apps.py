from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "quxiang.api"
    verbose_name = "小程序接口"
    default_auto_field = "django.db.models.BigAutoField"
