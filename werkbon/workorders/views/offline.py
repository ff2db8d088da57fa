"""The technician's offline app (issue 12): app shell, offline data, service worker, manifest.

* ``/werkorders/app/`` (:func:`app_shell`): the page the phone app runs in. It holds no
  user data and no CSRF token (the service worker keeps it in its cache and serves it to
  whoever opens the app offline); the data come from IndexedDB, written from
  :func:`offline_data_view`. It needs no login: without a session the app asks to log in.
* ``/werkorders/app/gegevens/`` (:func:`offline_data_view`): the technician's offline data
  (:mod:`werkbon.workorders.offline`) as JSON with an ETag; ``304`` on ``If-None-Match``.
  401 JSON without a session (not a redirect to the login page: the app must tell).
* ``/sw.js`` (:func:`service_worker`): the service worker, at the root so its scope covers
  ``/werkorders/``; its text carries a version made from the files it caches, so a
  deployment with new static files gives a new worker (and new caches).
* ``/jsi18n/<lang>/`` (:func:`javascript_catalog`): Django's JavaScript catalog (domain
  ``djangojs``, werkbon/locale/<lang>/LC_MESSAGES/djangojs.po) for one explicit language of
  ``settings.LANGUAGES``, so the worker can cache every language; the app loads the one of
  the language cookie (``<script src>``, no inline script) and draws its texts with it.
* ``/werkorders/app/manifest.webmanifest`` (:func:`manifest`): the web app manifest.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET
from django.views.i18n import JavaScriptCatalog

from werkbon.workorders import offline

# Static files the service worker caches (the app runs from them offline), in load order.
WORKBOX_MODULES = [
    "vendor/workbox/workbox-core.prod.js",
    "vendor/workbox/workbox-routing.prod.js",
    "vendor/workbox/workbox-strategies.prod.js",
    "vendor/workbox/workbox-precaching.prod.js",
]
APP_STATIC = [
    "werkbon.css",
    "favicon.svg",
    "werkbon/icon-192.png",
    "werkbon/icon-512.png",
    "vendor/idb/idb.umd.js",
    "werkbon/offline-store.js",
    "werkbon/offline-app.js",
]


def _file_hash(name: str) -> str:
    path = finders.find(name)
    if path is None:  # production after collectstatic: read the collected copy
        path = staticfiles_storage.path(name)
    with open(path, "rb") as handle:  # noqa: PTH123
        return hashlib.sha256(handle.read()).hexdigest()[:16]


def _catalog_revision() -> str:
    """A hash of the JavaScript translations (every language's ``djangojs.po``)."""
    digest = hashlib.sha256()
    for path in sorted((settings.BASE_DIR / "werkbon" / "locale").glob("*/LC_MESSAGES/djangojs.po")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _precache_entries() -> tuple[list[dict[str, str]], str]:
    """Workbox precache entries ``{url, revision}`` and the worker's version (a hash of all
    revisions and of the app shell's template)."""
    entries = [{"url": staticfiles_storage.url(name), "revision": _file_hash(name)}
               for name in APP_STATIC]
    catalog = _catalog_revision()
    entries += [{"url": reverse("javascript_catalog", args=[code]), "revision": catalog}
                for code, _name in settings.LANGUAGES]
    shell = render_to_string("workorders/app.html", {"LANGUAGE_CODE": settings.LANGUAGE_CODE,
                                                      "LANGUAGES": settings.LANGUAGES,
                                                      "default_language": settings.LANGUAGE_CODE})
    shell_hash = hashlib.sha256(shell.encode()).hexdigest()[:16]
    entries.insert(0, {"url": reverse("workorders:app"), "revision": shell_hash})
    version = hashlib.sha256(json.dumps(entries).encode()).hexdigest()[:12]
    return entries, version


@lru_cache(maxsize=1)
def _precache_entries_cached() -> tuple[list[dict[str, str]], str]:
    return _precache_entries()


@login_not_required
@require_GET
def app_shell(request: HttpRequest) -> HttpResponse:
    """The phone app's page (no user data in it; see the module text)."""
    return render(request, "workorders/app.html", {"default_language": settings.LANGUAGE_CODE})


@login_not_required
@require_GET
@never_cache
@ensure_csrf_cookie
def offline_data_view(request: HttpRequest) -> HttpResponse:
    """The logged-in user's offline data, versioned by ETag (``304`` when unchanged)."""
    user = request.user
    if not user.is_authenticated or getattr(user, "tenant_id", None) is None:
        return JsonResponse({"detail": _("Log in to download your work orders.")}, status=401)
    body = offline.encode(offline.offline_data(user))  # type: ignore[arg-type]
    tag = offline.etag(body)
    if request.headers.get("If-None-Match") == tag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = tag
    return response


@login_not_required
@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker (JavaScript rendered with the static URLs and the version)."""
    entries, version = _precache_entries() if settings.DEBUG else _precache_entries_cached()
    # Every value is written as a JSON literal (a JavaScript string or array).
    text = render_to_string("workorders/sw.js", {
        "version": json.dumps(version),
        "workbox": [json.dumps(staticfiles_storage.url(name)) for name in WORKBOX_MODULES],
        "precache": json.dumps(entries),
        "app_url": json.dumps(reverse("workorders:app")),
        "app_prefix": json.dumps(reverse("workorders:app")),
        "my_work_prefix": json.dumps(reverse("workorders:my_work")),
    })
    response = HttpResponse(text, content_type="text/javascript; charset=utf-8")
    # The browser checks for a new worker on every navigation; never a stale copy.
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@login_not_required
@require_GET
def javascript_catalog(request: HttpRequest, lang: str) -> HttpResponse:
    """Django's JavaScript catalog in ``lang`` (one of ``settings.LANGUAGES``; else 404)."""
    if lang not in dict(settings.LANGUAGES):
        return HttpResponse(status=404)
    with translation.override(lang):
        return JavaScriptCatalog.as_view(domain="djangojs")(request)


@login_not_required
@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest (name, start page, icons, colours) for installing the app."""
    app_url = reverse("workorders:app")
    data = {
        "name": "Werkbon",
        "short_name": "Werkbon",
        "description": _("Your work orders, also without a connection."),
        "lang": "nl",
        "start_url": app_url,
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1f5f8b",
        "icons": [
            {"src": staticfiles_storage.url("werkbon/icon-192.png"), "sizes": "192x192",
             "type": "image/png"},
            {"src": staticfiles_storage.url("werkbon/icon-512.png"), "sizes": "512x512",
             "type": "image/png"},
            {"src": staticfiles_storage.url("werkbon/icon-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "maskable"},
        ],
    }
    return HttpResponse(json.dumps(data, ensure_ascii=False),
                        content_type="application/manifest+json")
