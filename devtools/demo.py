"""``./dev demo``: the main job end to end, without a browser (issue 5, README).

1. Starts the Visma.net sandbox with the demo company on a free port, a throw-away SQLite
   database under ``var/demo/`` (deleted first) and a real Celery worker with the
   scheduler (``-B``, filesystem broker in ``var/demo/``), exactly as ``./dev up`` runs them.
2. In this process (Django set up against that database): creates a company with an
   office user and a technician, and activates the integration with the wizard's own
   service functions: wipe, connect (the sandbox's consent page driven with httpx: GET the
   authorize URL, POST the company choice, take the code from the redirect), the settings
   checks, activation. The worker runs the first import; we wait for it.
3. Makes a work order for a real demo customer: 135 min work, 20 min travel, two items, a
   filled-in form; completes and archives it. The worker exports it; we wait.
4. Reads the sales order, its lines and attachments back from the sandbox's control API,
   prints them as JSON and checks them against the rules (:func:`check_document`).
5. Second scenario (issue 8): switches the order import on (sales orders, no filter word)
   after the export and waits for the worker's next sync: the company's open sales orders
   become work orders, but the sales order Werkbon just made does not come back
   (:func:`import_orders_after_export`).

Exit code 0 only when the document matches; otherwise the differences are printed and the
exit code is 1 (also when a step could not run at all, with what went wrong). ``--keep`` leaves ``var/demo/`` (the
database, the worker's log) for a look afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from html import unescape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
WORK_DIR = ROOT / "var" / "demo"  # deleted at the start of every run
REDIRECT_URI = "http://127.0.0.1:8000/integraties/vismanet/callback"  # any 127.0.0.1 URI will do

# What the demo registers, and so what the document must show.
CUSTOMER = "10001"  # an active demo customer with a main address
WORK_MINUTES = 135  # → ARBEID 2.25
TRAVEL_MINUTES = 20  # → REISTIJD 0.33 (20/60 rounded half up to two places)
MATERIALS = (("MAT-1001", Decimal("3")), ("SRV-1002", Decimal("2")))  # both counted (STK)
DESCRIPTION = "CV-ketel onderhoud, lekkage bij de expansievat verholpen"
CUSTOMER_REFERENCE = "PO-88412"
WAREHOUSE = "HOOFD"


class DemoError(Exception):
    """A step of the demo could not run (not a wrong document)."""


def say(text: str) -> None:
    print(f"==> {text}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, condition: Callable[[], Any], timeout: float, interval: float = 0.25) -> Any:
    """Poll ``condition`` until it returns something truthy; DemoError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise DemoError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# ---- the checks (pure: the test calls them too) ---------------------------------------------


