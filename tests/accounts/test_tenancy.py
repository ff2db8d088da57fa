from __future__ import annotations

import pytest

from werkbon.accounts.tenancy import TenantNotSet, require_current_tenant, tenant_context


def test_it_refuses_scoped_work_without_a_tenant():
    with pytest.raises(TenantNotSet):
        require_current_tenant()


def test_it_restores_the_previous_tenant(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        with tenant_context(tenant_b):
            assert require_current_tenant() == tenant_b
        assert require_current_tenant() == tenant_a


def test_login_page_is_public_and_home_needs_login(client):
    assert client.get("/accounts/login/").status_code == 200
    response = client.get("/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
