"""Each setting check against the sandbox over HTTP: one failing and one passing case per
setting, and the failing case names the rule that failed (manual 5.2–5.11, 6.2)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from django.utils import translation

from tests.conftest import make_user
from werkbon.accounts.models import Role
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.vismanet import checks
from werkbon.integrations.vismanet.client import client_for

pytestmark = pytest.mark.django_db

DEMO_SEED = Path(__file__).resolve().parents[2] / "vismanet_sandbox" / "data" / "demo.json"


@pytest.fixture
def client(vismanet_integration, in_tenant_a):
    with client_for(vismanet_integration) as visma:
        yield visma


def test_it_passes_the_company_check_with_a_valid_token(client):
    result = checks.check_company(client)
    assert result.ok
    assert "Installatietechniek Demo B.V." in result.message


def test_it_fails_the_company_check_when_consent_is_withdrawn(client, sandbox):
    sandbox.control.expire_tokens(revoke_refresh_tokens=True)
    result = checks.check_company(client)
    assert not result.ok
    assert result.msgid == "The connection with Visma.net has expired: connect again."


def test_it_fails_the_company_check_when_visma_is_unreachable(vismanet_integration, in_tenant_a):
    with client_for(vismanet_integration, erp_base_url="http://127.0.0.1:9") as unreachable:
        result = checks.check_company(unreachable)
    assert not result.ok
    assert "cannot be reached" in result.msgid


def test_it_passes_an_active_non_stock_travel_time_item(client):
    result = checks.check_travel_time_item(client, "REISTIJD")
    assert result.ok, result.message
    assert result.params["item"] == "REISTIJD"


def test_it_passes_no_travel_time_item_as_not_sent(client):
    assert checks.check_travel_time_item(client, None).msgid.startswith("No item: travel time")


def test_it_fails_a_travel_time_item_that_does_not_exist(client):
    result = checks.check_travel_time_item(client, "BESTAATNIET")
    assert not result.ok
    assert result.msgid == "Item %(item)s does not exist in Visma.net."
    with translation.override("nl"):
        assert result.message == "Artikel BESTAATNIET bestaat niet in Visma.net."


def test_it_passes_an_active_non_stock_work_time_item(client):
    assert checks.check_work_time_item(client, "ARBEID").ok


def test_it_fails_a_stock_item_as_work_time_item(client):
    result = checks.check_work_time_item(client, "VRD-2001")
    assert not result.ok
    assert result.msgid == "Item %(item)s is a stock item; choose a non-stock item."


def test_it_fails_an_inactive_work_time_item(client, sandbox):
    sandbox.control.deactivate_item(sandbox.demo.DEMO_TENANT_ID, "ARBEID")
    result = checks.check_work_time_item(client, "ARBEID")
    assert not result.ok
    assert result.msgid.startswith("Item %(item)s is inactive")


def test_it_passes_an_enabled_default_item_that_is_usable(client):
    assert checks.check_default_item(client, True, "VOORRIJDEN").ok


def test_it_checks_a_typed_default_item_while_the_switch_says_no(client):
    with translation.override("nl"):
        usable = checks.check_default_item(client, False, "VOORRIJDEN")
        assert usable.ok
        assert "VOORRIJDEN" in usable.message and "actief niet-voorraadartikel" in usable.message
        assert "Het wordt niet toegevoegd" in usable.message
        unknown = checks.check_default_item(client, False, "NIETS")
        assert not unknown.ok
        assert "Artikel NIETS bestaat niet" in unknown.message and "niet toegevoegd" in unknown.message
        assert checks.check_default_item(client, False, "").message == "Er wordt geen standaard artikel toegevoegd."


def test_it_ends_the_company_check_with_one_full_stop(client):
    with translation.override("nl"):
        assert checks.check_company(client).message == \
            "Verbonden met administratie Installatietechniek Demo B.V."


def test_it_fails_an_enabled_default_item_without_a_number(client):
    result = checks.check_default_item(client, True, "")
    assert not result.ok
    assert "Choose the default item" in result.msgid


def test_it_fails_an_inactive_default_item(client):
    result = checks.check_default_item(client, True, "SRV-1014")
    assert not result.ok
    assert "inactive" in result.msgid


def test_it_passes_a_short_trimmed_filter_word():
    assert checks.check_filter_word("SimonWB").ok
    assert checks.check_filter_word("").ok


@pytest.mark.parametrize("word", [" SimonWB", "x" * 101])
def test_it_fails_an_untrimmed_or_too_long_filter_word(word):
    assert not checks.check_filter_word(word).ok


def test_it_passes_the_sales_order_type_so(client):
    assert checks.check_sales_order_type(client, "sales_order", "SO").ok


@pytest.mark.parametrize(("order_type", "rule"), [
    ("ZZ", "does not exist"), ("CR", "is inactive"), ("IN", "is not a sales order type"),
])
def test_it_fails_a_sales_order_type_that_is_unknown_inactive_or_not_a_sales_order(client, order_type, rule):
    result = checks.check_sales_order_type(client, "sales_order", order_type)
    assert not result.ok
    assert rule in result.msgid


def test_it_passes_the_quote_import_when_qt_exists(client):
    result = checks.check_order_import(client, "quotes")
    assert result.ok
    assert result.params["type"] == "QT"


def test_it_fails_the_quote_import_when_qt_is_inactive(client, sandbox):
    seed = json.loads(DEMO_SEED.read_text(encoding="utf-8"))
    changed = copy.deepcopy(seed)
    for order_type in changed["companies"][0]["records"]["salesOrderType"]:
        if order_type["orderType"] == "QT":
            order_type["active"] = False
    sandbox.control.reset(changed)
    result = checks.check_order_import(client, "quotes")
    assert not result.ok
    assert result.msgid == "Order type %(type)s is inactive in Visma.net."


def test_it_passes_an_existing_default_warehouse(client):
    assert checks.check_default_warehouse(client, "sales_order", False, "HOOFD").ok


def test_it_fails_an_unknown_or_missing_default_warehouse(client):
    unknown = checks.check_default_warehouse(client, "sales_order", False, "KELDER")
    assert not unknown.ok
    assert unknown.msgid == "Warehouse %(warehouse)s does not exist in Visma.net."
    missing = checks.check_default_warehouse(client, "sales_order", False, "")
    assert not missing.ok


def test_it_passes_warehouse_per_user_when_every_technician_has_one(client, tech_a):
    result = checks.check_field(client, "warehouse_per_user", {"warehouse_per_user": "1", "target": "sales_order"})
    assert result.ok, result.message


def test_it_fails_warehouse_per_user_and_names_the_users_without_a_valid_warehouse(client, tech_a, tenant_a):
    make_user(tenant_a, "kees", Role.TECHNICIAN, first_name="Kees", last_name="Bus", default_warehouse="BUS9")
    make_user(tenant_a, "anna", Role.TECHNICIAN, first_name="Anna", last_name="Leeg")
    result = checks.check_field(client, "warehouse_per_user", {"warehouse_per_user": "1", "target": "sales_order"})
    assert not result.ok
    assert "Kees Bus (BUS9)" in result.params["users"]
    assert "Anna Leeg (-)" in result.params["users"]
    assert "Piet Jansen" not in result.params["users"]


def test_it_passes_a_sync_interval_within_bounds():
    assert checks.check_sync_interval(60).ok
    assert checks.check_sync_interval("2").ok


@pytest.mark.parametrize("value", [1, 3601, "abc", None])
def test_it_fails_a_sync_interval_out_of_bounds(value):
    assert not checks.check_sync_interval(value).ok


def test_it_runs_every_check_and_all_pass_for_the_demo_settings(client, tech_a):
    values = {"travel_time_item": "REISTIJD", "work_time_item": "ARBEID", "default_item_enabled": "1",
              "default_item": "VOORRIJDEN", "filter_word": "", "order_import": "sales_orders",
              "order_import_filter_word": "werkbon", "target": "sales_order", "sales_order_type": "SO",
              "warehouse_per_user": "0", "default_warehouse": "HOOFD", "sync_interval_seconds": "60"}
    results = checks.run_all(client, values)
    assert set(results) == set(checks.CHECKED_FIELDS)
    assert all(r.ok for r in results.values()), {k: r.message for k, r in results.items() if not r.ok}


def test_it_runs_checks_in_the_tenant_of_the_user(client, tenant_b):
    # Technicians of another tenant never count for warehouse per user.
    with tenant_context(tenant_b):
        make_user(tenant_b, "other_tech", Role.TECHNICIAN, default_warehouse="NOPE")
    result = checks.check_field(client, "warehouse_per_user", {"warehouse_per_user": "1", "target": "sales_order"})
    assert not result.ok  # tenant A has no technicians here
    assert result.msgid.startswith("There are no technicians")
