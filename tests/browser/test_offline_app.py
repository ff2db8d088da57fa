"""The technician's app without signal (issue 12), in headless Chromium at phone size.

Playwright's offline mode (``context.set_offline``) cuts the network; the service worker
serves the app from its cache and the app draws from IndexedDB. See docs/architecture.md,
"Offline app".
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image

from tests.browser.test_workorder_flow import log_in
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import services
from werkbon.workorders.models import (
    AppliedAction,
    Customer,
    FilledForm,
    FormAnswer,
    FormQuestion,
    FormTemplate,
    Item,
    MaterialLine,
    Signature,
    TimeEntry,
    WorkAddress,
    WorkOrder,
    WorkOrderPhoto,
    WorkOrderStatus,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def png_bytes(colour: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def job(tenant_a, tech_a):
    with tenant_context(tenant_a):
        customer = Customer.objects.create(number="10001", name="Bakkerij De Korrel")
        address = WorkAddress.objects.create(customer=customer, street="Molenweg", house_number="3",
                                             postal_code="7901 AB", city="Hoogeveen")
        item = Item.objects.create(number="KR-15", description="Kogelkraan 15 mm", unit="st",
                                   sales_price=Decimal("9.95"))
        Item.objects.create(number="KR-22", description="Kogelkraan 22 mm", unit="st")
        template = FormTemplate.objects.create(name="Keuring")
        pressure = FormQuestion.objects.create(template=template, label="Druk (bar)", kind="text",
                                               position=1)
        photo = FormQuestion.objects.create(template=template, label="Foto meter", kind="photo",
                                            position=2)
        order = services.create_work_order(
            customer=customer, work_address=address, description="Lekkende kraan vervangen",
            technicians=[tech_a],
            planned_start=timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(8))))
    return {"order": order, "item": item, "template": template, "pressure": pressure,
            "photo": photo}


def open_app(page, base: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base}/werkorders/app/")
    expect(page.locator("body[data-ready]")).to_have_count(1)
    # the service worker controls the page once it is active (after the first load)
    page.evaluate("navigator.serviceWorker.ready")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()
        expect(page.locator("body[data-ready]")).to_have_count(1)


def queue_count(page) -> int:
    return int(page.locator('[data-testid="queue-count"]').inner_text())


def go_offline_and_reload(page) -> None:
    from playwright.sync_api import expect

    page.context.set_offline(True)
    page.reload()
    expect(page.locator("body[data-ready]")).to_have_count(1)
    expect(page.locator('[data-testid="net-state"]')).to_have_text("offline")


def open_app_offline(page, base: str, user) -> None:
    """``user`` logs in, opens the app (its data downloaded), then the phone goes offline."""
    log_in(page, base, user.username)
    open_app(page, base)
    go_offline_and_reload(page)


def offline_with_on_site_orders(page, base: str, tenant, tech) -> None:
    """The tenant lets technicians make work orders on site; ``tech`` opens the app, offline."""
    tenant.technicians_create_work_orders = True
    tenant.save(update_fields=["technicians_create_work_orders"])
    open_app_offline(page, base, tech)


def make_order_on_site(page, description: str) -> None:
    """"Nieuwe werkbon ter plaatse" for the customer found by "korrel", its first address."""
    from playwright.sync_api import expect

    page.click('[data-testid="app-new-on-site"]')
    page.fill('[data-testid="app-customer-search"]', "korrel")
    page.click('[data-testid="app-customer-option"]')
    page.fill('[data-testid="app-onsite-description"]', description)
    page.click('[data-testid="app-onsite-create"]')
    expect(page.locator('[data-testid="app-description"]')).to_have_text(description)


def expect_queue(page, count: int) -> None:
    from playwright.sync_api import expect

    expect(page.locator('[data-testid="queue-count"]')).to_have_text(str(count))
    expect(page.locator('[data-testid="queued-action"]')).to_have_count(count)


def do_the_job_offline(page, order, job) -> None:
    """Time (work and travel; one corrected and one withdrawn before sending), a material line,
    a form with a photo, a work-order photo, the signature, completion: seven queued actions."""
    from playwright.sync_api import expect

    page.locator(f'[data-testid="app-open-order-{order.number}"]').tap()
    expect(page.locator('[data-testid="app-order-title"]')).to_have_text(f"Werkbon {order.number}")
    expect(page.locator('[data-testid="app-description"]')).to_have_text("Lekkende kraan vervangen")
    page.fill('[data-testid="app-time-minutes"]', "40")
    page.click('[data-testid="app-add-time"]')
    expect_queue(page, 1)
    page.evaluate("window.prompt = () => '45'")  # corrected before it was sent
    page.click('[data-testid="queued-time-correct"]')
    expect(page.locator('[data-testid="time-row"]')).to_contain_text("45 min")
    page.select_option('[data-testid="app-time-kind"]', "travel")
    page.fill('[data-testid="app-time-minutes"]', "20")
    page.click('[data-testid="app-add-time"]')
    expect_queue(page, 2)
    page.fill('[data-testid="app-time-minutes"]', "10")
    page.click('[data-testid="app-add-time"]')
    expect_queue(page, 3)
    page.locator('[data-testid="queued-withdraw"]').last.click()  # a mistake, withdrawn
    expect_queue(page, 2)
    page.fill('[data-testid="app-item-search"]', "kogel 15")
    expect(page.locator('[data-testid="app-item-option"]')).to_have_count(1)  # searched offline
    page.click('[data-testid="app-item-option"]')
    page.fill('[data-testid="app-mat-quantity"]', "2")
    page.click('[data-testid="app-add-material"]')
    expect_queue(page, 3)
    page.select_option('[data-testid="app-form-template"]', str(job["template"].pk))
    page.fill(f'[data-testid="app-question-{job["pressure"].pk}"]', "1,5 bar")
    page.set_input_files(f'[data-testid="app-question-{job["photo"].pk}"]',
                         files=[{"name": "meter.png", "mimeType": "image/png",
                                 "buffer": png_bytes()}])
    page.click('[data-testid="app-save-form"]')
    expect_queue(page, 4)
    expect(page.locator('[data-testid="time-row"]')).to_have_count(2)
    expect(page.locator('[data-testid="material-row"]')).to_have_count(1)
    page.set_input_files('[data-testid="app-photo-file"]',
                         files=[{"name": "ketel.png", "mimeType": "image/png",
                                 "buffer": png_bytes("green")}])
    page.fill('[data-testid="app-photo-caption"]', "ketel na onderhoud")
    page.click('[data-testid="app-add-photo"]')
    expect_queue(page, 5)
    expect(page.locator('[data-testid="photo-row"]')).to_have_count(1)
    page.fill('[data-testid="app-signed-by"]', "J. de Korrel")
    canvas = page.locator('[data-testid="app-signature"]')
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 40)
    page.mouse.down()
    for step in range(1, 8):
        page.mouse.move(box["x"] + 20 + step * 30, box["y"] + 40 + (step % 3) * 25)
    page.mouse.up()
    page.click('[data-testid="app-complete"]')
    expect_queue(page, 7)  # the signature and the completion
    expect(page.locator('[data-testid="app-completed"]')).to_be_visible()


def assert_the_server_holds_the_job_once(tenant, tech, order, job) -> None:
    with tenant_context(tenant):
        assert sorted(TimeEntry.objects.filter(work_order=order).values_list("kind", "minutes")) \
            == [("travel", 20), ("work", 45)]
        lines = list(MaterialLine.objects.filter(work_order=order))
        assert [(line.item_id, line.quantity) for line in lines] == [(job["item"].pk, Decimal("2"))]
        assert FilledForm.objects.filter(work_order=order).count() == 1
        answers = {answer.question_id: answer for answer in
                   FormAnswer.objects.filter(form__work_order=order)}
        assert answers[job["pressure"].pk].value == "1,5 bar"
        assert answers[job["photo"].pk].photo.name  # the photo taken offline
        order = WorkOrder.objects.get(pk=order.pk)
        assert order.status == WorkOrderStatus.COMPLETED
        assert order.signed_by_name == "J. de Korrel"
        assert AppliedAction.objects.filter(user=tech).count() == 7
        # photo.add and signature.capture through their real services, once each
        photos = list(WorkOrderPhoto.objects.filter(work_order=order))
        assert [photo.caption for photo in photos] == ["ketel na onderhoud"]
        with photos[0].image.open("rb") as stored:
            assert stored.read(3) == b"\xff\xd8\xff"  # the phone's JPEG, checked and re-encoded
        signature = Signature.objects.get(work_order=order)
        assert signature.signer_name == "J. de Korrel"
        assert bytes(signature.image)[:4] == b"\x89PNG"


def test_a_whole_job_offline_is_sent_once_despite_a_lost_answer_and_a_dropped_connection(
        phone_page, live_server, tenant_a, tech_a, job):
    """Offline after a reload: the whole job, the queue grows; online: replayed in turns of
    at most two actions. The answer to the second turn is lost (the server applied it) and the
    connection drops in the middle of the replay; back online, the rest and the unanswered
    turn are sent again with the same client ids: the server holds everything exactly once."""
    from playwright.sync_api import expect

    page = phone_page
    base = live_server.url
    order = job["order"]
    log_in(page, base, tech_a.username)
    open_app(page, base)
    expect(page.locator('[data-testid="last-sync"]')).not_to_have_text("nog niet")
    go_offline_and_reload(page)
    do_the_job_offline(page, order, job)
    with tenant_context(tenant_a):
        assert not TimeEntry.objects.filter(work_order=order).exists()

    calls: list[list[str]] = []

    def lose_the_second_answer(route) -> None:
        sent = route.request.post_data_json
        calls.append([action["client_id"] for action in sent])
        if len(calls) == 2:
            route.fetch()  # the server applies the two actions; their answer never arrives
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/api/v1/actions", lose_the_second_answer)
    page.evaluate("document.body.dataset.batchSize = '2'")
    page.context.set_offline(False)  # the online event starts the replay
    expect(page.locator('[data-testid="sync-message"]')).to_contain_text("Geen verbinding")
    page.context.set_offline(True)  # the connection drops in the middle of the replay
    expect_queue(page, 5)  # the first turn was answered: gone from the queue
    with tenant_context(tenant_a):
        # turns: 2 time entries; the material line (a photo goes alone, so the turn ends
        # before the form); the second turn was applied but its answer lost
        assert AppliedAction.objects.filter(user=tech_a).count() == 3
    page.context.set_offline(False)
    expect_queue(page, 0)
    expect(page.locator('[data-testid="refused-action"]')).to_have_count(0)
    assert calls[2] == calls[1]  # the unanswered turn was sent again, with the same ids
    assert_the_server_holds_the_job_once(tenant_a, tech_a, order, job)
    # the phone shows the server's state again: the completed order left the list
    expect(page.locator(f'[data-testid="app-open-order-{order.number}"]')).to_have_count(0)


def test_an_order_archived_meanwhile_is_a_conflict_shown_until_dismissed(
        phone_page, live_server, tenant_a, tech_a, office_a, job):
    from playwright.sync_api import expect

    page = phone_page
    base = live_server.url
    order = job["order"]
    open_app_offline(page, base, tech_a)
    page.locator(f'[data-testid="app-open-order-{order.number}"]').tap()
    page.fill('[data-testid="app-time-minutes"]', "30")
    page.click('[data-testid="app-add-time"]')
    expect_queue(page, 1)
    with tenant_context(tenant_a):  # meanwhile the office completes and archives the order
        services.complete(order, user=office_a)
        services.archive(WorkOrder.objects.get(pk=order.pk), user=office_a)
    page.context.set_offline(False)
    expect_queue(page, 0)
    refused = page.locator('[data-testid="refused-action"]')
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text(f"Werkbon {order.number} is gearchiveerd")
    page.reload()  # kept in IndexedDB until dismissed
    expect(page.locator('[data-testid="refused-action"]')).to_have_count(1)
    page.click('[data-testid="dismiss-refused"]')
    expect(page.locator('[data-testid="refused-action"]')).to_have_count(0)
    with tenant_context(tenant_a):
        assert not TimeEntry.objects.filter(work_order=order).exists()


def test_log_out_warns_with_a_queue_and_the_next_user_sees_nothing_of_it(
        phone_page, live_server, tenant_a, tech_a, job):
    from playwright.sync_api import expect

    from tests.conftest import make_user

    page = phone_page
    base = live_server.url
    other = make_user(tenant_a, "tech_two", "technician", first_name="Fatima")
    log_in(page, base, tech_a.username)
    open_app(page, base)
    page.route("**/api/v1/actions", lambda route: route.abort("internetdisconnected"))
    page.locator(f'[data-testid="app-open-order-{job["order"].number}"]').tap()
    page.fill('[data-testid="app-time-minutes"]', "15")
    page.click('[data-testid="app-add-time"]')
    expect_queue(page, 1)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    page.click('[data-testid="app-logout"]')  # the fixture accepts the confirm()
    page.wait_for_url("**/accounts/login/**")
    assert dialogs and "nog 1 actie op verzending" in dialogs[0]
    page.unroute("**/api/v1/actions")
    log_in(page, base, other.username)
    page.goto(f"{base}/werkorders/app/")
    expect(page.locator('[data-testid="app-user"]')).to_have_text("Fatima")
    expect(page.locator('[data-testid="app-orders"]')).to_contain_text("Er is niets voor je gepland")
    expect_queue(page, 0)
    # the previous user's data are gone; only his waiting action stays, for him alone
    expect(page.locator('[data-testid="others-waiting"]')).to_have_text(
        "Er wacht nog 1 actie van Piet Jansen; log in als Piet Jansen om ze te versturen.")
    names = page.evaluate("indexedDB.databases().then(list => list.map(d => d.name).sort())")
    assert names == sorted([f"werkbon-u{tenant_a.pk}-{other.pk}", f"werkbon-u{tenant_a.pk}-{tech_a.pk}"])
    assert read_db(page, f"werkbon-u{tenant_a.pk}-{tech_a.pk}") == {"data": 0, "queue": 1}


def read_db(page, name: str) -> dict[str, int]:
    """How many records one user's offline database holds in "data" and "queue"."""
    return page.evaluate("""async (name) => {
      const db = await idb.openDB(name, 1);
      const out = {data: await db.count("data"), queue: await db.count("queue")};
      db.close();
      return out;
    }""", name)


