"""Work addresses ← Visma.net customer locations: fetch (delta) → map → upsert by
(customer, ``location:<id>``).

* An ACTIVE location with an address becomes a work address of its customer, unless the
  customer already has an identical address (e.g. the ``MAIN`` location, which usually
  is the main address).
* An inactive location's work address is removed, or deactivated when a work order (or an
  installed object) uses it.
* Locations of business accounts that are not customers in Werkbon (suppliers, or a
  customer not imported) are skipped.
"""

from __future__ import annotations

from collections import defaultdict
from operator import attrgetter
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_noop

from vismanet import CustomerLocation
from werkbon.integrations.models import LogTable, SyncTable
from werkbon.integrations.vismanet.mapping.inbound import (
    address_identity,
    location_key,
    location_work_address,
)
from werkbon.integrations.vismanet.sync import rows as lean
from werkbon.integrations.vismanet.sync.customers import (
    ADDRESS_FIELDS,
    ADDRESS_ROW,
    active_identities,
    address_note,
    save_addresses,
    update_address,
)
from werkbon.integrations.vismanet.sync.pipeline import Changes, ListSource, Run
from werkbon.integrations.vismanet.sync.removal import retire_work_address
from werkbon.integrations.vismanet.sync.rows import insert_rows
from werkbon.workorders.models import Customer, WorkAddress


class Locations:
    """Work addresses table of the pipeline, from customer locations."""

    name = SyncTable.WORK_ADDRESSES.value
    log_table = LogTable.WORK_ADDRESS.value
    incremental = True

    def source(self) -> ListSource:
        """Paged ListSource over GET /v1/location (location.list)."""
        return ListSource(attrgetter("customer_locations.list"))

    def store(self, run: Run, records: list[CustomerLocation]) -> Changes:
        """Upsert one page of locations as work addresses of known customers; inactive locations
        are retired. Returns the counts and log notes.
        """
        changes = Changes()
        numbers = {r.baccount.number for r in records if r.baccount and r.baccount.number and r.location_id}
        if run.first_import and lean.ENABLED:
            inserted = self._insert_new(run, records, numbers)
            if inserted is not None:
                return inserted
        customers = {c.number: c for c in Customer.objects.filter(number__in=numbers)}
        addresses: dict[int, list[WorkAddress]] = defaultdict(list)
        for address in WorkAddress.objects.filter(customer__in=customers.values()):
            addresses[address.customer_id].append(address)
        new: list[tuple[WorkAddress, str]] = []
        changed: list[WorkAddress] = []
        now = timezone.now()
        for record in records:
            customer = customers.get(record.baccount.number if record.baccount else None)
            if customer is None or not record.location_id:
                continue
            own = addresses[customer.pk]
            key = location_key(record.location_id)
            address = next((a for a in own if a.external_key == key), None)
            fields = location_work_address(record) if record.active else None
            if fields is None:
                if address is not None:
                    own.remove(address)
                    address_note(changes, retire_work_address(address), address, customer.number)
                continue
            if address is None:
                if address_identity(fields) in active_identities(own):
                    continue  # no duplicate of an identical address
                address = WorkAddress(tenant_id=run.integration.tenant_id, customer=customer, external_key=key,
                                      **fields)
                own.append(address)
                new.append((address, customer.number))
                continue
            if update_address(changes, address, fields, customer.number, now) and address not in changed:
                changed.append(address)
        save_addresses(changes, new, changed)
        return changes

    @staticmethod
    def _insert_new(run: Run, records: list[CustomerLocation], numbers: set[str]) -> Changes | None:
        """The first import's page when none of its locations is a work address yet (else
        None: the general path). Reads the customers' addresses as plain values, adds each
        active location with an address that is not identical to an active address of its
        customer (nor to one added before it), as plain INSERTs (rows.py); no added-notes."""
        ids = dict(Customer.objects.filter(number__in=numbers).values_list("number", "pk"))
        keys: set[tuple[int, str]] = set()
        for record in records:
            pk = ids.get(record.baccount.number if record.baccount else None)
            if pk is not None and record.location_id:
                key = (pk, location_key(record.location_id))
                if key in keys:
                    return None  # one location twice on a page: the general path's order decides
                keys.add(key)
        identities: dict[int, set[tuple[str, str, str, str]]] = defaultdict(set)
        for pk, external_key, is_active, *values in WorkAddress.objects.filter(customer_id__in=ids.values()) \
                .values_list("customer_id", "external_key", "is_active", *ADDRESS_FIELDS):
            if (pk, external_key) in keys:
                return None  # already imported (a resumed page): update it the general way
            if is_active:
                identities[pk].add(address_identity(dict(zip(ADDRESS_FIELDS, values, strict=True))))
        rows = []
        for record in records:
            pk = ids.get(record.baccount.number if record.baccount else None)
            if pk is None or not record.location_id or not record.active:
                continue  # an inactive location has no work address to retire yet
            fields = location_work_address(record)
            if fields is None:
                continue
            identity = address_identity(fields)
            if identity in identities[pk]:
                continue  # no duplicate of an identical address
            identities[pk].add(identity)
            rows.append((pk, location_key(record.location_id), *(fields[name] for name in ADDRESS_FIELDS)))
        changes = Changes()
        changes.added += insert_rows(WorkAddress, ADDRESS_ROW, rows, {"tenant": run.integration.tenant_id},
                                     timezone.now())
        return changes

    def summary(self) -> tuple[str, dict[str, Any]]:
        """Message id and parameters of the first import's summary line (work addresses in Werkbon)."""
        return (gettext_noop("First import: %(count)s work addresses in Werkbon."),
                {"count": WorkAddress.objects.count()})


TABLE = Locations()
