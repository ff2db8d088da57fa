"""Records of the work-order app (manual chapters 2 and 3).

Customers, work addresses and items may be filled from an accounting system: their
``number`` is that system's key (the Visma.net customer number or inventory number).
This module does not know which system; integrations keep their own link tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from werkbon.accounts.tenancy import TenantScopedModel
from werkbon.workorders import limits


class ActiveStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")


class Customer(TenantScopedModel):
    """A customer (debtor). ``number`` is the accounting system's customer number."""

    number = models.CharField(_("number"), max_length=30)
    name = models.CharField(_("name"), max_length=255)
    status = models.CharField(
        _("status"), max_length=10, choices=ActiveStatus.choices, default=ActiveStatus.ACTIVE
    )
    # The main address ("klantadres"); it is also the customer's first work address.
    address_line1 = models.CharField(_("address"), max_length=255, blank=True)
    address_line2 = models.CharField(_("address line 2"), max_length=255, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, default="NL")
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    # On hold in the accounting system (Visma.net "OnHold"): work can go on, but a document
    # for the customer is refused there until it is released; the archive confirmation warns.
    on_hold = models.BooleanField(_("on hold in the accounting system"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="customer_number_per_tenant")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def is_active(self) -> bool:
        return self.status == ActiveStatus.ACTIVE


class ContactPerson(TenantScopedModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=255)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    function = models.CharField(_("function"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkAddress(TenantScopedModel):
    """Where the work is done; always linked to exactly one customer (manual 3.3).

    ``external_key`` identifies an address that came from an accounting system (for
    example ``main``, ``invoice``, ``delivery`` or ``location:<id>``); it is empty for
    addresses added in Werkbon.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="work_addresses")
    name = models.CharField(_("name"), max_length=255, blank=True)
    street = models.CharField(_("street"), max_length=255)
    house_number = models.CharField(_("house number"), max_length=20, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, default="NL")
    external_key = models.CharField(max_length=100, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("work address")
        verbose_name_plural = _("work addresses")
        ordering = ["customer__name", "street", "house_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "external_key"],
                condition=~models.Q(external_key=""),
                name="work_address_external_key_per_customer",
            )
        ]

    def __str__(self) -> str:
        return self.one_line()

    def one_line(self) -> str:
        street = f"{self.street} {self.house_number}".strip()
        place = f"{self.postal_code} {self.city}".strip()
        return ", ".join(part for part in (street, place) if part)


@dataclass(frozen=True)
class AddressCopy:
    """A work order's own copy of its work address (what was agreed; issue 9): the fields of
    :class:`WorkAddress`, kept when the accounting system changes the shared address."""

    name: str = ""
    street: str = ""
    house_number: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = ""

    @classmethod
    def of(cls, address: WorkAddress | None) -> AddressCopy | None:
        if address is None:
            return None
        return cls(**{name: getattr(address, name) or "" for name in ADDRESS_FIELDS})

    def one_line(self) -> str:
        """``Kerkstraat 12a, 7901 AA Hoogeveen`` (as :meth:`WorkAddress.one_line`)."""
        street = f"{self.street} {self.house_number}".strip()
        place = f"{self.postal_code} {self.city}".strip()
        return ", ".join(part for part in (street, place) if part)

    def with_name(self) -> str:
        """The name (if any) and the one line, e.g. ``Werf, Werfstraat 1, 9711 AA Groningen``."""
        return ", ".join(part for part in (self.name, self.one_line()) if part)

    def __str__(self) -> str:
        return self.one_line()


# WorkAddress field → the work order's copy of it.
ADDRESS_FIELDS = ("name", "street", "house_number", "postal_code", "city", "country")
ADDRESS_COPY_FIELDS = tuple(f"address_{name}" for name in ADDRESS_FIELDS)


class InstalledObject(TenantScopedModel):
    """An installation at a work address, such as a boiler ("object", manual 4.3).

    Kept by the office on the work address's screen (the accounting system has none).
    ``work_orders`` are the work orders done on it (``WorkOrder.installations``): only
    work orders of the same work address and tenant, set through
    :func:`werkbon.workorders.services.set_installations`. An installation named on a work
    order is deactivated (``is_active``), never deleted. Text lengths and the year's window
    are in :mod:`werkbon.workorders.limits`.
    """

    work_address = models.ForeignKey(WorkAddress, on_delete=models.CASCADE, related_name="installed_objects",
                                     verbose_name=_("work address"))
    name = models.CharField(_("name"), max_length=limits.MAX_INSTALLATION_NAME_LENGTH)
    brand = models.CharField(_("brand"), max_length=limits.MAX_INSTALLATION_FIELD_LENGTH, blank=True)
    model = models.CharField(_("type"), max_length=limits.MAX_INSTALLATION_FIELD_LENGTH, blank=True)
    serial_number = models.CharField(_("serial number"), max_length=limits.MAX_INSTALLATION_FIELD_LENGTH,
                                     blank=True)
    year_installed = models.PositiveSmallIntegerField(
        _("year installed"), null=True, blank=True,
        validators=[MinValueValidator(limits.MIN_INSTALLATION_YEAR),
                    MaxValueValidator(limits.max_installation_year)],
    )
    notes = models.TextField(_("notes"), blank=True, max_length=limits.MAX_INSTALLATION_NOTES_LENGTH)
    is_active = models.BooleanField(_("active"), default=True)
    work_orders = models.ManyToManyField(
        "WorkOrder", blank=True, related_name="installations", verbose_name=_("work orders"),
    )
    created_at = models.DateTimeField(auto_now_add=True, null=True)
    updated_at = models.DateTimeField(auto_now=True, null=True)

    class Meta:
        verbose_name = _("installation")
        verbose_name_plural = _("installations")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def one_line(self) -> str:
        """``CV-ketel · Remeha Calenta Ace 28c · RM-10001`` (name, brand and type, serial)."""
        kind = f"{self.brand} {self.model}".strip()
        return " · ".join(part for part in (self.name, kind, self.serial_number) if part)


class ItemGroup(TenantScopedModel):
    code = models.CharField(_("code"), max_length=30)
    description = models.CharField(_("description"), max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("item group")
        verbose_name_plural = _("item groups")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="item_group_code_per_tenant")
        ]

    def __str__(self) -> str:
        return self.description or self.code


class ItemType(models.TextChoices):
    NON_STOCK = "non_stock", _("Non-stock item")
    STOCK = "stock", _("Stock item")


class Item(TenantScopedModel):
    """An item (article). ``number`` is the accounting system's inventory number."""

    number = models.CharField(_("number"), max_length=30)
    description = models.CharField(_("description"), max_length=255)
    unit = models.CharField(_("unit"), max_length=10, blank=True)
    sales_price = models.DecimalField(
        _("sales price (EUR)"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    item_type = models.CharField(
        _("type"), max_length=10, choices=ItemType.choices, default=ItemType.NON_STOCK
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ActiveStatus.choices, default=ActiveStatus.ACTIVE
    )
    group = models.ForeignKey(
        ItemGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="items",
        verbose_name=_("item group"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="item_number_per_tenant")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.description}"

    @property
    def is_active(self) -> bool:
        return self.status == ActiveStatus.ACTIVE


class WorkOrderStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PLANNED = "planned", _("Planned")
    COMPLETED = "completed", _("Completed")  # "gereed gemeld"
    ARCHIVED = "archived", _("Archived")


class WorkOrderSequence(models.Model):
    """The next work-order number of a tenant; incremented under a row lock."""

    tenant = models.OneToOneField("accounts.Tenant", on_delete=models.CASCADE, primary_key=True)
    next_number = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.tenant_id}: {self.next_number}"


class WorkOrder(TenantScopedModel):
    """A work order ("werkbon"): open → planned → completed → archived.

    Times are stored in UTC and shown in Europe/Amsterdam. Lifecycle changes go through
    :mod:`werkbon.workorders.services`, which enforces the rules.
    """

    number = models.PositiveIntegerField(_("number"), editable=False)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="work_orders",
        verbose_name=_("customer"),
    )
    work_address = models.ForeignKey(
        WorkAddress, on_delete=models.PROTECT, null=True, blank=True, related_name="work_orders",
        verbose_name=_("work address"),
    )
    # The work order's own copy of its work address: copied when the work address is chosen,
    # kept when the accounting system changes the shared address (the office takes a new one
    # with one click: history.take_new_address). See ``address``.
    address_name = models.CharField(max_length=255, blank=True, editable=False)
    address_street = models.CharField(max_length=255, blank=True, editable=False)
    address_house_number = models.CharField(max_length=20, blank=True, editable=False)
    address_postal_code = models.CharField(max_length=20, blank=True, editable=False)
    address_city = models.CharField(max_length=100, blank=True, editable=False)
    address_country = models.CharField(max_length=2, blank=True, editable=False)
    # The customer as it was when the work order was archived (history.store_at_archive).
    archived_customer_number = models.CharField(max_length=30, blank=True, editable=False)
    archived_customer_name = models.CharField(max_length=255, blank=True, editable=False)
    description = models.TextField(_("work description"), blank=True,  # "werkzaamheden"
                                   max_length=limits.MAX_DESCRIPTION_LENGTH)
    customer_reference = models.CharField(_("customer reference"), blank=True,
                                          max_length=limits.MAX_REFERENCE_LENGTH)
    status = models.CharField(
        _("status"), max_length=10, choices=WorkOrderStatus.choices, default=WorkOrderStatus.OPEN
    )
    technicians = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="planned_work_orders",
        verbose_name=_("technicians"),
    )
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_minutes = models.PositiveIntegerField(_("planned duration (minutes)"), default=60)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True, editable=False)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", editable=False,
    )
    signed_by_name = models.CharField(_("signed off by"), blank=True,
                                      max_length=limits.MAX_SIGNED_BY_LENGTH)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True, editable=False)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", editable=False,
    )
    # Who made the work order: an office user, or a technician on site (workorder.create_on_site);
    # empty for orders made before this was kept and for imported ones.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", editable=False, verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Moves on by one with every save: a form or API client that read an older version is
    # stale and is refused instead of overwriting (``is_stale``).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="work_order_number_per_tenant")
        ]
        indexes = [models.Index(fields=["tenant", "status"]), models.Index(fields=["planned_start"])]

    def __str__(self) -> str:
        return f"{_('Work order')} {self.number}"

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> WorkOrder:
        instance = super().from_db(db, field_names, values)
        instance._copied_address_id = instance.__dict__.get("work_address_id")
        return instance

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save. A work address chosen since the row was read is copied into the work
        order's own copy (``address``) first; an existing row's ``version`` moves on by one
        (in the database, so two saves never share a version; also with ``update_fields``)."""
        if self.work_address_id != getattr(self, "_copied_address_id", None):
            copy = AddressCopy.of(self.work_address) or AddressCopy()
            for name in ADDRESS_FIELDS:
                setattr(self, f"address_{name}", getattr(copy, name))
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], *ADDRESS_COPY_FIELDS}
        if not self._state.adding and not kwargs.get("force_insert"):
            self.version = models.F("version") + 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
            super().save(*args, **kwargs)
            self.version = type(self).all_tenants.filter(pk=self.pk).values_list("version", flat=True).get()
        else:
            super().save(*args, **kwargs)
        self._copied_address_id = self.work_address_id

    @property
    def address(self) -> AddressCopy | None:
        """The work address as agreed on this work order (its own copy), or None."""
        copy = AddressCopy(**{name: getattr(self, f"address_{name}") for name in ADDRESS_FIELDS})
        if copy == AddressCopy():
            return AddressCopy.of(self.work_address) if self.work_address_id else None
        return copy

    @property
    def display_customer_name(self) -> str:
        """The customer's name; for an archived work order as it was when archived."""
        if self.archived_customer_number:
            return self.archived_customer_name
        return self.customer.name if self.customer else ""

    @property
    def display_customer_number(self) -> str:
        """The customer's number; for an archived work order as it was when archived."""
        if self.archived_customer_number:
            return self.archived_customer_number
        return self.customer.number if self.customer else ""

    def is_stale(self, version: object) -> bool:
        """Whether ``version`` (from a form field or an API client: int or digit string) is
        not the current one, i.e. the order changed since it was read."""
        return str(version).strip().strip('"') != str(self.version)

    @property
    def is_archived(self) -> bool:
        return self.status == WorkOrderStatus.ARCHIVED

    @property
    def can_archive(self) -> bool:
        return self.status == WorkOrderStatus.COMPLETED

    @property
    def made_on_site(self) -> bool:
        """Made by a technician on site (``workorder.create_on_site``), not by the office."""
        return self.created_by is not None and self.created_by.is_technician


