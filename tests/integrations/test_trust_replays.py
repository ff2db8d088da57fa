"""The minimal failing examples of the stateful trust test, replayed through the state machine
itself: each scenario's steps run in order and every invariant is checked after each step.

Before the fixes of issues 8 and 9 each scenario broke the invariant named in its id. Now the
same steps must pass ALL invariants, which also proves the invariants raise no false alarm on
the fixed code. The plain-language versions of
these scenarios are in ``test_trust_regressions.py``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from . import trust_world as tw
from .test_trust_stateful import TrustMachine

INVARIANTS = (
    "every_archived_work_order_has_exactly_one_document", "werkbon_documents_never_change",
    "werkbon_documents_never_come_back", "every_export_is_sent_transient_within_bound_or_permanent_with_action",
    "no_work_order_is_lost", "archived_work_orders_never_change", "document_lines_equal_what_was_registered",
    "the_log_speaks_dutch", "office_edits_are_kept", "a_deleted_order_is_not_made_again_without_a_person",
)


def finish(turn: tuple[int, ...] = (0,), **changes: Any) -> tuple[str, dict[str, Any]]:
    step = dict(turn=turn, customer=0, minutes=30, travel=0, material=None, quantity=Decimal(1))
    return "work_order_start_to_finish", {**step, **changes}


SCENARIOS = [
    pytest.param([finish(turn=(0, 1))], id="two_tenants_adopt_one_document"),
    pytest.param([("office_creates_order", dict(order_type="SO", customer=0, item=0, quantity=1.0, hours=0.0,
                                                typed=1)), finish()],
                 id="marker_typed_by_hand_is_adopted"),
    pytest.param([finish(), ("switch_order_import", dict(t=0, option="sales_orders"))],
                 id="own_document_comes_back"),
    pytest.param([finish(), ("switch_order_import", dict(t=1, option="sales_orders")),
                  ("advance", dict(t=1, order=1, steps=3))],
                 id="other_tenants_document_written_back"),
    pytest.param([("switch_order_import", dict(t=0, option="sales_orders")),
                  ("switch_order_import", dict(t=0, option="quotes"))],
                 id="quotes_missed_after_switching"),
    pytest.param([("switch_order_import", dict(t=0, option="sales_orders")),
                  ("edit_description", dict(t=0, order=0, text="Let op: hond")),
                  ("office_changes_order", dict(document=1, description="Lekkage, spoed", quantity=None)),
                  ("run_sync", dict(turn=(0,)))],
                 id="office_edit_overwritten"),
    pytest.param([finish(), ("office_changes_customer", dict(customer=0, change="mainAddress", street="Zuiderdiep 7")),
                  ("run_sync", dict(turn=(0,)))],
                 id="archived_address_changes"),
    pytest.param([("create_work_order", dict(t=0, customer=0, description="CV-ketel onderhoud")),
                  ("register", dict(t=0, order=0, minutes=30, material=0, quantity=Decimal(2))),
                  ("office_changes_item", dict(item=0, change="unit", unit="DOOS")), ("run_sync", dict(turn=(0,))),
                  ("advance", dict(t=0, order=0, steps=3))],
                 id="billed_in_another_unit"),
    pytest.param([("switch_order_import", dict(t=0, option="sales_orders")), ("advance", dict(t=0, order=0, steps=2)),
                  ("office_deletes_document", dict(document=1)), ("advance", dict(t=0, order=0, steps=1))],
                 id="deleted_order_made_again"),
    pytest.param([("office_changes_customer", dict(customer=0, change="OnHold", street="Zuiderdiep 7")),
                  ("office_changes_customer", dict(customer=0, change="name", street="Zuiderdiep 7")),
                  ("run_sync", dict(turn=(0,)))],
                 id="log_says_on_hold"),
    pytest.param([finish(), ("office_changes_customer", dict(customer=0, change="Inactive", street="Zuiderdiep 7")),
                  finish()],
                 id="log_says_inactive"),
]


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("steps", SCENARIOS)
def test_the_invariants_hold_through_the_scenario(steps, sandbox, vismanet_settings, monkeypatch):
    world = tw.build_world(sandbox, monkeypatch, vismanet_settings)
    machine = type("Trust", (TrustMachine,), {"world": world})()
    try:
        for rule, arguments in steps:
            getattr(machine, rule)(**arguments)  # in-rule checks raise here
            for name in INVARIANTS:
                getattr(machine, name)()
    finally:
        machine.teardown()
        world.office.close()
