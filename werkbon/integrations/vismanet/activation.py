"""Activating and deactivating the Visma.net integration (manual 4.1–4.3, 5.12, 9).

Plain service functions, usable without a browser (the wizard's views and ``./dev demo``
call the same code). The order is the manual's:

1. :func:`wipe` the chosen local tables, after writing a JSON backup of exactly the rows
   that will be removed (:func:`table_overview` shows counts and last changes first);
2. connect: :func:`start_connect` builds the Visma Connect authorize URL (PKCE S256,
   ``offline_access``); after the user chose a company on the consent page,
   :func:`finish_connect` exchanges the code, stores the tokens encrypted and reads back
   which company the token is bound to;
3. :func:`activate` with checked settings and the terms accepted: ACTIVE, first import
   started in the background.

Each function runs in the integration's tenant (it sets the tenant context itself), so
jobs and commands can call them directly.

:func:`deactivate` stops import and export at once. Tokens are dropped on deactivation
(a re-activation always connects again through the wizard, so keeping a refresh token
would only keep a live credential nobody uses). ExportRecord rows are never deleted, so
a work order exported before is never sent again after a re-activation.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, router, transaction
from django.db.models import Max
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from vismanet import (
    INTERACTIVE_SCOPES,
    AuthorizationRequest,
    VismaNetClient,
    VismaNetError,
)
from werkbon.accounts.models import Tenant, User
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.log import log
from werkbon.integrations.models import (
    ExternalLink,
    Integration,
    IntegrationKind,
    IntegrationStatus,
    LogLevel,
    LogTable,
    SyncState,
)
from werkbon.integrations.vismanet.client import CredentialTokenStore, client_for
from werkbon.integrations.vismanet.config import VismaNetSettings
from werkbon.workorders.models import (
    ContactPerson,
    Customer,
    InstalledObject,
    Item,
    ItemGroup,
    MaterialLine,
    WorkAddress,
    WorkOrder,
)

# The client's interactive scopes (ERP and Sales Orders v3), plus ERP delete (attachment
# revisions, cleanup).
CONNECT_SCOPES: tuple[str, ...] = (*INTERACTIVE_SCOPES, "vismanet_erp_interactive_api:delete")


class ActivationError(Exception):
    """A step cannot be done; ``str(error)`` is a translated message for the user."""


# --- step 1: wipe ------------------------------------------------------------------------


@dataclass(frozen=True)
class WipeTable:
    """A table the wipe step empties (manual 4.3): key, translated label, model, description."""

    key: str
    label: Any  # lazy translated name, as in the manual's table ("Artikel Groep", …)
    model: type[models.Model]
    description: Any = ""  # lazy: what the table holds, in the user's words


# The manual's order (4.3). Deleting is done by Django's collector, which follows the
# cascades (work orders → time entries, material lines, forms; customers → work addresses,
# contacts, objects) and refuses PROTECT references (a work order's customer or item).
WIPE_TABLES: tuple[WipeTable, ...] = (
    WipeTable("item_groups", _("Item group"), ItemGroup,
              _("The groups the items are sorted in; they come from Visma.net.")),
    WipeTable("items", _("Item"), Item,
              _("Items (materials, hours, call-out costs) used on work orders; they come from Visma.net.")),
    WipeTable("work_orders", _("Work order"), WorkOrder,
              _("ALL work orders, also completed and archived ones, with their hours, materials and "
                "filled-in forms. Work orders already sent to Visma.net are never sent again.")),
    WipeTable("work_addresses", _("Work address"), WorkAddress,
              _("The addresses of the customers where the work is done; they come from Visma.net.")),
    WipeTable("customers", _("Customer"), Customer,
              _("Customers; they come from Visma.net. Their work addresses, contact persons and "
                "installations go with them.")),
    # The manual's table says "Objecten"; every other screen of Werkbon says installations.
    WipeTable("objects", _("Installations"), InstalledObject,
              _("Installations at a work address, such as a boiler (brand, type, serial number), "
                "and which work orders were done on them; Visma.net has none, the office keeps "
                "them on the work address's screen.")),
    WipeTable("contact_persons", _("Contact persons"), ContactPerson,
              _("The contact persons of customers (name, e-mail, phone) from Visma.net; they belong "
                "to the customers and have no screen of their own.")),
)
WIPE_KEYS = tuple(table.key for table in WIPE_TABLES)

# What came from the connected company: connecting another company must replace these, or
# customers and items of two administrations would mix (and exports would name the wrong ones).
COMPANY_DATA_KEYS = ("item_groups", "items", "work_addresses", "customers", "objects", "contact_persons")

# ExternalLink.local_type → model, so links of wiped rows go with them (an order whose
# work order was wiped must not look as if it still had one).
_LINKED_MODELS: dict[str, type[models.Model]] = {
    "work_order": WorkOrder, "material_line": MaterialLine, "customer": Customer,
    "item": Item, "work_address": WorkAddress,
}

BACKUP_FORMAT = "werkbon-wipe-backup/1"
_BACKUP_NAME = re.compile(r"^wipe-\d{8}-\d{6}-[0-9a-f]{6}\.json$")


@dataclass(frozen=True)
class TableSummary:
    """A wipe table's row count and last change (aware UTC) for the current tenant."""

    key: str
    label: Any
    count: int
    last_change: dt.datetime | None  # UTC; max updated_at (or created_at) of the rows
    description: Any = ""


