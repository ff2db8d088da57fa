"""URLs of the integrations area (mounted at ``integraties/``): the adapter-neutral
screens, then each adapter's own under its kind."""

from django.urls import include, path

from werkbon.integrations import views

app_name = "integrations"

urlpatterns = [
    path("", views.index, name="index"),
    path("logging/", views.log_list, name="log"),
    path("logging/opnieuw/", views.log_retry, name="log_retry"),
    path("vismanet/export/", include("werkbon.integrations.vismanet.export_urls")),
    path("vismanet/", include("werkbon.integrations.vismanet.urls")),
]
