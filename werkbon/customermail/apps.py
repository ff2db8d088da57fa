"""Django app config of the customer e-mail (``werkbon.customermail``)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomerMailConfig(AppConfig):
    """Hooks into the work-order app (signal, panel); the work-order app never imports us."""

    name = "werkbon.customermail"
    label = "customermail"
    verbose_name = _("Customer e-mail")

    def ready(self) -> None:
        from werkbon.customermail import panels, receivers  # noqa: F401 (connects the signal)
        from werkbon.workorders import external

        external.register_panel(panels.panel)
        external.register_last_email(panels.last_recipient)