class TimeKind(models.TextChoices):
    WORK = "work", _("Work time")
    TRAVEL = "travel", _("Travel time")


class TimeEntry(TenantScopedModel):
    """Time registered by a technician on a work order, in whole minutes."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="time_entries")
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_entries",
        verbose_name=_("technician"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=TimeKind.choices, default=TimeKind.WORK)
    minutes = models.PositiveIntegerField(_("minutes"), validators=[MinValueValidator(1)])
    date = models.DateField(_("date"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.minutes} min"


class MaterialLine(TenantScopedModel):
    """An item used on a work order: ``quantity`` in ``unit``, the unit it was registered in.

    ``item_number``, ``description`` and ``unit`` are the item's as registered (copied when the
    item is chosen); a change of the item in the accounting system does not reach them until
    the office takes the new values (history.take_new_item_values).
    """

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="material_lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="material_lines",
                             verbose_name=_("item"))
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=3, validators=[MinValueValidator(Decimal("0"))]
    )
    note = models.CharField(_("note"), max_length=limits.MAX_NOTE_LENGTH, blank=True)
    item_number = models.CharField(_("item number"), max_length=30, blank=True, editable=False)
    description = models.CharField(_("description"), max_length=255, blank=True, editable=False)
    unit = models.CharField(_("unit"), max_length=10, blank=True, editable=False)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("material line")
        verbose_name_plural = _("material lines")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} {self.unit} × {self.item_number}".replace("  ", " ")

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> MaterialLine:
        instance = super().from_db(db, field_names, values)
        instance._copied_item_id = instance.__dict__.get("item_id")
        return instance

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Saves; an item chosen since the row was read gives the line its number,
        description and unit first (the unit the quantity is registered in). A new line keeps
        a unit or description it was given (e.g. the unit of the order line it came from)."""
        if self.item_id != getattr(self, "_copied_item_id", None) or not self.item_number:
            new = self._state.adding
            self.item_number = self.item.number
            self.description = self.description if new and self.description else self.item.description
            self.unit = self.unit if new and self.unit else self.item.unit
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "item_number", "description", "unit"}
        super().save(*args, **kwargs)
        self._copied_item_id = self.item_id


