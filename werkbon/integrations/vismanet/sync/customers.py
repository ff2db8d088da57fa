"""Customers ← Visma.net customers: fetch (delta) → map → upsert by number, with their
main/invoice/delivery addresses as work addresses and their contacts as contact persons.

* The main address is the customer address and the first work address (key ``main``).
* A filled invoice and delivery address each become a work address (``invoice``,
  ``delivery``) unless identical to one the customer already has.
* An address that is emptied (or becomes identical to another) in Visma.net is removed,
  or deactivated when a work order uses it.
* Contact persons follow Visma.net: they are replaced when the contacts change there
  (they are read-only in Werkbon while the integration is active; nothing refers to them).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from operator import attrgetter
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from vismanet import Customer as VismaCustomer
from vismanet import CustomerStatus
from werkbon.integrations.models import LogLevel, LogTable, SyncTable
from werkbon.integrations.vismanet.mapping.inbound import (
    DELIVERY,
    INVOICE,
    MAIN,
    ContactValues,
    StatusNote,
    address_identity,
    customer_contacts,
    customer_fields,
    customer_status,
    customer_work_addresses,
)
from werkbon.integrations.vismanet.sync import rows as lean
from werkbon.integrations.vismanet.sync.agreed import warn_address_changed
from werkbon.integrations.vismanet.sync.pipeline import Changes, ListSource, Run
from werkbon.integrations.vismanet.sync.removal import (
    Outcome,
    note_inactive_in_use,
    retire_work_address,
)
from werkbon.integrations.vismanet.sync.rows import insert_rows
from werkbon.workorders.models import ActiveStatus, ContactPerson, Customer, WorkAddress

FIELDS = ["name", "status", "on_hold", "address_line1", "address_line2", "postal_code", "city", "country", "email", "phone"]
ADDRESS_FIELDS = ["name", "street", "house_number", "postal_code", "city", "country"]
CUSTOMER_KEYS = (MAIN, INVOICE, DELIVERY)
# The lean first-import path (rows.py): the columns each new row carries, in this order.
CUSTOMER_ROW = ["number", *FIELDS]
ADDRESS_ROW = ["customer", "external_key", *ADDRESS_FIELDS]
CONTACT_ROW = ["customer", "name", "email", "phone", "function"]
MSG_ON_HOLD = gettext_noop("Customer %(number)s is on hold in Visma.net: work orders for it cannot be "
                           "sent until it is released")
ACT_ON_HOLD = gettext_noop("Release the customer in Visma.net before archiving its work orders.")
ROLE_LABELS = {
    MAIN: gettext_noop("Main contact"),
    INVOICE: gettext_noop("Invoice contact"),
    DELIVERY: gettext_noop("Delivery contact"),
}


def address_note(changes: Changes, verb: str, address: WorkAddress, number: str) -> None:
    """A log note about a work address of customer ``number`` (verb: added/updated/…)."""
    messages = {
        "added": gettext_noop("Work address %(address)s of customer %(number)s added to Werkbon"),
        "updated": gettext_noop("Work address %(address)s of customer %(number)s updated in Werkbon"),
        Outcome.DELETED: gettext_noop("Work address %(address)s of customer %(number)s removed from Werkbon"),
        Outcome.DEACTIVATED_OPEN: gettext_noop(
            "Work address %(address)s of customer %(number)s is gone in Visma.net but used by work orders: "
            "deactivated instead of removed"),
        Outcome.DEACTIVATED_ARCHIVED: gettext_noop(
            "Work address %(address)s of customer %(number)s deactivated (kept for archived work orders)"),
    }
    if verb not in messages:
        return
    if verb == "added":
        changes.added += 1
    elif verb == "updated":
        changes.updated += 1
    elif verb == Outcome.DELETED:
        changes.removed += 1
    else:
        changes.deactivated += 1
    level = LogLevel.WARNING if verb == Outcome.DEACTIVATED_OPEN else LogLevel.INFO
    changes.note(level, LogTable.WORK_ADDRESS, messages[verb], {"address": address.one_line(), "number": number},
                 number)


def active_identities(addresses: list[WorkAddress]) -> set[tuple[str, str, str, str]]:
    """The identities of the active ones of ``addresses`` (to add no identical duplicate)."""
    return {address_identity(_values(a)) for a in addresses if a.is_active}


def update_address(changes: Changes, address: WorkAddress, fields: dict[str, Any], number: str,
                   now: dt.datetime) -> bool:
    """Bring an existing work address in line with ``fields`` and make it active again; noted
    as updated. False when nothing changed (then it needs no saving)."""
    diff = {n: fields[n] for n in ADDRESS_FIELDS if getattr(address, n) != fields[n]}
    if not diff and address.is_active:
        return False
    if diff:  # open work orders keep the agreed address: a warning each (archived: nothing)
        warn_address_changed(changes, address, fields, number)
    for name, value in diff.items():
        setattr(address, name, value)
    address.is_active = True
    address.updated_at = now
    address_note(changes, "updated", address, number)
    return True


def save_addresses(changes: Changes, new: list[tuple[WorkAddress, str]], changed: list[WorkAddress]) -> None:
    """Store new (each noted as added, with its customer number) and changed work addresses."""
    WorkAddress.objects.bulk_create([a for a, _n in new], batch_size=500)
    for address, number in new:
        address_note(changes, "added", address, number)
    WorkAddress.objects.bulk_update(changed, [*ADDRESS_FIELDS, "is_active", "updated_at"], batch_size=500)


class Customers:
    """Customers table of the pipeline: customers with their work addresses and contact persons."""

    name = SyncTable.CUSTOMERS.value
    log_table = LogTable.CUSTOMER.value
    incremental = True

    def source(self) -> ListSource:
        """Paged ListSource over GET /v1/customer (customer.list)."""
        return ListSource(attrgetter("customers.list"))

    def store(self, run: Run, records: list[VismaCustomer]) -> Changes:
        """Upsert one page of customers by number, with their main/invoice/delivery work addresses
        and contact persons; returns the counts and log notes. The first import skips inactive ones.
        """
        changes = Changes()
        tenant_id = run.integration.tenant_id
        by_number = {fields["number"]: (record, fields) for record in records
                     if (fields := customer_fields(record))["number"]}
        if run.first_import and lean.ENABLED and not Customer.objects.filter(number__in=list(by_number)).exists():
            return self._insert_new(run, by_number)
        existing = {c.number: c for c in Customer.objects.filter(number__in=list(by_number))}
        if run.first_import:
            # An inactive customer is not brought in at all (one summary line), instead of
            # being imported and then "removed" by the cleanup with a line each.
            inactive = [number for number, (record, _fields) in by_number.items()
                        if record.status == CustomerStatus.INACTIVE and number not in existing]
            for number in inactive:
                del by_number[number]
            changes.skipped_inactive += len(inactive)
        new, changed = [], []
        now = timezone.now()
        for number, (record, fields) in by_number.items():
            customer = existing.get(number)
            if customer is None:
                customer = Customer(tenant_id=tenant_id, **fields)
                new.append(customer)
                existing[number] = customer
                changes.added += 1
                changes.note(LogLevel.INFO, self.log_table, gettext_noop("Customer %(number)s added to Werkbon"),
                             {"number": number}, number)
            else:
                diff = {name: fields[name] for name in FIELDS if getattr(customer, name) != fields[name]}
                if not diff:
                    continue
                for name, value in diff.items():
                    setattr(customer, name, value)
                customer.updated_at = now
                changed.append(customer)
                changes.updated += 1
                changes.note(LogLevel.INFO, self.log_table, gettext_noop("Customer %(number)s updated in Werkbon"),
                             {"number": number}, number)
                if diff.get("status") == ActiveStatus.INACTIVE:
                    note_inactive_in_use(changes, customer)
            if customer_status(record.status)[1] == StatusNote.ON_HOLD:
                changes.note(LogLevel.WARNING, self.log_table, MSG_ON_HOLD, {"number": number}, number,
                             action=ACT_ON_HOLD)
        Customer.objects.bulk_create(new, batch_size=500)
        Customer.objects.bulk_update(changed, [*FIELDS, "updated_at"], batch_size=500)
        # Addresses and contacts of every customer on the page: a new delivery address
        # does not change the customer row itself.
        customers = {number: existing[number] for number in by_number}
        self._store_addresses(run, by_number, customers, changes)
        self._store_contacts(run, by_number, customers)
        return changes

    def _insert_new(self, run: Run, by_number: dict[str, Any]) -> Changes:
        """The first import's page of customers none of which Werkbon has yet: the same rows
        the general path would store (customers, their work addresses and contact persons;
        inactive ones left out, on-hold ones with a warning), as plain INSERTs (rows.py).
        The added-notes are not made: the first import logs one summary per table."""
        changes = Changes()
        now = timezone.now()
        constants = {"tenant": run.integration.tenant_id}
        rows = []
        for number, (record, fields) in list(by_number.items()):
            if record.status == CustomerStatus.INACTIVE:
                del by_number[number]
                changes.skipped_inactive += 1
                continue
            rows.append(tuple(fields[name] for name in CUSTOMER_ROW))
            if customer_status(record.status)[1] == StatusNote.ON_HOLD:
                changes.note(LogLevel.WARNING, self.log_table, MSG_ON_HOLD, {"number": number}, number,
                             action=ACT_ON_HOLD)
        changes.added += insert_rows(Customer, CUSTOMER_ROW, rows, constants, now)
        ids = dict(Customer.objects.filter(number__in=list(by_number)).values_list("number", "pk"))
        addresses, contacts = [], []
        functions = {role: gettext(label)[:100] for role, label in ROLE_LABELS.items()}
        for number, (record, _fields) in by_number.items():
            pk = ids[number]
            # A new customer has no address yet: every one of the record's (already without
            # identical ones) is added, as the general path does.
            addresses.extend((pk, key, *(fields[name] for name in ADDRESS_FIELDS))
                             for key, fields in customer_work_addresses(record))
            contacts.extend((pk, c.name, c.email, c.phone, functions[c.role]) for c in customer_contacts(record))
        changes.added += insert_rows(WorkAddress, ADDRESS_ROW, addresses, constants, now)
        insert_rows(ContactPerson, CONTACT_ROW, contacts, constants, now)
        return changes

    @staticmethod
    def _store_addresses(run: Run, by_number: dict[str, Any], customers: dict[str, Customer],
                         changes: Changes) -> None:
        ids = [c.pk for c in customers.values()]
        addresses: dict[int, list[WorkAddress]] = defaultdict(list)
        for address in WorkAddress.objects.filter(customer_id__in=ids):
            addresses[address.customer_id].append(address)
        new: list[tuple[WorkAddress, str]] = []
        changed: list[WorkAddress] = []
        now = timezone.now()
        for number, (record, _fields) in by_number.items():
            customer = customers[number]
            own = addresses[customer.pk]
            by_key = {a.external_key: a for a in own if a.external_key in CUSTOMER_KEYS}
            wanted = dict(customer_work_addresses(record))
            for key, fields in wanted.items():
                address = by_key.get(key)
                if address is None:
                    if address_identity(fields) in active_identities(own):
                        continue  # identical to an address the customer already has
                    address = WorkAddress(tenant_id=run.integration.tenant_id, customer=customer,
                                          external_key=key, **fields)
                    own.append(address)
                    new.append((address, number))
                    continue
                if update_address(changes, address, fields, number, now):
                    changed.append(address)
            for key, address in by_key.items():
                if key not in wanted:  # emptied in Visma.net, or now identical to another
                    address_note(changes, retire_work_address(address), address, number)
        save_addresses(changes, new, changed)

    @staticmethod
    def _store_contacts(run: Run, by_number: dict[str, Any], customers: dict[str, Customer]) -> None:
        ids = [c.pk for c in customers.values()]
        current: dict[int, list[tuple[str, str, str, str]]] = defaultdict(list)
        for contact in ContactPerson.objects.filter(customer_id__in=ids).order_by("id"):
            current[contact.customer_id].append((contact.name, contact.email, contact.phone, contact.function))
        replace, new = [], []
        for number, (record, _fields) in by_number.items():
            customer = customers[number]
            wanted = [_contact(customer, values, run.integration.tenant_id) for values in customer_contacts(record)]
            if [(c.name, c.email, c.phone, c.function) for c in wanted] != current[customer.pk]:
                replace.append(customer.pk)
                new.extend(wanted)
        if replace:
            ContactPerson.objects.filter(customer_id__in=replace).delete()
            ContactPerson.objects.bulk_create(new, batch_size=500)

    def summary(self) -> tuple[str, dict[str, Any]]:
        """Message id and parameters of the first import's summary line (customers in Werkbon)."""
        return gettext_noop("First import: %(count)s customers in Werkbon."), {"count": Customer.objects.count()}


def _values(address: WorkAddress) -> dict[str, Any]:
    return {name: getattr(address, name) for name in ADDRESS_FIELDS}


def _contact(customer: Customer, values: ContactValues, tenant_id: int) -> ContactPerson:
    # The role is stored in the language of the installation (it is data, like a name).
    return ContactPerson(tenant_id=tenant_id, customer=customer, name=values.name, email=values.email,
                         phone=values.phone, function=gettext(ROLE_LABELS[values.role])[:100])


TABLE = Customers()
