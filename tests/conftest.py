"""Shared fixtures: two tenants with an office user and a technician each."""

from __future__ import annotations

import os

import pytest

from werkbon.accounts.models import Role, Tenant, User
from werkbon.accounts.tenancy import tenant_context

# In CI a skipped scaleout test fails, and the service run must pass at least one.
pytest_plugins = ("devtools.pytest_ci", "tests.fixtures.sandbox", "tests.fixtures.browser",
                  "tests.fixtures.workers", "tests.fixtures.smtp")

IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "test-pass-123"


@pytest.fixture(autouse=True)
def _language_of_the_next_test_is_the_default():
    """A request in English (the language switch, a cookie) activates English for this thread;
    the next test starts in the default language (Dutch) again, whatever ran before it."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def tenant_a(db) -> Tenant:
    return Tenant.objects.create(name="Installatiebedrijf Alfa B.V.", slug="alfa")


@pytest.fixture
def tenant_b(db) -> Tenant:
    return Tenant.objects.create(name="Service Bèta B.V.", slug="beta")


def make_user(tenant: Tenant, username: str, role: str, **extra: object) -> User:
    return User.objects.create_user(
        username=username, password=PASSWORD, tenant=tenant, role=role, **extra
    )


@pytest.fixture
def office_a(tenant_a) -> User:
    return make_user(tenant_a, "office_a", Role.OFFICE, first_name="Olga", last_name="Kantoor")


@pytest.fixture
def tech_a(tenant_a) -> User:
    return make_user(tenant_a, "tech_a", Role.TECHNICIAN, first_name="Piet", last_name="Jansen",
                     default_warehouse="HOOFD")


@pytest.fixture
def office_b(tenant_b) -> User:
    return make_user(tenant_b, "office_b", Role.OFFICE)


@pytest.fixture
def tech_b(tenant_b) -> User:
    return make_user(tenant_b, "tech_b", Role.TECHNICIAN)


@pytest.fixture
def in_tenant_a(tenant_a):
    with tenant_context(tenant_a):
        yield tenant_a


@pytest.fixture
def in_tenant_b(tenant_b):
    with tenant_context(tenant_b):
        yield tenant_b