class ArchivedPdf(TenantScopedModel):
    """A PDF of an archived work order, rendered and stored when it was archived (issue 9):
    the download and the export use these bytes, whatever changes later. ``kind``:
    ``work_order`` or ``forms``; ``sha256`` of ``content`` (hex)."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="archived_pdfs")
    kind = models.CharField(max_length=20)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("archived PDF")
        verbose_name_plural = _("archived PDFs")
        constraints = [
            models.UniqueConstraint(fields=["work_order", "kind"], name="one_archived_pdf_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.work_order_id} {self.kind}"


class QuestionKind(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    YES_NO = "yes_no", _("Yes/no")
    CHOICE = "choice", _("Choice")
    PHOTO = "photo", _("Photo")


class FormTemplate(TenantScopedModel):
    """A custom form ("eigen formulier") a tenant defines."""

    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("form template")
        verbose_name_plural = _("form templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FormQuestion(TenantScopedModel):
    template = models.ForeignKey(FormTemplate, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(_("position"), default=0)
    label = models.CharField(_("question"), max_length=300)
    kind = models.CharField(_("kind"), max_length=10, choices=QuestionKind.choices,
                            default=QuestionKind.TEXT)
    choices = models.TextField(_("choices (one per line)"), blank=True,
                               max_length=limits.MAX_CHOICES_LENGTH)
    required = models.BooleanField(_("required"), default=False)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class FilledForm(TenantScopedModel):
    """A form template filled in on a work order."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="forms")
    template = models.ForeignKey(FormTemplate, on_delete=models.PROTECT, related_name="+")
    filled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    filled_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("filled-in form")
        verbose_name_plural = _("filled-in forms")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.template.name


