from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _office_group(sender, **kwargs) -> None:
    # After auth's own post_migrate handler has created the permissions of every app.
    from quxiang.accounts.services import office_group_sync

    office_group_sync()


class AccountsConfig(AppConfig):
    name = "quxiang.accounts"
    verbose_name = "账号"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connected to the last app's signal: auth's create_permissions runs per app, ours after all of them.
        post_migrate.connect(_office_group, dispatch_uid="quxiang.accounts.office_group")
