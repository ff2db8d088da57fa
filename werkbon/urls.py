"""Root URLs. Each app brings its own ``urls`` module."""

from django.contrib import admin
from django.urls import include, path

from werkbon import views
from werkbon.workorders.views import offline as offline_views

urlpatterns = [
    path("", views.home, name="home"),
    # At the root, so that its scope covers the technician's pages (issue 12).
    path("sw.js", offline_views.service_worker, name="service_worker"),
    # The offline app's translations, one explicit language each (cached by the worker).
    path("jsi18n/<str:lang>/", offline_views.javascript_catalog, name="javascript_catalog"),
    path("accounts/", include("werkbon.accounts.urls")),
    path("werkorders/", include("werkbon.workorders.urls")),
    path("integraties/", include("werkbon.integrations.urls")),
    path("klantmail/", include("werkbon.customermail.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("werkbon.api")),
]
