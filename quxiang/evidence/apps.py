from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "quxiang.evidence"
    default_auto_field = "django.db.models.BigAutoField"