def test_the_next_user_never_sees_nor_sends_the_previous_users_queue(
        phone_page, live_server, tenant_a, tech_a, job):
    """Security review: Piet queues 7 minutes offline on an order shared with Fatima; Fatima
    logs in without Piet logging out. She sees none of Piet's orders (online, and offline after
    a reload), "Nu verzenden" is off (nothing of hers waits); Piet logs in again: his queue is sent,
    once. Piet logs out with an empty queue: his offline database is deleted."""
    from playwright.sync_api import expect

    from tests.conftest import make_user

    page = phone_page
    base = live_server.url
    order = job["order"]
    fatima = make_user(tenant_a, "fatima", "technician", first_name="Fatima", last_name="Bakker")
    with tenant_context(tenant_a):
        order.technicians.add(fatima)  # the order is shared; the second one is Piet's only
        other_customer = Customer.objects.create(number="10002", name="Garage Fatima")
        own = services.create_work_order(
            customer=other_customer, description="Alleen Piet", technicians=[tech_a],
            work_address=WorkAddress.objects.create(customer=other_customer, street="Dorpsweg"),
            planned_start=timezone.now())
    log_in(page, base, tech_a.username)
    open_app(page, base)
    expect(page.locator(f'[data-testid="app-open-order-{own.number}"]')).to_have_count(1)
    go_offline_and_reload(page)
    page.locator(f'[data-testid="app-open-order-{order.number}"]').tap()
    page.fill('[data-testid="app-time-minutes"]', "7")
    page.click('[data-testid="app-add-time"]')
    expect_queue(page, 1)

    # Piet's phone leaves the app before it has signal again: an open app would send his queue
    # as soon as it is online (the "online" event), which is right, but not this case
    page.goto("about:blank")
    page.context.set_offline(False)
    log_in(page, base, fatima.username)  # Piet never logged out
    page.goto(f"{base}/werkorders/app/")
    expect(page.locator('[data-testid="app-user"]')).to_have_text("Fatima Bakker")
    expect(page.locator('[data-testid="others-waiting"]')).to_have_text(
        "Er wacht nog 1 actie van Piet Jansen; log in als Piet Jansen om ze te versturen.")
    # nothing of hers waits: "Nu verzenden" is off, Piet's action cannot be sent from here
    expect(page.locator('[data-testid="sync-now"]')).to_be_disabled()
    expect(page.locator("body[data-syncing]")).to_have_count(0)
    expect_queue(page, 0)
    expect(page.locator(f'[data-testid="app-open-order-{own.number}"]')).to_have_count(0)
    expect(page.locator('[data-testid="app-orders"]')).not_to_contain_text("Alleen Piet")
    expect(page.locator('[data-testid="app-orders"]')).not_to_contain_text("Garage Fatima")
    go_offline_and_reload(page)
    expect(page.locator('[data-testid="app-user"]')).to_have_text("Fatima Bakker")
    expect(page.locator(f'[data-testid="app-open-order-{own.number}"]')).to_have_count(0)
    expect(page.locator('[data-testid="app-orders"]')).not_to_contain_text("Alleen Piet")
    expect_queue(page, 0)
    with tenant_context(tenant_a):
        assert not TimeEntry.objects.filter(work_order=order).exists()
        assert not AppliedAction.objects.exists()

    page.context.set_offline(False)
    log_in(page, base, tech_a.username)
    open_app(page, base)
    expect(page.locator('[data-testid="app-user"]')).to_have_text("Piet Jansen")
    expect_queue(page, 0)
    expect(page.locator('[data-testid="others-waiting"]')).to_be_hidden()
    with tenant_context(tenant_a):
        entry = TimeEntry.objects.get(work_order=order)
        assert (entry.technician_id, entry.minutes) == (tech_a.pk, 7)
        assert AppliedAction.objects.count() == 1

    page.goto(f"{base}/werkorders/mijn/")
    page.click('[data-testid="logout"]')
    page.wait_for_url("**/accounts/login/**")
    names = page.evaluate("indexedDB.databases().then(list => list.map(d => d.name))")
    assert f"werkbon-u{tenant_a.pk}-{tech_a.pk}" not in names


