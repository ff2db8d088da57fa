"""Tenant isolation, proven over every URL the project has (issue 2).

The test DISCOVERS the URL patterns from the root URLconf (the screens, the JSON API and
any app added later), so a new view cannot escape it. For every pattern it fills each path
parameter with tenant B's record of the right kind and, as tenant A's office user and
technician, sends GET, POST, PUT, PATCH and DELETE (the API with a bearer key, the screens
with the session and a CSRF token). It asserts:

* a URL naming a tenant B record answers 403, 404, 405 or a redirect to the login page;
* no response shows tenant B data (names, numbers) that the request did not itself send;
* tenant B's rows are unchanged afterwards, and no tenant A row points at a tenant B row;
* every office-only URL refuses the technician with a 403. Office-only is known from the
  ``office_required`` decorator on a screen, the ``x-werkbon-office-only`` mark of an API
  operation, and the rule that every URL of an office area (``OFFICE_AREAS``) is office-only
  unless it is listed as open to technicians.

Only the patterns in ``ALLOWED_UNTESTED`` are skipped, each for a reason; an entry that
no longer matches a pattern fails the test too. A path parameter whose name the test does
not know fails loudly: add it to ``PARAMETER_KINDS`` (or ``NEUTRAL_PARAMETERS``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import inspect
import io
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.middleware.csrf import _get_new_csrf_string
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.conftest import PASSWORD
from werkbon.accounts.models import ApiToken, Role, Tenant, User
from werkbon.accounts.permissions import office_required
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import attachments, services
from werkbon.workorders.models import (
    ContactPerson,
    Customer,
    FilledForm,
    FormAnswer,
    FormQuestion,
    FormTemplate,
    InstalledObject,
    Item,
    ItemGroup,
    QuestionKind,
    WorkAddress,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

API_PREFIX = "api/v1/"

# Route prefixes skipped, with the reason. Keep this list short.
ALLOWED_UNTESTED: dict[str, str] = {
    "admin/": "Django admin for support staff (is_staff), who belong to no tenant; "
              "test_it_keeps_tenant_users_out_of_the_admin proves tenant users are refused",
    "accounts/login/": "the login form; shows no tenant data",
    "accounts/logout/": "ends the session (would log the walking user out); shows no data",
    "i18n/setlang/": "sets the language cookie; reads no records",
    "jsi18n/": "the offline app's translations (Django's JavaScript catalog); reads no records "
               "(tests/workorders/test_offline_data.py)",
    "api/v1/openapi.json": "the API's description, public on purpose; contains no records",
    "api/v1/docs": "the API's interactive documentation page; contains no records",
    "integraties/vismanet/webhook": "Visma.net's signed webhook notifications: no session, no tenant of the "
                                    "caller; the company in the signed body picks the tenant "
                                    "(tests/integrations/test_webhooks.py: forged, foreign company)",
}

# URL namespaces that belong to the office: every URL in them must refuse technicians,
# except the names listed as open to technicians (a new URL is office-only by default).
OFFICE_AREAS: dict[str, set[str]] = {
    "workorders": {
        "my_work", "my_work_order", "add_time_entry", "add_material_line", "complete",
        "fill_form", "answer_photo", "pdf", "forms_pdf", "item_options",
        # a technician names the installations their work order is done on
        "set_installations",
        # a technician corrects their own registrations until the order is completed
        "time_entry_edit", "time_entry_delete", "material_line_edit", "material_line_delete",
        # the customer's signature and the work order's photos (issue 11)
        "capture_signature", "signature_image", "add_photos", "photo", "delete_photo",
        # a technician makes a work order on site (when the company allows it)
        "create_on_site", "on_site_address_options",
        # the technician's offline app: its shell, manifest and the user's own offline data
        "app", "manifest", "offline_data",
    },
    # the export panel is read-only for technicians (the retry button is the office's)
    "integrations": {"vismanet_export_panel"},
}

# What a path parameter names. Generic names (pk, id) are read from the route segment
# before them, through SEGMENT_KINDS.
PARAMETER_KINDS: dict[str, str] = {
    "work_order": "work_order", "order": "work_order", "workorder": "work_order",
    "customer": "customer", "work_address": "work_address", "address": "work_address",
    "contact": "contact", "contact_person": "contact",
    "object": "installed_object", "installed_object": "installed_object",
    "installation": "installed_object",
    "item_group": "item_group", "group": "item_group", "item": "item",
    "entry": "time_entry", "time_entry": "time_entry",
    "line": "material_line", "material_line": "material_line",
    "template": "form_template", "form_template": "form_template",
    "question": "form_question", "form_question": "form_question",
    "form": "filled_form", "filled_form": "filled_form",
    "answer": "form_answer", "form_answer": "form_answer",
    "photo": "work_order_photo",
    "token": "api_token", "api_token": "api_token",
    "user": "user", "technician": "user", "employee": "user",
}
SEGMENT_KINDS: dict[str, str] = {
    "werkorders": "work_order", "work-orders": "work_order", "mijn": "work_order",
    "planning": "work_order", "klanten": "customer", "customers": "customer",
    "werkadressen": "work_address", "werkadres": "work_address",
    "work-addresses": "work_address", "contactpersonen": "contact", "contacts": "contact",
    "objecten": "installed_object", "objects": "installed_object",
    "installations": "installed_object",
    "artikelen": "item", "items": "item", "groepen": "item_group", "item-groups": "item_group",
    "formulieren": "form_template", "form-templates": "form_template",
    "vragen": "form_question", "tijd": "time_entry", "time-entries": "time_entry",
    "materiaal": "material_line", "material-lines": "material_line",
    "tokens": "api_token", "api-tokens": "api_token", "gebruikers": "user", "monteurs": "user", "technicians": "user",
    "export": "work_order",  # integrations: a work order's export panel
}
# Parameters that name no record: filled with values that would show tenant B's data if
# a view leaked (the date of B's planned work order), and checked like a list URL.
NEUTRAL_PARAMETERS = {"year", "month", "week", "day", "date", "start"}

# Tenant B's data. ASCII on purpose (JSON escapes non-ASCII); every string is distinctive.
B = {
    "customer_number": "ZX-40404", "customer_name": "Zebravink Installaties",
    "customer_city": "Zebravinkdorp", "customer_email": "boekhouding@zebravink.example",
    "contact": "Xandra Quist", "street": "Quokkalaan", "postal_code": "9999 QX",
    "object": "Quasar ketel 9000", "serial": "SN-QX-777",
    "group_code": "GRP-QX", "group_description": "Quixotic groep",
    "item_number": "ITM-QX-31", "item_description": "Quixotic koppeling",
    "description": "Geheime werkzaamheden QX", "reference": "REF-QX-55",
    "signed_by": "Quentin Xylo", "caption": "Fotobijschrift QX-geheim", "signer": "Quirina Xylo QX", "template": "Quizformulier QX", "question": "Quantum vraag QX",
    "answer": "Antwoord QX-geheim", "note": "Notitie QX-geheim", "token": "Token QX-geheim",
    "tech_username": "xerxes_qx", "tech_name": "Xerxes Quibble",
    "office_username": "office_b_qx",
}
B_PLANNED = dt.datetime(2025, 3, 12, 9, 0)  # local; B's order is planned here


@dataclasses.dataclass(frozen=True)
class Route:
    """One discovered URL pattern: its full route, view and namespaced name."""

    route: str
    callback: Any
    name: str  # "namespace:name" or ""
    params: tuple[tuple[str, str], ...]  # (name, converter) in order

    @property
    def is_api(self) -> bool:
        return self.route.startswith(API_PREFIX)


# --- discovery ---------------------------------------------------------------------------

_CONVERTER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


def _pattern_text(pattern: URLPattern | URLResolver) -> str:
    text = str(pattern.pattern)
    if text.startswith("^"):  # a re_path: turn named groups into <str:name>
        text = _REGEX_GROUP.sub(lambda m: f"<str:{m.group('name')}>", text[1:])
        text = text.rstrip("$").replace("\\", "")
        if any(c in text for c in "()[]*+?|"):
            raise AssertionError(f"Cannot walk the regex URL {pattern!r}: name its parameters")
    return text


def discover(patterns: list | None = None, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    """Every URLPattern under the root URLconf, with its full route."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        text = prefix + _pattern_text(pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace \
                else (pattern.namespace or namespace)
            yield from discover(pattern.url_patterns, text, inner or "")
        else:
            params = tuple((m.group("name"), m.group("converter") or "str")
                           for m in _CONVERTER.finditer(text))
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else (pattern.name or "")
            yield Route(text, pattern.callback, name, params)


