from django.apps import AppConfig


class IntegrityConfig(AppConfig):
    name = "quxiang.integrity"
    verbose_name = "数据核查"
    default_auto_field = "django.db.models.BigAutoField"
