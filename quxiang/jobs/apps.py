from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "quxiang.jobs"
    verbose_name = "后台任务"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The generic task must be registered with the Celery app in every process that enqueues (the web)
        # as well as in the worker, which also finds it by autodiscovery.
        from quxiang.jobs import tasks  # noqa: F401
