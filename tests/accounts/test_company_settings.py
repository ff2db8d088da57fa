"""The company settings page: office only, saves the tenant's own details, one nav link each."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import PASSWORD
from werkbon.accounts.models import Tenant

pytestmark = pytest.mark.django_db


def _logged_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_office_saves_its_own_company_only(office_a, tenant_b):
    client = _logged_in(office_a)
    page = client.get("/accounts/bedrijf/")
    assert page.status_code == 200
    assert "Bedrijfsinstellingen" in page.content.decode()
    response = client.post("/accounts/bedrijf/", {
        "name": "Installatiebedrijf Jansen", "city": "Zwolle", "technicians_see_prices": "on",
        "planning_day_start": 7, "planning_day_end": 17,
    })
    assert response.status_code == 302
    tenant = Tenant.objects.get(pk=office_a.tenant_id)
    assert (tenant.name, tenant.city, tenant.technicians_see_prices) == (
        "Installatiebedrijf Jansen", "Zwolle", True)
    assert Tenant.objects.get(pk=tenant_b.pk).name != "Installatiebedrijf Jansen"


def test_an_oversized_name_is_refused_with_a_message(office_a):
    response = _logged_in(office_a).post("/accounts/bedrijf/", {"name": "x" * 201})
    assert response.status_code == 200
    assert Tenant.objects.get(pk=office_a.tenant_id).name != "x" * 201


def test_a_technician_may_not_change_company_settings(tech_a):
    assert _logged_in(tech_a).get("/accounts/bedrijf/").status_code == 403


@pytest.mark.parametrize("who", ["office_a", "tech_a"])
def test_the_navigation_names_each_page_once(who, request):
    html = _logged_in(request.getfixturevalue(who)).get("/accounts/api-tokens/").content.decode()
    assert html.count('data-testid="nav-api-tokens"') == 1
    assert html.count('data-testid="nav-company-settings"') == (1 if who == "office_a" else 0)


def test_the_page_groups_the_settings_in_sections_like_the_other_forms(office_a):
    html = _logged_in(office_a).get("/accounts/bedrijf/").content.decode()
    legends = [part.split("</legend>", 1)[0] for part in html.split("<legend>")[1:]]
    assert legends[:4] == ["Bedrijf", "Planning", "Monteurs", "E-mail aan de klant"]
    form = html.split('data-testid="company-settings"', 1)[1].split("</form>", 1)[0]
    assert "<p>" not in form  # not Django's default as_p
    assert ':</label>' not in form and ': *</label>' not in form  # no "Naam:"
    assert 'class="field' in form and 'class="help"' in form
    # every setting of the page is in a section, each once
    from werkbon.accounts.company import COMPANY_SETTINGS_FIELDS
    for name in COMPANY_SETTINGS_FIELDS:
        assert form.count(f'name="{name}"') == 1, name
    planning = form.split("<legend>Planning</legend>", 1)[1].split("</fieldset>", 1)[0]
    assert 'name="planning_day_start"' in planning and 'name="planning_day_end"' in planning
