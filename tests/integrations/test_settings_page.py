"""The settings page of the Visma.net integration for a new office user (issue 15): fields
that do not apply are ignored by the form (the page hides them), every failed save names the
failing checks in a banner at the top with links to them and puts the focus on the first one,
and the wizard's step list says which step is done and which is current. The browser half is
``tests/browser/test_settings_page.py``."""

from __future__ import annotations

import re

import pytest

from werkbon.integrations.vismanet.forms import SettingsForm

from .test_activation import GOOD_SETTINGS, wipe_and_connect, wizard_settings  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

SETTINGS_URL = "/integraties/vismanet/activeren/instellingen/"


def test_a_typed_default_item_is_ignored_while_no_default_item_is_added():
    form = SettingsForm({**GOOD_SETTINGS, "default_item_enabled": "0", "default_item": "BESTAATNIET"})
    assert form.is_valid(), form.errors
    assert form.to_settings().default_item is None
    assert form.cleaned_data["default_item"] == ""


def test_the_order_filter_and_lines_are_ignored_while_no_orders_are_fetched():
    form = SettingsForm({**GOOD_SETTINGS, "order_import": "nothing",
                         "order_import_filter_word": " met spaties ", "order_import_lines": "1"})
    assert form.is_valid(), form.errors
    assert form.to_settings().order_import_filter_word == ""
    assert form.to_settings().order_import_lines is False


def test_the_warehouse_questions_are_ignored_for_invoices():
    form = SettingsForm({**GOOD_SETTINGS, "target": "customer_invoice", "sales_order_type": "",
                         "warehouse_per_user": "1", "default_warehouse": "x" * 40})
    assert form.is_valid(), form.errors
    saved = form.to_settings()
    assert (saved.default_warehouse, saved.warehouse_per_user, saved.sales_order_type) == (None, False, "SO")


def test_the_sales_order_type_applies_to_an_import_of_sales_orders_also_for_invoices():
    form = SettingsForm({**GOOD_SETTINGS, "target": "customer_invoice", "order_import": "sales_orders",
                         "sales_order_type": "s2"})
    assert form.is_valid(), form.errors
    assert form.to_settings().sales_order_type == "S2"
    assert "sales_order_type" not in form.not_applying()


def test_fields_that_apply_only_sometimes_say_when(office, wizard_settings, sandbox):  # noqa: F811
    wipe_and_connect(office, sandbox.demo.DEMO_TENANT_ID)
    office.post("/integraties/vismanet/activeren/administratie/")
    page = office.get(SETTINGS_URL).content.decode()
    assert 'id="field-default_item" data-field="default_item" data-applies-when="default_item_enabled=1"' in page
    assert 'data-applies-when="order_import=sales_orders quotes"' in page
    assert 'data-applies-when="target=sales_order;order_import=sales_orders"' in page
    assert "<script src=\"/static/integrations/settings-form.js\" defer></script>" in page
    assert "onclick=" not in page and "<script>" not in page


def test_a_failed_save_names_every_failing_check_at_the_top_and_focuses_the_first(
        office, wizard_settings, sandbox):  # noqa: F811
    wipe_and_connect(office, sandbox.demo.DEMO_TENANT_ID)
    office.post("/integraties/vismanet/activeren/administratie/")

    response = office.post(SETTINGS_URL, {**GOOD_SETTINGS, "work_time_item": "VRD-2001",
                                          "default_warehouse": "NERGENS"})

    assert response.status_code == 400
    page = response.content.decode()
    banner = page.index('data-testid="checks-failed"')
    assert banner < page.index('id="settings-form"')  # at the top, above the form
    assert 'role="alert"' in page[page.rindex("<div", 0, banner):banner]
    links = re.findall(r'<li data-testid="problem-(\w+)"><a href="#field-(\w+)">', page)
    assert links == [("work_time_item", "work_time_item"), ("default_warehouse", "default_warehouse")]
    assert "VRD-2001 is een voorraadartikel" in page[banner:page.index('id="settings-form"')]
    assert re.search(r'<input[^>]*id="id_work_time_item"[^>]*autofocus', page) or \
        re.search(r'<input[^>]*autofocus[^>]*id="id_work_time_item"', page)
    assert page.count("autofocus") == 1


def test_a_save_refused_by_the_form_has_the_banner_too(office, wizard_settings, sandbox):  # noqa: F811
    wipe_and_connect(office, sandbox.demo.DEMO_TENANT_ID)
    office.post("/integraties/vismanet/activeren/administratie/")

    response = office.post(SETTINGS_URL, {**GOOD_SETTINGS, "sync_interval_seconds": "1", "terms": ""})

    page = response.content.decode()
    assert response.status_code == 400
    assert re.findall(r'data-testid="problem-(\w+)"', page) == ["sync_interval_seconds", "terms"]
    assert re.search(r'<input[^>]*autofocus[^>]*id="id_sync_interval_seconds"', page) or \
        re.search(r'<input[^>]*id="id_sync_interval_seconds"[^>]*autofocus', page)


def test_the_step_list_shows_which_step_is_done_and_which_is_current(office, wizard_settings, sandbox):  # noqa: F811
    wipe_and_connect(office, sandbox.demo.DEMO_TENANT_ID)
    office.post("/integraties/vismanet/activeren/administratie/")
    page = office.get(SETTINGS_URL).content.decode()
    states = re.findall(r'data-testid="wizard-step-(\d)" data-state="(\w+)"', page)
    assert states == [("1", "done"), ("2", "done"), ("3", "current")]
    assert "(klaar)" in page and "(huidige stap)" in page
    assert page.count('aria-current="step"') == 1


def test_a_failed_save_of_the_active_integration_s_settings_has_the_banner_too(vismanet_integration, office):
    settings = {key: value for key, value in GOOD_SETTINGS.items() if key != "terms"}
    response = office.post("/integraties/vismanet/wijzigen/", {**settings, "travel_time_item": "BESTAATNIET"})
    assert response.status_code == 400
    page = response.content.decode()
    assert re.findall(r'data-testid="problem-(\w+)"', page) == ["travel_time_item"]
    assert page.index('data-testid="checks-failed"') < page.index('id="settings-form"')
    assert 'data-testid="wizard-steps"' not in page


def test_a_problem_names_its_setting_once_by_a_short_label(office, wizard_settings, sandbox):  # noqa: F811
    wipe_and_connect(office, sandbox.demo.DEMO_TENANT_ID)
    office.post("/integraties/vismanet/activeren/administratie/")

    response = office.post(SETTINGS_URL, {**GOOD_SETTINGS, "default_warehouse": ""})

    assert response.status_code == 400
    page = response.content.decode()
    (problem,) = re.findall(r'<li data-testid="problem-default_warehouse">(.*?)</li>', page)
    # The question says the message word for word: the label is the short name, said once.
    assert problem == ('<a href="#field-default_warehouse">Standaardmagazijn</a>: '
                       "Kies het standaard magazijn om artikelen uit te boeken.")
    assert page.count("Kies het standaard magazijn om artikelen uit te boeken.: ") == 0