def test_a_new_deployment_updates_the_app_without_losing_the_queue(
        phone_page, live_server, tenant_a, tech_a, job, monkeypatch):
    from playwright.sync_api import expect

    from werkbon.workorders.views import offline as offline_views

    page = phone_page
    base = live_server.url
    log_in(page, base, tech_a.username)
    open_app(page, base)
    old_caches = page.evaluate("caches.keys()")
    go_offline_and_reload(page)
    page.locator(f'[data-testid="app-open-order-{job["order"].number}"]').tap()
    page.fill('[data-testid="app-time-minutes"]', "25")
    page.click('[data-testid="app-add-time"]')
    expect_queue(page, 1)
    # a deployment with new static files: the worker's precache list and version change
    entries, version = offline_views._precache_entries()
    changed = [dict(entry, revision=entry["revision"] + "-new") for entry in entries]
    monkeypatch.setattr(offline_views, "_precache_entries_cached",
                        lambda: (changed, version[:6] + "newnew"))
    page.route("**/api/v1/actions", lambda route: route.abort("internetdisconnected"))
    page.context.set_offline(False)
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    expect(page.locator("body[data-sw-version=new]")).to_have_count(1)  # the new one took over
    page.reload()
    expect(page.locator("body[data-ready]")).to_have_count(1)
    expect_queue(page, 1)  # the queue survived the update
    new_caches = page.evaluate("caches.keys()")
    assert new_caches != old_caches and all(name.endswith("newnew") for name in new_caches)
    page.unroute("**/api/v1/actions")
    page.click('[data-testid="sync-now"]')
    expect_queue(page, 0)
    with tenant_context(tenant_a):
        assert list(TimeEntry.objects.values_list("minutes", flat=True)) == [25]


