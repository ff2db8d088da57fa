from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkOrdersConfig(AppConfig):
    name = "werkbon.workorders"
    label = "workorders"
    verbose_name = _("Work orders")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from werkbon.workorders.models import WorkOrder

        post_save.connect(_forget_installations_elsewhere, sender=WorkOrder,
                          dispatch_uid="workorders.forget_installations_elsewhere")


def _forget_installations_elsewhere(sender, instance, created: bool, **kwargs) -> None:  # type: ignore[no-untyped-def]
    """A work order moved to another work address no longer names the old one's
    installations (WorkOrder.save updates ``_copied_address_id`` after this signal)."""
    if created or not hasattr(instance, "_copied_address_id"):
        return
    if instance._copied_address_id != instance.work_address_id:
        from werkbon.workorders.services import drop_installations_of_other_addresses

        drop_installations_of_other_addresses(instance)
