from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _region_changed(sender, **kwargs) -> None:
    from quxiang.reference.selectors import region_tree_invalidate

    region_tree_invalidate()


class ReferenceConfig(AppConfig):
    name = "quxiang.reference"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "代码表"

    def ready(self) -> None:
        from quxiang.reference.models import Region

        # The cached picker tree must follow the office's edits (admin, imports).
        post_save.connect(_region_changed, sender=Region, dispatch_uid="reference.region_tree.save")
        post_delete.connect(_region_changed, sender=Region, dispatch_uid="reference.region_tree.delete")