def _allow_listed(route: Route) -> str | None:
    for prefix in ALLOWED_UNTESTED:
        if route.route.startswith(prefix):
            return prefix
    return None


def routes_to_walk() -> list[Route]:
    """The discovered routes minus the allow-list, one per route (ninja repeats a route
    once per method)."""
    seen: dict[str, Route] = {}
    for route in discover():
        if not _allow_listed(route):
            seen.setdefault(route.route, route)
    return list(seen.values())


def parameter_kind(route: Route, name: str) -> str:
    """The kind of record a path parameter names, or "neutral"; fails for unknown names."""
    if name in NEUTRAL_PARAMETERS:
        return "neutral"
    if name in {"pk", "id", "object_id"}:
        segments = route.route.split("/")
        index = next(i for i, s in enumerate(segments) if _CONVERTER.fullmatch(s)
                     and _CONVERTER.fullmatch(s).group("name") == name)
        for segment in reversed(segments[:index]):
            if segment in SEGMENT_KINDS:
                return SEGMENT_KINDS[segment]
        raise AssertionError(
            f"{route.route}: cannot tell what {name!r} names; add the segment before it to "
            "SEGMENT_KINDS in tests/security/test_tenant_isolation.py")
    base = re.sub(r"_(pk|id|number|username)$", "", name)
    if base in PARAMETER_KINDS:
        return PARAMETER_KINDS[base]
    if name == "username":
        return "user"
    raise AssertionError(
        f"{route.route}: unknown path parameter {name!r}; add it to PARAMETER_KINDS or "
        "NEUTRAL_PARAMETERS in tests/security/test_tenant_isolation.py")


