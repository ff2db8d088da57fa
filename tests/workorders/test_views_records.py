"""Customers, work addresses, items and form templates; read-only when managed elsewhere."""

from __future__ import annotations

import pytest
from django.urls import reverse

from werkbon.workorders.external import _providers, register_manager
from werkbon.workorders.models import (
    Customer,
    FormQuestion,
    FormTemplate,
    Item,
    ItemGroup,
    WorkAddress,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def managed_by_visma():
    def provider(tenant):
        return "Visma.net" if tenant.slug == "alfa" else None

    register_manager(provider)
    yield provider
    _providers.remove(provider)


def test_it_creates_and_edits_customers_when_nothing_manages_them(office_client, in_tenant_a):
    response = office_client.post(reverse("workorders:customer_create"), {
        "number": "C1", "name": "Jansen Loodgieters", "status": "active", "country": "NL"})
    customer = Customer.objects.get(number="C1")
    assert response["Location"] == reverse("workorders:customer_detail", args=[customer.pk])
    office_client.post(reverse("workorders:customer_edit", args=[customer.pk]), {
        "number": "C1", "name": "Jansen Loodgieters B.V.", "status": "active", "country": "NL"})
    customer.refresh_from_db()
    assert customer.name == "Jansen Loodgieters B.V."
    duplicate = office_client.post(reverse("workorders:customer_create"), {
        "number": "C1", "name": "Dubbel", "status": "active"})
    assert duplicate.status_code == 200
    assert duplicate.context["form"].errors["number"]


def test_it_keeps_customers_and_items_read_only_when_managed(office_client, customer, items,
                                                              managed_by_visma):
    html = office_client.get(reverse("workorders:customer_list")).content.decode()
    assert "beheerd in Visma.net" in html
    assert 'data-testid="new-customer"' not in html
    detail = office_client.get(reverse("workorders:customer_detail", args=[customer.pk]))
    assert 'data-testid="edit-customer"' not in detail.content.decode()
    response = office_client.post(reverse("workorders:customer_edit", args=[customer.pk]), {
        "number": customer.number, "name": "Gewijzigd", "status": "active"}, follow=True)
    assert "Klanten worden beheerd in Visma.net" in response.content.decode()
    customer.refresh_from_db()
    assert customer.name.startswith("Bakkerij")
    response = office_client.post(reverse("workorders:customer_create"), {
        "number": "NEW", "name": "Nieuw", "status": "active"}, follow=True)
    assert "Klanten worden beheerd in Visma.net" in response.content.decode()
    assert not Customer.objects.filter(number="NEW").exists()
    response = office_client.post(reverse("workorders:item_edit", args=[items["CV01"].pk]), {
        "number": "CV01", "description": "Gewijzigd", "sales_price": "1", "item_type": "non_stock",
        "status": "active"}, follow=True)
    assert "Artikelen worden beheerd in Visma.net" in response.content.decode()
    assert Item.objects.get(number="CV01").description.startswith("Vulkraan")
    office_client.post(reverse("workorders:item_create"), {
        "number": "X", "description": "X", "sales_price": "1", "item_type": "non_stock",
        "status": "active"})
    office_client.post(reverse("workorders:item_groups"), {"code": "G", "description": "G"})
    assert not Item.objects.filter(number="X").exists()
    assert not ItemGroup.objects.exists()
    assert "beheerd in Visma.net" in office_client.get(
        reverse("workorders:item_list")).content.decode()


def test_it_still_adds_work_addresses_when_customers_are_managed(office_client, customer,
                                                                  managed_by_visma):
    response = office_client.post(reverse("workorders:work_address_add", args=[customer.pk]), {
        "addr-name": "Filiaal Zuid", "addr-street": "Ëikenlaan", "addr-house_number": "3",
        "addr-postal_code": "8000 AB", "addr-city": "Zwolle", "addr-country": "NL"}, follow=True)
    address = WorkAddress.objects.get(name="Filiaal Zuid")
    assert address.customer == customer
    assert "Ëikenlaan 3" in response.content.decode()


def test_it_searches_customers_by_work_address(office_client, customer, work_address):
    Customer.objects.create(number="Z9", name="Ander Bedrijf")
    response = office_client.get(reverse("workorders:customer_list"), {"q": "kerkstraat"})
    assert [c.number for c in response.context["page"]] == [customer.number]
    html = office_client.get(reverse("workorders:customer_detail", args=[customer.pk]))
    assert "Kerkstraat 12a, 7901 AA Hoogeveen" in html.content.decode()


def test_it_creates_items_with_a_decimal_comma_price(office_client, in_tenant_a):
    group = ItemGroup.objects.create(code="CV", description="CV-onderdelen")
    office_client.post(reverse("workorders:item_create"), {
        "number": "T1", "description": "Thermostaat", "unit": "st", "sales_price": "89,95",
        "item_type": "non_stock", "status": "active", "group": group.pk})
    item = Item.objects.get(number="T1")
    assert str(item.sales_price) == "89.95"
    assert item.group == group
    listed = office_client.get(reverse("workorders:item_list"), {"group": group.pk})
    assert [i.number for i in listed.context["page"]] == ["T1"]
    # The Type column in Dutch, as the settings' hint says it ("niet-voorraadartikel").
    assert '<td data-label="Type">Niet-voorraadartikel</td>' in listed.content.decode()
    assert "Non-stock" not in listed.content.decode()


def test_it_defines_a_form_template_with_every_question_kind(office_client, in_tenant_a):
    office_client.post(reverse("workorders:template_list"), {"name": "Onderhoud CV-ketel",
                                                             "is_active": "on"})
    template = FormTemplate.objects.get()
    url = reverse("workorders:template_detail", args=[template.pk])
    for kind, label, choices in [("text", "Bijzonderheden", ""), ("number", "Druk (bar)", ""),
                                 ("yes_no", "Lekt de ketel?", ""),
                                 ("choice", "Toestand", "Goed\nMatig\nSlecht"),
                                 ("photo", "Foto typeplaatje", "")]:
        office_client.post(url, {"q-label": label, "q-kind": kind, "q-choices": choices,
                                 "q-position": 0})
    assert sorted(template.questions.values_list("kind", flat=True)) == sorted(
        ["text", "number", "yes_no", "choice", "photo"])
    bad = office_client.post(url, {"q-label": "Eén keuze", "q-kind": "choice",
                                   "q-choices": "Alleen", "q-position": 0})
    assert bad.status_code == 200
    assert not FormQuestion.objects.filter(label="Eén keuze").exists()
