"""The activation wizard over HTTP against the sandbox (manual 4.1–4.3, 5.1–5.2, 5.12):
wipe → connect (the sandbox's real consent page, driven with httpx) → confirm the
company → settings with checks and the terms → ACTIVE with the first import started."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import httpx
import pytest
from django.test import Client

from tests.conftest import PASSWORD
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations import tasks
from werkbon.integrations.models import Credential, Integration, IntegrationStatus, LogEntry
from werkbon.workorders.models import Customer, Item

pytestmark = pytest.mark.django_db

CALLBACK = "http://127.0.0.1:8000/integraties/vismanet/callback"

GOOD_SETTINGS = {
    "travel_time_item": "REISTIJD", "work_time_item": "ARBEID", "default_item_enabled": "1",
    "default_item": "VOORRIJDEN", "filter_word": "", "notes": "work_address_and_description",
    "customer_reference": "both", "pdfs": "work_order_and_forms", "order_import": "nothing",
    "order_import_filter_word": "", "order_import_lines": "1", "target": "sales_order",
    "sales_order_type": "SO", "warehouse_per_user": "0", "default_warehouse": "HOOFD",
    "sync_interval_seconds": "60", "terms": "on",
}


@pytest.fixture
def wizard_settings(vismanet_settings):
    vismanet_settings.VISMANET_REDIRECT_URI = CALLBACK
    return vismanet_settings


def consent(authorize_url: str, tenant_id: str, decision: str = "allow") -> str:
    """Answer the sandbox's consent page like a user; returns the callback path + query."""
    with httpx.Client(timeout=30) as http:
        page = http.get(authorize_url)
        assert page.status_code == 200, page.text
        fields = {unescape(n): unescape(v) for n, v in
                  re.findall(r"<input type='hidden' name='([^']*)' value='([^']*)'>", page.text)}
        fields.update(tenant_id=tenant_id, decision=decision)
        base = f"{urlsplit(authorize_url).scheme}://{urlsplit(authorize_url).netloc}"
        answer = http.post(f"{base}/connect/authorize", data=fields)
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    return f"{location.path}?{location.query}"


def wipe_and_connect(office: Client, tenant_id: str) -> None:
    assert office.post("/integraties/vismanet/activeren/wissen/", {"confirm": "1"}).status_code == 302
    response = office.post("/integraties/vismanet/activeren/koppelen/")
    assert response.status_code == 302
    callback = office.get(consent(response["Location"], tenant_id))
    assert callback.status_code == 302
    assert callback["Location"] == "/integraties/vismanet/activeren/administratie/"


def test_it_runs_the_wizard_from_wipe_to_an_active_integration(
        office, wizard_settings, sandbox, tenant_a, monkeypatch, django_capture_on_commit_callbacks):
    with tenant_context(tenant_a):
        Customer.objects.create(number="OUD-1", name="Oude klant")
        Item.objects.create(number="OUD-ART", description="Oud artikel")
    started = []
    monkeypatch.setattr(tasks.sync_first_import, "delay", lambda pk: started.append(pk))

    page = office.get("/integraties/vismanet/activeren/")
    assert page.status_code == 200
    assert "Start activatie" in page.content.decode()
    wipe_page = office.get("/integraties/vismanet/activeren/wissen/").content.decode()
    assert 'data-testid="wipe-row-customers"' in wipe_page
    assert "verplicht" in wipe_page  # the first activation wipes everything

    wipe_and_connect(office, sandbox.demo.DEMO_TENANT_ID)
    with tenant_context(tenant_a):
        assert not Customer.objects.exists() and not Item.objects.exists()

    confirm = office.get("/integraties/vismanet/activeren/administratie/").content.decode()
    assert "Installatietechniek Demo B.V." in confirm
    assert "4710001" in confirm
    assert office.post("/integraties/vismanet/activeren/administratie/")["Location"] == \
        "/integraties/vismanet/activeren/instellingen/"

    form = office.get("/integraties/vismanet/activeren/instellingen/").content.decode()
    assert '<option value="ARBEID">' in form  # suggestions read from Visma.net directly
    assert '<option value="VRD-2001">' not in form  # stock items are not offered
    assert '<option value="HOOFD">' in form

    failing = office.post("/integraties/vismanet/activeren/instellingen/",
                          {**GOOD_SETTINGS, "work_time_item": "VRD-2001"})
    assert failing.status_code == 400
    assert "VRD-2001 is een voorraadartikel" in failing.content.decode()
    integration = Integration.all_tenants.get(tenant=tenant_a)
    assert integration.status == IntegrationStatus.INACTIVE

    with django_capture_on_commit_callbacks(execute=True):
        saved = office.post("/integraties/vismanet/activeren/instellingen/", GOOD_SETTINGS)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert saved["Location"] == "/integraties/vismanet/activeren/gelukt/"
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.ACTIVE
    assert integration.started_at is not None and integration.ended_at is None
    assert integration.company_label == "Installatietechniek Demo B.V. (4710001)"
    assert integration.settings["work_time_item"] == "ARBEID"
    assert integration.settings["default_item"] == "VOORRIJDEN"
    assert integration.terms_accepted_at is not None
    assert integration.sync_interval_seconds == 60
    assert started == [integration.pk]
    success = office.get(saved["Location"]).content.decode()
    assert "INTEGRATIE SUCCESVOL!" in success
    assert 'hx-trigger="every 2s"' in success
    # Every log entry carries the company.
    with tenant_context(tenant_a):
        companies = set(LogEntry.objects.exclude(company="").values_list("company", flat=True))
    assert companies == {"Installatietechniek Demo B.V. (4710001)"}


