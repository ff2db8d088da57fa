"""Screens of the Visma.net integration: the activation wizard, settings, status page
(manual 4–6, 9). Office only; every change is a POST. The business rules live in
``activation.py`` and ``checks.py``; these views only drive them.

Wizard progress (wiped, connected, the OAuth state and PKCE verifier) is kept in the
server-side session, per tenant, and cleared when the integration is activated.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

from django.conf import settings as django_settings
from django.contrib import messages
from django.db.models import Max
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vismanet import ItemStatus, VismaNetError, states_match
from werkbon.accounts.permissions import office_required
from werkbon.integrations import freshness
from werkbon.integrations.background import background_problem
from werkbon.integrations.log import log
from werkbon.integrations.models import (
    Integration,
    IntegrationKind,
    LogLevel,
    LogTable,
    SyncState,
    SyncTable,
)
from werkbon.integrations.vismanet import activation, checks
from werkbon.integrations.vismanet.client import client_for, record_quota
from werkbon.integrations.vismanet.forms import (
    APPLIES_WHEN,
    NOT_APPLYING_VALUE,
    SHORT_LABELS,
    SettingsForm,
)
from werkbon.workorders.models import Customer, Item, ItemGroup, WorkAddress

logger = logging.getLogger(__name__)

SESSION_KEY = "vismanet_wizard"
# How long a reload of a successful OAuth callback is recognised (browser reload, back button).
CALLBACK_REMEMBER_SECONDS = 300

# Status page rows: (label, local model, sync table) as in manual 5.13.
STATUS_TABLES = (
    (gettext_noop("Item group"), ItemGroup, SyncTable.ITEM_GROUPS),
    (gettext_noop("Item"), Item, SyncTable.ITEMS),
    (gettext_noop("Customer"), Customer, SyncTable.CUSTOMERS),
    (gettext_noop("Work address"), WorkAddress, SyncTable.WORK_ADDRESSES),
)


# --- helpers -------------------------------------------------------------------------------


def _integration(request: HttpRequest, *, create: bool = False) -> Integration:
    """The tenant's integration; an unsaved INACTIVE one when there is none and
    ``create`` is False (a GET never writes)."""
    tenant = request.user.tenant  # type: ignore[union-attr]
    if create:
        return activation.integration_for(tenant)
    found = Integration.objects.filter(kind=IntegrationKind.VISMANET).first()
    return found or Integration(tenant=tenant, kind=IntegrationKind.VISMANET)


def _wizard(request: HttpRequest) -> dict[str, Any]:
    state = request.session.get(SESSION_KEY) or {}
    if state.get("tenant") != request.user.tenant_id:  # type: ignore[union-attr]
        state = {"tenant": request.user.tenant_id}  # type: ignore[union-attr]
    return state


def _save_wizard(request: HttpRequest, state: dict[str, Any]) -> None:
    request.session[SESSION_KEY] = state
    request.session.modified = True


def _check_client(integration: Integration):  # type: ignore[no-untyped-def]
    # One attempt, short waits: the user is waiting for the answer on screen.
    from vismanet import RetryPolicy

    return client_for(integration, retry_policy=RetryPolicy(max_attempts=1),
                      timeout=min(15.0, float(django_settings.VISMANET_TIMEOUT_SECONDS)))


SUGGESTIONS_KEY = "vismanet_suggestions"
SUGGESTIONS_SECONDS = 300  # a few minutes: one fetch per page load, not per re-display


def _suggestions(request: HttpRequest, integration: Integration) -> dict[str, Any]:
    """Active non-stock items and active warehouses from Visma.net for the settings form,
    kept in the session for a few minutes (per company); on failure free text, not cached."""
    cached = request.session.get(SUGGESTIONS_KEY) or {}
    if cached.get("company") == integration.company_number and cached.get("tenant") == integration.tenant_id \
            and time.time() - float(cached.get("at") or 0) < SUGGESTIONS_SECONDS:
        return {"item_options": [tuple(i) for i in cached["items"]],
                "warehouse_options": [tuple(w) for w in cached["warehouses"]], "suggestion_error": ""}
    found = _fetch_suggestions(integration)
    if not found["suggestion_error"]:
        request.session[SUGGESTIONS_KEY] = {
            "company": integration.company_number, "tenant": integration.tenant_id, "at": time.time(),
            "items": found["item_options"], "warehouses": found["warehouse_options"]}
    return found


def _fetch_suggestions(integration: Integration) -> dict[str, Any]:
    items: list[tuple[str, str]] = []
    warehouses: list[tuple[str, str]] = []
    error = ""
    try:
        with _check_client(integration) as client:
            items = [(i.inventory_number or "", i.description or "")
                     for i in client.inventory.list(status=ItemStatus.ACTIVE.value)
                     if i.inventory_number and i.is_non_stock and i.status == ItemStatus.ACTIVE]
            warehouses = [(w.warehouse_id or "", w.description or "")
                          for w in client.warehouses.list() if w.warehouse_id and w.active is not False]
            record_quota(integration, client)
    except VismaNetError as problem:
        logger.info("suggestions from Visma.net failed: %s", problem)
        error = _("The item and warehouse lists could not be read from Visma.net; you can still type the codes.")
    return {"item_options": items, "warehouse_options": warehouses, "suggestion_error": error}


def _run_checks(integration: Integration, values: dict[str, Any]) -> dict[str, checks.CheckResult]:
    with _check_client(integration) as client:
        results = checks.run_all(client, values)
        record_quota(integration, client)
    return results


def _failed_checks(integration: Integration, form: SettingsForm) -> dict[str, checks.CheckResult]:
    """The checks on the posted values of a form that did not validate, so one failed save
    names everything to correct at once; the fields that do not apply count as empty."""
    values = {**form.data.dict(), **{name: NOT_APPLYING_VALUE[name] for name in form.not_applying()}}
    return _run_checks(integration, values)


def setting_ref(name: str) -> str:
    """A log entry's reference to a setting: the English msgid of its short label
    (``"Work-time item"``, shown translated in the log's Table column), never the internal key
    nor the whole question; the key when it has no label."""
    field = SettingsForm.base_fields.get(name)
    label = SHORT_LABELS.get(name) or (field.label if field is not None else None)
    if not label:
        return name
    with translation.override("en"):
        return str(label)[:100]


def _log_failed_checks(integration: Integration, results: dict[str, checks.CheckResult]) -> None:
    for name, result in results.items():
        if not result.ok:
            log(integration, LogLevel.WARNING, LogTable.SETTINGS, result.msgid, params=result.params,
                action=gettext_noop("Correct the setting and press Check again."), object_ref=setting_ref(name))


def _settings_form(request: HttpRequest, integration: Integration, data: Any = None, **kwargs: Any) -> SettingsForm:
    """The settings form with the warehouses of Visma.net as a pick list (when readable)."""
    suggestions = _suggestions(request, integration)
    form = SettingsForm(data, warehouses=suggestions["warehouse_options"], **kwargs)
    form.suggestions = suggestions  # type: ignore[attr-defined]
    return form


def _problems(form: SettingsForm, results: dict[str, checks.CheckResult]) -> list[dict[str, str]]:
    """What stopped a save, in the page's order: ``{"field", "label", "message"}`` per form
    error or failed check (``field`` is empty for an error of the whole form)."""
    problems = [{"field": "", "label": "", "message": str(message)} for message in form.non_field_errors()]
    # Short labels: some questions say their own error message word for word.
    labels = {name: str(SHORT_LABELS.get(name) or field.label) for name, field in form.fields.items()}
    labels["company"] = str(SHORT_LABELS["company"])
    for name in ("company", *form.fields):
        if form.is_bound:
            problems += [{"field": name, "label": labels[name], "message": str(message)}
                         for message in form.errors.get(name, [])]
        result = results.get(name)
        if result is not None and not result.ok and name not in form.errors:
            problems.append({"field": name, "label": labels[name], "message": result.message})
    return problems


def _settings_page(request: HttpRequest, integration: Integration, form: SettingsForm, *,
                   wizard: bool, results: dict[str, checks.CheckResult] | None = None) -> HttpResponse:
    problems = _problems(form, results or {})
    first = next((p["field"] for p in problems if p["field"]), "")
    if first in form.fields:  # focus moves to the first failing field, also without JavaScript
        form.fields[first].widget.attrs["autofocus"] = True
    for name, conditions in APPLIES_WHEN.items():
        if name in form.fields:  # read by the template (bound fields are cached per form)
            form[name].applies_when = ";".join(  # type: ignore[attr-defined]
                f"{question}={' '.join(answers)}" for question, answers in conditions)
    context = {
        "integration": integration, "form": form, "wizard": wizard, "results": results or {},
        "checked_fields": checks.CHECKED_FIELDS,
        "failed": [name for name, r in (results or {}).items() if not r.ok],
        "problems": problems, "first_problem": first,
        **(getattr(form, "suggestions", None) or _suggestions(request, integration)),
    }
    status = 400 if form.is_bound and (form.errors or context["failed"]) else 200
    return render(request, "integrations/vismanet/settings.html", context, status=status)


# --- the wizard ----------------------------------------------------------------------------


@office_required
@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """Manual 4.2: what the integration does and the three steps; "Start activatie"."""
    integration = _integration(request)
    if integration.is_active:
        return redirect("integrations:vismanet_status")
    return render(request, "integrations/vismanet/start.html", {
        "integration": integration, "wizard": _wizard(request),
        "first": activation.is_first_activation(integration),
    })


@office_required
@require_http_methods(["GET", "POST"])
def wipe(request: HttpRequest) -> HttpResponse:
    """Step 1: the tables with counts and last change; the first activation wipes all,
    a re-activation the ticked ones. A backup of what is removed is written first."""
    integration = _integration(request, create=request.method == "POST")
    if integration.is_active:
        return redirect("integrations:vismanet_status")
    first = activation.is_first_activation(integration)
    state = _wizard(request)
    errors: list[str] = []
    chosen: set[str] = set(activation.WIPE_KEYS) if first else set()
    tables = activation.table_overview()
    if request.method == "POST":
        chosen = set(activation.WIPE_KEYS) if first else \
            {key for key in request.POST.getlist("tables") if key in activation.WIPE_KEYS}
        # Nothing ticked, or only empty tables: there is nothing to erase, so nothing to confirm.
        if request.POST.get("confirm") != "1" and _rows_to_wipe(tables, chosen):
            errors.append(_("Tick that you understand that these data are wiped."))
        else:
            try:
                result = activation.wipe(request.user.tenant, chosen, integration=integration,  # type: ignore[union-attr]
                                         user=request.user)  # type: ignore[arg-type]
            except activation.ActivationError as error:
                errors.append(str(error))
            else:
                state.update(wiped=True, backup=result.backup_name, connected=False)
                _save_wizard(request, state)
                if result.backup_name:
                    messages.success(request, _("The data are wiped; a backup was made."))
                else:
                    messages.success(request, _("There was nothing to wipe; go on with step 2."))
                return redirect("integrations:vismanet_connect")
    return render(request, "integrations/vismanet/wipe.html", {
        "integration": integration, "first": first, "tables": tables, "chosen": chosen,
        "nothing_to_wipe": not _rows_to_wipe(tables, chosen),
        "errors": errors, "backups": activation.list_backups(request.user.tenant),  # type: ignore[union-attr]
    }, status=400 if errors else 200)


def _rows_to_wipe(tables: list[activation.TableSummary], chosen: set[str]) -> int:
    """How many rows the chosen tables hold (0: there is nothing to wipe)."""
    return sum(table.count for table in tables if table.key in chosen)


def _redirect_uri(request: HttpRequest) -> str:
    configured = django_settings.VISMANET_REDIRECT_URI
    return configured or request.build_absolute_uri(reverse("integrations:vismanet_callback"))


@office_required
@require_http_methods(["GET", "POST"])
def connect(request: HttpRequest) -> HttpResponse:
    """Step 2: "Koppel!" sends the user to Visma Connect to sign in and pick the company."""
    integration = _integration(request, create=request.method == "POST")
    if integration.is_active:
        return redirect("integrations:vismanet_status")
    state = _wizard(request)
    if not state.get("wiped"):
        messages.warning(request, _("Wipe the local data first (step 1)."))
        return redirect("integrations:vismanet_wipe")
    if request.method == "POST":
        redirect_uri = _redirect_uri(request)
        auth = activation.start_connect(integration, redirect_uri)
        state.update(oauth={"state": auth.state, "verifier": auth.code_verifier,
                            "redirect_uri": redirect_uri}, connected=False)
        _save_wizard(request, state)
        return redirect(auth.url)
    return render(request, "integrations/vismanet/connect.html", {
        "integration": integration, "backup": state.get("backup", "")})


@office_required
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """Visma Connect's redirect: check ``state``, exchange the code, read the company."""
    integration = _integration(request)
    state = _wizard(request)
    answered = request.GET.get("state") or ""
    pending = state.get("oauth")
    if not pending or not states_match(pending.get("state") or "", answered):
        # A reload of the callback after it succeeded: the connection is stored, so say so
        # and go on; the code is not exchanged again.
        done = state.get("callback_done") or {}
        if done.get("state") and states_match(done["state"], answered) \
                and time.time() - float(done.get("at") or 0) < CALLBACK_REMEMBER_SECONDS \
                and activation.is_connected(integration):
            messages.info(request, _("The connection with Visma.net was already made; check the company."))
            return redirect("integrations:vismanet_status" if integration.is_active
                            else "integrations:vismanet_confirm")
        # A stray or forged answer leaves a sign-in in progress untouched: its own answer
        # (allow or deny) must still be understood.
        return render(request, "integrations/vismanet/error.html", {
            "message": _("The answer from Visma.net does not belong to this sign-in (wrong or missing "
                         "state). Nothing was stored; start connecting again."),
        }, status=400)
    state.pop("oauth", None)
    _save_wizard(request, state)  # the state is single-use, whatever happens next
    if request.GET.get("error") or not request.GET.get("code"):
        messages.error(request, _("Visma.net did not grant access (%(error)s). Connect again and allow access.")
                       % {"error": request.GET.get("error") or _("no code")})
        return redirect("integrations:vismanet_connect")
    if integration.is_active:
        return redirect("integrations:vismanet_status")
    try:
        activation.finish_connect(integration, code=request.GET["code"], redirect_uri=pending["redirect_uri"],
                                  code_verifier=pending["verifier"])
    except (VismaNetError, activation.ActivationError) as error:
        log(integration, LogLevel.ERROR, LogTable.INTEGRATION,
            gettext_noop("Connecting to Visma.net failed."),
            action=gettext_noop("Connect again; if it keeps failing, contact support."), detail=str(error))
        messages.error(request, _("Connecting to Visma.net failed; try again."))
        return redirect("integrations:vismanet_connect")
    state["callback_done"] = {"state": answered, "at": time.time()}
    _save_wizard(request, state)
    return redirect("integrations:vismanet_confirm")


@office_required
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest) -> HttpResponse:
    """The company that came back: confirm it, or choose another (connect again)."""
    integration = _integration(request)
    if integration.is_active:
        return redirect("integrations:vismanet_status")
    state = _wizard(request)
    if not state.get("wiped") or not activation.is_connected(integration):
        return redirect("integrations:vismanet_start")
    must_wipe = activation.tables_to_wipe_for_company(integration)
    errors: list[str] = []
    ticked: set[str] = {table.key for table in must_wipe}
    if request.method == "POST":
        if must_wipe:
            ticked = {key for key in request.POST.getlist("tables") if key in activation.WIPE_KEYS}
            missing = [table for table in must_wipe if table.key not in ticked]
            if missing:
                errors.append(_(
                    "Not continued: this is another company than the one the data in Werkbon came from "
                    "(%(old)s). Its customers, items and addresses would mix with this company's, and work "
                    "orders could be sent to the wrong customer. Tick %(tables)s to wipe them, or choose the "
                    "other company again.") % {"old": integration.data_company_number,
                                               "tables": ", ".join(str(t.label) for t in missing)})
            elif request.POST.get("confirm") != "1":
                errors.append(_("Tick that you understand that these data are wiped."))
            else:
                try:
                    result = activation.wipe(request.user.tenant, ticked, integration=integration,  # type: ignore[union-attr]
                                             user=request.user)  # type: ignore[arg-type]
                except activation.ActivationError as error:
                    errors.append(str(error))
                else:
                    state["backup"] = result.backup_name
                    messages.success(request, _("The data of the previous company are wiped; a backup was made."))
        if not errors:
            state["connected"] = True
            _save_wizard(request, state)
            return redirect("integrations:vismanet_settings")
    return render(request, "integrations/vismanet/confirm.html", {
        "integration": integration, "must_wipe": must_wipe, "errors": errors, "ticked": ticked,
        "work_orders": next(t for t in activation.table_overview() if t.key == "work_orders") if must_wipe else None,
    }, status=400 if errors else 200)