class FormAnswer(TenantScopedModel):
    form = models.ForeignKey(FilledForm, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(FormQuestion, on_delete=models.PROTECT, related_name="+")
    value = models.TextField(_("answer"), blank=True, max_length=limits.MAX_ANSWER_LENGTH)
    photo = models.FileField(_("photo"), upload_to="form-photos/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["question__position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["form", "question"], name="one_answer_per_question")
        ]

    def __str__(self) -> str:
        return self.value


class Signature(TenantScopedModel):
    """The customer's signature on a work order (issue 11), drawn on the phone at completion.

    ``image`` is a PNG made by Werkbon (``photos.prepare_signature``: grey on white, at most
    1200 × 600 pixels), never the bytes the phone sent; ``sha256`` (hex) is of ``image``.
    ``signed_at`` is UTC (shown in Europe/Amsterdam). One per work order: signing again
    before completion replaces it. Written only by ``attachments.capture_signature``.
    """

    work_order = models.OneToOneField(WorkOrder, on_delete=models.CASCADE, related_name="signature")
    signer_name = models.CharField(_("name of the signer"), max_length=limits.MAX_SIGNER_NAME_LENGTH)
    image = models.BinaryField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    signed_at = models.DateTimeField(_("signed at"), editable=False)
    captured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")

    def __str__(self) -> str:
        return self.signer_name


