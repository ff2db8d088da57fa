"""Shared fixtures of the integration tests: an ACTIVE Visma.net integration connected to the
sandbox through the real OAuth flow (authorize page → consent → code → token).

* ``vismanet_settings``: points the app at the per-test ``sandbox`` (pytest-django ``settings``).
* ``connect_integration(integration, tenant_id=DEMO_TENANT_ID)``: drives ``/connect/authorize``
  and ``/connect/token`` over HTTP and stores the tokens in the integration's Credential.
* ``vismanet_integration``: tenant A's integration, ACTIVE on the demo company with default
  settings (ARBEID / REISTIJD, warehouse HOOFD, sales orders), first import marked done.
  Extend rather than duplicate: other integration tests reuse these.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from typing import Any

import httpx
import pytest
from django.utils import timezone

from vismanet import INTERACTIVE_SCOPES, VismaNetClient
from vismanet_sandbox import demo
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.models import Integration, IntegrationKind, IntegrationStatus, LogEntry
from werkbon.integrations.vismanet import sync
from werkbon.integrations.vismanet.client import CredentialTokenStore

# One interactive token serves the ERP API (incl. delete) and Sales Orders v3.
TEST_SCOPES = (*INTERACTIVE_SCOPES, "vismanet_erp_interactive_api:delete")
REDIRECT_URI = "http://127.0.0.1:8000/integraties/vismanet/callback"

DEFAULT_SETTINGS: dict[str, Any] = {
    "work_time_item": demo.ITEM_WORK,
    "travel_time_item": demo.ITEM_TRAVEL,
    "default_item_enabled": False,
    "default_item": None,
    "notes": "work_address_and_description",
    "customer_reference": "both",
    "pdfs": "work_order",
    "target": "sales_order",
    "sales_order_type": "SO",
    "warehouse_per_user": False,
    "default_warehouse": "HOOFD",
}


@pytest.fixture
def vismanet_settings(settings, sandbox):
    settings.VISMANET_ERP_BASE_URL = sandbox.url
    settings.VISMANET_SALESORDER_BASE_URL = sandbox.url
    settings.VISMANET_CONNECT_BASE_URL = sandbox.url
    settings.VISMANET_CONTEXT_BASE_URL = sandbox.url + "/API"
    settings.VISMANET_CLIENT_ID = demo.CLIENT_ID
    settings.VISMANET_CLIENT_SECRET = demo.CLIENT_SECRET
    return settings


def connect(integration: Integration, base_url: str, tenant_id: str = demo.DEMO_TENANT_ID) -> None:
    """The user's OAuth round trip, done with httpx against the sandbox's real endpoints."""
    client = VismaNetClient(
        client_id=demo.CLIENT_ID, client_secret=demo.CLIENT_SECRET,
        token_store=CredentialTokenStore(integration), scopes=TEST_SCOPES,
        erp_base_url=base_url, salesorder_base_url=base_url, connect_base_url=base_url,
        context_base_url=base_url + "/API",
    )
    with client, httpx.Client(base_url=base_url, timeout=30) as http:
        auth = client.authorization_request(redirect_uri=REDIRECT_URI)
        page = http.get(auth.url)
        assert page.status_code == 200, page.text
        fields = {unescape(name): unescape(value) for name, value in
                  re.findall(r"<input type='hidden' name='([^']*)' value='([^']*)'>", page.text)}
        fields.update(tenant_id=tenant_id, decision="allow")
        consent = http.post("/connect/authorize", data=fields)
        assert consent.status_code == 302, consent.text
        location = httpx.URL(consent.headers["location"])
        assert location.params["state"] == auth.state
        client.exchange_code(code=location.params["code"], redirect_uri=REDIRECT_URI,
                             code_verifier=auth.code_verifier)


@pytest.fixture
def connect_integration(vismanet_settings, sandbox) -> Callable[..., None]:
    def do(integration: Integration, tenant_id: str = demo.DEMO_TENANT_ID) -> None:
        connect(integration, sandbox.url, tenant_id)

    return do


def make_integration(tenant, **settings_changes: Any) -> Integration:
    with tenant_context(tenant):
        now = timezone.now()
        integration, _created = Integration.objects.update_or_create(
            kind=IntegrationKind.VISMANET,
            defaults={
                "status": IntegrationStatus.ACTIVE, "started_at": now,
                "company_name": demo.DEMO_COMPANY_NAME,
                "company_number": str(demo.DEMO_COMPANY_NUMBER),
                "company_tenant_id": demo.DEMO_TENANT_ID,
                "settings": {**DEFAULT_SETTINGS, **settings_changes},
                "settings_saved_at": now, "terms_accepted_at": now,
                "first_import_finished_at": now, "next_sync_at": now + timezone.timedelta(days=1),
                "next_cleanup_at": now + timezone.timedelta(days=7),
            },
        )
    return integration


@pytest.fixture
def vismanet_integration(tenant_a, connect_integration) -> Integration:
    """Tenant A's ACTIVE integration on the demo company, connected through OAuth."""
    integration = make_integration(tenant_a)
    connect_integration(integration)
    return integration


