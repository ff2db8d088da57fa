"""The first import's lean insert path (sync/rows.py, issue 14) stores exactly what the
general upsert path stores: the demo company imported twice, once with the lean path and
once without, gives the same customers, work addresses, contact persons, items, item groups
and log lines. A page holding a customer Werkbon already has takes the general path."""

from __future__ import annotations

import pytest

from tests.integrations.conftest import connect, make_integration
from vismanet_sandbox import demo
from werkbon.accounts.models import Tenant
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.models import Integration, LogEntry
from werkbon.integrations.vismanet import sync
from werkbon.integrations.vismanet.sync import rows
from werkbon.integrations.vismanet.sync.customers import ADDRESS_FIELDS
from werkbon.integrations.vismanet.sync.customers import FIELDS as CUSTOMER_FIELDS
from werkbon.workorders.models import ContactPerson, Customer, Item, ItemGroup, WorkAddress

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

T = demo.DEMO_TENANT_ID


def snapshot() -> dict[str, list[tuple]]:
    """Every row the first import wrote for the current tenant, without ids and times."""
    return {
        "customers": sorted(Customer.objects.values_list("number", *CUSTOMER_FIELDS)),
        "work addresses": sorted(WorkAddress.objects.values_list(
            "customer__number", "external_key", *ADDRESS_FIELDS, "is_active")),
        "contacts": sorted(ContactPerson.objects.values_list("customer__number", "name", "email", "phone",
                                                             "function")),
        "items": sorted(Item.objects.values_list("number", "description", "unit", "sales_price", "item_type",
                                                 "status", "group__code")),
        "groups": sorted(ItemGroup.objects.values_list("code", "description")),
        "log": sorted((e.level, e.table, e.message, str(sorted(e.params.items())), e.object_ref, e.action)
                      for e in LogEntry.objects.all()),
    }


def import_company(sandbox, slug: str, *, lean: bool, monkeypatch, existing: str | None = None):
    """A first import of the demo company for a new tenant; (snapshot, lean INSERT calls)."""
    tenant = Tenant.objects.create(name=slug, slug=slug)
    integration = make_integration(tenant)
    Integration.all_tenants.filter(pk=integration.pk).update(first_import_finished_at=None)
    integration.refresh_from_db()
    connect(integration, sandbox.url)
    calls = []
    insert = rows.RowWriter.insert

    def counting(self, *args, **kwargs):
        calls.append(self.model.__name__)
        return insert(self, *args, **kwargs)

    monkeypatch.setattr(rows, "ENABLED", lean)
    monkeypatch.setattr(rows.RowWriter, "insert", counting)
    with tenant_context(tenant):
        if existing:  # made in Werkbon before the import (the general path updates it)
            Customer.objects.create(tenant=tenant, number=existing, name="Al in Werkbon")
        sync.first_import(integration)
        integration.refresh_from_db()
        assert integration.first_import_finished_at is not None
        return snapshot(), calls


def test_the_lean_path_stores_what_the_general_path_stores(sandbox, vismanet_settings, monkeypatch):
    sandbox.control.settings(T, maxPageSize=25, maxPageSizeInventory=25)  # many pages of each table
    lean, lean_calls = import_company(sandbox, "lean", lean=True, monkeypatch=monkeypatch)
    general, general_calls = import_company(sandbox, "general", lean=False, monkeypatch=monkeypatch)
    assert general_calls == []
    assert {"Customer", "WorkAddress", "ContactPerson", "Item"} <= set(lean_calls)
    assert lean["customers"] and lean["work addresses"] and lean["contacts"] and lean["items"]
    assert any(key.startswith("location:") for _n, key, *_rest in lean["work addresses"])
    for table in lean:
        assert lean[table] == general[table], table


def test_a_page_with_a_customer_werkbon_has_takes_the_general_path(sandbox, vismanet_settings, monkeypatch):
    sandbox.control.settings(T, maxPageSize=25, maxPageSizeInventory=25)
    numbers = [c["number"] for c in sandbox.control._call("GET", f"/companies/{T}/customers")
               if c["status"] == "Active"]
    lean, _calls = import_company(sandbox, "lean", lean=True, monkeypatch=monkeypatch, existing=numbers[0])
    general, _calls = import_company(sandbox, "general", lean=False, monkeypatch=monkeypatch,
                                     existing=numbers[0])
    assert lean == general
    name = next(row[1] for row in lean["customers"] if row[0] == numbers[0])
    assert name != "Al in Werkbon"  # updated from Visma.net by the general path
