"""Root URLs. Each app brings its own ``urls`` module."""

from django.contrib import admin
from django.urls import include, path

from werkbon import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("werkbon.accounts.urls")),
    path("werkorders/", include("werkbon.workorders.urls")),
    path("integraties/", include("werkbon.integrations.urls")),
    path("klantmail/", include("werkbon.customermail.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("werkbon.api")),
]
