"""URLs of the export panel (included by ``werkbon.integrations.urls`` under
``vismanet/export/``; names share the ``integrations`` namespace)."""

from django.urls import path

from werkbon.integrations.vismanet import panels

urlpatterns = [
    path("<int:pk>/", panels.panel_view, name="vismanet_export_panel"),
    path("<int:pk>/opnieuw/", panels.retry_view, name="vismanet_export_retry"),
    path("<int:pk>/keuze/", panels.choice_view, name="vismanet_export_choice"),
]