# --- office-only ------------------------------------------------------------------------

_OFFICE_WRAPPER_CODE = office_required(lambda request: None).__code__


def _decorated_office_only(callback: Any) -> bool:
    """True when the view (or a function it wraps) is wrapped by ``office_required``."""
    seen = 0
    candidates = [callback]
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        candidates.append(getattr(view_class, "dispatch", None))
    for function in candidates:
        while function is not None and seen < 20:
            seen += 1
            code = getattr(function, "__code__", None)
            if code is _OFFICE_WRAPPER_CODE:
                role = inspect.getclosurevars(function).nonlocals.get("role")
                if role == Role.OFFICE:
                    return True
            function = getattr(function, "__wrapped__", None)
    return False


def office_only_methods(route: Route, api_schema: dict[str, Any]) -> set[str]:
    """The HTTP methods of ``route`` that only the office may use."""
    all_methods = {"GET", "POST", "PUT", "PATCH", "DELETE"}
    if route.is_api:
        openapi_path = "/" + _CONVERTER.sub(lambda m: "{" + m.group("name") + "}", route.route)
        operations = api_schema["paths"].get(openapi_path, {})
        return {m.upper() for m, op in operations.items() if op.get("x-werkbon-office-only")}
    if _decorated_office_only(route.callback):
        return all_methods
    namespace, _sep, name = route.name.rpartition(":")
    if namespace in OFFICE_AREAS and name not in OFFICE_AREAS[namespace]:
        return all_methods
    return set()


# --- the data set -------------------------------------------------------------------------


@dataclasses.dataclass
class Records:
    tenant: Tenant
    objects: dict[str, Any]


