from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "quxiang.imports"
    verbose_name = "名单导入"
    default_auto_field = "django.db.models.BigAutoField"
