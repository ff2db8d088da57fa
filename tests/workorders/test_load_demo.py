"""``manage.py load_demo`` makes the demo company once and changes nothing the second time."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from werkbon.accounts.models import Tenant, User
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders.models import Customer, Item, WorkOrder, WorkOrderStatus

pytestmark = pytest.mark.django_db


def counts(tenant):
    with tenant_context(tenant):
        return (Customer.objects.count(), Item.objects.count(), WorkOrder.objects.count(),
                User.objects.count())


def test_it_loads_the_demo_once(settings):
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    tenant = Tenant.objects.get(slug="demo")
    assert tenant.name == "Installatietechniek Demo B.V."
    assert "created  work order" in out.getvalue()
    first = counts(tenant)
    call_command("load_demo", stdout=io.StringIO())
    assert counts(tenant) == first
    piet = User.objects.get(username="piet")
    assert (piet.tenant, piet.role, piet.default_warehouse, piet.get_full_name()) == (
        tenant, "technician", "BUS1", "Piet Jansen")
    assert User.objects.get(username="fatima").default_warehouse == "BUS2"
    assert User.objects.get(username="kantoor").check_password("werkbon-demo")
    support = User.objects.get(username="support")
    assert support.is_staff and support.is_superuser and support.tenant is None
    with tenant_context(tenant):
        assert {"ARBEID", "REISTIJD", "VOORRIJDEN"} <= set(Item.objects.values_list("number", flat=True))
        assert Item.objects.get(number="ARBEID").item_type == "non_stock"
        assert set(WorkOrder.objects.values_list("status", flat=True)) == set(WorkOrderStatus.values)
        assert Customer.objects.filter(name="Bakkerij Müller").exists()


def test_the_demo_agrees_with_itself(settings):
    """An order's text fits its work address, and the installation the archived maintenance
    order names shows that order in its service history (fresh-user review)."""
    from werkbon.workorders import installations
    from werkbon.workorders.models import InstalledObject

    call_command("load_demo", stdout=io.StringIO())
    tenant = Tenant.objects.get(slug="demo")
    with tenant_context(tenant):
        radiator = WorkOrder.objects.get(description__startswith="Radiator in de winkel")
        assert radiator.work_address.name == "Filiaal Centrum"
        assert WorkOrder.objects.get(customer_reference="ZK-88").work_address.name == "Locatie Noord"
        archived = WorkOrder.objects.get(status=WorkOrderStatus.ARCHIVED)
        (boiler,) = archived.installations.all()
        assert boiler.name == "CV-ketel" and boiler.work_address_id == archived.work_address_id
        history = installations.service_history(InstalledObject.objects.get(pk=boiler.pk))
        assert [entry.order.pk for entry in history] == [archived.pk]
        assert history[0].work_minutes == 135


def test_every_signed_demo_order_holds_the_signature_of_its_signer(settings):
    """Fresh-user review: "Afgetekend door Jörg Müller" stood next to "Niet getekend"."""
    from werkbon.workorders.models import Signature

    call_command("load_demo", stdout=io.StringIO())
    tenant = Tenant.objects.get(slug="demo")
    with tenant_context(tenant):
        signed = WorkOrder.objects.exclude(signed_by_name="")
        assert signed.exists()
        for order in signed:
            signature = Signature.objects.get(work_order=order)
            assert signature.signer_name == order.signed_by_name