def test_it_refuses_to_finish_without_accepting_the_terms(office, wizard_settings, sandbox, tenant_a):
    wipe_and_connect(office, sandbox.demo.DEMO_TENANT_ID)
    office.post("/integraties/vismanet/activeren/administratie/")
    response = office.post("/integraties/vismanet/activeren/instellingen/",
                           {k: v for k, v in GOOD_SETTINGS.items() if k != "terms"})
    assert response.status_code == 400
    assert "voorwaarden" in response.content.decode()
    assert not Integration.all_tenants.get(tenant=tenant_a).is_active


def test_it_shows_the_other_company_when_the_user_chose_it(office, wizard_settings, sandbox, tenant_a):
    wipe_and_connect(office, sandbox.demo.SMALL_TENANT_ID)
    confirm = office.get("/integraties/vismanet/activeren/administratie/").content.decode()
    assert "Kleine Klusjes B.V." in confirm and "4710002" in confirm
    # "Choose another company" starts the consent again.
    again = office.post("/integraties/vismanet/activeren/koppelen/")
    assert again.status_code == 302 and "/connect/authorize?" in again["Location"]


def test_it_refuses_a_callback_with_a_wrong_state_and_stores_nothing(office, wizard_settings, sandbox, tenant_a):
    office.post("/integraties/vismanet/activeren/wissen/", {"confirm": "1"})
    callback = consent(office.post("/integraties/vismanet/activeren/koppelen/")["Location"],
                       sandbox.demo.DEMO_TENANT_ID)
    forged = re.sub(r"state=[^&]+", "state=forged-by-someone", callback)
    response = office.get(forged)
    assert response.status_code == 400
    assert "hoort niet bij deze aanmelding" in response.content.decode()
    integration = Integration.all_tenants.get(tenant=tenant_a)
    assert integration.company_name == ""
    assert not Credential.all_tenants.filter(integration=integration).exclude(tokens="").exists()


def test_it_keeps_the_sign_in_in_progress_when_a_wrong_state_comes_in(office, wizard_settings, sandbox):
    office.post("/integraties/vismanet/activeren/wissen/", {"confirm": "1"})
    authorize = office.post("/integraties/vismanet/activeren/koppelen/")["Location"]
    assert office.get("/integraties/vismanet/callback?code=abc&state=forged").status_code == 400
    # The real consent page, answered with "deny", is still understood as a refusal.
    response = office.get(consent(authorize, sandbox.demo.DEMO_TENANT_ID, decision="deny"), follow=True)
    assert response.redirect_chain[0][0] == "/integraties/vismanet/activeren/koppelen/"
    assert "Visma.net heeft geen toegang gegeven (access_denied)" in response.content.decode()


def test_it_recognises_a_reload_of_the_callback_after_success(office, wizard_settings, sandbox, tenant_a,
                                                               monkeypatch):
    from werkbon.integrations.vismanet import activation

    office.post("/integraties/vismanet/activeren/wissen/", {"confirm": "1"})
    callback = consent(office.post("/integraties/vismanet/activeren/koppelen/")["Location"],
                       sandbox.demo.DEMO_TENANT_ID)
    assert office.get(callback)["Location"] == "/integraties/vismanet/activeren/administratie/"
    exchanged = []
    monkeypatch.setattr(activation, "finish_connect", lambda *a, **k: exchanged.append(1))
    reload = office.get(callback, follow=True)
    assert reload.status_code == 200
    assert reload.redirect_chain == [("/integraties/vismanet/activeren/administratie/", 302)]
    page = reload.content.decode()
    assert "al gemaakt" in page and "hoort niet bij deze aanmelding" not in page
    assert "Installatietechniek Demo B.V." in page
    assert exchanged == []  # nothing is exchanged twice


def test_it_refuses_a_callback_without_a_pending_sign_in(office, wizard_settings):
    response = office.get("/integraties/vismanet/callback?code=abc&state=xyz")
    assert response.status_code == 400


def test_it_sends_the_user_back_when_consent_is_refused(office, wizard_settings, sandbox):
    office.post("/integraties/vismanet/activeren/wissen/", {"confirm": "1"})
    callback = consent(office.post("/integraties/vismanet/activeren/koppelen/")["Location"],
                       sandbox.demo.DEMO_TENANT_ID, decision="deny")
    response = office.get(callback)
    assert response.status_code == 302
    assert response["Location"] == "/integraties/vismanet/activeren/koppelen/"