def test_the_app_speaks_the_chosen_language_also_offline(phone_page, live_server, tech_a, job):
    """Language cookie en: English labels online and offline after a reload (the catalogs of
    both languages are in the worker's cache); switched to nl, the same cached shell is Dutch."""
    from playwright.sync_api import expect

    page = phone_page
    base = live_server.url
    log_in(page, base, tech_a.username)
    host = base.split("//", 1)[1].split(":")[0]
    page.context.add_cookies([{"name": "django_language", "value": "en", "domain": host, "path": "/"}])
    open_app(page, base)
    expect(page.locator("h1")).to_have_text("My work orders")
    expect(page.locator('[data-testid="sync-now"]')).to_have_text("Send now")
    go_offline_and_reload(page)
    expect(page.locator("h1")).to_have_text("My work orders")
    expect(page.locator('[data-testid="queue-label"]')).to_have_text("actions waiting to be sent")
    page.context.add_cookies([{"name": "django_language", "value": "nl", "domain": host, "path": "/"}])
    page.reload()
    expect(page.locator("body[data-ready]")).to_have_count(1)
    expect(page.locator("h1")).to_have_text("Mijn werkbonnen")
    expect(page.locator('[data-testid="sync-now"]')).to_have_text("Nu verzenden")
    expect(page.locator('[data-testid="queue-label"]')).to_have_text("acties wachten op verzending")