def _records(tenant: Tenant, technician: User, office: User, names: dict[str, str],
             filler_orders: int) -> Records:
    """A customer with a contact, work address and object, an item group and item, a form
    template, and a work order planned to ``technician`` with time, materials and a form."""
    with tenant_context(tenant):
        customer = Customer.objects.create(
            number=names["customer_number"], name=names["customer_name"],
            city=names["customer_city"], email=names["customer_email"])
        contact = ContactPerson.objects.create(customer=customer, name=names["contact"])
        address = WorkAddress.objects.create(customer=customer, street=names["street"],
                                             house_number="7", postal_code=names["postal_code"],
                                             city=names["customer_city"])
        installed = InstalledObject.objects.create(work_address=address, name=names["object"],
                                                   serial_number=names["serial"])
        group = ItemGroup.objects.create(code=names["group_code"],
                                         description=names["group_description"])
        item = Item.objects.create(number=names["item_number"], description=names["item_description"],
                                   unit="st", sales_price=Decimal("12.50"), group=group)
        template = FormTemplate.objects.create(name=names["template"])
        question = FormQuestion.objects.create(template=template, label=names["question"],
                                               kind=QuestionKind.TEXT)
        for _ in range(filler_orders):  # B's numbers differ from A's
            services.create_work_order(customer=customer, description="filler")
        order = services.create_work_order(
            customer=customer, work_address=address, description=names["description"],
            customer_reference=names["reference"], technicians=[technician],
            planned_start=timezone.make_aware(B_PLANNED), planned_minutes=120)
        entry = services.add_time_entry(order, technician=technician, kind="work", minutes=135,
                                        date=B_PLANNED.date())
        services.add_time_entry(order, technician=technician, kind="travel", minutes=20,
                                date=B_PLANNED.date())
        line = services.add_material_line(order, item=item, quantity=Decimal("2"),
                                          note=names["note"], technician=technician)
        filled = FilledForm.objects.create(work_order=order, template=template, filled_by=technician)
        answer = FormAnswer.objects.create(form=filled, question=question, value=names["answer"])
        photo = attachments.add_photo(order, user=technician, image_bytes=_image(), caption=names["caption"])
        attachments.capture_signature(order, user=technician, signer_name=names["signer"],
                                      image_bytes=_image(ink=True))
        completed = services.create_work_order(customer=customer, work_address=address,
                                               description=names["description"],
                                               technicians=[technician],
                                               planned_start=timezone.make_aware(B_PLANNED))
        services.complete(completed, user=technician, signed_by_name=names["signed_by"])
        token, _key = ApiToken.issue(office, names["token"])
    return Records(tenant, {
        "customer": customer, "contact": contact, "work_address": address,
        "installed_object": installed, "item_group": group, "item": item,
        "form_template": template, "form_question": question, "work_order": order,
        "time_entry": entry, "material_line": line, "filled_form": filled, "form_answer": answer,
        "work_order_photo": photo, "api_token": token, "user": technician, "completed_order": completed,
    })


def _image(*, ink: bool = False) -> bytes:
    """A small PNG: a photo, or a signature (a dark bar on transparent)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (120, 60), (0, 0, 0, 0) if ink else (20, 120, 200, 255))
    if ink:
        ImageDraw.Draw(image).rectangle([10, 20, 110, 30], fill=(0, 0, 0, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def world(tenant_a, tenant_b, office_a, tech_a, settings, tmp_path) -> dict[str, Any]:
    settings.MEDIA_ROOT = tmp_path / "media"
    office_b = User.objects.create_user(B["office_username"], password=PASSWORD, tenant=tenant_b,
                                        role=Role.OFFICE)
    tech_b = User.objects.create_user(B["tech_username"], password=PASSWORD, tenant=tenant_b,
                                      role=Role.TECHNICIAN, first_name="Xerxes", last_name="Quibble")
    b = _records(tenant_b, tech_b, office_b, B, filler_orders=4)
    a_names = {key: f"Alfa {key}" for key in B}
    a_names.update(customer_number="A-1", item_number="A-ITEM-1", group_code="A-GRP",
                   customer_email="a@alfa.example", postal_code="1000 AA")
    a = _records(tenant_a, tech_a, office_a, a_names, filler_orders=0)
    return {"a": a, "b": b, "office_b": office_b, "tech_b": tech_b}


def b_markers(world: dict[str, Any]) -> list[str]:
    return [*B.values(), world["b"].tenant.name, world["b"].objects["api_token"].prefix]


# --- snapshots ---------------------------------------------------------------------------


def _tenant_models() -> list[type[models.Model]]:
    found = []
    for model in apps.get_models():
        try:
            field = model._meta.get_field("tenant")
        except Exception:  # noqa: S112 (a model without a tenant)
            continue
        if field.is_relation and field.related_model is Tenant:
            found.append(model)
    return found


def snapshot(tenant: Tenant) -> dict[str, list[dict[str, Any]]]:
    """Every row of ``tenant`` (all tenant-owned models, users, the tenant, M2M links)."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for model in _tenant_models():
        rows[model._meta.label] = list(
            model._base_manager.filter(tenant=tenant).order_by("pk").values())
        for m2m in model._meta.many_to_many:
            through = m2m.remote_field.through
            source = next(f.name for f in through._meta.fields
                          if f.is_relation and f.related_model is model)
            rows[f"{through._meta.label}"] = list(
                through.objects.filter(**{f"{source}__tenant": tenant}).order_by("pk").values())
    rows["tenant"] = list(Tenant.objects.filter(pk=tenant.pk).values())
    return rows