# ---- archived work orders for the export tests ----------------------------------------

def local_customer(number: str = demo.FIRST_CUSTOMER, name: str = "Klant") -> Any:
    """A local customer row with a Visma.net customer number (tenant context required)."""
    from werkbon.workorders.models import Customer, WorkAddress

    customer, created = Customer.objects.get_or_create(number=number, defaults={"name": f"{name} {number}"})
    if created:
        WorkAddress.objects.create(customer=customer, name="Hoofdlocatie", street="Kerkstraat",
                                   house_number="1", postal_code="3511 AB", city="Utrecht",
                                   external_key="main")
    return customer


def local_item(number: str) -> Any:
    from werkbon.workorders.models import Item

    return Item.objects.get_or_create(number=number, defaults={"description": number})[0]


def archived_work_order(office, technician, *, customer: str | None = demo.FIRST_CUSTOMER,
                        description: str = "CV-ketel onderhoud", reference: str = "PO-88412",
                        work: tuple[int, ...] = (135,), travel: tuple[int, ...] = (20,),
                        materials: tuple[tuple[str, str], ...] = (("MAT-1001", "2"),),
                        archive: bool = True, technicians: list | None = None,
                        with_form: bool = False) -> Any:
    """A completed (and by default archived) work order; call inside tenant_context.
    The archive runs the real service, so the receiver writes the outbox row.
    ``with_form``: one filled-in custom form on it (the forms PDF is attached only then)."""
    import datetime as dt
    from decimal import Decimal

    from werkbon.workorders import services

    cust = local_customer(customer) if customer else None
    order = services.create_work_order(
        customer=cust, work_address=cust.work_addresses.first() if cust else None,
        description=description, customer_reference=reference,
        technicians=technicians if technicians is not None else [technician],
        planned_start=timezone.now())
    today = dt.date.today()
    for minutes in work:
        services.add_time_entry(order, technician=technician, kind="work", minutes=minutes, date=today)
    for minutes in travel:
        services.add_time_entry(order, technician=technician, kind="travel", minutes=minutes, date=today)
    for number, quantity in materials:
        services.add_material_line(order, item=local_item(number), quantity=Decimal(quantity),
                                   technician=technician)
    if with_form:
        from werkbon.workorders.models import (
            FilledForm,
            FormAnswer,
            FormQuestion,
            FormTemplate,
            QuestionKind,
        )

        template = FormTemplate.objects.get_or_create(name="Onderhoudsrapport")[0]
        question = FormQuestion.objects.get_or_create(template=template, position=1, defaults={
            "label": "Rookgasmeting in orde?", "kind": QuestionKind.YES_NO})[0]
        filled = FilledForm.objects.create(work_order=order, template=template, filled_by=technician)
        FormAnswer.objects.create(form=filled, question=question, value="yes")
    order = services.complete(order, user=technician)
    if archive:
        order = services.archive(order, user=office)
    return order


@pytest.fixture
def importing_integration(tenant_a, connect_integration) -> Integration:
    """Tenant A's integration on the demo company, connected, first import NOT run yet
    (the sync tests run it, or a worker does)."""
    integration = make_integration(tenant_a)
    Integration.all_tenants.filter(pk=integration.pk).update(first_import_finished_at=None)
    integration.refresh_from_db()
    connect_integration(integration)
    return integration


@pytest.fixture
def imported(importing_integration, tenant_a, sandbox):
    """Tenant A with the demo company imported (its log emptied); the test runs inside its
    tenant context."""
    with tenant_context(tenant_a):
        sync.first_import(importing_integration)
        LogEntry.objects.all().delete()
        yield importing_integration


@pytest.fixture
def quick_retries(settings):
    """No five-minute wait between export attempts (the rule itself is tested in
    test_exactly_once.py)."""
    settings.VISMANET_EXPORT_RETRY_WINDOW_SECONDS = 0
    settings.VISMANET_EXPORT_BACKOFF_SECONDS = 0
    return settings


@pytest.fixture
def office(office_a):
    """A Django test client logged in as tenant A's office user."""
    from django.test import Client

    from tests.conftest import PASSWORD

    client = Client()
    assert client.login(username=office_a.username, password=PASSWORD)
    return client