def test_a_work_order_made_on_site_offline_with_time_reaches_the_server_once(
        phone_page, live_server, tenant_a, tech_a, job):
    """Offline: a new work order on site (customer searched, its work address), time on it
    before it was sent; online: one new order by the technician holding that time entry."""
    from playwright.sync_api import expect

    page = phone_page
    base = live_server.url
    offline_with_on_site_orders(page, base, tenant_a, tech_a)
    page.click('[data-testid="app-new-on-site"]')
    page.fill('[data-testid="app-customer-search"]', "korrel")
    page.click('[data-testid="app-customer-option"]')
    expect(page.locator('[data-testid="app-customer-chosen"]')).to_contain_text("Bakkerij De Korrel")
    page.fill('[data-testid="app-onsite-description"]', "Cv-ketel lekt")
    page.click('[data-testid="app-onsite-create"]')
    expect(page.locator('[data-testid="app-order-title"]')).to_have_text("Werkbon nieuw")
    expect(page.locator('[data-testid="app-description"]')).to_have_text("Cv-ketel lekt")
    page.fill('[data-testid="app-time-minutes"]', "35")
    page.click('[data-testid="app-add-time"]')
    expect_queue(page, 2)
    page.reload()  # still offline: the new order and its time stay in the queue
    expect(page.locator("body[data-ready]")).to_have_count(1)
    expect_queue(page, 2)
    page.context.set_offline(False)
    expect_queue(page, 0)
    expect(page.locator('[data-testid="refused-action"]')).to_have_count(0)
    expect(page.locator('[data-testid="sync-now"]')).to_be_disabled()  # nothing left to send
    with tenant_context(tenant_a):
        made = WorkOrder.objects.filter(created_by=tech_a)
        assert made.count() == 1
        new = made.get()
        assert new.description == "Cv-ketel lekt" and new.customer.number == "10001"
        assert new.work_address_id is not None
        assert list(new.time_entries.values_list("minutes", "technician")) == [(35, tech_a.pk)]


