"""Scale-out: the first import of two tenants at once, on PostgreSQL with Redis and two
Celery worker processes; each tenant gets exactly its own company's records."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db.models import F

from tests.fixtures.workers import clean_env, wait_for
from tests.integrations.conftest import connect, make_integration
from tests.integrations.test_first_import_demo import expected_work_addresses
from tests.scaleout.test_worker_scaleout import scaleout_services, worker_database_url  # noqa: F401
from vismanet_sandbox import demo
from werkbon.accounts.models import Tenant
from werkbon.integrations.models import Integration, LogEntry
from werkbon.integrations.tasks import sync_first_import
from werkbon.workorders.models import ContactPerson, Customer, Item, ItemGroup, WorkAddress

pytestmark = [pytest.mark.scaleout, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def raw(sandbox, tenant_id: str, what: str) -> list[dict]:
    return sandbox.control._call("GET", f"/companies/{tenant_id}/{what}")


def connected(sandbox, tenant: Tenant, company_tenant_id: str, name: str, number: int) -> Integration:
    integration = make_integration(tenant)
    Integration.all_tenants.filter(pk=integration.pk).update(
        first_import_finished_at=None, company_tenant_id=company_tenant_id, company_name=name,
        company_number=str(number))
    integration.refresh_from_db()
    connect(integration, sandbox.url, company_tenant_id)
    return integration


def test_it_imports_two_tenants_at_once_with_two_workers(scaleout_services, sandbox, start_worker):  # noqa: F811
    sandbox.control.fault("latency", path="^/v1/", ms=100, count=None)  # both imports overlap
    alfa = Tenant.objects.create(name="Alfa B.V.", slug="alfa")
    beta = Tenant.objects.create(name="Bèta B.V.", slug="beta")
    demo_import = connected(sandbox, alfa, demo.DEMO_TENANT_ID, demo.DEMO_COMPANY_NAME, demo.DEMO_COMPANY_NUMBER)
    small_import = connected(sandbox, beta, demo.SMALL_TENANT_ID, demo.SMALL_COMPANY_NAME, demo.SMALL_COMPANY_NUMBER)

    env = clean_env(
        DATABASE_URL=worker_database_url(), CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        VISMANET_ERP_BASE_URL=sandbox.url, VISMANET_SALESORDER_BASE_URL=sandbox.url,
        VISMANET_CONNECT_BASE_URL=sandbox.url, VISMANET_CONTEXT_BASE_URL=f"{sandbox.url}/API",
        VISMANET_CLIENT_ID=demo.CLIENT_ID, VISMANET_CLIENT_SECRET=demo.CLIENT_SECRET,
    )
    workers = [start_worker(["-n", f"import{n}@test", "-Q", "sync", "-c", "1", "-l", "INFO",
                             "--without-gossip", "--without-mingle"], env) for n in (1, 2)]
    for worker in workers:
        worker.wait_ready()

    sync_first_import.delay(demo_import.pk)
    sync_first_import.delay(small_import.pk)

    def logs() -> str:
        return "\n".join(w.log()[-3000:] for w in workers)

    wait_for(lambda: Integration.all_tenants.filter(first_import_finished_at__isnull=False).count() == 2, 180,
             "both first imports", logs)
    assert all("sync_first_import" in w.log() for w in workers), "each worker should have run one import"

    for tenant, tenant_id in ((alfa, demo.DEMO_TENANT_ID), (beta, demo.SMALL_TENANT_ID)):
        # A first import brings in the active customers and non-stock items only.
        customers = {c["number"] for c in raw(sandbox, tenant_id, "customers") if c["status"] != "Inactive"}
        items = {i["inventoryNumber"] for i in raw(sandbox, tenant_id, "inventory")
                 if not i["stockItem"] and i["status"] not in {"NoSales", "Inactive", "MarkedForDeletion"}}
        assert set(Customer.all_tenants.filter(tenant=tenant).values_list("number", flat=True)) == customers
        assert set(Item.all_tenants.filter(tenant=tenant).values_list("number", flat=True)) == items
        assert ItemGroup.all_tenants.filter(tenant=tenant).count() == (7 if tenant == alfa else 3)
    assert WorkAddress.all_tenants.filter(tenant=alfa).count() == expected_work_addresses(sandbox)
    small_active = [c for c in raw(sandbox, demo.SMALL_TENANT_ID, "customers") if c["status"] != "Inactive"]
    assert WorkAddress.all_tenants.filter(tenant=beta).count() >= len(small_active)  # a main address each
    # No row points across tenants.
    for model in (WorkAddress, ContactPerson):
        assert not model.all_tenants.exclude(tenant_id=F("customer__tenant_id")).exists()
    assert not Item.all_tenants.filter(group__isnull=False).exclude(tenant_id=F("group__tenant_id")).exists()
    assert set(LogEntry.all_tenants.filter(tenant=beta).values_list("company", flat=True)) == {
        f"{demo.SMALL_COMPANY_NAME} ({demo.SMALL_COMPANY_NUMBER})"}
    for worker in workers:
        assert worker.stop() == 0, worker.log()[-4000:]

