"""``./dev demo`` as part of the suite: the main job end to end, and the checks it relies on."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from devtools.demo import check_document

ROOT = Path(__file__).resolve().parents[2]


def matching_result() -> tuple[dict[str, Any], dict[str, Any]]:
    """A document that follows the rules, and the expectation it is checked against."""
    expected = {
        "customer": "10001",
        "lines": [["ARBEID", "2.25"], ["REISTIJD", "0.33"], ["MAT-1001", "3"], ["SRV-1002", "1.5"],
                  ["VOORRIJDEN", "1"]],
        "warehouse": "HOOFD",
        "work_address": "Julianalaan 219, 9761 LG Groningen",
        "description": "CV-ketel onderhoud",
        "work_order_number": 7,
        "customer_reference": "PO-88412",
        "attachments": {"werkbon-7.pdf": "a" * 64, "formulieren-7.pdf": "b" * 64},
    }
    lines = [{"inventoryId": item, "quantity": float(quantity), "warehouseId": "HOOFD"}
             for item, quantity in expected["lines"]]
    result = {
        "sales_order": {
            "customer": {"id": "10001", "refNo": "Werkbon 7 / PO-88412"},
            "note": "Werkadres: Julianalaan 219, 9761 LG Groningen\n\nWerkzaamheden:\nCV-ketel onderhoud",
            "lines": lines,
        },
        "attachments": [{"name": "werkbon-7.pdf", "sha256": "a" * 64},
                        {"name": "formulieren-7.pdf", "sha256": "b" * 64}],
    }
    return result, expected


def test_it_accepts_a_document_that_follows_the_rules():
    result, expected = matching_result()
    assert check_document(result, expected) == []


@pytest.mark.parametrize(
    ("break_it", "complaint"),
    [
        (lambda r: r["sales_order"]["customer"].update(id="10002"), "customer is '10002'"),
        (lambda r: r["sales_order"]["lines"][1].update(quantity=0.34), "lines are"),
        (lambda r: r["sales_order"]["lines"].pop(), "lines are"),
        (lambda r: r["sales_order"]["lines"][0].update(warehouseId="BUS1"), "warehouses"),
        (lambda r: r["sales_order"].update(note="Werkadres: elders"), "work address"),
        (lambda r: r["sales_order"].update(note="Werkadres: Julianalaan 219, 9761 LG Groningen"), "description"),
        (lambda r: r["sales_order"]["customer"].update(refNo="Werkbon 17 / PO-88412"), "work-order number 7"),
        (lambda r: r["sales_order"]["customer"].update(refNo="Werkbon 7"), "lacks 'PO-88412'"),
        (lambda r: r["attachments"][0].update(sha256="c" * 64), "attachments are"),
        (lambda r: r["attachments"].pop(), "attachments are"),
        (lambda r: r.update(sales_order={}), "no sales order"),
    ],
)
def test_it_reports_what_differs_from_the_rules(break_it, complaint):
    result, expected = matching_result()
    broken = copy.deepcopy(result)
    break_it(broken)
    differences = check_document(broken, expected)
    assert any(complaint in difference for difference in differences), differences


@pytest.mark.slow
def test_it_runs_the_main_job_end_to_end(tmp_path):
    """``python devtools/demo.py``: sandbox, worker, activation, import, export, read back."""
    run = subprocess.run(
        [sys.executable, "devtools/demo.py", "--work-dir", str(tmp_path / "demo"), "--timeout", "60"],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
    )
    assert run.returncode == 0, f"stdout:\n{run.stdout}\nstderr:\n{run.stderr}"
    report = json.loads(run.stdout)
    assert report["ok"] is True and report["differences"] == []
    order = report["sales_order"]
    assert order["type"] == "SO" and order["customer"] == "10001"
    number = report["work_order"]
    assert order["customerRefNo"] == f"Werkbon {number} / PO-88412"
    assert "Julianalaan 219" in order["note"] and "CV-ketel onderhoud" in order["note"]
    lines = {line["inventoryId"]: line["quantity"] for line in report["lines"]}
    assert lines == {"ARBEID": 2.25, "REISTIJD": 0.33, "MAT-1001": 3, "SRV-1002": 2, "VOORRIJDEN": 1}
    assert {line["warehouseId"] for line in report["lines"]} == {"HOOFD"}
    attachments = {a["name"]: a["sha256"] for a in report["attachments"]}
    assert attachments == report["expected"]["attachments"]
    assert set(attachments) == {f"werkbon-{number}.pdf", f"formulieren-{number}.pdf"}
    assert all(a["size"] > 1000 for a in report["attachments"])
    assert report["error_log"] == []
    # Second scenario: the order import switched on after the export leaves our own order out.
    after = report["order_import_after_export"]
    assert after["exported_order"] == f"SO {order['orderId']}" and after["exported_order_came_back"] is False
    assert "SO/000101" in after["imported_orders"]
    assert not (tmp_path / "demo").exists()  # a passing run cleans up after itself