@office_required
@require_http_methods(["GET", "POST"])
def settings_step(request: HttpRequest) -> HttpResponse:
    """Step 3: settings, each checked against Visma.net, and the terms of use. Saving
    activates the integration (all checks run again first)."""
    integration = _integration(request)
    if integration.is_active:
        return redirect("integrations:vismanet_status")
    state = _wizard(request)
    if not (state.get("wiped") and state.get("connected") and activation.is_connected(integration)):
        messages.warning(request, _("Wipe the data and connect to Visma.net first."))
        return redirect("integrations:vismanet_start")
    if request.method == "GET":
        form = _settings_form(request, integration, initial=SettingsForm.initial_from(
            activation.settings_of(integration)), require_terms=True)
        return _settings_page(request, integration, form, wizard=True)
    form = _settings_form(request, integration, request.POST, require_terms=True)
    if not form.is_valid():
        return _settings_page(request, integration, form, wizard=True,
                              results=_failed_checks(integration, form))
    results = _run_checks(integration, form.cleaned_data)
    if any(not r.ok for r in results.values()):
        _log_failed_checks(integration, results)
        return _settings_page(request, integration, form, wizard=True, results=results)
    activation.activate(integration, form.to_settings(), user=request.user,  # type: ignore[arg-type]
                        terms_accepted=bool(form.cleaned_data.get("terms")))
    request.session.pop(SESSION_KEY, None)
    return redirect("integrations:vismanet_success")


