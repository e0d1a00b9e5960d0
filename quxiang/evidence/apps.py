from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "quxiang.evidence"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the reading's job kind, in the web process (which queues it) and in the worker.
        from quxiang.evidence import tasks  # noqa: F401
