"""The site-wide Content-Security-Policy (django-csp; the policy is
``CONTENT_SECURITY_POLICY`` in :mod:`werkbon.settings`).

The one part that depends on configuration read at request time: forms may lead to Visma
Connect (the integration's sign-in redirects there after a POST), so its origin, from
``VISMANET_CONNECT_BASE_URL``, is added to ``form-action``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from csp.constants import SELF
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase


class WerkbonCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, with Visma Connect's origin in ``form-action``."""

    def get_policy_parts(self, request: HttpRequest, response: HttpResponseBase,
                         report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        connect = urlsplit(getattr(settings, "VISMANET_CONNECT_BASE_URL", "") or "")
        if connect.scheme and connect.netloc and parts.update is None:
            parts.update = {"form-action": [SELF, f"{connect.scheme}://{connect.netloc}"]}
        return parts
