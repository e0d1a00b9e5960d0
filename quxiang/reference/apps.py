from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _region_changed(sender, **kwargs) -> None:
    from quxiang.reference.selectors import region_tree_invalidate

    region_tree_invalidate()


def _reference_changed(sender, **kwargs) -> None:
    from quxiang.reference.cache import reference_cache_invalidate

    reference_cache_invalidate()


class ReferenceConfig(AppConfig):
    name = "quxiang.reference"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "代码表"

    def ready(self) -> None:
        from quxiang.reference.models import (
            Country,
            DestinationCategory,
            DestinationType,
            Industry,
            JobCategory,
            OrgNature,
            Region,
        )

        # The cached picker tree must follow the office's edits (admin, imports).
        post_save.connect(_region_changed, sender=Region, dispatch_uid="reference.region_tree.save")
        post_delete.connect(_region_changed, sender=Region, dispatch_uid="reference.region_tree.delete")
        # The code tables held in process memory (reference/cache.py) follow them too.
        for model in (OrgNature, Industry, JobCategory, DestinationCategory, DestinationType, Region, Country):
            uid = f"reference.cache.{model._meta.model_name}"
            post_save.connect(_reference_changed, sender=model, dispatch_uid=f"{uid}.save")
            post_delete.connect(_reference_changed, sender=model, dispatch_uid=f"{uid}.delete")