@office_required
@require_POST
def check(request: HttpRequest) -> HttpResponse:
    """htmx: run the check of POST ``field`` on the posted form values; a fragment."""
    integration = _integration(request)
    name = request.POST.get("field", "")
    if name not in checks.CHECKED_FIELDS:
        return HttpResponse(_("Unknown setting."), status=400)
    if not activation.is_connected(integration):
        result = checks.CheckResult(False, gettext_noop("Connect to Visma.net first."))
    else:
        with _check_client(integration) as client:
            result = checks.check_field(client, name, request.POST)
            record_quota(integration, client)
        log(integration, LogLevel.INFO if result.ok else LogLevel.WARNING, LogTable.SETTINGS,
            result.msgid, params=result.params, object_ref=setting_ref(name),
            action="" if result.ok else gettext_noop("Correct the setting and press Check again."))
    return render(request, "integrations/vismanet/_check.html", {"result": result, "name": name})


@office_required
@require_GET
def success(request: HttpRequest) -> HttpResponse:
    """Manual 5.12: "INTEGRATIE SUCCESVOL!" and the first-import progress."""
    return render(request, "integrations/vismanet/success.html", {"integration": _integration(request)})


@office_required
@require_GET
def progress(request: HttpRequest) -> HttpResponse:
    """htmx fragment: the first-import progress bar (polls itself until 100 %)."""
    return render(request, "integrations/vismanet/_progress.html", {"integration": _integration(request)})


