"""Items and item groups (manual 3.1); read-only while an integration manages them."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Case, IntegerField, Q, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from werkbon.accounts.permissions import office_required, tenant_member_required
from werkbon.workorders.external import managing_system
from werkbon.workorders.forms import ItemForm, ItemGroupForm, small_id
from werkbon.workorders.limits import MAX_SEARCH_LENGTH
from werkbon.workorders.models import Item, ItemGroup
from werkbon.workorders.views.common import paginate, query_without_page
from werkbon.workorders.views.customers import refuse_if_managed

SEARCH_LIMIT = 30


def _search(items, q: str):  # type: ignore[no-untyped-def]
    q = q[:MAX_SEARCH_LENGTH]
    if q:
        items = items.filter(Q(number__icontains=q) | Q(description__icontains=q))
    return items


@office_required
@require_GET
def item_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    items = _search(Item.objects.select_related("group"), q)
    group = request.GET.get("group", "")
    if small_id(group):
        items = items.filter(group_id=int(group))
    elif group.isdigit():  # beyond any row's id (limits.MAX_ID): no such group
        items = items.none()
    return render(request, "workorders/item_list.html", {
        "page": paginate(request, items), "q": q, "group": group,
        "groups": ItemGroup.objects.all(), "query": query_without_page(request),
        "managed_by": managing_system(request.tenant),  # type: ignore[attr-defined]
    })


@tenant_member_required
@require_GET
def item_options(request: HttpRequest) -> HttpResponse:
    """``<option>``s of active items matching ``q`` (htmx item search on the material form),
    at most :data:`SEARCH_LIMIT`: the item whose number is ``q`` first, then those whose
    number starts with it, then the rest by number. The material select starts with the
    first items only, so the search is the way to any other: an item numbered "200" must not
    be cut off by 30 numbers such as "120000" that contain it and sort before it."""
    q = request.GET.get("q", "").strip()
    items = _search(Item.objects.filter(status="active"), q)
    if q:
        text = q[:MAX_SEARCH_LENGTH]
        items = items.annotate(rank=Case(When(number__iexact=text, then=Value(0)),
                                         When(number__istartswith=text, then=Value(1)),
                                         default=Value(2), output_field=IntegerField()))
        items = items.order_by("rank", "number")
    items = items[:SEARCH_LIMIT]
    return render(request, "workorders/_item_options.html", {"items": items})


@office_required
def item_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    item = get_object_or_404(Item, pk=pk) if pk is not None else None
    if refuse_if_managed(request, _("Items")):
        return redirect("workorders:item_list")
    form = ItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, _("Item %(number)s saved.") % {"number": saved.number})
        return redirect("workorders:item_list")
    return render(request, "workorders/simple_form.html", {
        "form": form, "title": _("Edit item") if item else _("New item"),
        "cancel": "workorders:item_list",
    })


@office_required
def item_groups(request: HttpRequest) -> HttpResponse:
    managed_by = managing_system(request.tenant)  # type: ignore[attr-defined]
    form = ItemGroupForm(request.POST or None)
    if request.method == "POST":
        if refuse_if_managed(request, _("Item groups")):
            return redirect("workorders:item_groups")
        if form.is_valid():
            form.save()
            messages.success(request, _("Item group saved."))
            return redirect("workorders:item_groups")
    return render(request, "workorders/item_groups.html", {
        "groups": ItemGroup.objects.all(), "form": form, "managed_by": managed_by,
    })
