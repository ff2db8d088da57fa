"""Token and session authentication, CSRF on the session, and the tenant a token acts in."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.utils import timezone

from tests.api.conftest import API, RECENT, ApiClient, client_for
from tests.conftest import PASSWORD
from werkbon.accounts.models import ApiToken
from werkbon.accounts.tenancy import get_current_tenant, tenant_context
from werkbon.workorders import services
from werkbon.workorders.models import Customer, TimeEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def order_b(tenant_b, tech_b):  # type: ignore[no-untyped-def]
    with tenant_context(tenant_b):
        customer = Customer.objects.create(number="B-1", name="Klant van Beta")
        return services.create_work_order(customer=customer, description="Beta werk",
                                          technicians=[tech_b])


def test_it_refuses_a_request_without_credentials_with_401(records_a):
    response = Client().get(f"{API}/work-orders")
    assert response.status_code == 401
    assert response.json()["detail"]


@pytest.mark.parametrize("key", ["wb_wrong", "not-even-prefixed", ""])
def test_it_refuses_a_wrong_key_with_401(records_a, key):
    response = Client().get(f"{API}/work-orders", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401


def test_it_stores_only_a_hash_of_the_key(office_a):
    token, key = ApiToken.issue(office_a, "planning tool")
    stored = ApiToken.all_tenants.filter(pk=token.pk).values().get()
    assert key not in {str(v) for v in stored.values()}
    assert stored["key_hash"] == ApiToken.hash_key(key)
    assert len(stored["key_hash"]) == 64
    assert key.startswith(stored["prefix"])


def test_it_refuses_a_revoked_token_and_an_inactive_user(office_a, records_a):
    token, key = ApiToken.issue(office_a, "x")
    assert ApiClient(key).get("/work-orders").status_code == 200
    token.revoke()
    assert ApiClient(key).get("/work-orders").status_code == 401
    _token2, key2 = ApiToken.issue(office_a, "y")
    office_a.is_active = False
    office_a.save()
    assert ApiClient(key2).get("/work-orders").status_code == 401


def test_it_records_when_a_token_was_last_used(office_a, records_a):
    token, key = ApiToken.issue(office_a, "x")
    assert token.last_used_at is None
    ApiClient(key).get("/work-orders")
    token = ApiToken.all_tenants.get(pk=token.pk)
    assert timezone.now() - token.last_used_at < dt.timedelta(minutes=1)


def test_it_lets_a_token_see_only_its_own_tenant(office_a, records_a, order_b):
    api = client_for(office_a)
    numbers = [o["customer"]["number"] for o in api.get("/work-orders").json()["items"]]
    assert "B-1" not in numbers
    assert api.get(f"/work-orders/{order_b.pk}").status_code == 404
    response = api.post(f"/work-orders/{order_b.pk}/time-entries",
                        {"kind": "work", "minutes": 30, "date": RECENT})
    assert response.status_code == 404
    assert not TimeEntry.all_tenants.filter(work_order=order_b).exists()


def test_it_lets_tenant_b_token_see_tenant_b_only(office_b, records_a, order_b):
    body = client_for(office_b).get("/work-orders").json()
    assert [o["id"] for o in body["items"]] == [order_b.pk]


def test_it_leaves_no_tenant_behind_after_a_token_request(office_a, records_a):
    assert get_current_tenant() is None
    assert client_for(office_a).get("/work-orders").status_code == 200
    assert get_current_tenant() is None


def test_it_uses_the_token_tenant_not_the_session_tenant(office_a, office_b, records_a, order_b):
    """A browser logged in to tenant A that sends tenant B's key acts as B, consistently."""
    client = Client()
    client.force_login(office_a)
    _token, key_b = ApiToken.issue(office_b, "b")
    body = client.get(f"{API}/work-orders", headers={"Authorization": f"Bearer {key_b}"}).json()
    assert [o["id"] for o in body["items"]] == [order_b.pk]


def _session(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_it_accepts_the_session_for_reading(office_a, records_a):
    response = _session(office_a).get(f"{API}/work-orders")
    assert response.status_code == 200
    assert response.json()["count"] == 2


def test_it_refuses_a_session_post_without_csrf_token(office_a, records_a, tenant_a):
    response = _session(office_a).post(f"{API}/work-orders", {"customer_number": "10001"},
                                       content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    with tenant_context(tenant_a):
        assert services.WorkOrder.objects.count() == 2


def test_it_accepts_a_session_post_with_csrf_token(office_a, records_a):
    client = _session(office_a)
    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    response = client.post(f"{API}/work-orders", {"customer_number": "10001"},
                           content_type="application/json", headers={"X-CSRFToken": secret})
    assert response.status_code == 201, response.content


def test_it_needs_no_csrf_token_with_a_bearer_key(office_api, records_a):
    assert office_api.post("/work-orders", {"customer_number": "10001"}).status_code == 201


def test_it_refuses_support_staff_without_a_tenant(db, records_a):
    from werkbon.accounts.models import User

    User.objects.create_user("support", password=PASSWORD, is_staff=True)
    client = Client()
    client.login(username="support", password=PASSWORD)
    assert client.get(f"{API}/work-orders").status_code == 401
    with pytest.raises(ValueError):
        ApiToken.issue(User.objects.get(username="support"), "x")


def test_it_issues_a_token_from_the_command_line(office_a, records_a):
    out = io.StringIO()
    call_command("create_api_token", "office_a", "--name", "planbord", stdout=out, stderr=io.StringIO())
    key = out.getvalue().strip()
    assert ApiClient(key).get("/work-orders").status_code == 200
    assert ApiToken.all_tenants.get(key_hash=ApiToken.hash_key(key)).name == "planbord"


def test_it_refuses_the_command_for_an_unknown_user(db):
    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody", stdout=io.StringIO())


def test_it_lets_support_staff_issue_a_token_in_the_admin_and_shows_the_key_once(office_a, records_a):
    from werkbon.accounts.models import User

    User.objects.create_superuser("support", password=PASSWORD)
    client = Client()
    client.login(username="support", password=PASSWORD)
    response = client.post("/admin/accounts/apitoken/add/",
                           {"user": office_a.pk, "name": "koppeling"}, follow=True)
    assert response.status_code == 200
    token = ApiToken.all_tenants.get(name="koppeling")
    assert token.tenant_id == office_a.tenant_id
    shown = [str(m) for m in response.context["messages"]]
    key = next(word.rstrip(".,") for m in shown for word in m.split() if word.startswith("wb_"))
    assert ApiToken.hash_key(key) == token.key_hash
    assert ApiClient(key).get("/work-orders").status_code == 200
