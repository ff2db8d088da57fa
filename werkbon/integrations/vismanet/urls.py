"""URLs of the Visma.net screens, included by ``werkbon.integrations.urls`` under
``vismanet/``; names share the ``integrations`` namespace with a ``vismanet_`` prefix."""

from django.urls import path

from werkbon.integrations.vismanet import views, webhooks

urlpatterns = [
    path("", views.status, name="vismanet_status"),
    path("activeren/", views.start, name="vismanet_start"),
    path("activeren/wissen/", views.wipe, name="vismanet_wipe"),
    path("activeren/koppelen/", views.connect, name="vismanet_connect"),
    path("callback", views.callback, name="vismanet_callback"),
    # Public (no login, no CSRF): the Visma Webhook Dispatcher posts here; the signature decides.
    path("webhook", webhooks.receive, name="vismanet_webhook"),
    path("activeren/administratie/", views.confirm, name="vismanet_confirm"),
    path("activeren/instellingen/", views.settings_step, name="vismanet_settings"),
    path("activeren/gelukt/", views.success, name="vismanet_success"),
    path("controleer/", views.check, name="vismanet_check"),
    path("voortgang/", views.progress, name="vismanet_progress"),
    path("wijzigen/", views.edit, name="vismanet_edit"),
    path("deactiveren/", views.deactivate, name="vismanet_deactivate"),
    path("opschonen/", views.cleanup, name="vismanet_cleanup"),
    path("backup/", views.backup, name="vismanet_backup"),
    path("voorwaarden/", views.terms, name="vismanet_terms"),
]