def cross_tenant_references(tenant: Tenant) -> list[str]:
    """Rows of ``tenant`` that point at another tenant's row (FKs and M2M to users)."""
    problems = []
    for model in _tenant_models():
        for field in model._meta.concrete_fields:
            target = field.related_model if field.is_relation else None
            if target is None or target is Tenant:
                continue
            if target in _tenant_models():
                bad = model._base_manager.filter(tenant=tenant).exclude(
                    **{f"{field.name}__isnull": True}).exclude(**{f"{field.name}__tenant": tenant})
            elif target is User:
                bad = model._base_manager.filter(tenant=tenant, **{f"{field.name}__isnull": False}) \
                    .exclude(**{f"{field.name}__tenant": tenant})
            else:
                continue
            problems += [f"{model._meta.label} {pk}.{field.name}" for pk in bad.values_list("pk", flat=True)]
        for m2m in model._meta.many_to_many:
            if m2m.related_model is User:
                bad = model._base_manager.filter(tenant=tenant).exclude(
                    **{f"{m2m.name}__isnull": True}).exclude(**{f"{m2m.name}__tenant": tenant})
                problems += [f"{model._meta.label} {pk}.{m2m.name}" for pk in bad.values_list("pk", flat=True)]
            elif m2m.related_model in _tenant_models():
                # link rows one by one: a row may have good and bad links at once
                through = m2m.remote_field.through
                source, target = m2m.m2m_field_name(), m2m.m2m_reverse_field_name()
                bad = through.objects.filter(**{f"{source}__tenant": tenant}).exclude(
                    **{f"{target}__tenant": tenant})
                problems += [f"{model._meta.label} {pk}.{m2m.name}"
                             for pk in bad.values_list(source, flat=True)]
    return problems


# --- requests ------------------------------------------------------------------------------

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


class Walker:
    """Sends requests as one tenant A user: the API with a bearer key, screens with the
    session and a valid CSRF token."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.session = Client(enforce_csrf_checks=True, raise_request_exception=False)
        self.session.force_login(user)
        self.csrf = _get_new_csrf_string()
        self.session.cookies["csrftoken"] = self.csrf
        _token, self.key = ApiToken.issue(user, "isolation walk")
        self.api = Client(raise_request_exception=False)

    def send(self, route: Route, url: str, method: str, payload: dict[str, Any],
             query: dict[str, Any]) -> tuple[int, str, str]:
        """``(status, Location header, body text)``."""
        if route.is_api:
            headers = {"Authorization": f"Bearer {self.key}"}
            if method == "GET":
                response = self.api.get(url, query, headers=headers)
            else:
                response = self.api.generic(method, url, json.dumps(payload, default=str),
                                            content_type="application/json", headers=headers)
        else:
            headers = {"X-CSRFToken": self.csrf}
            if method == "GET":
                response = self.session.get(url, query, headers=headers)
            elif method == "POST":
                response = self.session.post(url, payload, headers=headers)
            else:
                response = self.session.generic(
                    method, url, urlencode(payload, doseq=True),
                    content_type="application/x-www-form-urlencoded", headers=headers)
        return response.status_code, response.get("Location", ""), _body_text(response)


def _body_text(response: Any) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("application/pdf"):
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)
    return content.decode("utf-8", errors="replace")


def _inked_png_base64() -> str:
    """A small drawing as base64 (a signature or photo the API would accept)."""
    import base64

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (200, 80), "white")
    ImageDraw.Draw(image).line([(10, 70), (100, 10), (190, 70)], fill="black", width=5)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


_INKED_PNG_BASE64 = _inked_png_base64()


def _payload(world: dict[str, Any], as_json: bool) -> dict[str, Any]:
    """A body that a form or API operation would accept, pointing at tenant B's records."""
    b = world["b"].objects
    today = dt.date(2025, 3, 12).isoformat()
    body: dict[str, Any] = {
        # screens (ids of tenant B's records where a form takes a record)
        "customer": b["customer"].pk, "work_address": b["work_address"].pk,
        "item": b["item"].pk, "group": b["item_group"].pk, "template": b["form_template"].pk,
        "technicians": [b["user"].pk], "technician": b["user"].pk,
        "description": "changed by A", "customer_reference": "changed", "name": "changed",
        "number": "CHANGED-1", "street": "Changedstraat", "city": "Changed", "code": "CHG",
        "label": "changed", "kind": "work", "minutes": 30, "date": today,
        "planned_date": today, "planned_time": "09:00", "planned_minutes": 60,
        "quantity": "1", "note": "changed", "signed_by_name": "changed", "status": "archived",
        "is_active": "on", "unit": "st", "sales_price": "1.00", "item_type": "stock",
        "rename": "1", "q-label": "changed", "q-kind": "text", "q-position": "10",
        "tpl-name": "changed", f"q{b['form_question'].pk}": "changed",
        # API
        "customer_number": B["customer_number"], "work_address_id": b["work_address"].pk,
        "item_number": B["item_number"], "template_id": b["form_template"].pk,
        "answers": [{"question_id": b["form_question"].pk, "value": "changed"}],
        "planned_start": "2025-03-12T09:00:00+01:00",
        "installation_ids": [b["installed_object"].pk],
        "signer_name": "changed", "caption": "changed", "image": _INKED_PNG_BASE64,
        "inst-installations": [b["installed_object"].pk],
    }
    if as_json:
        body["technicians"] = [B["tech_username"]]
        body["technician"] = None
    return body


