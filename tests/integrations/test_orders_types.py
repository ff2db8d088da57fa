"""Issue 8, finding 2: each order type has its own watermark, and a type imported for the
first time starts with a pass over every document of that type that is open at that moment.
Switching the import from sales orders to quotes (or back, or switching it on later) brings
in the open documents that already exist. Sandbox over HTTP, real database."""

from __future__ import annotations

import pytest

from werkbon.integrations.models import ExternalLink, SyncState
from werkbon.integrations.vismanet.orders import import_orders

from .test_orders import configure, linked_work_order, new_order, orders  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

SEED_QUOTES = {f"QT/{n}" for n in ("000201", "000202", "000203", "000204", "000205")}


def linked(external_type: str) -> set[str]:
    return set(ExternalLink.objects.filter(external_type=external_type).values_list("external_id", flat=True))


def test_switching_from_sales_orders_to_quotes_brings_in_the_open_quotes_that_exist(orders):  # noqa: F811
    import_orders(orders)
    newest = new_order(orders, description="Werkbon nieuw")  # moves the sales-order watermark to now
    import_orders(orders)
    assert f"SO/{newest}" in linked("sales_order")
    configure(orders, order_import="quotes")
    import_orders(orders)
    assert linked("quote") == SEED_QUOTES  # older than the sales-order watermark, still open
    watermarks = dict(SyncState.objects.filter(integration=orders).values_list("table", "watermark"))
    assert watermarks["orders:SO"] is not None and watermarks["orders:QT"] is not None
    assert watermarks["orders:QT"] != watermarks["orders:SO"]


def test_switching_back_brings_in_the_sales_orders_made_meanwhile(orders):  # noqa: F811
    import_orders(orders)
    configure(orders, order_import="quotes")
    made_meanwhile = new_order(orders, description="Werkbon tijdens offertes")
    new_order(orders, order_type="QT", description="Offerte later")  # moves the quotes' watermark past it
    import_orders(orders)
    configure(orders, order_import="sales_orders")
    import_orders(orders)
    assert linked_work_order(made_meanwhile).description == "Werkbon tijdens offertes"


def test_switching_the_import_on_later_brings_in_the_open_orders(orders):  # noqa: F811
    configure(orders, order_import="nothing")
    import_orders(orders)
    waiting = new_order(orders, description="Werkbon al lang open")
    configure(orders, order_import="sales_orders")
    import_orders(orders)
    assert f"SO/{waiting}" in linked("sales_order")
    assert "SO/000101" in linked("sales_order")


def test_a_shared_watermark_of_an_earlier_version_holds_back_no_type(orders):  # noqa: F811
    """Before issue 8 one row ("orders") held the watermark of whichever type was imported:
    it is dropped, and every type starts with its first pass (re-reading is harmless)."""
    import_orders(orders)
    newest = new_order(orders, description="Werkbon nieuw")
    import_orders(orders)
    SyncState.objects.filter(integration=orders).delete()
    SyncState.objects.create(integration=orders, table="orders",
                             watermark=ExternalLink.objects.get(external_id=f"SO/{newest}").updated_at)
    configure(orders, order_import="quotes")
    import_orders(orders)
    assert linked("quote") == SEED_QUOTES
    assert not SyncState.objects.filter(integration=orders, table="orders").exists()
    configure(orders, order_import="sales_orders")
    import_orders(orders)
    assert linked_work_order(newest).description == "Werkbon nieuw"  # not made twice
    assert ExternalLink.objects.filter(external_id=f"SO/{newest}").count() == 1