class WorkOrderPhoto(TenantScopedModel):
    """A photo taken or picked on the work order itself (issue 11), with a caption.

    ``image`` is stored under a random name as ``photos.prepare_photo`` re-encoded it (JPEG,
    PNG or GIF; WebP becomes JPEG or PNG), ``sha256`` (hex) of those bytes. Added and deleted
    only by ``attachments.add_photo`` / ``delete_photo``; an archived order's photos never
    change.
    """

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("photo"), upload_to="work-order-photos/%Y/%m/", editable=False)
    caption = models.CharField(_("caption"), max_length=limits.MAX_CAPTION_LENGTH, blank=True)
    sha256 = models.CharField(max_length=64, editable=False)
    size = models.PositiveIntegerField(editable=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        editable=False,
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("work-order photo")
        verbose_name_plural = _("work-order photos")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.caption or self.image.name


class AppliedAction(TenantScopedModel):
    """An action applied once for a client-supplied id (:mod:`werkbon.workorders.actions`).

    ``client_id`` is the UUID the screen's form or the API client (the offline queue) made for
    one intended action; a second apply with it returns ``result`` (a small JSON object, such
    as ``{"id": 12}`` of the created row) without doing anything. Unique per tenant, so two
    concurrent applies of one id cannot both insert."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    client_id = models.UUIDField()
    action = models.CharField(max_length=50)
    work_order = models.ForeignKey(WorkOrder, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("applied action")
        verbose_name_plural = _("applied actions")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "client_id"], name="one_applied_action_per_client_id")
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.client_id}"