def test_a_work_order_made_on_site_offline_can_be_deleted_with_what_was_queued_on_it(
        phone_page, live_server, tenant_a, tech_a, job):
    """Offline: two new work orders on site, time on both; the first is deleted before it was
    sent: its creation and its time leave the queue together, the other order and its time
    stay; online: only the second reaches the server."""
    from playwright.sync_api import expect

    page = phone_page
    base = live_server.url
    offline_with_on_site_orders(page, base, tenant_a, tech_a)
    for description, minutes in (("Vergissing", "10"), ("Cv-ketel lekt", "35")):
        page.goto(f"{base}/werkorders/app/#")
        make_order_on_site(page, description)
        page.fill('[data-testid="app-time-minutes"]', minutes)
        page.click('[data-testid="app-add-time"]')
    expect_queue(page, 4)
    page.goto(f"{base}/werkorders/app/#")
    page.locator('[data-testid^="app-open-order-"]', has_text="Vergissing").tap()
    expect(page.locator('[data-testid="app-onsite-waiting"]')).to_contain_text("wacht op verzending")
    page.click('[data-testid="app-onsite-withdraw"]')  # the fixture accepts the confirm()
    expect_queue(page, 2)
    expect(page.locator('[data-testid="app-orders"]')).not_to_contain_text("Vergissing")
    expect(page.locator('[data-testid="app-orders"]')).to_contain_text("Cv-ketel lekt")
    page.context.set_offline(False)
    expect_queue(page, 0)
    expect(page.locator('[data-testid="refused-action"]')).to_have_count(0)
    with tenant_context(tenant_a):
        made = WorkOrder.objects.filter(created_by=tech_a)
        assert list(made.values_list("description", flat=True)) == ["Cv-ketel lekt"]
        assert list(made.get().time_entries.values_list("minutes", flat=True)) == [35]
        assert not TimeEntry.objects.filter(minutes=10).exists()
        assert AppliedAction.objects.filter(user=tech_a).count() == 2


