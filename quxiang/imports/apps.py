from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "quxiang.imports"
    verbose_name = "名单导入"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the import's job kinds, in the web process (which queues them) and in the worker.
        from quxiang.imports import tasks  # noqa: F401
