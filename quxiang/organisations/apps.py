from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "quxiang.organisations"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "单位库"
