"""Visma.net record → Werkbon field values (pure functions, no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from vismanet import Customer, CustomerLocation, InventoryItem
from werkbon.integrations.vismanet.mapping import inbound


def address(line1: str, postal: str = "3516 NT", city: str = "Utrecht", country: str = "NL", **extra: str) -> dict:
    return {"addressLine1": line1, "postalCode": postal, "city": city, "country": {"id": country}, **extra}


def customer(**data: object) -> Customer:
    base = {"number": "10003", "name": "Woningstichting Het Gebouw", "status": "Active",
            "mainAddress": address("Beatrixstraat 202bis")}
    return Customer.model_validate({**base, **data})


@pytest.mark.parametrize(
    ("line", "street", "number"),
    [
        ("Beatrixstraat 202bis", "Beatrixstraat", "202bis"),
        ("Dorpsstraat 10 A", "Dorpsstraat", "10 A"),
        ("Schoolstraat 69-2", "Schoolstraat", "69-2"),
        ("Laan 1940-1945 12", "Laan 1940-1945", "12"),
        ("2e Jan Steenstraat 8", "2e Jan Steenstraat", "8"),
        ("Kerkstraat 5 bus 3", "Kerkstraat", "5 bus 3"),
        ("Rue Neuve 1", "Rue Neuve", "1"),
        ("Postbus 806", "Postbus", "806"),
        ("Kauppakatu 89", "Kauppakatu", "89"),
        ("Hoofdstraat", "Hoofdstraat", ""),
        ("  Groot   Hertoginnelaan   3 ", "Groot Hertoginnelaan", "3"),
        ("Frieslânstrjitte 7", "Frieslânstrjitte", "7"),  # diacritics are kept
        ("", "", ""),
    ],
)
def test_it_splits_a_street_line_into_street_and_house_number(line, street, number):
    assert inbound.split_street(line) == (street, number)


@pytest.mark.parametrize("line", ["Industrieweg 12 unit 345 hal 6 achterzijde", "Straat 123456789012345678901"])
def test_it_keeps_a_line_whose_number_part_is_unusual_or_too_long_whole_in_the_street(line):
    assert inbound.split_street(line) == (line, "")


@pytest.mark.parametrize(
    ("status", "werkbon", "note"),
    [
        ("Active", "active", inbound.StatusNote.NONE),
        ("OneTime", "active", inbound.StatusNote.NONE),
        ("CreditHold", "active", inbound.StatusNote.NONE),
        ("OnHold", "active", inbound.StatusNote.ON_HOLD),
        ("Inactive", "inactive", inbound.StatusNote.NONE),
        ("SomethingNew", "active", inbound.StatusNote.NONE),
        (None, "active", inbound.StatusNote.NONE),
    ],
)
def test_it_maps_the_customer_status(status, werkbon, note):
    assert inbound.customer_status(status) == (werkbon, note)
    fields = inbound.customer_fields(customer(status=status))
    assert (fields["status"], fields["on_hold"]) == (werkbon, note == inbound.StatusNote.ON_HOLD)


def test_it_maps_a_customer_with_its_main_address_and_main_contact():
    record = customer(mainContact={"name": "Woningstichting", "attention": "Pieter de Vries",
                                   "email": "info@gebouw.example", "phone1": "074-3664010"},
                      mainAddress=address("Beatrixstraat 202bis", addressLine2="Gebouw B"))
    assert inbound.customer_fields(record) == {
        "number": "10003", "name": "Woningstichting Het Gebouw", "status": "active", "on_hold": False,
        "address_line1": "Beatrixstraat 202bis", "address_line2": "Gebouw B", "postal_code": "3516 NT",
        "city": "Utrecht", "country": "NL", "email": "info@gebouw.example", "phone": "074-3664010",
    }


def test_it_leaves_out_an_email_address_that_is_not_one():
    record = customer(mainContact={"email": "not an address"})
    assert inbound.customer_fields(record)["email"] == ""


def test_it_makes_main_invoice_and_delivery_work_addresses_without_duplicates():
    record = customer(invoiceAddress=address("Postbus 806", "3736 KA", "Zeist"),
                      deliveryAddress=address("beatrixstraat  202BIS", "3516NT", "UTRECHT"))
    keys = [(key, fields["street"], fields["house_number"]) for key, fields in inbound.customer_work_addresses(record)]
    # The delivery address is the main address written differently: not a second work address.
    assert keys == [("main", "Beatrixstraat", "202bis"), ("invoice", "Postbus", "806")]


def test_it_ignores_an_empty_invoice_address():
    record = customer(invoiceAddress={"addressLine1": " ", "postalCode": None, "city": ""})
    assert [key for key, _fields in inbound.customer_work_addresses(record)] == ["main"]


def test_it_treats_addresses_differing_only_in_case_and_spaces_as_identical_but_not_other_numbers():
    one = inbound.work_address_fields(inbound.ErpAddress.model_validate(address("Dorpsstraat 10 A", "2551 TG")))
    same = inbound.work_address_fields(inbound.ErpAddress.model_validate(address("dorpsstraat 10 a", "2551tg")))
    other = inbound.work_address_fields(inbound.ErpAddress.model_validate(address("Dorpsstraat 10 B", "2551 TG")))
    assert inbound.address_identity(one) == inbound.address_identity(same)
    assert inbound.address_identity(one) != inbound.address_identity(other)


def test_it_names_a_location_work_address_after_the_location_and_skips_one_without_address():
    location = CustomerLocation.model_validate({
        "baccount": {"number": "10004"}, "locationId": "LOC01", "locationName": "Magazijn 's-Hertogenbosch",
        "active": True, "address": address("Dorpsstraat 94a", "9777 PV", "Groningen"),
    })
    fields = inbound.location_work_address(location)
    assert fields == {"name": "Magazijn 's-Hertogenbosch", "street": "Dorpsstraat", "house_number": "94a",
                      "postal_code": "9777 PV", "city": "Groningen", "country": "NL"}
    assert inbound.location_key("LOC01") == "location:LOC01"
    empty = location.model_copy(update={"address": None})
    assert inbound.location_work_address(empty) is None


def test_it_takes_the_person_of_each_contact_once():
    record = customer(
        mainContact={"name": "Woningstichting", "attention": "Pieter de Vries", "email": "p@x.example"},
        invoiceContact={"name": "Woningstichting", "attention": "Crediteuren", "phone1": "052-3264957"},
        deliveryContact={"name": "Woningstichting", "attention": "Pieter de Vries", "email": "p@x.example"},
    )
    contacts = inbound.customer_contacts(record)
    assert [(c.name, c.role) for c in contacts] == [("Pieter de Vries", "main"), ("Crediteuren", "invoice")]


def item(**data: object) -> InventoryItem:
    base = {"inventoryNumber": "ARBEID", "description": "Arbeidsloon monteur", "status": "Active",
            "type": "LaborItem", "stockItem": False, "defaultPrice": 62.5, "baseUnit": "UUR",
            "salesUnit": "UUR", "itemClass": {"id": "DIENST", "description": "Diensten"}}
    return InventoryItem.model_validate({**base, **data})


def test_it_imports_non_stock_items_only():
    assert inbound.is_importable_item(item())
    assert not inbound.is_importable_item(item(stockItem=True, type="FinishedGoodItem"))
    assert inbound.is_importable_item(item(stockItem=None, type="ServiceItem"))
    assert not inbound.is_importable_item(item(stockItem=None, type="FinishedGoodItem"))


@pytest.mark.parametrize(
    ("status", "werkbon"),
    [("Active", "active"), ("NoPurchases", "active"), ("NoRequest", "active"),
     ("NoSales", "inactive"), ("Inactive", "inactive"), ("MarkedForDeletion", "inactive")],
)
def test_it_maps_the_item_status(status, werkbon):
    assert inbound.item_status(status) == werkbon


def test_it_maps_an_item_with_sales_unit_price_and_item_class():
    fields = inbound.item_fields(item(salesUnit=None, baseUnit="STK", defaultPrice=39.499))
    assert fields == {"number": "ARBEID", "description": "Arbeidsloon monteur", "unit": "STK",
                      "sales_price": Decimal("39.50"), "item_type": "non_stock", "status": "active"}
    assert inbound.item_group_code(item()) == "DIENST"
    assert inbound.item_group_code(item(itemClass=None)) == ""
    assert inbound.price(None) == Decimal("0.00")
