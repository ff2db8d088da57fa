"""Django admin for support staff: every tenant's work-order records, filterable per tenant.

Support users usually have no tenant, so nothing here may touch a tenant-scoped default
manager: list queries read ``all_tenants`` (``TenantScopedAdmin``) and relations are
shown read-only. Rows cannot be added here (a new row would have no tenant), the
lifecycle fields are read-only (status changes go through the services so their rules and
signals are not bypassed), and an archived work order cannot be changed at all.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError

from werkbon.accounts.admin import TenantScopedAdmin
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders.models import (
    AppliedAction,
    ContactPerson,
    Customer,
    FilledForm,
    FormAnswer,
    FormQuestion,
    FormTemplate,
    InstalledObject,
    Item,
    ItemGroup,
    MaterialLine,
    TimeEntry,
    WorkAddress,
    WorkOrder,
)


def relation_fields(model) -> list[str]:  # type: ignore[no-untyped-def]
    """Editable foreign keys and many-to-many fields of ``model``.

    They are shown read-only: Django's choice and raw-id widgets read the related model's
    default manager, which refuses to run without a tenant (and a support user has none),
    and moving a row to another tenant's customer must not be possible.
    """
    return [f.name for f in model._meta.get_fields()
            if f.concrete and f.editable and (f.many_to_one or f.many_to_many)]


class SupportAdmin(TenantScopedAdmin):
    """Opens a row inside its own tenant's context: inline formsets and model forms query
    the tenant-scoped default managers, which need a tenant (support users have none)."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        with tenant_context(self._tenant_of(object_id)):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()  # render now, while the tenant is set
        return response

    def delete_view(self, request, object_id, extra_context=None):  # type: ignore[no-untyped-def]
        with tenant_context(self._tenant_of(object_id)):
            response = super().delete_view(request, object_id, extra_context)
            if hasattr(response, "render"):
                response.render()
        return response

    def _tenant_of(self, object_id):  # type: ignore[no-untyped-def]
        if object_id is None:
            return None
        try:
            row = self.model.all_tenants.select_related("tenant").filter(
                pk=unquote(object_id)).first()
        except (ValueError, ValidationError):
            return None
        return row.tenant if row is not None else None

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return (*super().get_readonly_fields(request, obj), *relation_fields(self.model))

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


class SupportInline(admin.TabularInline):
    extra = 0
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return (*super().get_readonly_fields(request, obj), *relation_fields(self.model))

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return self.model.all_tenants.all()

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


class ContactInline(SupportInline):
    model = ContactPerson
    fields = ("name", "function", "email", "phone")


class WorkAddressInline(SupportInline):
    model = WorkAddress
    fields = ("name", "street", "house_number", "postal_code", "city", "country", "is_active")


@admin.register(Customer)
class CustomerAdmin(SupportAdmin):
    list_display = ("number", "name", "city", "status", "tenant")
    list_filter = ("tenant", "status")
    search_fields = ("number", "name", "city")
    inlines = [ContactInline, WorkAddressInline]


@admin.register(ContactPerson)
class ContactPersonAdmin(SupportAdmin):
    list_display = ("name", "customer", "email", "phone", "tenant")
    search_fields = ("name", "email", "customer__name")


class InstalledObjectInline(SupportInline):
    model = InstalledObject
    fields = ("name", "brand", "model", "serial_number", "installed_on")


@admin.register(WorkAddress)
class WorkAddressAdmin(SupportAdmin):
    list_display = ("__str__", "name", "customer", "external_key", "is_active", "tenant")
    list_filter = ("tenant", "is_active")
    search_fields = ("street", "city", "postal_code", "customer__name", "customer__number")
    readonly_fields = ("external_key",)
    inlines = [InstalledObjectInline]


@admin.register(InstalledObject)
class InstalledObjectAdmin(SupportAdmin):
    list_display = ("name", "brand", "model", "serial_number", "work_address", "tenant")
    search_fields = ("name", "brand", "serial_number")


@admin.register(ItemGroup)
class ItemGroupAdmin(SupportAdmin):
    list_display = ("code", "description", "tenant")
    search_fields = ("code", "description")


@admin.register(Item)
class ItemAdmin(SupportAdmin):
    list_display = ("number", "description", "unit", "sales_price", "item_type", "status", "tenant")
    list_filter = ("tenant", "item_type", "status")
    search_fields = ("number", "description")


class TimeEntryInline(SupportInline):
    model = TimeEntry
    fields = ("date", "technician", "kind", "minutes")


class MaterialLineInline(SupportInline):
    model = MaterialLine
    fields = ("item", "quantity", "note")


@admin.register(WorkOrder)
class WorkOrderAdmin(SupportAdmin):
    list_display = ("number", "customer", "status", "planned_start", "tenant")
    list_filter = ("tenant", "status")
    search_fields = ("=number", "customer__name", "customer__number", "customer_reference",
                     "description")
    readonly_fields = ("number", "status", "completed_at", "completed_by", "signed_by_name",
                       "archived_at", "archived_by", "created_at", "updated_at")
    inlines = [TimeEntryInline, MaterialLineInline]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        # An archived order is read-only everywhere, the admin included.
        if obj is not None and obj.is_archived:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        if obj is not None and obj.is_archived:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(TimeEntry)
class TimeEntryAdmin(SupportAdmin):
    list_display = ("work_order", "date", "technician", "kind", "minutes", "tenant")
    list_filter = ("tenant", "kind")


@admin.register(MaterialLine)
class MaterialLineAdmin(SupportAdmin):
    list_display = ("work_order", "item", "quantity", "note", "tenant")


class FormQuestionInline(SupportInline):
    model = FormQuestion
    fields = ("position", "label", "kind", "choices", "required")


@admin.register(FormTemplate)
class FormTemplateAdmin(SupportAdmin):
    list_display = ("name", "is_active", "tenant")
    inlines = [FormQuestionInline]


@admin.register(FormQuestion)
class FormQuestionAdmin(SupportAdmin):
    list_display = ("label", "kind", "template", "position", "tenant")


class FormAnswerInline(SupportInline):
    model = FormAnswer
    fields = ("question", "value", "photo")


@admin.register(FilledForm)
class FilledFormAdmin(SupportAdmin):
    list_display = ("template", "work_order", "filled_by", "filled_at", "tenant")
    inlines = [FormAnswerInline]


@admin.register(FormAnswer)
class FormAnswerAdmin(SupportAdmin):
    list_display = ("question", "value", "form", "tenant")


@admin.register(AppliedAction)
class AppliedActionAdmin(SupportAdmin):
    """Read-only: which actions were applied for which client id (support looks, never edits)."""

    list_display = ("created_at", "action", "client_id", "user", "work_order", "tenant")
    list_filter = ("tenant", "action")
    search_fields = ("client_id",)
    readonly_fields = ("client_id", "action", "result", "created_at")

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
