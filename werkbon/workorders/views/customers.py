"""Customers, their contacts, work addresses and objects (manual 2.1, 3.2, 3.3).

While an integration manages customers (``managing_system``), customers are read-only
here; adding work addresses stays allowed, because the manual lets the office add as many
locations under a customer as it needs.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from werkbon.accounts.permissions import office_required
from werkbon.workorders.external import managing_system
from werkbon.workorders.forms import CustomerForm, WorkAddressForm
from werkbon.workorders.models import Customer
from werkbon.workorders.views.common import paginate, query_without_page


def refuse_if_managed(request: HttpRequest, what: str) -> str | None:
    """The managing system's name (after adding an error message) or None."""
    system = managing_system(getattr(request, "tenant", None))
    if system:
        messages.error(request, _("%(what)s are managed in %(system)s; change them there.") % {
            "what": what, "system": system})
    return system


@office_required
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    customers = Customer.objects.annotate(address_count=Count("work_addresses", distinct=True)).order_by(
        "name", "number")
    if q:
        customers = customers.filter(
            Q(name__icontains=q) | Q(number__icontains=q) | Q(city__icontains=q)
            | Q(work_addresses__street__icontains=q) | Q(work_addresses__city__icontains=q)
        ).distinct()
    return render(request, "workorders/customer_list.html", {
        "page": paginate(request, customers), "q": q, "query": query_without_page(request),
        "managed_by": managing_system(request.tenant),  # type: ignore[attr-defined]
    })


@office_required
@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    return render(request, "workorders/customer_detail.html", {
        "customer": customer,
        "contacts": customer.contacts.all(),
        "addresses": customer.work_addresses.prefetch_related("installed_objects"),
        "orders": customer.work_orders.order_by("-number")[:20],
        "address_form": WorkAddressForm(prefix="addr"),
        "managed_by": managing_system(request.tenant),  # type: ignore[attr-defined]
    })


@office_required
def customer_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create (``pk`` None) or edit a customer; refused while an integration manages them."""
    customer = get_object_or_404(Customer, pk=pk) if pk is not None else None
    if refuse_if_managed(request, _("Customers")):
        return redirect("workorders:customer_detail", pk=pk) if customer else redirect(
            "workorders:customer_list")
    form = CustomerForm(request.POST or None, instance=customer)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, _("Customer %(name)s saved.") % {"name": saved.name})
        return redirect("workorders:customer_detail", pk=saved.pk)
    return render(request, "workorders/simple_form.html", {
        "form": form,
        "title": _("Edit customer") if customer else _("New customer"),
        "cancel": "workorders:customer_list",
    })


@office_required
def work_address_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a work address to a customer (allowed even when customers are managed elsewhere)."""
    customer = get_object_or_404(Customer, pk=pk)
    form = WorkAddressForm(request.POST or None, prefix="addr")
    if request.method == "POST" and form.is_valid():
        address = form.save(commit=False)
        address.customer = customer
        address.save()
        messages.success(request, _("Work address %(address)s added.") % {
            "address": address.one_line()})
        return redirect("workorders:customer_detail", pk=customer.pk)
    return render(request, "workorders/simple_form.html", {
        "form": form, "title": _("New work address for %(name)s") % {"name": customer.name},
        "cancel": "workorders:customer_list",
    })