@dataclass(frozen=True)
class WipeResult:
    """What a wipe did: the backup's file name and rows removed per model label."""

    backup_name: str  # file name under backup_dir(tenant); "" when nothing was removed
    removed: dict[str, int]  # model label → rows removed (cascades included)


def _last_change(model: type[models.Model]) -> dt.datetime | None:
    names = {field.name for field in model._meta.get_fields()}
    for field in ("updated_at", "created_at"):
        if field in names:
            return model.objects.aggregate(last=Max(field))["last"]  # type: ignore[attr-defined]
    return None


def table_overview() -> list[TableSummary]:
    """Per wipe table of the current tenant: the row count and the last change (UTC)."""
    return [
        TableSummary(table.key, table.label, table.model.objects.count(),  # type: ignore[attr-defined]
                     _last_change(table.model), table.description)
        for table in WIPE_TABLES
    ]


def table_names(keys: Collection[str]) -> list[str]:
    """The English msgids of the tables' plural names in the manual's order ("item groups",
    "installations", …): a log entry's parameter, translated when it is shown, never the keys."""
    with translation.override("en"):
        return [str(table.model._meta.verbose_name_plural) for table in WIPE_TABLES if table.key in keys]


def company_changed(integration: Integration) -> bool:
    """The connected company is not the one the data in Werkbon came from."""
    return bool(integration.data_company_number and integration.company_number
                and integration.company_number != integration.data_company_number)


def tables_to_wipe_for_company(integration: Integration) -> list[TableSummary]:
    """The tables of :data:`COMPANY_DATA_KEYS` that still hold rows while another company
    than the data's is connected: they must be wiped before going on. Empty otherwise."""
    if not company_changed(integration):
        return []
    with tenant_context(integration.tenant):
        return [table for table in table_overview() if table.key in COMPANY_DATA_KEYS and table.count]


def backup_dir(tenant: Tenant) -> Path:
    """Directory of the tenant's wipe backups: ``MEDIA_ROOT/backups/<tenant pk>``."""
    return Path(django_settings.MEDIA_ROOT) / "backups" / str(tenant.pk)


def backup_path(tenant: Tenant, name: str) -> Path | None:
    """The file of backup ``name`` of ``tenant``, or None for a bad or unknown name."""
    if not _BACKUP_NAME.match(name or ""):
        return None
    path = backup_dir(tenant) / name
    return path if path.is_file() else None


def list_backups(tenant: Tenant) -> list[str]:
    """Backup file names of ``tenant``, newest first."""
    folder = backup_dir(tenant)
    if not folder.is_dir():
        return []
    return sorted((p.name for p in folder.iterdir() if _BACKUP_NAME.match(p.name)), reverse=True)


# Deleting in this order means a PROTECT reference from a wiped table never blocks
# (a work order's material lines protect their item; the work order goes first).
_DELETE_ORDER = ("work_orders", "objects", "contact_persons", "work_addresses", "customers",
                 "items", "item_groups")


def _removed_rows(collector: Collector) -> list[models.Model]:
    rows: list[models.Model] = []
    for queryset in collector.fast_deletes:
        rows.extend(queryset)
    for instances in collector.data.values():
        rows.extend(instances)
    return rows