def _query(world: dict[str, Any]) -> dict[str, Any]:
    """Query parameters for lists that would surface tenant B's rows if a list leaked."""
    day = B_PLANNED.date().isoformat()
    return {"q": "Zebravink", "week": day, "planned_from": day, "planned_to": day, "limit": 100}


def _value(world_part: Records, kind: str, name: str, converter: str) -> str:
    if kind == "neutral":
        return {"year": "2025", "month": "3", "week": "11", "day": "12"}.get(
            name, B_PLANNED.date().isoformat())
    record = world_part.objects[kind]
    if name.endswith("username") or (kind == "user" and converter in {"str", "slug"}
                                     and not name.endswith(("_id", "_pk")) and name != "pk"):
        return record.username
    if name.endswith("number") or name == "number":
        return str(record.number)
    return str(record.pk)


def urls_for(route: Route, world: dict[str, Any]) -> list[tuple[str, bool]]:
    """``(url, names a tenant B record)`` variants: all parameters B's; and with two or
    more records in the URL, each one B's while the others are A's own."""
    kinds = [(name, converter, parameter_kind(route, name)) for name, converter in route.params]
    object_params = [name for name, _c, kind in kinds if kind != "neutral"]

    def build(b_names: set[str]) -> str:
        values = {name: _value(world["b"] if name in b_names or kind == "neutral" else world["a"],
                               kind, name, converter)
                  for name, converter, kind in kinds}
        return "/" + _CONVERTER.sub(lambda m: values[m.group("name")], route.route)

    variants = [(build(set(object_params)), bool(object_params))]
    if len(object_params) > 1:
        variants += [(build({name}), True) for name in object_params]
    return variants


def _is_login_redirect(status: int, location: str) -> bool:
    return status in {301, 302} and location.split("?")[0] in {
        resolve_url(settings.LOGIN_URL), resolve_url("admin:login")}


def _leaks(text: str, markers: list[str], sent: str) -> list[str]:
    found = []
    for marker in markers:
        if marker in sent:
            continue  # the request itself carried it (an echoed value is no leak)
        forms = {marker, html.escape(marker), json.dumps(marker)[1:-1]}
        if any(form in text for form in forms):
            found.append(marker)
    return found


# --- the tests ---------------------------------------------------------------------------


def test_it_discovers_the_screens_and_the_api():
    routes = {r.route for r in discover()}
    assert any(r.startswith(API_PREFIX + "work-orders") for r in routes)
    assert any(r.startswith("accounts/") for r in routes)


