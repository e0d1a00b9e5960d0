from django.apps import AppConfig


class RosterConfig(AppConfig):
    name = "quxiang.roster"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "学生名册"