def _links_of(tenant: Tenant, rows: Iterable[models.Model]) -> list[ExternalLink]:
    ids: dict[str, set[int]] = {}
    for row in rows:
        for local_type, model in _LINKED_MODELS.items():
            if type(row) is model:
                ids.setdefault(local_type, set()).add(row.pk)
    if not ids:
        return []
    query = models.Q(pk__in=[])
    for local_type, pks in ids.items():
        query |= models.Q(local_type=local_type, local_id__in=pks)
    return list(ExternalLink.all_tenants.filter(query, tenant=tenant))


def _protected_message(error: ProtectedError | RestrictedError) -> str:
    objects = error.protected_objects if isinstance(error, ProtectedError) else error.restricted_objects
    blocking = sorted({str(obj._meta.verbose_name_plural) for obj in objects})
    return str(_("These rows are still used by %(blocking)s that are not wiped; tick those too.")
               % {"blocking": ", ".join(blocking)})


def _wipe_stage(tenant: Tenant, table: WipeTable) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Delete one table's rows (with their cascades and links); returns them serialized."""
    rows = list(table.model.all_tenants.filter(tenant=tenant))  # type: ignore[attr-defined]
    if not rows:
        return [], {}
    collector = Collector(using=router.db_for_write(table.model), origin=None)
    try:
        collector.collect(rows)
    except (ProtectedError, RestrictedError) as error:
        raise ActivationError(_protected_message(error)) from None
    removed_rows = _removed_rows(collector)
    links = _links_of(tenant, removed_rows)
    counts: dict[str, int] = {}
    for row in [*removed_rows, *links]:
        counts[row._meta.label] = counts.get(row._meta.label, 0) + 1
    # Serialized before the delete: the collector clears the instances' primary keys.
    serialized = serializers.serialize("python", [*removed_rows, *links])
    ExternalLink.all_tenants.filter(pk__in=[link.pk for link in links]).delete()
    collector.delete()
    return serialized, counts


def wipe(tenant: Tenant, tables: Collection[str], *, integration: Integration | None = None,
         user: User | None = None) -> WipeResult:
    """Remove the chosen tables of ``tenant`` in one transaction, with a JSON backup.

    ``tables`` are keys of :data:`WIPE_TABLES`. The backup (Django's "python" serializer
    shape as JSON, in ``backup_dir(tenant)``) holds exactly the rows removed: cascaded
    rows (time entries, material lines, forms, work addresses, …) and the integration's
    links to them included. It is written before the transaction commits, so no row is
    gone without it; if anything fails nothing is removed and the file is deleted again.
    The work-order numbering and ExportRecord rows stay (their work-order reference
    becomes empty), so a work order is never exported twice.

    Raises ActivationError for an unknown table or rows still used by a table that is
    not wiped (e.g. customers of work orders that stay).
    """
    unknown = set(tables) - set(WIPE_KEYS)
    if unknown:
        raise ActivationError(_("Unknown table: %(tables)s") % {"tables": ", ".join(sorted(unknown))})
    by_key = {table.key: table for table in WIPE_TABLES}
    path: Path | None = None
    try:
        with tenant_context(tenant), transaction.atomic():
            objects: list[dict[str, Any]] = []
            removed: dict[str, int] = {}
            for key in _DELETE_ORDER:
                if key in tables:
                    serialized, counts = _wipe_stage(tenant, by_key[key])
                    objects += serialized
                    for label, count in counts.items():
                        removed[label] = removed.get(label, 0) + count
            if not objects:
                return WipeResult("", {})
            now = timezone.now()
            # Local time (Europe/Amsterdam) in the name: the one the user saw on screen.
            name = f"wipe-{timezone.localtime(now):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}.json"
            document = {
                "format": BACKUP_FORMAT,
                "tenant": tenant.slug,
                "created_at": now.isoformat(),
                "tables": sorted(tables),
                "counts": removed,
                "objects": objects,
            }
            folder = backup_dir(tenant)
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_text(json.dumps(document, cls=DjangoJSONEncoder, indent=1), encoding="utf-8")
            if integration is not None:
                log(integration, LogLevel.INFO, LogTable.INTEGRATION,
                    gettext_noop("Local data wiped before activation: %(tables)s. Backup: %(backup)s."),
                    params={"tables": table_names(tables), "backup": name}, translate=("tables",),
                    detail=json.dumps(removed), object_ref=getattr(user, "username", ""))
    except BaseException:
        if path is not None:
            path.unlink(missing_ok=True)
        raise
    return WipeResult(name, removed)