def test_it_knows_every_path_parameter_and_keeps_the_allow_list_current():
    discovered = list(discover())
    for route in routes_to_walk():
        for name, _converter in route.params:
            parameter_kind(route, name)  # raises for an unknown parameter
    for prefix, reason in ALLOWED_UNTESTED.items():
        assert reason
        assert any(r.route.startswith(prefix) for r in discovered), (
            f"ALLOWED_UNTESTED entry {prefix!r} matches no URL any more: remove it")


@pytest.mark.parametrize("role", ["office", "technician"])
def test_it_keeps_tenant_b_out_of_reach_of_every_url(world, office_a, tech_a, role):
    user = office_a if role == "office" else tech_a
    walker = Walker(user)
    markers = b_markers(world)
    api_schema = Client().get(f"/{API_PREFIX}openapi.json").json()
    before = snapshot(world["b"].tenant)
    failures: list[str] = []
    walked = 0
    for route in routes_to_walk():
        office_only = office_only_methods(route, api_schema) if role == "technician" else set()
        for url, names_b_record in urls_for(route, world):
            for method in METHODS:
                payload = _payload(world, as_json=route.is_api)
                query = _query(world) if method == "GET" else {}
                status, location, text = walker.send(route, url, method, payload, query)
                walked += 1
                where = f"{role} {method} {url} ({route.name or route.route})"
                sent = url + (json.dumps(query) if method == "GET" else json.dumps(payload, default=str))
                leaked = _leaks(text, markers, sent)
                if leaked:
                    failures.append(f"{where}: shows tenant B data {leaked} (status {status})")
                if method in office_only and status not in {403, 405}:
                    failures.append(f"{where}: office-only, technician got {status} instead of 403")
                elif names_b_record and status not in {403, 404, 405} \
                        and not _is_login_redirect(status, location):
                    failures.append(f"{where}: names a tenant B record, got {status} {location}")
                if status >= 500:
                    failures.append(f"{where}: server error {status}")
        after = snapshot(world["b"].tenant)
        if after != before:
            changed = sorted(k for k in before if before[k] != after.get(k))
            failures.append(f"{role} on {route.route}: tenant B rows changed in {changed}")
            before = after
    failures += [f"tenant A row points at another tenant: {p}"
                 for p in cross_tenant_references(world["a"].tenant)]
    assert walked > 100
    assert not failures, "\n".join(failures)


def test_it_reaches_tenant_a_records_through_the_same_urls(world, office_a):
    """The walk is not vacuous: with tenant A's own ids, the record URLs answer."""
    walker = Walker(office_a)
    answered, record_urls = [], []
    for route in routes_to_walk():
        if not any(parameter_kind(route, n) != "neutral" for n, _c in route.params):
            continue
        values = {name: _value(world["a"], parameter_kind(route, name), name, conv)
                  for name, conv in route.params}
        url = "/" + _CONVERTER.sub(lambda m, values=values: values[m.group("name")], route.route)
        record_urls.append(url)
        status, _location, _text = walker.send(route, url, "GET", {}, {})
        if status == 200:
            answered.append(url)
        if route.is_api and route.name.endswith(("get_work_order", "list_time_entries")):
            assert status == 200, url
    assert len(answered) >= len(record_urls) // 2, (answered, record_urls)


def test_it_keeps_tenant_users_out_of_the_admin(world, office_a, tech_a):
    b = world["b"].objects
    for user in (office_a, tech_a):
        client = Client()
        client.force_login(user)
        for url in ("/admin/", f"/admin/workorders/customer/{b['customer'].pk}/change/",
                    "/admin/workorders/workorder/"):
            response = client.get(url)
            assert _is_login_redirect(response.status_code, response.get("Location", "")), url
            assert B["customer_name"] not in response.content.decode()


def test_it_finds_office_only_screens_by_their_decorator():
    """The marker detection works, so office-only screens cannot silently lose the check."""

    @office_required
    def office_view(request):  # type: ignore[no-untyped-def]
        return None

    from werkbon.accounts.permissions import tenant_member_required

    @tenant_member_required
    def member_view(request):  # type: ignore[no-untyped-def]
        return None

    assert _decorated_office_only(office_view)
    assert not _decorated_office_only(member_view)
