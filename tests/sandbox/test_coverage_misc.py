"""COVERAGE.md is current, the demo seed is reproducible, unknown operations say "not
implemented", the background API is refused, and ``--data`` persists state."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

from tests.fixtures.sandbox import REPO_ROOT, free_port, start_server, wait_until_up
from vismanet_sandbox import coverage, demo
from vismanet_sandbox.data import make_demo


def test_coverage_table_is_current():
    contract = coverage.load_contract()
    assert coverage.COVERAGE_FILE.read_text("utf-8") == coverage.render(contract), \
        "run: python -m vismanet_sandbox.coverage"
    assert json.loads(coverage.SNAPSHOT_FILE.read_text("utf-8")) == coverage.snapshot(contract)


def test_every_route_names_a_known_operation():
    from vismanet_sandbox.routes import build_routes

    snapshot = {item["op"] for item in json.loads(coverage.SNAPSHOT_FILE.read_text("utf-8"))}
    extras = {r.op for r in build_routes()} - snapshot
    assert extras == {"salesordertype.get"}


def test_demo_seed_is_reproducible():
    shipped = (REPO_ROOT / "vismanet_sandbox" / "data" / "demo.json").read_text("utf-8")
    assert make_demo.render() == shipped, "run: python -m vismanet_sandbox.data.make_demo"


def test_unknown_operations_answer_not_implemented(sandbox, erp):
    legacy = erp.get("/v2/salesorder")
    assert legacy.status_code == 501
    assert "salesorder_v2.list" in legacy.json()["Message"] and "Sales Orders v3" in legacy.json()["Message"]
    unknown = erp.get("/v1/supplier")
    assert unknown.status_code == 501 and "Not implemented" in unknown.json()["Message"]
    v3 = erp.get("/api/v3/Inventory")
    assert v3.status_code == 501 and v3.json()["status"] == 501
    wrong_method = erp.put("/v1/customer/10001", json={})
    assert wrong_method.status_code == 501
    assert httpx.get(f"{sandbox.url}/nothing/here").status_code == 404
    assert httpx.get(f"{sandbox.url}/connect/userinfo").status_code == 501
    assert httpx.post(f"{sandbox.url}/_sandbox/reset", json={"seed": "nope"}).status_code == 400
    background = erp.get("/v1/branch", headers={"erp-api-background": "none"})
    assert background.status_code == 501 and "background" in background.json()["Message"]


def test_reset_to_empty_and_full_document(sandbox, erp):
    sandbox.control.reset("empty")
    assert erp.get("/v1/customer").json() == []
    assert erp.get("/v1/organization").json()[0]["name"] == demo.DEMO_COMPANY_NAME
    document = make_demo.build()
    document["companies"] = document["companies"][1:]
    sandbox.control.reset(document)
    assert erp.get("/v1/branch").status_code == 401  # the demo company is gone with its data


def test_data_file_persists_across_restarts(tmp_path):
    data = str(tmp_path / "state.sqlite")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    for attempt in range(2):
        process = start_server(port, data=data)
        try:
            wait_until_up(url, process)
            if attempt == 0:
                added = httpx.post(f"{url}/_sandbox/companies/{demo.SMALL_TENANT_ID}/customers",
                                   json={"number": "29999", "name": "Blijft Bestaan"})
                assert added.status_code == 201
            else:
                got = httpx.get(f"{url}/_sandbox/companies/{demo.SMALL_TENANT_ID}/customers/29999")
                assert got.json()["name"] == "Blijft Bestaan"
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_import_contract_is_kept():
    result = subprocess.run([str(REPO_ROOT / ".venv" / "bin" / "lint-imports")], cwd=REPO_ROOT,
                            capture_output=True, text=True, check=False)
    if "sandbox shares no code" not in result.stdout:
        pytest.skip("import-linter contract not configured")
    line = next(ln for ln in result.stdout.splitlines() if "sandbox shares no code" in ln)
    assert "KEPT" in line, result.stdout
    assert sys.executable