# --- step 2: connect ---------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectedCompany:
    """The Visma.net company a token is bound to: name, company number and tenant id."""

    name: str
    number: str
    tenant_id: str


def integration_for(tenant: Tenant) -> Integration:
    """The tenant's Visma.net integration row (created INACTIVE on first use)."""
    integration, _created = Integration.all_tenants.get_or_create(
        tenant=tenant, kind=IntegrationKind.VISMANET)
    return integration


def is_first_activation(integration: Integration) -> bool:
    """True until the integration was ever active: then every table is wiped (manual 4.3)."""
    return integration.started_at is None


def connect_client(integration: Integration) -> VismaNetClient:
    """A client asking for :data:`CONNECT_SCOPES`, storing tokens in the Credential row."""
    return client_for(integration, scopes=CONNECT_SCOPES)


def start_connect(integration: Integration, redirect_uri: str) -> AuthorizationRequest:
    """The authorize request (``url``, ``state``, ``code_verifier``); keep the last two
    server-side and send the user to ``url``. Calls nothing."""
    with connect_client(integration) as client:
        return client.authorization_request(redirect_uri=redirect_uri)


def read_company(client: VismaNetClient, *, tenant_id: str = "") -> ConnectedCompany:
    """The company the client's token is bound to: the organisation's name, and its
    number from the company list when that legacy list answers (else the org code).
    ``tenant_id`` is the company's Visma.net tenant id the token names
    (``TokenRecord.company_tenant_id``, the ``tenant_id`` claim Visma Connect puts in the
    token; reference §2.2/§2.6): the ``TenantId`` webhook notifications carry.

    Raises VismaNetError when the organisation cannot be read.
    """
    organizations = client.companies.organizations()
    if not organizations:
        raise ActivationError(_("Visma.net returned no company for this connection."))
    organization = organizations[0]
    name = organization.name or organization.organization_cd or ""
    number = organization.organization_cd or ""
    try:
        companies = client.companies.list()
    except VismaNetError:
        companies = []  # legacy endpoint; the organisation code is then the best we have
    same_name = [c for c in companies if (c.name or "").strip().lower() == name.strip().lower()]
    if len(same_name) == 1 and same_name[0].id is not None:
        number = str(same_name[0].id)
    return ConnectedCompany(name=name, number=number, tenant_id=tenant_id)


def finish_connect(integration: Integration, *, code: str, redirect_uri: str,
                   code_verifier: str) -> ConnectedCompany:
    """Exchange the code (tokens stored encrypted), read the bound company and store its
    name, number and tenant id (the token's, what webhooks name the company by) on the
    integration.

    Raises vismanet errors (``ReconnectRequired`` for a spent or wrong code) and
    ActivationError when no company comes back.
    """
    with connect_client(integration) as client:
        token = client.exchange_code(code=code, redirect_uri=redirect_uri, code_verifier=code_verifier)
        company = read_company(client, tenant_id=token.company_tenant_id)
    integration.company_name = company.name[:255]
    integration.company_number = company.number[:100]
    integration.company_tenant_id = company.tenant_id[:100]
    integration.save(update_fields=["company_name", "company_number", "company_tenant_id", "updated_at"])
    with tenant_context(integration.tenant):
        log(integration, LogLevel.INFO, LogTable.INTEGRATION,
            gettext_noop("Connected to Visma.net company %(company)s."),
            params={"company": integration.company_label})
    return company


def is_connected(integration: Integration) -> bool:
    """Tokens are stored and a company came back for them."""
    return bool(integration.pk and integration.company_name) and \
        CredentialTokenStore(integration).load("api") is not None


# --- step 3: settings and activation -------------------------------------------------------


def settings_of(integration: Integration) -> VismaNetSettings | None:
    """The saved settings, or None when none (valid) are saved yet."""
    if not integration.settings:
        return None
    try:
        return VismaNetSettings.model_validate(integration.settings)
    except ValueError:
        return None