@office_required
@require_GET
def terms(request: HttpRequest) -> HttpResponse:
    """The integration's terms of use page (office users)."""
    return render(request, "integrations/vismanet/terms.html")


@office_required
@require_GET
def backup(request: HttpRequest) -> HttpResponse:
    """Download a wipe backup of the current tenant (``?file=<name>``)."""
    path = activation.backup_path(request.user.tenant, request.GET.get("file", ""))  # type: ignore[union-attr]
    if path is None:
        raise Http404(_("This backup does not exist."))
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name,
                        content_type="application/json")


# --- status, edit, deactivate, cleanup -------------------------------------------------------


def _last_local_change(model: Any) -> Any:
    return model.objects.aggregate(last=Max("updated_at"))["last"]


@office_required
@require_GET
def status(request: HttpRequest) -> HttpResponse:
    """Manual 5.13/6.1: status, start/end, company, per table the last local change and
    the last integration update, quota, next sync, pause, and the actions."""
    integration = _integration(request)
    states = {s.table: s for s in SyncState.objects.filter(integration=integration)} if integration.pk else {}
    rows = [{"label": _(label), "local": _last_local_change(model),
             "remote": getattr(states.get(table), "last_change_at", None)}
            for label, model, table in STATUS_TABLES]
    problem = None
    with contextlib.suppress(Exception):  # diagnostics only: never break the page
        problem = background_problem(integration)
    now = timezone.now()
    return render(request, "integrations/vismanet/status.html", {
        "integration": integration, "rows": rows, "background_problem": problem,
        "settings": activation.settings_of(integration),
        "webhooks": freshness.webhook_health(integration, now) if integration.pk else None,
        "freshness": freshness.achieved(integration) if integration.pk else None,
        "poll_seconds": freshness.polling_interval(integration, now) if integration.pk else None,
    })


