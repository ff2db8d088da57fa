from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from werkbon.accounts.models import Tenant, User


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "city", "created_at")
    search_fields = ("name", "slug")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "first_name", "last_name", "tenant", "role", "is_staff")
    list_filter = ("tenant", "role", "is_staff")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Werkbon", {"fields": ("tenant", "role", "default_warehouse")}),
    )


class TenantScopedAdmin(admin.ModelAdmin):
    """Admin for support staff: sees every tenant's rows, with the tenant shown and filterable.

    The default manager of tenant-scoped models refuses to run without a tenant context, so
    the admin reads through ``all_tenants`` on purpose.
    """

    list_filter: tuple = ("tenant",)

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        qs = self.model.all_tenants.get_queryset()
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs
