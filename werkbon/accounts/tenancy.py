"""Tenant scoping by construction.

The tenant of the current request (or job) lives in a context variable. Every model of
business data derives from :class:`TenantScopedModel`, whose default manager filters on
that tenant and refuses to run at all when no tenant is set: forgetting a filter is not
possible, only asking for ``Model.all_tenants`` explicitly (system jobs, support admin).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from werkbon.accounts.models import Tenant

_current_tenant: ContextVar[Tenant | None] = ContextVar("werkbon_current_tenant", default=None)


class TenantNotSet(RuntimeError):
    """A tenant-scoped query ran outside any tenant context (a programming error)."""


def get_current_tenant() -> Tenant | None:
    return _current_tenant.get()


def require_current_tenant() -> Tenant:
    tenant = _current_tenant.get()
    if tenant is None:
        raise TenantNotSet(
            "No tenant is active: wrap the code in tenant_context(tenant) "
            "or use Model.all_tenants deliberately."
        )
    return tenant


def set_current_tenant(tenant: Tenant | None) -> Any:
    """Set the tenant; returns a token for :func:`reset_current_tenant`."""
    return _current_tenant.set(tenant)


def reset_current_tenant(token: Any) -> None:
    _current_tenant.reset(token)


@contextlib.contextmanager
def tenant_context(tenant: Tenant | None) -> Iterator[Tenant | None]:
    """Run a block as ``tenant`` (used by jobs, commands and tests)."""
    token = _current_tenant.set(tenant)
    try:
        yield tenant
    finally:
        _current_tenant.reset(token)


class TenantQuerySet(models.QuerySet):
    pass


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    """Default manager: only the current tenant's rows, or an error when none is set."""

    def get_queryset(self) -> TenantQuerySet:
        tenant = require_current_tenant()
        return super().get_queryset().filter(tenant_id=tenant.pk)  # the same SQL as tenant=, cheaper to build


class TenantScopedModel(models.Model):
    """Base for every row of business data: it belongs to exactly one tenant."""

    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="+", editable=False
    )

    objects = TenantManager()
    all_tenants = models.Manager()  # noqa: DJ012 (a second manager, not a field)

    class Meta:
        abstract = True
        base_manager_name = "all_tenants"
        default_manager_name = "objects"

    def save(self, *args: Any, **kwargs: Any) -> None:
        current = get_current_tenant()
        if self.tenant_id is None:
            self.tenant = require_current_tenant()
        elif current is not None and current.pk != self.tenant_id:
            raise PermissionError("A row of another tenant cannot be saved in this tenant's context.")
        super().save(*args, **kwargs)
