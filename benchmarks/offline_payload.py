"""The technician's offline data and the replay of the offline queue (issue 12).

Run from the repository root::

    .venv/bin/python benchmarks/offline_payload.py [--orders 40] [--items 2000] [--actions 200]

It sets up a throw-away SQLite database in a temporary ``WERKBON_VAR_DIR`` with one technician
who has ``--orders`` open work orders planned over today and the next seven days (each with a
work address, two installations, a description of about 300 characters, two time entries,
two material lines and a filled-in form), ``--items`` active items (plus 10 % inactive ones,
which are not sent) and three form templates. It prints:

* the size of the offline data (``/werkorders/app/gegevens/``) as JSON and gzip-compressed,
  with the time to build it, and the size of the ``304`` answer to a refresh without changes;
* the replay of ``--actions`` queued actions (time, material and form saves spread over the
  orders) against a local server (Django's WSGI application in a thread, over HTTP with the
  technician's session and CSRF token), in turns of 10 as the phone sends them: the total time,
  actions per second, and the time to send the whole queue again (every action answered
  ``already_applied``, as after a lost answer).
"""

from __future__ import annotations

import argparse
import gzip
import os
import secrets
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
PASSWORD = secrets.token_urlsafe(16)  # a throw-away user in a throw-away database
BATCH = 10  # as werkbon/static/werkbon/offline-app.js sends them


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=40)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--actions", type=int, default=200)
    args = parser.parse_args()
    var_dir = tempfile.mkdtemp(prefix="werkbon-bench-offline-")
    os.environ.update({"WERKBON_VAR_DIR": var_dir, "WERKBON_ENV": "development",
                       "DJANGO_SETTINGS_MODULE": "werkbon.settings"})
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "VISMANET_CLIENT_ID"):
        os.environ.pop(name, None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    tech, orders, template = make_world(args.orders, args.items)
    measure_payload(tech)
    return replay(tech, orders, template, args.actions)


def make_world(n_orders: int, n_items: int):  # type: ignore[no-untyped-def]
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from werkbon.accounts.models import Role, Tenant, User
    from werkbon.accounts.tenancy import tenant_context
    from werkbon.workorders import services
    from werkbon.workorders.models import (
        Customer,
        FormQuestion,
        FormTemplate,
        InstalledObject,
        Item,
        WorkAddress,
    )

    tenant = Tenant.objects.create(name="Benchmark B.V.", slug="benchmark")
    tech = User.objects.create_user(username="bench-tech", password=PASSWORD, tenant=tenant,
                                    role=Role.TECHNICIAN, first_name="Piet", last_name="Bench")
    with tenant_context(tenant):
        Item.objects.bulk_create([Item(
            tenant=tenant, number=f"ART-{n:05d}", unit="st" if n % 3 else "m",
            description=f"Artikel {n} koperen knelkoppeling {n % 28} mm messing vernikkeld",
            status="active" if n < n_items else "inactive", sales_price=Decimal("12.34"))
            for n in range(n_items + n_items // 10)])
        items = list(Item.objects.filter(status="active")[:10])
        templates = []
        for t in range(3):
            template = FormTemplate.objects.create(name=f"Keuring {t}")
            for q, kind in enumerate(("text", "number", "yes_no", "choice", "photo", "text")):
                FormQuestion.objects.create(template=template, position=q, kind=kind,
                                            label=f"Vraag {q} over de installatie",
                                            choices="goed\nmatig\nslecht" if kind == "choice" else "")
            templates.append(template)
        orders = []
        today = timezone.localdate()
        for n in range(n_orders):
            customer = Customer.objects.create(number=f"{10000 + n}", name=f"Klant {n} B.V.",
                                               phone="0612345678")
            address = WorkAddress.objects.create(customer=customer, street="Burgemeester Laan",
                                                 house_number=str(n), postal_code="7901 AA",
                                                 city="Hoogeveen")
            for k in range(2):
                InstalledObject.objects.create(work_address=address, name=f"CV-ketel {k}",
                                               brand="Remeha", model="Tzerra Ace 28c",
                                               serial_number=f"SN{n:04d}{k}")
            start = timezone.make_aware(dt.datetime.combine(
                today + dt.timedelta(days=n % 8), dt.time(8 + n % 9)))
            order = services.create_work_order(
                customer=customer, work_address=address, technicians=[tech], planned_start=start,
                description=("Jaarlijks onderhoud CV-ketel, rookgasafvoer controleren, "
                             "waterdruk bijvullen tot 1,5 bar en thermostaat inregelen. ") * 3)
            for kind, minutes in (("work", 60), ("travel", 20)):
                services.add_time_entry(order, technician=tech, kind=kind, minutes=minutes,
                                        date=today - dt.timedelta(days=1))
            for item in items[:2]:
                services.add_material_line(order, item=item, quantity=Decimal("1"), note="",
                                           technician=tech)
            services.save_form(order, user=tech, template=templates[0],
                               answers_given=[(q.pk, "goed") for q in
                                              templates[0].questions.filter(kind="text")])
            orders.append(order)
    return tech, orders, templates[0]


def measure_payload(tech) -> None:  # type: ignore[no-untyped-def]
    from werkbon.accounts.tenancy import tenant_context
    from werkbon.workorders import offline

    with tenant_context(tech.tenant):
        clock = time.perf_counter()
        data = offline.offline_data(tech)
        body = offline.encode(data)
        built_ms = (time.perf_counter() - clock) * 1000
    compressed = gzip.compress(body)
    print(f"Offline data for a technician with {len(data['orders'])} work orders and "
          f"{len(data['items'])} active items:")
    print(f"  JSON {len(body) / 1024:.0f} KiB, gzip {len(compressed) / 1024:.0f} KiB "
          f"(items alone: {len(offline.encode({'items': data['items']})) / 1024:.0f} KiB); "
          f"built in {built_ms:.0f} ms")


def serve():  # type: ignore[no-untyped-def]
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def replay(tech, orders, template, n_actions: int) -> int:  # type: ignore[no-untyped-def]
    import httpx
    from django.utils import timezone

    server = serve()
    base = f"http://127.0.0.1:{server.server_port}"
    today = timezone.localdate().isoformat()
    from werkbon.accounts.tenancy import tenant_context

    with tenant_context(tech.tenant):
        question = template.questions.filter(kind="text").first()
    queue = []
    for n in range(n_actions):
        order = orders[n % len(orders)]
        kind = n % 4
        if kind in (0, 1):
            payload = {"kind": "work" if kind == 0 else "travel", "minutes": 15 + n % 60,
                       "date": today}
            name = "time.add"
        elif kind == 2:
            payload = {"item_number": f"ART-{n % 1000 + 1:05d}", "quantity": "2", "note": ""}
            name = "material.add"
        else:
            payload = {"template_id": template.pk,
                       "answers": [{"question_id": question.pk, "value": f"meting {n}"}]}
            name = "form.save"
        queue.append({"client_id": str(uuid.uuid4()), "action": name, "work_order": order.pk,
                      "payload": payload})
    with httpx.Client(base_url=base, timeout=60) as client:
        client.get("/accounts/login/")
        answer = client.post("/accounts/login/", data={
            "username": tech.username, "password": PASSWORD,
            "csrfmiddlewaretoken": client.cookies["csrftoken"]})
        if answer.status_code != 302:
            print(f"login failed: {answer.status_code}")
            return 1
        data = client.get("/werkorders/app/gegevens/")
        unchanged = client.get("/werkorders/app/gegevens/",
                               headers={"If-None-Match": data.headers["ETag"]})
        print(f"  over HTTP: {len(data.content) / 1024:.0f} KiB; a refresh without changes: "
              f"{unchanged.status_code}, {len(unchanged.content)} bytes")
        headers = {"X-CSRFToken": client.cookies["csrftoken"]}

        def send_all() -> tuple[float, dict[str, int]]:
            statuses: dict[str, int] = {}
            clock = time.perf_counter()
            for start in range(0, len(queue), BATCH):
                response = client.post("/api/v1/actions", json=queue[start:start + BATCH],
                                       headers=headers)
                response.raise_for_status()
                for result in response.json():
                    statuses[result["status"]] = statuses.get(result["status"], 0) + 1
            return time.perf_counter() - clock, statuses

        first, statuses = send_all()
        again, statuses_again = send_all()
    server.shutdown()
    print(f"Replay of {n_actions} queued actions (time, material, forms) over {len(orders)} "
          f"work orders, in turns of {BATCH}, against a local server (SQLite):")
    print(f"  {first:.2f} s ({n_actions / first:.0f} actions/s); {statuses}")
    print(f"  the same queue again after a lost answer: {again:.2f} s; {statuses_again}")
    return 0 if statuses == {"applied": n_actions} and statuses_again == {
        "already_applied": n_actions} else 1


if __name__ == "__main__":
    raise SystemExit(main())