def _quantity(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.001"))


def check_document(result: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """What differs between the sales order read back from the sandbox and the rules.

    ``result``: ``{"sales_order": {...raw sandbox record...}, "attachments": [{"name",
    "size", "sha256"}]}``. ``expected``: ``{"customer", "lines": [[item, quantity], ...],
    "warehouse", "work_address", "description", "work_order_number",
    "customer_reference", "attachments": {name: sha256}}``. Returns an empty list when the
    document matches.
    """
    differences: list[str] = []
    order = result.get("sales_order") or {}
    if not order:
        return ["no sales order was read back"]
    customer = (order.get("customer") or {}).get("id")
    if customer != expected["customer"]:
        differences.append(f"customer is {customer!r}, expected {expected['customer']!r}")
    got_lines = sorted((line.get("inventoryId"), _quantity(line.get("quantity", 0)))
                       for line in order.get("lines") or [])
    want_lines = sorted((item, _quantity(quantity)) for item, quantity in expected["lines"])
    if got_lines != want_lines:
        differences.append(f"lines are {[(i, str(q)) for i, q in got_lines]}, "
                           f"expected {[(i, str(q)) for i, q in want_lines]}")
    warehouses = sorted({line.get("warehouseId") for line in order.get("lines") or []}, key=str)
    if warehouses != [expected["warehouse"]]:
        differences.append(f"line warehouses are {warehouses}, expected only {expected['warehouse']!r}")
    note = order.get("note") or ""
    for what in ("work_address", "description"):
        if expected[what] not in note:
            differences.append(f"the note does not contain the {what.replace('_', ' ')} {expected[what]!r}")
    reference = (order.get("customer") or {}).get("refNo") or ""
    if not re.search(rf"\b{expected['work_order_number']}\b", reference):
        differences.append(f"customer reference {reference!r} lacks work-order number {expected['work_order_number']}")
    if expected["customer_reference"] not in reference:
        differences.append(f"customer reference {reference!r} lacks {expected['customer_reference']!r}")
    got_files = {a.get("name"): a.get("sha256") for a in result.get("attachments") or []}
    if got_files != expected["attachments"]:
        differences.append(f"attachments are {got_files}, expected {expected['attachments']}")
    return differences


def expected_document(work_order: Any, pdfs: dict[str, bytes]) -> dict[str, Any]:
    """The rules applied to the demo's work order (hours via the one rounding rule)."""
    from werkbon.workorders.units import minutes_to_hours

    address = work_order.work_address
    return {
        "customer": work_order.customer.number,
        "lines": [["ARBEID", str(minutes_to_hours(WORK_MINUTES))],
                  ["REISTIJD", str(minutes_to_hours(TRAVEL_MINUTES))],
                  *[[item, str(quantity)] for item, quantity in MATERIALS],
                  ["VOORRIJDEN", "1"]],
        "warehouse": WAREHOUSE,
        "work_address": address.one_line(),
        "description": work_order.description,
        "work_order_number": work_order.number,
        "customer_reference": work_order.customer_reference,
        "attachments": {name: hashlib.sha256(content).hexdigest() for name, content in pdfs.items()},
    }


# ---- processes --------------------------------------------------------------------------------


@contextlib.contextmanager
def process(args: list[str], env: dict[str, str], log_name: str) -> Iterator[subprocess.Popen[bytes]]:
    """A child process whose output goes to ``var/demo/<log_name>``; stopped on exit."""
    log = (WORK_DIR / log_name).open("wb")
    child = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
    try:
        yield child
    finally:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        log.close()


def demo_env(sandbox_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("VISMANET_", "DATABASE_URL", "CELERY_", "WERKBON_TEST"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "werkbon.settings",
        "WERKBON_ENV": "development",
        "WERKBON_VAR_DIR": str(WORK_DIR),
        "DATABASE_URL": f"sqlite:///{WORK_DIR / 'werkbon.sqlite3'}",
        "CELERY_BROKER_URL": "werkbon-filesystem://",
        "VISMANET_SANDBOX_URL": sandbox_url,  # no client id: the app uses the sandbox
        "WERKBON_SCHEDULER_TICK_SECONDS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env


# ---- the steps (Django set up) -----------------------------------------------------------------


def consent(auth_url: str, base_url: str, company_tenant_id: str) -> str:
    """What the user does on the consent page: choose the company, allow. Returns the code."""
    import httpx

    with httpx.Client(base_url=base_url, timeout=30) as http:
        page = http.get(auth_url)
        if page.status_code != 200:
            raise DemoError(f"consent page answered {page.status_code}: {page.text[:300]}")
        fields = {unescape(name): unescape(value) for name, value in re.findall(
            r"<input type=['\"]hidden['\"] name=['\"]([^'\"]*)['\"] value=['\"]([^'\"]*)['\"]", page.text)}
        if company_tenant_id not in page.text:
            raise DemoError("the demo company is not offered on the consent page")
        fields.update(tenant_id=company_tenant_id, decision="allow")
        answer = http.post("/connect/authorize", data=fields)
        if answer.status_code != 302:
            raise DemoError(f"consent answered {answer.status_code}: {answer.text[:300]}")
        location = httpx.URL(answer.headers["location"])
        if "code" not in location.params:
            raise DemoError(f"no code in the redirect: {location}")
        return location.params["code"]


def activate_integration(tenant: Any, office: Any, sandbox_url: str) -> Any:
    """The wizard's three steps with its own service functions."""
    from vismanet_sandbox import demo
    from werkbon.accounts.tenancy import tenant_context
    from werkbon.integrations.vismanet import activation, checks
    from werkbon.integrations.vismanet.client import client_for
    from werkbon.integrations.vismanet.config import VismaNetSettings

    with tenant_context(tenant):
        integration = activation.integration_for(tenant)
        wiped = activation.wipe(tenant, activation.WIPE_KEYS, integration=integration, user=office)
        say(f"step 1: wiped {wiped.removed or 'nothing (a new company)'}")
        auth = activation.start_connect(integration, REDIRECT_URI)
        code = consent(auth.url, sandbox_url, demo.DEMO_TENANT_ID)
        company = activation.finish_connect(integration, code=code, redirect_uri=REDIRECT_URI,
                                            code_verifier=auth.code_verifier)
        say(f"step 2: connected to {company.name} ({company.number})")
        values = {
            "work_time_item": demo.ITEM_WORK, "travel_time_item": demo.ITEM_TRAVEL,
            "default_item_enabled": True, "default_item": demo.ITEM_CALLOUT,
            "notes": "work_address_and_description", "customer_reference": "both",
            "pdfs": "work_order_and_forms", "target": "sales_order", "sales_order_type": "SO",
            "warehouse_per_user": False, "default_warehouse": WAREHOUSE,
            "order_import": "nothing", "sync_interval_seconds": 5,
        }
        with client_for(integration) as client:
            failed = {name: result.message for name, result in checks.run_all(client, values).items()
                      if not result.ok}
        if failed:
            raise DemoError(f"settings checks failed: {failed}")
        integration = activation.activate(integration, VismaNetSettings.model_validate(values), user=office,
                                          terms_accepted=True)
        say("step 3: settings checked and saved; the integration is ACTIVE")
    return integration


def make_work_order(tenant: Any, office: Any, technician: Any) -> Any:
    """A real demo customer, 135 min work, 20 min travel, two items, a filled-in form;
    completed by the technician and archived by the office."""
    from django.utils import timezone

    from werkbon.accounts.tenancy import tenant_context
    from werkbon.workorders import services
    from werkbon.workorders.models import (
        Customer,
        FilledForm,
        FormAnswer,
        FormQuestion,
        FormTemplate,
        Item,
        QuestionKind,
        TimeKind,
        WorkAddress,
    )

    with tenant_context(tenant):
        customer = Customer.objects.get(number=CUSTOMER)
        address = (WorkAddress.objects.filter(customer=customer, external_key="main").first()
                   or WorkAddress.objects.filter(customer=customer).first())
        start = timezone.now().replace(second=0, microsecond=0)
        work_order = services.create_work_order(
            customer=customer, work_address=address, description=DESCRIPTION,
            customer_reference=CUSTOMER_REFERENCE, technicians=[technician], planned_start=start,
            planned_minutes=WORK_MINUTES,
        )
        today = timezone.localdate()
        services.add_time_entry(work_order, technician=technician, kind=TimeKind.WORK, minutes=WORK_MINUTES,
                                date=today)
        services.add_time_entry(work_order, technician=technician, kind=TimeKind.TRAVEL,
                                minutes=TRAVEL_MINUTES, date=today)
        for number, quantity in MATERIALS:
            services.add_material_line(work_order, item=Item.objects.get(number=number), quantity=quantity,
                                       technician=technician)
        template = FormTemplate.objects.create(name="Onderhoudsrapport CV-ketel")
        questions = [
            FormQuestion.objects.create(template=template, position=1, label="Druk na onderhoud (bar)",
                                        kind=QuestionKind.NUMBER),
            FormQuestion.objects.create(template=template, position=2, label="Rookgasmeting in orde?",
                                        kind=QuestionKind.YES_NO),
            FormQuestion.objects.create(template=template, position=3, label="Opmerkingen",
                                        kind=QuestionKind.TEXT),
        ]
        filled = FilledForm.objects.create(work_order=work_order, template=template, filled_by=technician)
        for question, value in zip(questions, ("1.6", "ja", "Expansievat bijgevuld, lekkage verholpen."),
                                   strict=True):
            FormAnswer.objects.create(form=filled, question=question, value=value)
        services.complete(work_order, user=technician, signed_by_name="Inge Visser")
        services.archive(work_order, user=office)
    return work_order


def read_back(sandbox_url: str, company_tenant_id: str, document_number: str) -> dict[str, Any]:
    """The sales order, its lines and its attachments (name, size, SHA-256) from the
    sandbox's control API."""
    import httpx

    order_type, _space, order_id = document_number.partition(" ")
    base = f"/_sandbox/companies/{company_tenant_id}"
    with httpx.Client(base_url=sandbox_url, timeout=30) as http:
        order = http.get(f"{base}/sales-orders/{order_type}/{order_id}").raise_for_status().json()
        attachments = []
        for attachment in http.get(f"{base}/attachments").raise_for_status().json():
            owner = str(attachment.get("document", "")).casefold()
            if owner != f"salesorder:{order_type}/{order_id}".casefold() or attachment.get("line") is not None:
                continue
            content = http.get(f"{base}/attachments/{attachment['id']}/content").raise_for_status().content
            attachments.append({"id": attachment["id"], "name": attachment.get("name"), "size": len(content),
                                "sha256": hashlib.sha256(content).hexdigest()})
    return {"sales_order": order, "attachments": sorted(attachments, key=lambda a: str(a["name"]))}


def import_orders_after_export(integration: Any, office: Any, document_number: str,
                               timeout: float) -> tuple[dict[str, Any], list[str]]:
    """Switch the order import on with the settings page's own service and wait for the
    worker's order import: returns what it made and the problems (the exported order came
    back as a work order, or nothing was imported at all)."""
    from django.utils import timezone

    from werkbon.accounts.tenancy import tenant_context
    from werkbon.integrations.models import ExternalLink, SyncState
    from werkbon.integrations.vismanet import activation
    from werkbon.integrations.vismanet.config import VismaNetSettings

    order_type, _space, order_id = document_number.partition(" ")
    switched_at = timezone.now()
    with tenant_context(integration.tenant):
        integration.refresh_from_db()
        values = {**activation.settings_of(integration).model_dump(mode="json"),
                  "order_import": "sales_orders", "order_import_filter_word": ""}
        activation.save_settings(integration, VismaNetSettings.model_validate(values), user=office)
    say("order import switched on (sales orders); waiting for the next sync")

    def ran() -> bool:
        return SyncState.all_tenants.filter(integration=integration, table=f"orders:{order_type}",
                                            last_run_at__gt=switched_at).exists()

    wait_for("the order import (see the worker's log)", ran, timeout)
    with tenant_context(integration.tenant):
        imported = sorted(ExternalLink.objects.filter(local_type="work_order").values_list("external_id",
                                                                                          flat=True))
    problems = []
    if f"{order_type}/{order_id}" in imported:
        problems.append(f"the sales order Werkbon made ({document_number}) came back as a work order")
    if not imported:
        problems.append("the order import made no work order of the company's open sales orders")
    say(f"order import: {len(imported)} work orders from open sales orders; {document_number} "
        f"{'came back' if problems else 'did not come back'}")
    return {"imported_orders": imported, "exported_order": document_number,
            "exported_order_came_back": f"{order_type}/{order_id}" in imported}, problems


def run(sandbox_url: str, timeout: float) -> tuple[dict[str, Any], list[str]]:
    import django

    django.setup()
    from vismanet_sandbox import demo
    from werkbon.accounts.models import Role, Tenant, User
    from werkbon.accounts.tenancy import tenant_context
    from werkbon.integrations.models import ExportRecord, ExportStatus, Integration, LogEntry
    from werkbon.workorders.pdf import render_forms_pdf, render_work_order_pdf

    tenant = Tenant.objects.create(name="Installatietechniek Demo B.V.", slug="demo")
    office = User.objects.create_user(username="kantoor", password=None, tenant=tenant,
                                      role=Role.OFFICE, first_name="Olga", last_name="Kantoor")
    technician = User.objects.create_user(username="piet", password=None, tenant=tenant,
                                          role=Role.TECHNICIAN, first_name="Piet", last_name="Jansen",
                                          default_warehouse="BUS1")
    integration = activate_integration(tenant, office, sandbox_url)

    started = time.monotonic()

    def imported() -> bool:
        fresh = Integration.all_tenants.get(pk=integration.pk)
        return fresh.first_import_finished_at is not None

    wait_for(f"the first import (is the worker running? see {WORK_DIR / 'worker.log'})", imported, timeout)
    fresh = Integration.all_tenants.get(pk=integration.pk)
    say(f"first import done in {time.monotonic() - started:.1f} s ({fresh.progress_done} records)")

    work_order = make_work_order(tenant, office, technician)
    say(f"work order {work_order.number} completed and archived; waiting for the export")
    started = time.monotonic()

    def exported() -> ExportRecord | None:
        record = ExportRecord.all_tenants.filter(tenant=tenant, work_order_number=work_order.number).first()
        if record and record.status == ExportStatus.FAILED:
            raise DemoError(f"the export failed: {record.last_error} — {record.last_action}")
        return record if record and record.status == ExportStatus.SENT else None

    record = wait_for(f"the export (see {WORK_DIR / 'worker.log'})", exported, timeout)
    say(f"exported as {record.document_number} in {time.monotonic() - started:.1f} s")

    with tenant_context(tenant):
        work_order.refresh_from_db()
        pdfs = {f"werkbon-{work_order.number}.pdf": render_work_order_pdf(work_order),
                f"formulieren-{work_order.number}.pdf": render_forms_pdf(work_order)}
        expected = expected_document(work_order, pdfs)
        problems = [entry.user_message for entry in LogEntry.objects.filter(level="error")]
    result = read_back(sandbox_url, demo.DEMO_TENANT_ID, record.document_number)
    differences = check_document(result, expected)
    order_import, order_problems = import_orders_after_export(integration, office, record.document_number, timeout)
    differences += order_problems
    order = result["sales_order"]
    report = {
        "work_order": work_order.number,
        "sales_order": {
            "type": order.get("type"), "orderId": order.get("orderId"), "status": order.get("status"),
            "customer": (order.get("customer") or {}).get("id"),
            "customerOrder": (order.get("customer") or {}).get("order"),
            "customerRefNo": (order.get("customer") or {}).get("refNo"),
            "description": order.get("description"), "note": order.get("note"),
        },
        "lines": [{"lineId": line.get("lineId"), "inventoryId": line.get("inventoryId"),
                   "quantity": line.get("quantity"), "unitOfMeasure": line.get("unitOfMeasure"),
                   "warehouseId": line.get("warehouseId")} for line in order.get("lines") or []],
        "attachments": [{k: a[k] for k in ("name", "size", "sha256")} for a in result["attachments"]],
        "expected": expected,
        "order_import_after_export": order_import,
        "error_log": problems,
        "differences": differences,
        "ok": not differences,
    }
    return report, differences


def main(argv: list[str] | None = None) -> int:
    global WORK_DIR  # one folder for the whole run; the test passes its own
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep var/demo/ (database, logs) afterwards")
    parser.add_argument("--timeout", type=float, default=45.0, help="seconds to wait for each background step")
    parser.add_argument("--work-dir", type=Path, default=WORK_DIR,
                        help="throw-away folder for the database, broker and logs (default var/demo/)")
    args = parser.parse_args(argv)
    WORK_DIR = args.work_dir.resolve()

    marker = WORK_DIR / ".werkbon-demo"
    if WORK_DIR.exists() and any(WORK_DIR.iterdir()) and not marker.exists():
        print(f"{WORK_DIR} is not empty and not a demo folder: not deleting it.", file=sys.stderr)
        return 1
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    WORK_DIR.mkdir(parents=True)
    marker.touch()
    port = free_port()
    sandbox_url = f"http://127.0.0.1:{port}"
    env = demo_env(sandbox_url)
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    code = 1
    try:
        with process([PY, "-m", "vismanet_sandbox", "--port", str(port), "--seed", "demo"], env,
                     "sandbox.log") as sandbox:
            import httpx

            def sandbox_up() -> bool:
                if sandbox.poll() is not None:
                    raise DemoError(f"the sandbox stopped; see {WORK_DIR / 'sandbox.log'}")
                try:
                    return httpx.get(f"{sandbox_url}/_sandbox/health", timeout=1).status_code == 200
                except httpx.TransportError:
                    return False

            wait_for("the sandbox", sandbox_up, 30)
            say(f"sandbox with the demo company on {sandbox_url}")
            subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
            worker_args = [PY, "-m", "celery", "-A", "werkbon", "worker", "-B", "-c", "2", "-l", "INFO",
                           "--schedule", str(WORK_DIR / "celerybeat-schedule"), "-n", f"demo-{port}@%h"]
            with process(worker_args, env, "worker.log"):
                say("worker with the scheduler started (filesystem broker)")
                report, differences = run(sandbox_url, args.timeout)
        print(json.dumps(report, indent=2, ensure_ascii=False, default=str))
        if differences:
            print("The document does not match the rules:\n  - " + "\n  - ".join(differences), file=sys.stderr)
            code = 1
        else:
            say("the sales order matches the rules")
            code = 0
    except (DemoError, subprocess.CalledProcessError) as error:
        print(f"demo failed: {error}", file=sys.stderr)
        code = 1
    finally:
        if not args.keep and code == 0:
            shutil.rmtree(WORK_DIR, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
