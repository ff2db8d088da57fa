from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "werkbon.integrations"
    label = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        # Registering here keeps the dependency one-way: the work-order app exposes hooks
        # (external.register_manager/register_panel, signals) and never imports us.
        from werkbon.integrations.vismanet import adapter

        adapter.install()
