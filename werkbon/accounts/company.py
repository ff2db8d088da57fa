"""The company settings page ("Bedrijfsinstellingen"): the tenant's own details and the
choices that change how technicians and the office work (office only).

Each feature adds its tenant fields to :data:`COMPANY_SETTINGS_FIELDS`, in the order they
appear on the page; the field's own label, help text and validators are what the page shows
and checks, so the model is the one place for a setting's bounds.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from werkbon.accounts.models import Tenant, User
from werkbon.accounts.permissions import office_required

COMPANY_SETTINGS_FIELDS = [
    "name", "address", "postal_code", "city", "email", "phone",
    "technicians_see_prices",
    "technicians_create_work_orders",
]


class CompanySettingsForm(forms.ModelForm):
    class Meta:
        model = Tenant
        fields = COMPANY_SETTINGS_FIELDS


@office_required
def company_settings(request: HttpRequest) -> HttpResponse:
    """GET: the tenant's settings; POST: save them (office only; 403 for technicians)."""
    user: User = request.user  # type: ignore[assignment]
    tenant = Tenant.objects.get(pk=user.tenant_id)
    form = CompanySettingsForm(request.POST or None, instance=tenant)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The company settings are saved."))
        return redirect("accounts:company_settings")
    return render(request, "accounts/company_settings.html", {"form": form})
