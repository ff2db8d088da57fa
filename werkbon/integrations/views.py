"""Adapter-neutral screens: the integrations page and the log (manual 4.1, 8).

Office only, tenant-scoped through the default managers. The log shows every entry with
time, table, message, action to take, kind (info white/blue, warning yellow, error red)
and company, newest first, 50 per page, filterable by kind and table; messages are
translated when shown. An error entry about an export has a Retry button.
"""

from __future__ import annotations

import importlib
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from werkbon.accounts.permissions import office_required
from werkbon.integrations import registry
from werkbon.integrations.background import background_problem
from werkbon.integrations.models import (
    EXPORT_RETRYABLE_STATES,
    Integration,
    LogEntry,
    LogLevel,
    LogTable,
)

LOG_PAGE_SIZE = 50
# An export in one of these states can be sent again from the log.
RETRYABLE_STATES = set(EXPORT_RETRYABLE_STATES)  # not deleted in Visma.net: a person chooses there


@office_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Every known integration with its status and a link to its screens."""
    integrations = {i.kind: i for i in Integration.objects.all()}
    rows = []
    for adapter in registry.all_adapters():
        try:
            url = reverse(f"integrations:{adapter.kind}_status")
        except NoReverseMatch:
            url = ""
        rows.append({"adapter": adapter, "integration": integrations.get(adapter.kind), "url": url})
    active = next((i for i in integrations.values() if i.is_active), None)
    return render(request, "integrations/index.html", {"rows": rows, "background_problem": _problem(active)})


def _problem(integration: Integration | None) -> str:
    """The background-processing warning, only while an integration is active (nothing
    runs in the background for an inactive one, so a stopped worker harms nothing yet)."""
    if integration is None or not integration.is_active:
        return ""
    try:
        return background_problem(integration)
    except Exception:  # diagnostics only: never break the page
        return ""


def _entry_retryable(entry: LogEntry) -> bool:
    return bool(entry.retryable and entry.export is not None and entry.export.status in RETRYABLE_STATES)


@office_required
@require_GET
def log_list(request: HttpRequest) -> HttpResponse:
    """The log, newest first; ``?level=info|warning|error`` and ``?table=…`` filter it
    (unknown values are ignored), ``?page=`` pages it."""
    level = request.GET.get("level", "")
    table = request.GET.get("table", "")
    entries = LogEntry.objects.select_related("export").order_by("-created_at", "-id")
    filters: dict[str, str] = {}
    if level in LogLevel.values:
        entries = entries.filter(level=level)
        filters["level"] = level
    if table in LogTable.values:
        entries = entries.filter(table=table)
        filters["table"] = table
    page = Paginator(entries, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page:
        # Offered only on a failed export; a queued or sending one is on its way.
        entry.can_retry = _entry_retryable(entry) and entry.export.offers_retry  # type: ignore[attr-defined,union-attr]
    active = Integration.objects.filter(status="active").first()
    return render(request, "integrations/log.html", {
        "background_problem": _problem(active),
        "page": page, "query": urlencode(filters), "level": filters.get("level", ""),
        "table": filters.get("table", ""), "levels": LogLevel.choices, "tables": LogTable.choices,
    })


@office_required
@require_POST
def log_retry(request: HttpRequest) -> HttpResponse:
    """Send a failed export again (POST ``entry``: the log entry's id)."""
    entry_id = request.POST.get("entry", "")
    entry = LogEntry.objects.select_related("export").filter(pk=entry_id).first() \
        if entry_id.isdigit() else None
    if entry is None or entry.export is None:
        raise Http404(_("This log entry does not exist."))
    back = request.POST.get("next", "")
    target = back if back.startswith(reverse("integrations:log")) else reverse("integrations:log")
    if not _entry_retryable(entry):
        messages.warning(request, _("This export cannot be sent again: it is not in a failed state."))
        return redirect(target)
    record = entry.export
    try:
        module = importlib.import_module(f"werkbon.integrations.{record.kind}.export")
        retry = module.retry
    except (ImportError, AttributeError):
        messages.error(request, _("Retrying is not available for this integration."))
        return redirect(target)
    retry(record)
    messages.success(request, _("Work order %(number)s is queued to be sent again.")
                     % {"number": record.work_order_number})
    return redirect(target)
