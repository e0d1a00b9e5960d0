from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "quxiang.api"
    verbose_name = "小程序接口"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from quxiang.api import tasks  # noqa: F401  (registers the notification job kind)
        from quxiang.api.notify import review_notification_queue
        from quxiang.core.notify import decision_channel_register

        decision_channel_register("wechat", review_notification_queue)
