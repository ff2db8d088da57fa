"""Django app config of the accounting integrations (``werkbon.integrations``)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    """Django app of the accounting integrations; installs the Visma.net adapter on start."""

    name = "werkbon.integrations"
    label = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        """Install the Visma.net adapter: register it and hook it into the work-order app."""
        # Registering here keeps the dependency one-way: the work-order app exposes hooks
        # (external.register_manager/register_panel, signals) and never imports us.
        from werkbon.integrations.vismanet import adapter

        adapter.install()
