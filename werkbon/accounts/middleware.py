"""Puts the logged-in user's tenant in the tenant context for the whole request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from werkbon.accounts.tenancy import reset_current_tenant, set_current_tenant


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        tenant = getattr(user, "tenant", None) if user is not None and user.is_authenticated else None
        request.tenant = tenant  # type: ignore[attr-defined]
        token = set_current_tenant(tenant)
        try:
            return self.get_response(request)
        finally:
            reset_current_tenant(token)
