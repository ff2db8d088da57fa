"""Role checks for views: office actions are refused to technicians with a 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from werkbon.accounts.models import Role


def _require(role: str | None) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated or getattr(user, "tenant_id", None) is None:
                raise PermissionDenied(_("This page needs a user of a company account."))
            if role is not None and user.role != role:  # type: ignore[union-attr]
                raise PermissionDenied(_("Only the office can do this."))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


office_required = _require(Role.OFFICE)
tenant_member_required = _require(None)
