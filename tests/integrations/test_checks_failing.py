"""Setting checks that lacked a failing case (issue 4 "Settings": "each setting has a check …
one failing and one passing case per setting"), against the sandbox over HTTP: the import of
sales orders reads the configured order type (``sales_order_type``), so its check asks
Visma.net about that type; the order-import filter word; invalid values of the choice settings
are refused by the settings form and by ``VismaNetSettings`` with a message."""

from __future__ import annotations

import pydantic
import pytest

from werkbon.integrations.vismanet import checks
from werkbon.integrations.vismanet.client import client_for
from werkbon.integrations.vismanet.config import VismaNetSettings
from werkbon.integrations.vismanet.forms import SettingsForm

from .conftest import DEFAULT_SETTINGS
from .test_activation import GOOD_SETTINGS

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(vismanet_integration, in_tenant_a):
    with client_for(vismanet_integration) as visma:
        yield visma


# ---- order import of sales orders: the configured order type ---------------------------------

def test_it_passes_the_sales_order_import_with_an_active_order_type(client):
    values = {"order_import": "sales_orders", "target": "customer_invoice", "sales_order_type": "SO"}
    result = checks.check_field(client, "order_import", values)
    assert result.ok, result.msgid
    assert result.params["type"] == "SO"


@pytest.mark.parametrize(("order_type", "rule"), [("ZZ", "does not exist"), ("CR", "is inactive")])
def test_it_fails_the_sales_order_import_when_its_order_type_does_not_exist_or_is_inactive(
        client, order_type, rule):
    # With invoices as the target the sales-order-type check has nothing to say, so the
    # import's own check must catch a type that the import would read in vain.
    values = {"order_import": "sales_orders", "target": "customer_invoice", "sales_order_type": order_type}
    result = checks.check_field(client, "order_import", values)
    assert not result.ok
    assert rule in result.msgid
    assert result.params["type"] == order_type
    assert not all(r.ok for r in checks.run_all(client, {**GOOD_SETTINGS, **values}).values())


# ---- the order-import filter word ------------------------------------------------------------

@pytest.mark.parametrize(("word", "message"), [
    (" Werkbon", "Remove the spaces before or after the filter word."),
    ("Werkbon ", "Remove the spaces before or after the filter word."),
    ("x" * 101, "The filter word is longer than %(max)s characters."),
])
def test_it_fails_an_untrimmed_or_too_long_order_import_filter_word(client, word, message):
    result = checks.check_field(client, "order_import_filter_word", {"order_import_filter_word": word})
    assert not result.ok
    assert result.msgid == message
    form = SettingsForm({**GOOD_SETTINGS, "order_import": "sales_orders", "order_import_filter_word": word})
    assert not form.is_valid()
    assert form.errors["order_import_filter_word"]


def test_it_passes_a_trimmed_order_import_filter_word_of_100_characters(client):
    assert checks.check_field(client, "order_import_filter_word", {"order_import_filter_word": "x" * 100}).ok
    form = SettingsForm({**GOOD_SETTINGS, "order_import": "sales_orders", "order_import_filter_word": "x" * 100})
    assert form.is_valid(), form.errors
    assert form.to_settings().order_import_filter_word == "x" * 100


def test_the_settings_model_refuses_an_order_import_filter_word_over_100_characters():
    with pytest.raises(pydantic.ValidationError, match="order_import_filter_word"):
        VismaNetSettings.model_validate({**DEFAULT_SETTINGS, "order_import_filter_word": "x" * 101})


# ---- choice settings: invalid values ---------------------------------------------------------

@pytest.mark.parametrize(("field", "bad"), [
    ("notes", "everything"), ("customer_reference", "invoice_number"), ("pdfs", "all"), ("images", "all"),
    ("target", "credit_note"), ("order_import", "invoices"), ("order_import_lines", "maybe"),
])
def test_it_refuses_an_invalid_choice_with_a_message(field, bad):
    # The order lines apply only while orders are fetched (else the form ignores them).
    form = SettingsForm({**GOOD_SETTINGS, "order_import": "sales_orders", field: bad} if field == "order_import_lines"
                        else {**GOOD_SETTINGS, field: bad})
    assert not form.is_valid()
    assert form.errors[field] == [f"Selecteer een geldige keuze. {bad} is geen beschikbare keuze."]
    with pytest.raises(pydantic.ValidationError) as refused:
        VismaNetSettings.model_validate({**DEFAULT_SETTINGS, field: bad})
    assert refused.value.errors()[0]["loc"] == (field,)
    assert refused.value.errors()[0]["msg"]


def test_the_valid_choices_pass_both():
    form = SettingsForm(GOOD_SETTINGS)
    assert form.is_valid(), form.errors
    assert VismaNetSettings.model_validate(DEFAULT_SETTINGS).notes == "work_address_and_description"
