"""Pure mapping of Visma.net orders to work-order fields (no database, no HTTP)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from vismanet import SalesOrder, SalesOrderLine
from werkbon.integrations.vismanet.mapping import orders as mapping
from werkbon.integrations.vismanet.mapping.orders import OrderAddress, OrderLineFields


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Kerkstraat 12a", ("Kerkstraat", "12a")),
        ("Dorpsweg 1-3", ("Dorpsweg", "1-3")),
        ("2e Laan 4", ("2e Laan", "4")),
        ("Laan 3 B", ("Laan", "3B")),
        ("Postbus", ("Postbus", "")),
        ("  Plein   1940  45 ", ("Plein 1940", "45")),
    ],
)
def test_it_splits_a_street_line_into_street_and_house_number(line, expected):
    assert mapping.split_street(line) == expected


@pytest.mark.parametrize(
    ("description", "word", "expected"),
    [
        ("Werkbon WB-1 - CV-ketel", "werkbon", True),
        ("storing WERKBON groepenkast", "Werkbon", True),
        ("Vervangen boiler", "werkbon", False),
        (None, "werkbon", False),
        ("Vervangen boiler", "", True),
        ("Vervangen boiler", "   ", True),
    ],
)
def test_it_matches_the_filter_word_case_insensitively(description, word, expected):
    assert mapping.matches_filter(description, word) is expected


@pytest.mark.parametrize(("status", "closed"), [("Open", False), ("Hold", False), ("CreditHold", False),
                                                ("Completed", True), ("Cancelled", True), ("Invoiced", True)])
def test_it_knows_which_orders_are_finished(status, closed):
    assert mapping.is_closed(status) is closed


def test_it_compares_addresses_ignoring_case_spaces_and_punctuation():
    a = OrderAddress("Kerkstraat", "12a", "1234 AB", "Utrecht", "NL")
    assert mapping.same_address(a, OrderAddress("kerkstraat", "12 A", "1234ab", "UTRECHT", ""))
    assert not mapping.same_address(a, OrderAddress("Kerkstraat", "12b", "1234 AB", "Utrecht", "NL"))
    assert not mapping.same_address(a, OrderAddress("Kerkstraat", "12a", "1234 AB", "Utrecht", "BE"))


def test_it_reads_the_header_of_an_order():
    order = SalesOrder.model_validate({
        "type": "SO", "orderId": "000111", "status": {"description": "Open"},
        "description": "Werkbon lekkage", "note": "Sleutel bij de buren",
        "lastModified": "2026-11-29T10:00:00.123Z",
        "customer": {"id": "10001", "refNo": "J. de Vries", "location": {"id": "LOC01"}},
        "shipping": {"address": {"line1": "Dorpsstraat 94a", "postalCode": "1234 AB", "city": "Ede",
                                 "country": {"id": "nl"}}},
    })
    fields = mapping.order_fields(order)
    assert fields.key == "SO/000111" and fields.label == "SO 000111"
    assert fields.customer_number == "10001" and fields.location_id == "LOC01"
    assert fields.description == "Werkbon lekkage\n\nSleutel bij de buren"
    assert fields.customer_reference == "J. de Vries"
    assert fields.address == OrderAddress("Dorpsstraat", "94a", "1234 AB", "Ede", "NL")
    assert fields.last_modified == dt.datetime(2026, 11, 29, 10, 0, 0, 123000, tzinfo=dt.UTC)


def test_it_refuses_an_order_without_customer():
    with pytest.raises(ValueError, match="customer"):
        mapping.order_fields(SalesOrder.model_validate({"type": "SO", "orderId": "1"}))


def test_it_reads_an_order_line_as_material_line_fields():
    line = SalesOrderLine.model_validate({
        "lineId": 3, "inventory": {"id": "MAT-1085", "description": "Kraan"}, "description": "Kraan chroom",
        "quantity": 2.5,
    })
    assert mapping.line_fields(line) == OrderLineFields(3, "MAT-1085", Decimal("2.500"), "Kraan chroom")
    text_line = SalesOrderLine.model_validate({"lineId": 4, "description": "Let op: hond"})
    assert mapping.line_fields(text_line) is None


def test_it_plans_which_material_lines_to_add_update_and_remove():
    existing = {
        1: OrderLineFields(1, "ARBEID", Decimal("2.000")),
        2: OrderLineFields(2, "MAT-1", Decimal("1.000")),
        3: OrderLineFields(3, "MAT-2", Decimal("1.000")),
    }
    incoming = [
        OrderLineFields(1, "ARBEID", Decimal("2")),  # unchanged (2 == 2.000)
        OrderLineFields(2, "MAT-1", Decimal("4.000")),  # quantity changed
        OrderLineFields(4, "MAT-3", Decimal("1.000")),  # new
    ]
    changes = mapping.line_changes(existing, incoming)
    assert [line.line_id for line in changes.add] == [4]
    assert [line.line_id for line in changes.update] == [2]
    assert changes.remove == [3]
    assert not mapping.line_changes(existing, list(existing.values()))


def test_it_tells_planned_time_lines_and_their_hours_in_dutch():
    lines = [OrderLineFields(1, "ARBEID", Decimal("1.5")), OrderLineFields(2, "MAT-1001", Decimal("2")),
             OrderLineFields(3, "REISTIJD", Decimal("0")), OrderLineFields(4, "ARBEID", Decimal("0.5"))]
    assert [mapping.is_time_line(line, ["ARBEID", "REISTIJD"]) for line in lines] == [True, False, True, True]
    assert not mapping.is_time_line(lines[0], [None, ""])
    planned = mapping.planned_hours(lines, ["ARBEID", "REISTIJD"])
    assert planned == [("ARBEID", Decimal("2.00"))]  # summed; zero hours left out
    assert mapping.planned_time_text(planned) == "Gepland in Visma.net: 2,00 uur ARBEID"
    assert mapping.with_planned_time("Lekkage", "Gepland in Visma.net: 2,00 uur ARBEID") == (
        "Lekkage\n\nGepland in Visma.net: 2,00 uur ARBEID")


@pytest.mark.parametrize(
    ("customer_order", "ours"),
    [
        ("Werkbon 12", True),
        ("Werkbon T2 12", True),
        ("  werkbon   acme-7 3", True),
        ("WERKBON 1", True),
        ("Werkbon", False),
        ("Werkbonnen 12", False),
        ("PO-88412", False),
        ("", False),
        (None, False),
    ],
)
def test_it_recognises_a_werkbon_marker(customer_order, ours):
    assert mapping.is_werkbon_marker(customer_order) is ours


@pytest.mark.parametrize(
    ("visma_changed", "local_changed", "agrees", "expected"),
    [
        (False, False, False, mapping.Merge.UNCHANGED),
        (False, True, False, mapping.Merge.UNCHANGED),  # only the office changed it: keep
        (True, False, False, mapping.Merge.APPLY),  # only Visma.net changed it: take it
        (True, True, True, mapping.Merge.SAME),  # both to the same value
        (True, True, False, mapping.Merge.CONFLICT),  # both, differently: keep ours, warn
    ],
)
def test_it_merges_a_field_three_ways(visma_changed, local_changed, agrees, expected):
    assert mapping.merge(visma_changed=visma_changed, local_changed=local_changed, agrees=agrees) is expected


HOSTILE = "Lekkage\x00 \ud800 keuken"  # a NUL and a lone surrogate, as json.loads keeps them


def stored_text(text: str) -> bool:
    text.encode("utf-8")  # raises on a lone surrogate
    return "\x00" not in text


def test_it_cleans_what_no_database_stores_from_an_orders_texts():
    order = SalesOrder.model_validate({
        "type": "SO", "orderId": "000112", "description": f"Werkbon {HOSTILE}", "note": HOSTILE,
        "customer": {"id": "10001", "refNo": HOSTILE, "order": HOSTILE, "location": {"id": "LOC\x0001"}},
        "shipping": {"address": {"line1": "Dorps\x00straat 9 \udfff", "postalCode": "1234\x00AB",
                                 "city": "Ede\ud800", "country": {"id": "NL"}}},
    })
    fields = mapping.order_fields(order)
    texts = [fields.description, fields.customer_reference, fields.customer_order, fields.location_id,
             fields.address.street, fields.address.house_number, fields.address.postal_code, fields.address.city]
    assert all(stored_text(text) for text in texts), texts
    assert fields.description.startswith("Werkbon Lekkage ? keuken")
    assert fields.address.postal_code == "1234AB"


@pytest.mark.parametrize("key", ["type", "orderId", "customer"])
def test_it_refuses_an_order_whose_key_no_database_stores(key):
    raw = {"type": "SO", "orderId": "000113", "customer": {"id": "10001"}}
    if key == "customer":
        raw["customer"]["id"] = "100\x0001"
    else:
        raw[key] = raw[key] + "\ud800"
    with pytest.raises(mapping.UnstorableKey):
        mapping.order_fields(SalesOrder.model_validate(raw))
    assert stored_text(mapping.order_label("SO", "0001\x00\ud800"))


def test_it_bounds_the_work_description_and_keeps_the_planned_hours():
    from werkbon.workorders import limits

    description = mapping.work_order_description("Werkbon " + "x" * 30_000, "n" * 30_000)
    assert len(description) == limits.MAX_DESCRIPTION_LENGTH
    planned = mapping.planned_time_text([("ARBEID", Decimal("2"))])
    with_hours = mapping.with_planned_time(description, planned)
    assert len(with_hours) == limits.MAX_DESCRIPTION_LENGTH
    assert with_hours.endswith(planned) and with_hours.startswith("Werkbon xxx")
    assert mapping.with_planned_time("Kort", planned) == f"Kort\n\n{planned}"