def test_it_keeps_the_steps_in_order(office, wizard_settings):
    assert office.get("/integraties/vismanet/activeren/koppelen/")["Location"] == \
        "/integraties/vismanet/activeren/wissen/"
    assert office.get("/integraties/vismanet/activeren/instellingen/")["Location"] == \
        "/integraties/vismanet/activeren/"


def test_it_checks_one_setting_with_htmx(office, wizard_settings, sandbox, tenant_a):
    wipe_and_connect(office, sandbox.demo.DEMO_TENANT_ID)
    fail = office.post("/integraties/vismanet/controleer/", {"field": "work_time_item", "work_time_item": "NIETS"},
                       HTTP_HX_REQUEST="true")
    assert fail.status_code == 200
    assert 'data-ok="0"' in fail.content.decode()
    assert "Artikel NIETS bestaat niet in Visma.net." in fail.content.decode()
    ok = office.post("/integraties/vismanet/controleer/", {"field": "work_time_item", "work_time_item": "ARBEID"})
    assert 'data-ok="1"' in ok.content.decode()
    assert office.post("/integraties/vismanet/controleer/", {"field": "bogus"}).status_code == 400


def test_it_refuses_the_wizard_to_a_technician(tech_a, wizard_settings):
    client = Client()
    client.login(username=tech_a.username, password=PASSWORD)
    for url in ("/integraties/", "/integraties/vismanet/activeren/wissen/", "/integraties/logging/"):
        assert client.get(url).status_code == 403


@pytest.fixture
def used_before(tenant_a):
    """Tenant A's integration, deactivated, whose data came from the demo company 4710001."""
    from django.utils import timezone

    with tenant_context(tenant_a):
        customer = Customer.objects.create(number="10001", name="Klant van 4710001")
        customer.work_addresses.create(street="Kerkstraat", house_number="1")
        Item.objects.create(number="ARBEID", description="Arbeid")
    return Integration.all_tenants.create(
        tenant=tenant_a, status=IntegrationStatus.INACTIVE, kind="vismanet",
        started_at=timezone.now() - timezone.timedelta(days=30), ended_at=timezone.now(),
        company_name="Installatietechniek Demo B.V.", company_number="4710001", data_company_number="4710001")


def test_it_requires_wiping_the_previous_company_s_data_when_another_company_is_connected(
        office, wizard_settings, sandbox, tenant_a, used_before):
    wipe_page = office.get("/integraties/vismanet/activeren/wissen/").content.decode()
    assert " checked" not in wipe_page  # a re-activation ticks nothing in step 1 …
    assert "uit administratie 4710001 komen" in wipe_page  # … and says why and what follows
    wipe_and_connect(office, sandbox.demo.SMALL_TENANT_ID)  # nothing wiped, Kleine Klusjes chosen

    page = office.get("/integraties/vismanet/activeren/administratie/").content.decode()
    assert "Dit is een andere administratie (4710002) dan die waar de gegevens in Werkbon vandaan komen " \
           "(4710001)." in page
    for key in ("customers", "items", "work_addresses"):
        assert f'data-testid="tick-{key}" checked' in page
    assert 'data-testid="tick-item_groups"' not in page  # empty tables are not asked for

    refused = office.post("/integraties/vismanet/activeren/administratie/", {"confirm": "1"})
    assert refused.status_code == 400
    text = unescape(refused.content.decode())
    assert "Niet verder gegaan: dit is een andere administratie" in text and "Klant" in text
    with tenant_context(tenant_a):
        assert Customer.objects.count() == 1 and Item.objects.count() == 1
    assert office.get("/integraties/vismanet/activeren/instellingen/").status_code == 302  # still blocked

    done = office.post("/integraties/vismanet/activeren/administratie/",
                       {"tables": ["customers", "items", "work_addresses"], "confirm": "1"})
    assert done["Location"] == "/integraties/vismanet/activeren/instellingen/"
    with tenant_context(tenant_a):
        assert not Customer.objects.exists() and not Item.objects.exists()
    assert office.get("/integraties/vismanet/activeren/instellingen/").status_code == 200


def test_it_asks_nothing_more_when_the_same_company_is_connected_again(
        office, wizard_settings, sandbox, tenant_a, used_before):
    wipe_and_connect(office, sandbox.demo.DEMO_TENANT_ID)
    page = office.get("/integraties/vismanet/activeren/administratie/").content.decode()
    assert 'data-testid="company-changed"' not in page
    assert office.post("/integraties/vismanet/activeren/administratie/")["Location"] == \
        "/integraties/vismanet/activeren/instellingen/"
    with tenant_context(tenant_a):
        assert Customer.objects.count() == 1  # the same company's data stay


def test_it_says_what_each_wiped_table_holds(office, tenant_a):
    page = office.get("/integraties/vismanet/activeren/wissen/").content.decode()
    assert "ALLE werkbonnen, ook afgeronde en gearchiveerde" in page
    assert "zoals een cv-ketel" in page and "geen eigen scherm" in page  # objects, contact persons
