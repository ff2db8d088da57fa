"""Login required everywhere, and no screen form works without its CSRF token (issue 2).

The anonymous walk reuses the URL discovery of the tenant-isolation test, so a new view
cannot escape it either: every discovered pattern, with GET and POST, answers a redirect to
the login page (a screen) or 401 (the JSON API). Only ``PUBLIC`` is skipped, each entry
with its reason, and an entry that matches no URL any more fails.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.utils import timezone

from tests.security.test_tenant_isolation import _CONVERTER, _is_login_redirect, discover
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import services
from werkbon.workorders.models import Customer, TimeEntry, WorkAddress, WorkOrder, WorkOrderStatus

pytestmark = pytest.mark.django_db

PUBLIC: dict[str, str] = {
    "accounts/login/": "the login page itself",
    "admin/login/": "the support staff's login page of the Django admin",
    "i18n/": "sets the language cookie (set_language); reads no records",
    "api/v1/openapi.json": "the API's description, public on purpose; contains no records",
    "api/v1/docs": "the API's interactive documentation page; contains no records",
    "integraties/vismanet/webhook": "Visma.net's webhook notifications (issue 13): POST only, refused with 401 "
                                    "unless signed with the subscription's key; stores a hint, shows no records "
                                    "(tests/integrations/test_webhooks.py)",
}

# Routes skipped only when they match exactly.
PUBLIC_EXACT: dict[str, str] = {
    "api/v1/": "django-ninja's root view: answers 404 to everybody and has no content",
    "sw.js": "the offline app's service worker (issue 12): static code, no records",
    "jsi18n/<str:lang>/": "the offline app's translations (Django's JavaScript catalog): static "
                          "texts, no records",
    "werkorders/app/": "the offline app's shell: cached for whoever opens the app, holds no "
                       "records (tests/workorders/test_offline_data.py)",
    "werkorders/app/manifest.webmanifest": "the web app manifest: names and icons, no records",
    "werkorders/app/gegevens/": "the offline data: 401 JSON without a session instead of a "
                                "redirect, so the app can say 'log in' "
                                "(tests/workorders/test_offline_data.py)",
}

# A value for each path converter; records need not exist: the login check comes first.
CONVERTER_VALUES = {"int": "1", "str": "x", "slug": "x", "path": "x/y",
                    "uuid": str(uuid.UUID(int=1))}


def _public(route: str) -> bool:
    return route in PUBLIC_EXACT or any(route.startswith(prefix) for prefix in PUBLIC)


def anonymous_urls(api_schema: dict) -> list[tuple[str, set[str] | None]]:
    """``(url, API methods)`` for every discovered pattern that is not public; the methods
    the API operation defines (from its OpenAPI document), ``None`` for a screen."""
    urls: dict[str, set[str] | None] = {}
    for route in discover():
        if _public(route.route):
            continue
        values = {name: CONVERTER_VALUES.get(converter, "x") for name, converter in route.params}
        url = "/" + _CONVERTER.sub(lambda m, values=values: values[m.group("name")], route.route)
        methods = None
        if route.is_api:
            openapi_path = "/" + _CONVERTER.sub(lambda m: "{" + m.group("name") + "}", route.route)
            operations = api_schema["paths"].get(openapi_path)
            assert operations, f"{route.route} is not in the OpenAPI document"
            methods = {method.upper() for method in operations}
        urls.setdefault(url, methods)
    return sorted(urls.items())


def test_the_public_list_is_current():
    routes = [route.route for route in discover()]
    for prefix, reason in PUBLIC.items():
        assert reason
        assert any(r.startswith(prefix) for r in routes), f"PUBLIC entry {prefix!r} matches no URL"
    for route, reason in PUBLIC_EXACT.items():
        assert reason
        assert route in routes, f"PUBLIC_EXACT entry {route!r} matches no URL"


def test_every_url_sends_an_anonymous_visitor_to_the_login_page(tenant_a):
    client = Client(raise_request_exception=False)
    api_schema = client.get("/api/v1/openapi.json").json()
    failures, walked = [], 0
    for url, api_methods in anonymous_urls(api_schema):
        for method in ("GET", "POST"):
            if api_methods is not None:
                response = client.generic(method, url, json.dumps({}) if method == "POST" else "",
                                          content_type="application/json")
                # a method the operation does not have may answer 405 (it reaches no data)
                allowed = {401} if method in api_methods else {401, 405}
                ok = response.status_code in allowed
            else:
                response = client.generic(method, url, "" if method == "GET" else "a=1",
                                          content_type="application/x-www-form-urlencoded")
                ok = _is_login_redirect(response.status_code, response.get("Location", ""))
            walked += 1
            if not ok:
                failures.append(f"anonymous {method} {url}: {response.status_code} "
                                f"{response.get('Location', '')}".rstrip())
    assert walked > 100
    assert not failures, "\n".join(failures)


def test_the_login_redirect_comes_back_to_the_page():
    response = Client().get("/werkorders/planning/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/werkorders/planning/"


# --- CSRF ------------------------------------------------------------------------------------


def csrf_client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def post_with_token(client: Client, url: str, data: dict) -> int:
    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    return client.post(url, {**data, "csrfmiddlewaretoken": token}).status_code


@pytest.fixture
def orders(tenant_a, tech_a):
    with tenant_context(tenant_a):
        customer = Customer.objects.create(number="10001", name="Müller Installatie")
        address = WorkAddress.objects.create(customer=customer, street="Dorpsstraat",
                                             house_number="1", city="Hoogeveen")
        start = timezone.make_aware(dt.datetime(2025, 3, 12, 9, 0))
        planned = services.create_work_order(customer=customer, work_address=address,
                                             technicians=[tech_a], planned_start=start)
        completed = services.create_work_order(customer=customer, work_address=address,
                                               technicians=[tech_a], planned_start=start)
        services.complete(completed, user=tech_a, signed_by_name="Jörg")
    return {"planned": planned, "completed": completed}


def test_archive_without_a_csrf_token_is_refused(orders, office_a, tenant_a):
    order = orders["completed"]
    client = csrf_client(office_a)
    url = f"/werkorders/{order.pk}/archiveren/"
    assert client.post(url).status_code == 403
    with tenant_context(tenant_a):
        order.refresh_from_db()
        assert order.status == WorkOrderStatus.COMPLETED and order.archived_by_id is None
    # the same request with the token goes through: the 403 was the missing token
    assert post_with_token(client, url, {}) == 302
    with tenant_context(tenant_a):
        assert WorkOrder.objects.get(pk=order.pk).status == WorkOrderStatus.ARCHIVED


def test_adding_time_without_a_csrf_token_is_refused(orders, tech_a, tenant_a):
    order = orders["planned"]
    client = csrf_client(tech_a)
    url = f"/werkorders/{order.pk}/tijd/"
    data = {"time-kind": "work", "time-minutes": "45", "time-date": timezone.localdate().isoformat()}
    assert client.post(url, data).status_code == 403
    with tenant_context(tenant_a):
        assert not TimeEntry.objects.filter(work_order=order).exists()
    assert post_with_token(client, url, data) == 302
    with tenant_context(tenant_a):
        assert list(TimeEntry.objects.filter(work_order=order).values_list("minutes", flat=True)) == [45]


def test_the_activation_wipe_without_a_csrf_token_is_refused(orders, office_a, tenant_a,
                                                             settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    client = csrf_client(office_a)
    url = "/integraties/vismanet/activeren/wissen/"
    assert client.post(url, {"confirm": "1"}).status_code == 403
    with tenant_context(tenant_a):
        assert WorkOrder.objects.count() == 2 and Customer.objects.count() == 1
    assert post_with_token(client, url, {"confirm": "1"}) == 302
    with tenant_context(tenant_a):
        assert WorkOrder.objects.count() == 0 and Customer.objects.count() == 0