def activate(integration: Integration, new_settings: VismaNetSettings, *, user: User | None,
             terms_accepted: bool, start_import: bool = True) -> Integration:
    """Make the integration ACTIVE with ``new_settings`` (already checked by the caller,
    see ``checks.run_all``) and start the first import in the background after commit.

    Resets the first-import progress and the per-table sync state, so the import reads
    every table again from the start. Raises ActivationError when the terms are not
    accepted or no company is connected.
    """
    if not terms_accepted:
        raise ActivationError(_("Accept the terms of use to activate the integration."))
    if not is_connected(integration):
        raise ActivationError(_("Connect to Visma.net first."))
    if tables_to_wipe_for_company(integration):
        raise ActivationError(_("Another company is connected than the one the customers and items "
                                "in Werkbon came from; wipe them first."))
    now = timezone.now()
    with tenant_context(integration.tenant), transaction.atomic():
        integration.status = IntegrationStatus.ACTIVE
        integration.data_company_number = integration.company_number
        integration.started_at = now
        integration.ended_at = None
        integration.settings = new_settings.model_dump(mode="json")
        integration.settings_saved_at = now
        integration.terms_accepted_at = now
        integration.terms_accepted_by = user
        integration.sync_interval_seconds = new_settings.sync_interval_seconds
        integration.import_phase = ""
        integration.progress_done = 0
        integration.progress_total = 0
        integration.first_import_finished_at = None
        integration.next_sync_at = None
        integration.next_cleanup_at = None
        integration.paused_until = None
        integration.save()
        SyncState.all_tenants.filter(integration=integration).delete()
        log(integration, LogLevel.INFO, LogTable.INTEGRATION,
            gettext_noop("Integration activated by %(user)s; the first import starts in the background."),
            params={"user": getattr(user, "username", "-")})
        if start_import:
            from werkbon.integrations import tasks

            pk = integration.pk
            transaction.on_commit(lambda: tasks.sync_first_import.delay(pk))
    return integration


def describe_changes(old: VismaNetSettings | None, new: VismaNetSettings) -> list[str]:
    """``field: old → new`` for every setting that differs."""
    before = old.model_dump(mode="json") if old else {}
    after = new.model_dump(mode="json")
    return [f"{key}: {before.get(key)!r} → {value!r}" for key, value in after.items()
            if before.get(key) != value]


def save_settings(integration: Integration, new_settings: VismaNetSettings, *,
                  user: User | None) -> list[str]:
    """Save changed settings of an active integration; they apply from now on, never
    retroactively (the export reads them when it builds a document). Logs one info
    entry listing the changes; returns them (empty: nothing changed, nothing logged)."""
    changes = describe_changes(settings_of(integration), new_settings)
    if not changes:
        return []
    integration.settings = new_settings.model_dump(mode="json")
    integration.settings_saved_at = timezone.now()
    integration.sync_interval_seconds = new_settings.sync_interval_seconds
    integration.save(update_fields=["settings", "settings_saved_at", "sync_interval_seconds", "updated_at"])
    with tenant_context(integration.tenant):
        log(integration, LogLevel.INFO, LogTable.SETTINGS,
            gettext_noop("Settings changed by %(user)s: %(changes)s"),
            params={"user": getattr(user, "username", "-"), "changes": "; ".join(changes)})
    return changes


# --- deactivation and cleanup ----------------------------------------------------------------


def deactivate(integration: Integration, *, user: User | None) -> Integration:
    """INACTIVE from now: queued jobs do nothing any more (they check ``is_active``), the
    scheduler enqueues nothing, the tokens are dropped. Export records stay."""
    with tenant_context(integration.tenant), transaction.atomic():
        integration.status = IntegrationStatus.INACTIVE
        integration.ended_at = timezone.now()
        integration.next_sync_at = None
        integration.next_cleanup_at = None
        integration.save(update_fields=["status", "ended_at", "next_sync_at", "next_cleanup_at", "updated_at"])
        CredentialTokenStore(integration).clear()
        log(integration, LogLevel.INFO, LogTable.INTEGRATION,
            gettext_noop("Integration deactivated by %(user)s: import and export have stopped."),
            action=gettext_noop("Activate the integration again to resume import and export."),
            params={"user": getattr(user, "username", "-")})
    return integration


def request_cleanup(integration: Integration, *, user: User | None) -> None:
    """Enqueue a cleanup now (status page, "Nu opschonen"). Raises ActivationError when
    the integration is not active."""
    if not integration.is_active:
        raise ActivationError(_("The integration is not active."))
    from werkbon.integrations import tasks

    with tenant_context(integration.tenant):
        log(integration, LogLevel.INFO, LogTable.INTEGRATION,
            gettext_noop("Cleanup requested by %(user)s."), params={"user": getattr(user, "username", "-")})
    pk = integration.pk
    transaction.on_commit(lambda: tasks.sync_cleanup.delay(pk))
