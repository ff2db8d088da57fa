"""Issue 8, finding 3: a later change of an imported order applies only the fields Visma.net
changed since the last import; where the office (or a technician) changed the same field,
the work order keeps the local value and the log says so, in Dutch, with the action.
Sandbox over HTTP, real database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from vismanet import SalesOrderLinePatch
from werkbon.integrations.models import LogEntry
from werkbon.integrations.vismanet.client import client_for
from werkbon.integrations.vismanet.orders import import_orders
from werkbon.workorders.models import Customer, MaterialLine, WorkAddress

from .test_orders import change_order, forget_watermark, linked_work_order, new_order, orders  # noqa: F401

pytestmark = pytest.mark.django_db


def dutch_warnings() -> list[tuple[str, str]]:
    with translation.override("nl"):
        return [(entry.user_message, entry.user_action)
                for entry in LogEntry.objects.filter(level="warning").order_by("id")]


def test_a_change_of_another_field_keeps_the_offices_description_and_work_address(orders):  # noqa: F811
    order_id = new_order(orders, description="Werkbon lekkage")
    import_orders(orders)
    work_order = linked_work_order(order_id)
    other = WorkAddress.objects.create(customer=work_order.customer, street="Marktplein", house_number="3",
                                       postal_code="9711 AA", city="Groningen")
    work_order.description = "Werkbon lekkage: sleutel bij de buren"
    work_order.work_address = other
    work_order.save()
    change_order(orders, order_id, customer={"ref_no": "P. Bakker"})
    import_orders(orders)
    work_order.refresh_from_db()
    assert work_order.customer_reference == "P. Bakker"  # Visma.net changed it, the office did not
    assert work_order.description == "Werkbon lekkage: sleutel bij de buren"
    assert work_order.work_address == other
    assert not dutch_warnings()


def test_a_field_changed_on_both_sides_keeps_the_offices_value_with_one_dutch_warning(orders):  # noqa: F811
    order_id = new_order(orders, description="Werkbon lekkage")
    import_orders(orders)
    work_order = linked_work_order(order_id)
    work_order.description = "Werkbon lekkage: sleutel bij de buren"
    work_order.save()
    change_order(orders, order_id, description="Werkbon lekkage keuken")
    import_orders(orders)
    forget_watermark(orders)
    import_orders(orders)  # the same change read again: no second warning
    work_order.refresh_from_db()
    assert work_order.description == "Werkbon lekkage: sleutel bij de buren"
    assert dutch_warnings() == [(
        f"De omschrijving van order SO {order_id} is in Visma.net gewijzigd, maar werkbon "
        f"{work_order.number} heeft op kantoor een eigen omschrijving gekregen: die is behouden.",
        f"Vergelijk order SO {order_id} in Visma.net met werkbon {work_order.number} en pas de werkbon "
        "waar nodig met de hand aan.",
    )]


def test_a_later_change_of_the_description_follows_when_the_office_did_not_touch_it(orders):  # noqa: F811
    order_id = new_order(orders, description="Werkbon lekkage")
    import_orders(orders)
    work_order = linked_work_order(order_id)
    work_order.customer_reference = "Bon 7"  # the office's own field change
    work_order.save()
    change_order(orders, order_id, description="Werkbon lekkage keuken")
    import_orders(orders)
    work_order.refresh_from_db()
    assert work_order.description == "Werkbon lekkage keuken"
    assert work_order.customer_reference == "Bon 7"


def test_a_customer_change_in_visma_net_follows_with_its_work_address(orders):  # noqa: F811
    order_id = new_order(orders)
    import_orders(orders)
    change_order(orders, order_id, customer={"id": "10016"})
    import_orders(orders)
    work_order = linked_work_order(order_id)
    assert work_order.customer == Customer.objects.get(number="10016")
    assert work_order.work_address.customer == work_order.customer


def test_a_technicians_quantity_is_kept_and_another_lines_change_follows(orders):  # noqa: F811
    order_id = new_order(orders, lines=[("MAT-1001", 2), ("MAT-1109", 1)])
    import_orders(orders)
    work_order = linked_work_order(order_id)
    used = work_order.material_lines.get(item__number="MAT-1001")
    MaterialLine.objects.filter(pk=used.pk).update(quantity=Decimal(3))  # what the technician used
    with client_for(orders) as client:
        etag = client.sales_orders.get("SO", order_id).etag
        client.sales_orders.patch_lines("SO", order_id, [SalesOrderLinePatch(line_id=2, quantity=4)], if_match=etag)
    import_orders(orders)
    lines = {line.item.number: line.quantity for line in work_order.material_lines.all()}
    assert lines == {"MAT-1001": Decimal(3), "MAT-1109": Decimal(4)}
    assert not dutch_warnings()
    with client_for(orders) as client:  # now Visma.net changes the technician's line as well
        etag = client.sales_orders.get("SO", order_id).etag
        client.sales_orders.patch_lines("SO", order_id, [SalesOrderLinePatch(line_id=1, quantity=6)], if_match=etag)
    import_orders(orders)
    lines = {line.item.number: line.quantity for line in work_order.material_lines.all()}
    assert lines == {"MAT-1001": Decimal(3), "MAT-1109": Decimal(4)}
    assert dutch_warnings() == [(
        f"Regel 1 van order SO {order_id} (artikel MAT-1001) is in Visma.net gewijzigd, maar op werkbon "
        f"{work_order.number} is die materiaalregel ook aangepast: de regel op de werkbon is behouden.",
        f"Vergelijk order SO {order_id} in Visma.net met werkbon {work_order.number} en pas de werkbon "
        "waar nodig met de hand aan.",
    )]


def test_every_order_log_entry_reads_as_dutch(orders, tech_a):  # noqa: F811
    """Created, updated, kept-by-the-office, filtered, waiting for a customer, skipped lines,
    changed after planning: each entry is translated, without English status words or
    internal keys, and names the order or work order."""
    from django.utils import timezone

    from werkbon.workorders import services

    from .test_orders import configure
    from .trust_world import not_dutch

    configure(orders, order_import_filter_word="werkbon")
    kept = new_order(orders, description="Werkbon lekkage", lines=[("MAT-1001", 2), ("VRD-2001", 1),
                                                                    ("MAT-1005", 1)])
    planned = new_order(orders, description="Werkbon storing")
    new_order(orders, description="Vervangen kraan")  # filtered out
    new_order(orders, customer="10002", description="Werkbon nieuwe klant")  # waits for its customer
    import_orders(orders)
    work_order = linked_work_order(kept)
    work_order.description = "Werkbon lekkage: sleutel bij de buren"
    work_order.save()
    services.plan(linked_work_order(planned), technicians=[tech_a], planned_start=timezone.now())
    change_order(orders, kept, description="Werkbon lekkage keuken", customer={"ref_no": "P. Bakker"})
    change_order(orders, planned, description="Werkbon storing, spoed")
    import_orders(orders)
    entries = list(LogEntry.objects.order_by("id"))
    assert {entry.level for entry in entries} == {"info", "warning"}
    assert len(entries) >= 8
    assert [problem for entry in entries for problem in not_dutch(entry)] == []
    with translation.override("nl"):
        assert all(entry.object_ref and entry.object_ref in entry.user_message for entry in entries
                   if entry.table in ("order", "work_order")), [e.user_message for e in entries]


def test_a_link_of_an_earlier_version_never_overwrites_the_office(orders):  # noqa: F811
    """A link made before issue 8 knows no last imported values: a field that differs counts
    as changed on both sides (kept, warned), and stays the office's at later changes."""
    from werkbon.integrations.models import ExternalLink

    order_id = new_order(orders, description="Werkbon lekkage")
    import_orders(orders)
    link = ExternalLink.objects.get(external_id=f"SO/{order_id}")
    link.data = {key: value for key, value in link.data.items() if key not in ("imported", "applied")}
    link.save()
    work_order = linked_work_order(order_id)
    work_order.description = "Werkbon lekkage: sleutel bij de buren"
    work_order.save()
    change_order(orders, order_id, description="Werkbon lekkage keuken")
    import_orders(orders)
    change_order(orders, order_id, description="Werkbon lekkage keuken en bad")
    import_orders(orders)
    work_order.refresh_from_db()
    assert work_order.description == "Werkbon lekkage: sleutel bij de buren"
    assert len([message for message, _action in dutch_warnings() if "omschrijving" in message]) == 2
