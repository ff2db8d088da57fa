from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from werkbon.accounts.models import ApiToken, Tenant, User


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "city", "technicians_see_prices", "created_at")
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


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ("user", "name", "revoked_at")

    def clean_user(self) -> User:
        user = self.cleaned_data["user"]
        if user.tenant_id is None:
            raise forms.ValidationError(_("API tokens are for users of a company account."))
        return user


@admin.register(ApiToken)
class ApiTokenAdmin(TenantScopedAdmin):
    """Support staff issue and revoke API tokens; the key is shown once, after saving."""

    form = ApiTokenForm
    list_display = ("name", "prefix", "user", "tenant", "created_at", "last_used_at", "revoked_at")
    list_filter = ("tenant", "revoked_at")
    search_fields = ("name", "prefix", "user__username")
    readonly_fields = ("prefix", "created_at", "last_used_at")
    actions = ("revoke",)

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        key = None if change else obj.assign_new_key()
        super().save_model(request, obj, form, change)
        if key:
            messages.warning(
                request,
                _("The key of API token %(name)s is %(key)s. Copy it now: it is not shown again.")
                % {"name": obj.name, "key": key},
            )

    @admin.action(description=_("Revoke the selected API tokens"))
    def revoke(self, request, queryset):  # type: ignore[no-untyped-def]
        for token in queryset:
            token.revoke()
