from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "quxiang.reports"
    verbose_name = "统计与上报"
    default_auto_field = "django.db.models.BigAutoField"
