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
from django.utils.translation import gettext_lazy

from werkbon.accounts.models import Tenant, User
from werkbon.accounts.permissions import office_required

COMPANY_SETTINGS_FIELDS = [
    "name", "address", "postal_code", "city", "email", "phone",
    "technicians_see_prices",
    "planning_day_start", "planning_day_end",
    "customer_mail_enabled", "customer_mail_sender_name", "customer_mail_text",
    "signature_required",
    "technicians_create_work_orders",
]


# The page's sections, each a title and its fields (in page order); a field of
# COMPANY_SETTINGS_FIELDS in no section is shown under "Other".
COMPANY_SETTINGS_SECTIONS: list[tuple[str, list[str]]] = [
    (gettext_lazy("Company details"), ["name", "address", "postal_code", "city", "email", "phone"]),
    (gettext_lazy("Planning"), ["planning_day_start", "planning_day_end"]),
    (gettext_lazy("Technicians"), ["technicians_see_prices", "signature_required",
                                   "technicians_create_work_orders"]),
    (gettext_lazy("E-mail to the customer"), ["customer_mail_enabled", "customer_mail_sender_name",
                                              "customer_mail_text"]),
]


class CompanySettingsForm(forms.ModelForm):
    # The template writes the labels and marks required fields itself (no "Naam:").
    label_suffix = ""

    class Meta:
        model = Tenant
        fields = COMPANY_SETTINGS_FIELDS

    def sections(self) -> list[dict[str, object]]:
        """The bound fields per section, ``{"title": …, "fields": [...]}``, in page order."""
        placed: set[str] = set()
        result: list[dict[str, object]] = []
        for title, names in [*COMPANY_SETTINGS_SECTIONS, (gettext_lazy("Other"), list(self.fields))]:
            fields = [self[n] for n in names if n in self.fields and n not in placed]
            placed.update(f.name for f in fields)
            if fields:
                result.append({"title": title, "fields": fields})
        return result


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