@office_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest) -> HttpResponse:
    """Manual 6.1–6.3: change the settings; checked again, applied from now on."""
    integration = _integration(request)
    if not integration.is_active:
        messages.warning(request, _("The integration is not active; activate it first."))
        return redirect("integrations:vismanet_status")
    if request.method == "GET":
        form = _settings_form(request, integration, initial=SettingsForm.initial_from(
            activation.settings_of(integration)))
        return _settings_page(request, integration, form, wizard=False)
    form = _settings_form(request, integration, request.POST)
    if not form.is_valid():
        return _settings_page(request, integration, form, wizard=False,
                              results=_failed_checks(integration, form))
    results = _run_checks(integration, form.cleaned_data)
    if any(not r.ok for r in results.values()):
        _log_failed_checks(integration, results)
        return _settings_page(request, integration, form, wizard=False, results=results)
    changes = activation.save_settings(integration, form.to_settings(), user=request.user)  # type: ignore[arg-type]
    messages.success(request, _("The settings are saved; they apply from now on.") if changes
                     else _("Nothing was changed."))
    return redirect("integrations:vismanet_status")


@office_required
@require_http_methods(["GET", "POST"])
def deactivate(request: HttpRequest) -> HttpResponse:
    """Manual 9: a confirmation question (GET), then deactivation (POST)."""
    integration = _integration(request)
    if not integration.is_active:
        return redirect("integrations:vismanet_status")
    if request.method == "POST":
        activation.deactivate(integration, user=request.user)  # type: ignore[arg-type]
        messages.success(request, _("The integration is deactivated: import and export have stopped."))
        return redirect("integrations:vismanet_status")
    return render(request, "integrations/vismanet/deactivate.html", {"integration": integration})


@office_required
@require_POST
def cleanup(request: HttpRequest) -> HttpResponse:
    """"Nu opschonen": enqueue a cleanup now."""
    integration = _integration(request)
    try:
        activation.request_cleanup(integration, user=request.user)  # type: ignore[arg-type]
    except activation.ActivationError as error:
        messages.warning(request, str(error))
    else:
        messages.success(request, _("The cleanup has started in the background; see the log for the result."))
    return redirect("integrations:vismanet_status")
