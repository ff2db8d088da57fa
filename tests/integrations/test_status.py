"""The status page (manual 5.13, 6.1): status, times in Europe/Amsterdam, the company,
last local change and last integration update per table, quota, next sync, pause; edit
settings (checked again, logged), cleanup on demand, the progress bar."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integrations.test_activation import GOOD_SETTINGS
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations import tasks
from werkbon.integrations.models import LogEntry, LogLevel, SyncState, SyncTable
from werkbon.workorders.models import Customer

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def test_it_shows_status_times_company_tables_quota_and_next_sync(office, vismanet_integration, tenant_a):
    integration = vismanet_integration
    integration.started_at = dt.datetime(2025, 6, 19, 13, 42, tzinfo=UTC)  # 15:42 in Amsterdam
    integration.quota_limit, integration.quota_remaining = 5000, 4321
    integration.quota_observed_at = dt.datetime(2025, 6, 19, 14, 0, tzinfo=UTC)
    integration.next_sync_at = dt.datetime(2025, 6, 19, 14, 1, 30, tzinfo=UTC)
    integration.paused_until = dt.datetime(2099, 1, 1, 11, 0, tzinfo=UTC)
    integration.save()
    with tenant_context(tenant_a):
        SyncState.objects.create(integration=integration, table=SyncTable.CUSTOMERS,
                                 last_change_at=dt.datetime(2019, 6, 19, 7, 1, tzinfo=UTC))
        Customer.objects.create(number="1", name="Lokaal")
    page = office.get("/integraties/vismanet/").content.decode()
    assert '<span data-testid="status">ACTIEF</span>' in page
    assert "19-06-2025 15:42" in page
    assert "Installatietechniek Demo B.V. (4710001)" in page
    assert "4321 / 5000" in page
    assert "19-06-2025 16:01:30" in page  # next sync, local time
    assert "01-01-2099 12:00:00" in page  # paused until
    for label in ("Artikelgroep", "Artikel", "Klant", "Werkadres", "Werkbon mutatie", "Integratie update"):
        assert label in page
    assert "19-06-2019 09:01" in page  # the customers' integration update
    assert 'data-testid="deactivate"' in page and 'data-testid="edit"' in page


def test_it_shows_an_inactive_integration_that_never_ran(office):
    page = office.get("/integraties/vismanet/").content.decode()
    assert "INACTIEF" in page
    assert 'data-testid="activate"' in page


def test_it_changes_settings_after_checking_and_logs_what_changed(office, vismanet_integration, tenant_a):
    form = office.get("/integraties/vismanet/wijzigen/").content.decode()
    assert 'value="ARBEID"' in form  # the saved settings are the starting point
    changed = {**GOOD_SETTINGS, "travel_time_item": "", "sync_interval_seconds": "120"}
    changed.pop("terms")
    response = office.post("/integraties/vismanet/wijzigen/", changed)
    assert response.status_code == 302, response.content.decode()[:3000]
    vismanet_integration.refresh_from_db()
    assert vismanet_integration.settings["travel_time_item"] is None
    assert vismanet_integration.sync_interval_seconds == 120
    with tenant_context(tenant_a):
        entry = LogEntry.objects.get(message__startswith="Settings changed")
    assert entry.level == LogLevel.INFO
    assert "travel_time_item: 'REISTIJD' → None" in entry.params["changes"]
    assert "sync_interval_seconds: 60 → 120" in entry.params["changes"]


def test_it_refuses_a_settings_change_that_fails_a_check(office, vismanet_integration):
    changed = {**GOOD_SETTINGS, "default_warehouse": "KELDER"}
    response = office.post("/integraties/vismanet/wijzigen/", changed)
    assert response.status_code == 400
    assert "Magazijn KELDER bestaat niet in Visma.net." in response.content.decode()
    vismanet_integration.refresh_from_db()
    assert vismanet_integration.settings["default_warehouse"] == "HOOFD"


def test_it_starts_a_cleanup_on_demand(office, vismanet_integration, monkeypatch,
                                       django_capture_on_commit_callbacks):
    started = []
    monkeypatch.setattr(tasks.sync_cleanup, "delay", lambda pk: started.append(pk))
    with django_capture_on_commit_callbacks(execute=True):
        response = office.post("/integraties/vismanet/opschonen/")
    assert response.status_code == 302
    assert started == [vismanet_integration.pk]


def test_it_polls_the_progress_until_the_first_import_is_done(office, vismanet_integration):
    vismanet_integration.first_import_finished_at = None
    vismanet_integration.progress_done, vismanet_integration.progress_total = 120, 480
    vismanet_integration.import_phase = "customers"
    vismanet_integration.save()
    running = office.get("/integraties/vismanet/voortgang/").content.decode()
    assert 'data-percent="25"' in running and 'hx-trigger="every 2s"' in running
    assert "120 van 480" in running and "customers" in running
    vismanet_integration.first_import_finished_at = dt.datetime.now(UTC)
    vismanet_integration.save()
    done = office.get("/integraties/vismanet/voortgang/").content.decode()
    assert 'data-percent="100"' in done and "hx-trigger" not in done


def test_it_offers_to_activate_an_inactive_integration_on_the_integrations_page(office):
    page = office.get("/integraties/").content.decode()
    assert 'data-testid="open-vismanet"' in page
    assert ">Activeren</a>" in page and "Inzetbaar" not in page


def test_it_tells_the_real_sync_interval_on_the_success_page(office, vismanet_integration):
    vismanet_integration.sync_interval_seconds = 60
    vismanet_integration.save()
    page = office.get("/integraties/vismanet/activeren/gelukt/").content.decode()
    assert "Mutaties worden elke 60 seconden uit je boekhoudsysteem opgehaald." in page
    assert "paar minuten" not in page.split('data-testid="success-interval"')[1].split("</p>")[0]


def test_it_says_an_archived_work_order_is_sent_within_seconds_on_the_success_page(office, vismanet_integration):
    page = office.get("/integraties/vismanet/activeren/gelukt/").content.decode()
    archive = page.split('data-testid="success-archive">')[1].split("</p>")[0]
    assert archive == ("Als je een werkbon <strong>archiveert</strong>, wordt deze direct naar je boekhoudsoftware"
                       " gestuurd; meestal staat hij daar binnen enkele seconden.")
    assert "paar minuten" not in page


def beat(seconds_ago: float) -> None:
    from werkbon.accounts.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(tenant=None, defaults={
        "worker": "celery@test", "beat_at": dt.datetime.now(UTC) - dt.timedelta(seconds=seconds_ago), "beats": 1})


def test_it_warns_when_the_worker_missed_two_heartbeats(office, vismanet_integration, settings):
    settings.WERKBON_HEARTBEAT_SECONDS = 60
    beat(30)
    page = office.get("/integraties/vismanet/").content.decode()
    assert 'data-testid="background-down"' not in page
    assert 'data-testid="worker-alive">actief' in page
    beat(150)  # 2.5 intervals: stopped, long before the old 5 minutes
    for url in ("/integraties/vismanet/", "/integraties/", "/integraties/logging/"):
        page = office.get(url).content.decode()
        assert "De achtergrondverwerking draait niet:</strong> het laatste teken van leven was om" in page, url
        assert "Wat te doen:" in page
    assert 'data-testid="worker-alive">draait niet' in office.get("/integraties/vismanet/").content.decode()


def test_it_warns_when_a_due_sync_is_overdue_although_a_worker_beats(office, vismanet_integration):
    beat(5)
    vismanet_integration.sync_interval_seconds = 60
    vismanet_integration.next_sync_at = dt.datetime.now(UTC) - dt.timedelta(seconds=60)
    vismanet_integration.save()
    assert 'data-testid="background-down"' not in office.get("/integraties/vismanet/").content.decode()
    vismanet_integration.next_sync_at = dt.datetime.now(UTC) - dt.timedelta(seconds=150)
    vismanet_integration.save()
    page = office.get("/integraties/vismanet/").content.decode()
    assert "De achtergrondverwerking draait niet:</strong> de synchronisatie die om" in page


def test_it_says_an_export_waits_for_the_stopped_background_processing(
        office, vismanet_integration, tenant_a, office_a, tech_a):
    from werkbon.integrations.models import ExportRecord

    from .conftest import archived_work_order

    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a)
    url = f"/integraties/vismanet/export/{order.pk}/"
    beat(5)
    ExportRecord.all_tenants.filter(work_order_number=order.number).update(
        created_at=dt.datetime.now(UTC) - dt.timedelta(minutes=3))
    assert 'data-testid="export-stalled"' not in office.get(url).content.decode()  # worker alive
    beat(600)
    panel = office.get(url).content.decode()
    assert "Wacht op de achtergrondverwerking, die op dit moment niet draait" in panel
    ExportRecord.all_tenants.filter(work_order_number=order.number).update(created_at=dt.datetime.now(UTC))
    assert 'data-testid="export-stalled"' not in office.get(url).content.decode()  # just archived


def test_it_offers_visma_items_and_warehouses_work_time_first_fetched_once(office, vismanet_integration, sandbox):
    sandbox.control.clear_requests()
    page = office.get("/integraties/vismanet/wijzigen/").content.decode()
    assert page.index('data-field="work_time_item"') < page.index('data-field="travel_time_item"')
    assert '<option value="ARBEID">ARBEID — ' in page  # the datalist: number — description
    select = page.split('name="default_warehouse"')[0].rsplit("<", 1)[1] + page.split('name="default_warehouse"')[1]
    assert select.startswith("select") and '<option value="HOOFD" selected>HOOFD — ' in page
    fetched = sandbox.control.request_count(path="inventory")
    assert fetched >= 1
    office.get("/integraties/vismanet/wijzigen/")  # within a few minutes: from the session
    assert sandbox.control.request_count(path="inventory") == fetched


def test_it_falls_back_to_free_text_when_visma_net_is_unreachable(office, vismanet_integration, sandbox):
    sandbox.control.fault("status", status=503, path="inventory", count=None)
    page = office.get("/integraties/vismanet/wijzigen/").content.decode()
    assert '<input type="text" name="default_warehouse"' in page
    assert "je kunt de codes nog steeds intypen" in page.lower() or 'class="notice"' in page


@pytest.mark.parametrize(("count", "dutch", "english"), [
    (1, "(laatste melding)", "(last notification)"),
    (3, "(laatste 3 meldingen)", "(last 3 notifications)"),
])
def test_it_counts_the_notifications_of_the_freshness_in_proper_plural(
        office, vismanet_integration, tenant_a, count, dutch, english):
    from werkbon.integrations.models import WebhookNotification, WebhookOutcome

    now = dt.datetime.now(UTC)
    with tenant_context(tenant_a):
        for index in range(count):
            WebhookNotification.objects.create(
                integration=vismanet_integration, notification_id=f"n{index}", entity="Customer",
                object_key=str(index), notified_at=now - dt.timedelta(seconds=5), processed_at=now,
                outcome=WebhookOutcome.APPLIED)

    def freshness(page: str) -> str:
        return page.split('data-testid="freshness">')[1].split("</dd>")[0]

    assert freshness(office.get("/integraties/vismanet/").content.decode()).endswith(dutch)
    office.post("/i18n/setlang/", {"language": "en", "next": "/integraties/vismanet/"})
    assert freshness(office.get("/integraties/vismanet/").content.decode()).endswith(english)
