"""Which company the token reaches."""

from __future__ import annotations

from vismanet import _endpoints as ep
from vismanet._models.companies import Branch, Company, Organization
from vismanet._resources._base import Resource


class Companies(Resource):
    """``client.companies``: the companies a token can reach, and the current one's details.

    With Visma Connect the company is chosen at sign-in (interactive) or by ``tenant_id``
    (service); ``organizations()`` is the reliable probe of which company a token is bound to.
    """

    def list(self) -> list[Company]:
        """Companies the token can reach, from the legacy context list.

        Calls ``GET /resources/v1/context`` on ``context_base_url`` (contract
        ``context.list``). Whether this answers Visma Connect tokens is unconfirmed: be ready
        for ``NotFoundError``/``AuthenticationError``/``PermissionDeniedError`` and fall back
        to ``organizations()``.

        Raises:
            VismaNetError: any subclass, as for every call.
        """
        body = self._transport.request_json(ep.CONTEXT_LIST) or []
        return [Company.model_validate(item) for item in body]

    def organizations(self) -> list[Organization]:
        """The organisation(s) of the company the token is bound to.

        Calls ``GET /v1/organization`` (contract ``organization.list``); not paged.
        Timestamps are aware UTC datetimes.

        Raises:
            AuthenticationError: the token is not valid for this company (often: the customer
                tenant id was used instead of the company tenant id).
            VismaNetError: any other subclass.
        """
        body = self._transport.request_json(ep.ORGANIZATION_LIST) or []
        return [Organization.model_validate(item) for item in body]

    def branches(self) -> list[Branch]:
        """Branches of the current company.

        Calls ``GET /v1/branch`` (contract ``branch.list``); not paged.

        Raises:
            VismaNetError: any subclass.
        """
        body = self._transport.request_json(ep.BRANCH_LIST) or []
        return [Branch.model_validate(item) for item in body]