def test_report_completed_offline_asks_where_to_mail_and_the_mail_goes_there(
        phone_page, live_server, tenant_a, tech_a, job):
    """When the company e-mails signed work orders, the app's "Gereed melden" shows the
    customer's address (as the web page does), the technician corrects it offline, and the
    completion sent later queues the mail to the corrected address, in Dutch labels."""
    from playwright.sync_api import expect

    from werkbon.customermail.models import CustomerMail

    tenant_a.customer_mail_enabled = True
    tenant_a.save()
    order = job["order"]
    Customer.all_tenants.filter(pk=order.customer_id).update(email="info@korrel.example")
    page = phone_page
    base = live_server.url
    open_app_offline(page, base, tech_a)
    page.locator(f'[data-testid="app-open-order-{order.number}"]').tap()
    email = page.locator('[data-testid="app-customer-email"]')
    expect(email).to_have_value("info@korrel.example")
    expect(page.locator("label", has=email)).to_contain_text("Werkbon e-mailen naar")
    expect(page.locator('[data-testid="app-complete"]')).to_have_text("Gereed melden")
    email.fill("jan@korrel.example")
    page.fill('[data-testid="app-signed-by"]', "J. de Korrel")
    page.click('[data-testid="app-complete"]')  # the fixture accepts the confirm()
    expect_queue(page, 1)
    page.context.set_offline(False)
    expect_queue(page, 0)
    with tenant_context(tenant_a):
        assert WorkOrder.objects.get(pk=order.pk).status == WorkOrderStatus.COMPLETED
        assert list(CustomerMail.objects.values_list("recipient", flat=True)) == ["jan@korrel.example"]
