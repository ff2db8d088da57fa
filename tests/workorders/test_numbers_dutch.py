"""Numbers the Dutch way on every screen (issue 15): a decimal typed with a comma is shown
with a comma, on the office's screens and in the values a form shows again ("1,6", never
"1.6" or "1.600"). English shows the point."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from werkbon.workorders import services
from werkbon.workorders.forms import MaterialLineForm
from werkbon.workorders.models import FormQuestion, FormTemplate, MaterialLine

from .test_views_forms import field

pytestmark = pytest.mark.django_db


@pytest.fixture
def pressure_form(in_tenant_a):
    template = FormTemplate.objects.create(name="Ketel")
    FormQuestion.objects.create(template=template, label="Waterdruk (bar)", kind="number", position=0,
                                required=True)
    return template


def _input_value(page: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert tag, f"no input {name}"
    return re.search(r'value="([^"]*)"', tag.group(0)).group(1)


def test_the_office_sees_a_form_answer_typed_with_a_comma_with_a_comma(
        tech_client, office_a, planned_order, pressure_form, client):
    url = reverse("workorders:fill_form", args=[planned_order.pk, pressure_form.pk])
    assert tech_client.post(url, {field(pressure_form, "number"): "1,6"}).status_code == 302
    again = tech_client.get(url).content.decode()
    assert _input_value(again, field(pressure_form, "number")) == "1,6"

    from tests.conftest import PASSWORD
    client.logout()
    assert client.login(username=office_a.username, password=PASSWORD)
    page = client.get(reverse("workorders:detail", args=[planned_order.pk])).content.decode()
    answer = re.search(r"<dt>Waterdruk \(bar\)</dt><dd>([^<]*)</dd>", page)
    assert answer and answer.group(1) == "1,6"


def test_the_office_correcting_a_material_line_sees_its_quantity_with_a_comma(
        office_client, planned_order, items, tech_a):
    line = services.add_material_line(planned_order, item=items["PIJP"], quantity=Decimal("1.6"),
                                      technician=tech_a)
    page = office_client.get(reverse("workorders:material_line_edit",
                                     args=[planned_order.pk, line.pk])).content.decode()
    assert _input_value(page, "quantity") == "1,6"
    detail = office_client.get(reverse("workorders:detail", args=[planned_order.pk])).content.decode()
    assert "<td data-label=\"Aantal\">1,6</td>" in detail and "1.6" not in detail
    saved = office_client.post(reverse("workorders:material_line_edit", args=[planned_order.pk, line.pk]),
                               {"item": items["PIJP"].pk, "quantity": "1,6", "note": ""})
    assert saved.status_code == 302
    assert MaterialLine.objects.get(pk=line.pk).quantity == Decimal("1.6")


def test_a_quantity_is_shown_again_as_the_language_writes_it(in_tenant_a, items):
    form = MaterialLineForm(initial={"item": items["PIJP"].pk, "quantity": Decimal("12.500")})
    assert form["quantity"].value() == "12,5"
    with translation.override("en"):
        assert MaterialLineForm(initial={"quantity": Decimal("12.500")})["quantity"].value() == "12.5"
    typed = MaterialLineForm(data={"item": "", "quantity": "1,25"})
    assert typed["quantity"].value() == "1,25"  # what was typed is shown as typed
