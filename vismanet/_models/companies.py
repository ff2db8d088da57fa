"""Companies reachable with a token, and the organisation inside one tenant."""

from __future__ import annotations

from typing import Any

from vismanet._models._base import ApiModel
from vismanet._time import UtcDatetime


class Company(ApiModel):
    """A company from the legacy context list (``context.list``)."""

    id: int | str | None = None
    name: str | None = None
    type: str | None = None


class Organization(ApiModel):
    """``ExtendedOrganizationDto`` (``organization.list``)."""

    organization_cd: str | None = None
    name: str | None = None
    organization_type: str | None = None
    base_currency: str | None = None
    main_address: dict[str, Any] | None = None
    corporate_id: str | None = None
    vat_registration_id: str | None = None
    branches: list[dict[str, Any]] | None = None
    last_modified_date_time: UtcDatetime = None
    time_stamp: str | None = None


class Branch(ApiModel):
    """``BranchDto`` (``branch.list``)."""

    branch_id: int | None = None
    number: str | None = None
    name: str | None = None
    organization_id: int | None = None
    is_main_branch: bool | None = None
    is_active: bool | None = None
    last_modified_date_time: UtcDatetime = None
