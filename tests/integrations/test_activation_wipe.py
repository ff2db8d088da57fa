"""Step 1 of the wizard: the backup holds exactly the removed rows, the wipe is one
transaction, a re-activation wipes only the ticked tables (manual 4.3, 7.1)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db.models.signals import pre_delete
from django.test import Client

from tests.conftest import PASSWORD
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.models import (
    ExportRecord,
    ExternalLink,
    Integration,
    IntegrationKind,
    IntegrationStatus,
)
from werkbon.integrations.vismanet import activation
from werkbon.workorders import services
from werkbon.workorders.models import (
    ContactPerson,
    Customer,
    InstalledObject,
    Item,
    ItemGroup,
    MaterialLine,
    TimeEntry,
    WorkAddress,
    WorkOrder,
    WorkOrderSequence,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def fill(tenant, tech, prefix="A"):
    """A customer with contact, work address and object; an item group and item; a work
    order with time and material; returns the work order."""
    with tenant_context(tenant):
        customer = Customer.objects.create(number=f"{prefix}-1", name=f"{prefix} klant")
        ContactPerson.objects.create(customer=customer, name="Els")
        address = WorkAddress.objects.create(customer=customer, street="Dorpsstraat", house_number="1")
        InstalledObject.objects.create(work_address=address, name="Ketel")
        group = ItemGroup.objects.create(code=f"{prefix}-GRP")
        item = Item.objects.create(number=f"{prefix}-ITEM", description="Koppeling", group=group)
        order = services.create_work_order(customer=customer, work_address=address, description="Onderhoud")
        services.add_time_entry(order, technician=tech, kind="work", minutes=90, date=dt.date(2025, 3, 1))
        services.add_material_line(order, item=item, quantity=Decimal("2"), technician=tech)
        return order


def keys_in_tenant(tenant) -> set[tuple[str, int]]:
    keys = set()
    for model in (Customer, ContactPerson, WorkAddress, InstalledObject, ItemGroup, Item, WorkOrder,
                  TimeEntry, MaterialLine):
        keys |= {(model._meta.label_lower, pk) for pk in model.all_tenants.filter(tenant=tenant)
                 .values_list("pk", flat=True)}
    return keys


def test_it_backs_up_exactly_the_removed_rows_before_wiping(tenant_a, tenant_b, tech_a, tech_b):
    order = fill(tenant_a, tech_a)
    fill(tenant_b, tech_b, prefix="B")
    with tenant_context(tenant_a):
        record = ExportRecord.objects.create(kind=IntegrationKind.VISMANET, work_order=order,
                                             work_order_number=order.number, status="sent")
        link = ExternalLink.objects.create(kind=IntegrationKind.VISMANET, local_type="work_order",
                                           local_id=order.pk, external_type="sales_order", external_id="SO/000101")
    before_a = keys_in_tenant(tenant_a)
    before_b = keys_in_tenant(tenant_b)
    assert len(before_a) == 9

    result = activation.wipe(tenant_a, activation.WIPE_KEYS)

    backup = json.loads(activation.backup_path(tenant_a, result.backup_name).read_text())
    backed_up = {(o["model"], o["pk"]) for o in backup["objects"]}
    assert backed_up - {("integrations.externallink", link.pk)} == before_a
    assert ("integrations.externallink", link.pk) in backed_up
    assert backup["counts"]["workorders.TimeEntry"] == 1
    assert keys_in_tenant(tenant_a) == set()
    assert keys_in_tenant(tenant_b) == before_b  # the other tenant is untouched
    record.refresh_from_db()  # the export record stays, so the order is never sent twice
    assert record.work_order_id is None and record.status == "sent"
    assert not ExternalLink.all_tenants.filter(pk=link.pk).exists()
    assert WorkOrderSequence.objects.get(tenant=tenant_a).next_number > order.number


def test_it_leaves_everything_when_the_wipe_fails_halfway(tenant_a, tech_a):
    fill(tenant_a, tech_a)
    before = keys_in_tenant(tenant_a)

    def explode(sender, **kwargs):
        raise RuntimeError("disk on fire")

    # Items are deleted after work orders and customers: those deletes must be undone.
    pre_delete.connect(explode, sender=Item, dispatch_uid="explode-test")
    try:
        with pytest.raises(RuntimeError):
            activation.wipe(tenant_a, activation.WIPE_KEYS)
    finally:
        pre_delete.disconnect(dispatch_uid="explode-test", sender=Item)
    assert keys_in_tenant(tenant_a) == before
    assert activation.list_backups(tenant_a) == []  # no backup of a wipe that did not happen


def test_it_refuses_to_wipe_customers_still_used_by_work_orders_that_stay(tenant_a, tech_a):
    fill(tenant_a, tech_a)
    before = keys_in_tenant(tenant_a)
    with pytest.raises(activation.ActivationError, match="werkbonnen"):
        activation.wipe(tenant_a, {"customers"})
    assert keys_in_tenant(tenant_a) == before


def test_it_wipes_only_the_ticked_tables_on_a_reactivation(office, tenant_a, tech_a):
    fill(tenant_a, tech_a)
    Integration.all_tenants.create(tenant=tenant_a, kind=IntegrationKind.VISMANET,
                                   status=IntegrationStatus.INACTIVE,
                                   started_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
                                   ended_at=dt.datetime(2025, 2, 1, tzinfo=dt.UTC))
    page = office.get("/integraties/vismanet/activeren/wissen/").content.decode()
    assert "verplicht" not in page and 'name="tables"' in page and " disabled" not in page
    response = office.post("/integraties/vismanet/activeren/wissen/", {"tables": ["work_orders"], "confirm": "1"})
    assert response.status_code == 302
    with tenant_context(tenant_a):
        assert not WorkOrder.objects.exists() and not TimeEntry.objects.exists()
        assert Customer.objects.count() == 1 and Item.objects.count() == 1


def test_it_wipes_every_table_on_the_first_activation_whatever_is_ticked(office, tenant_a, tech_a):
    fill(tenant_a, tech_a)
    page = office.get("/integraties/vismanet/activeren/wissen/").content.decode()
    assert page.count(" disabled") == len(activation.WIPE_TABLES)
    assert ">1</td>" in page  # the counts are shown
    office.post("/integraties/vismanet/activeren/wissen/", {"tables": ["items"], "confirm": "1"})
    assert keys_in_tenant(tenant_a) == set()


def test_it_asks_for_confirmation_before_wiping(office, tenant_a, tech_a):
    fill(tenant_a, tech_a)
    response = office.post("/integraties/vismanet/activeren/wissen/", {})
    assert response.status_code == 400
    assert len(keys_in_tenant(tenant_a)) == 9


def test_it_offers_the_backup_as_a_download_to_its_own_tenant_only(office, tenant_a, tech_a, office_b):
    fill(tenant_a, tech_a)
    office.post("/integraties/vismanet/activeren/wissen/", {"confirm": "1"})
    name = activation.list_backups(tenant_a)[0]
    connect_page = office.get("/integraties/vismanet/activeren/koppelen/").content.decode()
    assert name in connect_page
    download = office.get("/integraties/vismanet/backup/", {"file": name})
    assert download.status_code == 200
    assert json.loads(b"".join(download.streaming_content))["format"] == activation.BACKUP_FORMAT
    other = Client()
    other.login(username=office_b.username, password=PASSWORD)
    assert other.get("/integraties/vismanet/backup/", {"file": name}).status_code == 404
    assert office.get("/integraties/vismanet/backup/", {"file": "../../etc/passwd"}).status_code == 404


def test_it_names_the_backup_in_amsterdam_time(tenant_a, tech_a, monkeypatch):
    from django.utils import timezone

    fill(tenant_a, tech_a)
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 11, 29, 17, 5, 38, tzinfo=dt.UTC))
    result = activation.wipe(tenant_a, set(activation.WIPE_KEYS))
    assert result.backup_name.startswith("wipe-20261129-180538-")  # 18:05 in Amsterdam, as shown


def _reactivation(tenant):
    return Integration.all_tenants.create(tenant=tenant, kind=IntegrationKind.VISMANET,
                                          status=IntegrationStatus.INACTIVE,
                                          started_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
                                          ended_at=dt.datetime(2025, 2, 1, tzinfo=dt.UTC))


def test_a_reactivation_with_nothing_ticked_says_there_is_nothing_to_wipe_and_moves_on(office, tenant_a, tech_a):
    """Issue 15: nothing ticked asks for no confirmation of an erase; the step goes on."""
    fill(tenant_a, tech_a)
    _reactivation(tenant_a)
    page = office.get("/integraties/vismanet/activeren/wissen/").content.decode()
    assert 'data-testid="wipe-nothing"' in page and "Er is niets te wissen" in page

    response = office.post("/integraties/vismanet/activeren/wissen/", {})  # no tick, no confirmation

    assert response.status_code == 302
    assert response["Location"] == "/integraties/vismanet/activeren/koppelen/"
    assert len(keys_in_tenant(tenant_a)) == 9
    shown = office.get(response["Location"]).content.decode()
    assert "Er was niets te wissen" in shown
    assert activation.list_backups(tenant_a) == []


def test_ticking_only_empty_tables_asks_no_confirmation_either(office, tenant_a):
    _reactivation(tenant_a)
    response = office.post("/integraties/vismanet/activeren/wissen/", {"tables": ["work_orders", "items"]})
    assert response.status_code == 302
    assert response["Location"] == "/integraties/vismanet/activeren/koppelen/"


def test_a_reactivation_that_wipes_rows_still_asks_for_confirmation(office, tenant_a, tech_a):
    fill(tenant_a, tech_a)
    _reactivation(tenant_a)
    response = office.post("/integraties/vismanet/activeren/wissen/", {"tables": ["work_orders"]})
    assert response.status_code == 400
    assert len(keys_in_tenant(tenant_a)) == 9


def test_the_wipe_table_calls_objects_installations_as_every_other_screen_does(office, tenant_a, tech_a):
    fill(tenant_a, tech_a)
    page = office.get("/integraties/vismanet/activeren/wissen/").content.decode()
    row = page.split('data-testid="wipe-row-objects"')[1].split("</tr>")[0]
    assert '<label for="wipe-objects">Installaties</label>' in row
    assert "Objecten" not in page and "objecten" not in page
    assert "Hun werkadressen, contactpersonen en installaties gaan mee." in page


def test_the_wipe_log_entry_names_the_tables_in_the_users_language(office, tenant_a, tech_a):
    fill(tenant_a, tech_a)
    Integration.all_tenants.create(tenant=tenant_a, kind=IntegrationKind.VISMANET)
    assert office.post("/integraties/vismanet/activeren/wissen/", {"confirm": "1"}).status_code == 302
    dutch = office.get("/integraties/logging/").content.decode()
    assert ("Werkbon data gewist voor activatie: artikelgroepen, artikelen, werkbonnen, werkadressen, klanten,"
            " installaties, contactpersonen. Backup: wipe-") in dutch
    assert "contact_persons" not in dutch and "work_orders" not in dutch
    office.post("/i18n/setlang/", {"language": "en", "next": "/integraties/logging/"})
    english = office.get("/integraties/logging/").content.decode()
    assert ("Local data wiped before activation: item groups, items, work orders, work addresses, customers,"
            " installations, contact persons. Backup: wipe-") in english
