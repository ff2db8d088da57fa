"""Check recorded HTTP traffic against ``visma-net-contract.json``.

Written from the contract file alone (no client or sandbox code), so a mistake shared by the
client and the emulator still shows up here. ``Contract.check(exchange)`` returns a list of
violations (empty = conforms); ``Traffic`` records exchanges from an ``httpx`` event hook.

What is checked:

* requests: the operation exists for the method and path; query parameter names (unknown =
  violation), their enums and scalar types; required headers (``If-Match``); the body's
  content type; JSON bodies field by field (unknown names, required fields, types, lengths,
  enums, and the ``{"value": ...}`` wrapper wherever a field is marked ``wrapped``); form bodies
  (names, required, enums); multipart bodies (exactly one file part with a file name).
* responses: a success status the contract lists; the listed headers (``Location``, ``ETag``);
  empty bodies where the contract says so; JSON bodies field by field (names not in the contract
  are violations unless the contract leaves the object open: plain ``object``, ``object<...>``
  maps, or a ``...`` in an ``object{...}`` list); the v3 ``{value, totalCount, nextPage}``
  envelope; error bodies against the shape the contract names (Exception envelope, ``Message``,
  ProblemDetails, OAuth ``error``, no body).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

# The repository's own copy (docs/reference/), so a clone tests the same way on any machine;
# $VISMANET_CONTRACT points at another copy on purpose.
REPO_CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "reference" / "visma-net-contract.json"
CONTRACT_PATH = Path(os.environ.get("VISMANET_CONTRACT") or REPO_CONTRACT)

ISO_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
EXCEPTION_ENVELOPE = {
    "ExceptionType", "ExceptionMessage", "ExceptionFaultCode", "ExceptionMessageID", "ExceptionDetails",
}
# Fields visma-net-api.md documents for a read DTO that the distilled JSON contract leaves out.
# The contract's ERP DTO lists are "important fields"; these are allowed with a section pointer.
DOCUMENTED_IN_REFERENCE: dict[str, set[str]] = {
    # §2.6
    "BranchDto": {"corporateId", "vatRegistrationId", "mainAddress"},
    # §7.1 CustomerDto table
    "CustomerDto": {
        "accountReference", "parentRecord", "creditVerification", "creditLimit",
        "creditDaysPastDue", "priceClass", "invoiceToDefaultLocation", "statementType",
        "printInvoices", "acceptAutoInvoices", "sendInvoicesByEmail", "sendDunningLettersViaEMail",
        "printDunningLetters", "printStatements", "sendStatementsByEmail",
        "printMultiCurrencyStatements", "defaultPaymentMethodId", "paymentMethods",
        "directDebitLines", "glAccounts", "eInvoiceContract", "numberOfEmployees",
        "excludeDebtCollection", "createdDateTime", "timeStamp",
    },
    # §7.2
    "LocationDto": {"vatRegistrationId", "vatZone", "ediCode", "gln", "corporateId",
                    "lastModifiedDateTime", "peppolScheme", "internalId"},
    # §7.4
    "InventoryDto": {
        "body", "postingClass", "vatCode", "lotSerialClass", "recommendedPrice", "pendingCost",
        "currentCost", "lastCost", "purchaseUnit", "kitItem", "defaultWarehouse",
        "defaultIssueFrom", "defaultReceiptTo", "warehouseDetails", "inventoryUnits",
        "crossReferences", "attachments", "attributes", "salesCategories", "supplierDetails",
        "priceClass", "priceClassID", "priceManager", "packaging", "intrastat", "note",
    },
    "ItemClassDto": {"attributes"},
    # §7.5
    "WarehouseDto": {
        "replenishmentClass", "lockSitePICountEntry", "locationEntry", "avgDefaultCost",
        "fifoDefaultCost", "receiptLocation", "shipLocation", "returnLocation",
        "dropShipLocation", "contact", "locations", "timestamp",
    },
    # §7.6
    "SalesOrderTypeDto": {"defaultOperation", "customerDocumentType"},
    # §7.7
    "CustomerInvoiceDto": {"contact", "invoiceAddress", "invoiceContact", "salesPerson",
                           "project", "taxDetails", "createdDateTime"},
    "CustomerInvoiceLineDto": {
        "manualAmount", "manualAmountInCurrency", "cost", "discountAmountInCurrency",
        "manualDiscount", "account", "subaccount", "projectTask", "externalLink", "termStartDate",
        "termEndDate", "itemType", "soOrderType", "soOrderNbr", "soShipmentNbr",
    },
}
# §3.1: every ERP read DTO may carry errorInfo, and list items metadata.
ERP_READ_EXTRAS = {"errorInfo", "metadata"}
SCALARS = {"string", "integer", "number", "boolean", "date-time", "string(base64)", "file"}


@dataclass
class Exchange:
    """One request and its response, as seen on the wire."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int
    response_headers: dict[str, str]
    response_body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.url).query, keep_blank_values=True)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.request_body.decode(errors="replace"), keep_blank_values=True))


def split_top(text: str) -> list[str]:
    """Split ``a,b{c,d},e`` at the commas outside braces."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char in "{(<":
            depth += 1
        elif char in "})>":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def inline_names(type_text: str) -> tuple[set[str], bool] | None:
    """Field names of ``object{a,b{...},c}`` and whether ``...`` leaves it open."""
    match = re.match(r"^object\{(.*)\}$", type_text)
    if not match:
        return None
    names, open_ = set(), False
    for part in split_top(match.group(1)):
        if part.startswith("..."):
            open_ = True
            continue
        names.add(re.split(r"[{(]", part)[0].strip())
    return names, open_


def wrapped_note_names(note: str) -> set[str] | None:
    """Inner names of a wrapped object from its note: ``...: a, addressLine1..3, b``."""
    if ":" not in note:
        return None
    names: set[str] = set()
    for part in note.split(":", 1)[1].split(","):
        part = part.strip()
        ranged = re.match(r"^([A-Za-z]+?)(\d+)\.\.(\d+)$", part)
        if ranged:
            stem, first, last = ranged.group(1), int(ranged.group(2)), int(ranged.group(3))
            names |= {f"{stem}{n}" for n in range(first, last + 1)}
        elif re.match(r"^[A-Za-z]+$", part):
            names.add(part)
    return names or None


class Contract:
    """The contract file, with operation lookup and message checks."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.ops = data
        self._routes: list[tuple[int, str, re.Pattern[str], str]] = []
        for name, op in data.items():
            params = op["path"].count("{")
            regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(op["path"]))
            # Legacy paths may sit under an /API prefix on the real host.
            self._routes.append(
                (params, op["method"], re.compile(f"^(?:/API)?{regex}/?$", re.IGNORECASE), name)
            )
        self._routes.sort(key=lambda route: route[0])
        self.named = self._named_types()

    @classmethod
    def load(cls, path: Path = CONTRACT_PATH) -> Contract:
        return cls(json.loads(path.read_text()))

    # -- lookup -------------------------------------------------------------------------

    def operation_for(self, exchange: Exchange) -> str | None:
        """The contract key of a request (``None`` = not in the contract)."""
        matches = [
            name
            for _, method, regex, name in self._routes
            if method == exchange.method and regex.match(exchange.path)
        ]
        if len(matches) > 1 and exchange.path.endswith("/connect/token"):
            grant = exchange.form().get("grant_type", "")
            by_grant = {
                "client_credentials": "auth.token.client_credentials",
                "authorization_code": "auth.token.authorization_code",
                "refresh_token": "auth.token.refresh",
            }
            return by_grant.get(grant)
        return matches[0] if matches else None

    def _named_types(self) -> dict[tuple[str, str], list[dict[str, Any]]]:
        """DTO and nested type names that carry a field list somewhere in the contract."""
        named: dict[tuple[str, str], list[dict[str, Any]]] = {}

        def walk(fields: list[dict[str, Any]], base: str) -> None:
            for f in fields:
                if isinstance(f.get("fields"), list):
                    named.setdefault((base, f["type"]), f["fields"])
                    walk(f["fields"], base)

        for op in self.ops.values():
            ok = op["responses"].get("200")
            if isinstance(ok, dict) and isinstance(ok.get("fields"), list):
                body = ok.get("body") or ""
                if "envelope" in ok:
                    body = ok["envelope"].get("value", "")
                name = re.sub(r"^array<(.*)>$", r"\1", body)
                if name and name != "array":
                    named.setdefault((op["base"], name), ok["fields"])
                walk(ok["fields"], op["base"])
        return named

    def response_fields(self, name: str, status: str) -> list[dict[str, Any]] | None:
        op = self.ops[name]
        spec = op["responses"].get(status)
        if not isinstance(spec, dict):
            return None
        fields = spec.get("fields")
        if isinstance(fields, str):  # "see customer.list"
            other = re.search(r"see ([\w.]+)", fields)
            return self.response_fields(other.group(1), status) if other else None
        if isinstance(fields, list):
            return fields
        body = spec.get("envelope", {}).get("value") or spec.get("body") or ""
        dto = re.sub(r"^array<(.*)>$", r"\1", body)
        return self.named.get((op["base"], dto))

    # -- checks -------------------------------------------------------------------------

    def check(self, exchange: Exchange) -> tuple[str | None, list[str]]:
        """(operation, violations) of one exchange."""
        name = self.operation_for(exchange)
        if name is None:
            return None, [f"{exchange.method} {exchange.path}: not an operation of the contract"]
        problems = self.check_request(name, exchange) + self.check_response(name, exchange)
        return name, [f"{name} {exchange.method} {exchange.path}: {p}" for p in problems]

    def check_request(self, name: str, exchange: Exchange) -> list[str]:
        op, problems = self.ops[name], []
        known = {q["name"]: q for q in op.get("query") or []}
        for key, value in exchange.query:
            spec = known.get(key)
            if spec is None:
                problems.append(f"query parameter {key!r} is not in the contract")
                continue
            values = value.split(",") if spec["type"].startswith("array<") else [value]
            for one in values:
                problems += check_query_value(key, one, spec)
        sent = {k for k, _ in exchange.query}
        problems += [f"query parameter {q} is required" for q in known.values()
                     if q.get("required") and q["name"] not in sent]
        headers = {k.lower() for k in exchange.request_headers}
        problems += [f"header {h['name']} is required" for h in op.get("headers") or []
                     if h.get("required") and h["name"].lower() not in headers]

        spec = op.get("request_body")
        body = exchange.request_body
        if spec is None:
            if body.strip() and exchange.method != "GET":
                problems.append("sends a body, the contract has none")
            return problems
        content_type = exchange.request_headers.get("content-type", "")
        if not content_type.startswith(spec["content_type"]):
            return [*problems, f"content type {content_type!r}, contract {spec['content_type']!r}"]
        fields = spec["fields"]
        if isinstance(fields, str):
            fields = self.ops[re.sub(r"^as ", "", fields).strip()]["request_body"]["fields"]
        if spec["content_type"] == "application/json":
            try:
                document = json.loads(body)
            except ValueError:
                return [*problems, "request body is not JSON"]
            problems += check_object(document, fields, "body", self, op["base"], request=True)
        elif spec["content_type"] == "application/x-www-form-urlencoded":
            problems += check_form(exchange.form(), fields)
        elif spec["content_type"] == "multipart/form-data":
            problems += check_multipart(content_type, body)
        return problems

    def check_response(self, name: str, exchange: Exchange) -> list[str]:
        op, status = self.ops[name], str(exchange.status)
        spec = op["responses"].get(status)
        if spec is None:
            if 200 <= exchange.status < 300:
                return [f"answered {status}, which the contract does not list"]
            return []  # undocumented error statuses (injected faults, gateways) are not shapes
        if isinstance(spec, str):
            return check_described_body(spec, exchange)
        problems = []
        headers = {k.lower() for k in exchange.response_headers}
        problems += [f"response header {h} missing" for h in spec.get("headers", {})
                     if h.lower() not in headers]
        body_text = spec.get("body", "")
        raw = exchange.response_body
        if body_text == "empty":
            return problems + ([] if not raw.strip() else ["body must be empty"])
        if body_text == "empty or {}":
            return problems + ([] if raw.strip() in (b"", b"{}") else ["body must be empty or {}"])
        if "fields" not in spec and "envelope" not in spec and not self.response_fields(name, status):
            return problems  # bytes or an undescribed DTO
        try:
            document = json.loads(raw)
        except ValueError:
            return [*problems, "response body is not JSON"]
        fields = self.response_fields(name, status) or []
        dto = re.sub(r"^array<(.*)>$", r"\1", spec.get("envelope", {}).get("value") or body_text)
        if "envelope" in spec:
            if not isinstance(document, dict):
                return [*problems, "v3 list body must be {value, totalCount, nextPage}"]
            extra = set(document) - set(spec["envelope"])
            problems += [f"envelope key {k!r} is not in the contract" for k in sorted(extra)]
            if not isinstance(document.get("value"), list):
                problems.append("envelope value must be an array")
            total = document.get("totalCount")
            if total is not None and (not isinstance(total, int) or isinstance(total, bool)):
                problems.append("totalCount must be integer|null")
            if document.get("nextPage") is not None and not isinstance(document["nextPage"], str):
                problems.append("nextPage must be string|null")
            items = document.get("value") or []
        elif body_text.startswith("array"):
            if not isinstance(document, list):
                return [*problems, f"body must be {body_text}"]
            items = document
        else:
            items = [document]
        for index, item in enumerate(items):
            problems += check_object(item, fields, f"body[{index}]", self, op["base"],
                                     request=False, dto=dto)
        return problems


def check_query_value(key: str, value: str, spec: dict[str, Any]) -> list[str]:
    base = re.sub(r"^array<(.*)>$", r"\1", spec["type"])
    enum = spec.get("enum")
    if enum is not None and value not in [str(e) for e in enum]:
        return [f"query {key}={value!r} is not one of {enum}"]
    if base == "integer" and not re.fullmatch(r"-?\d+", value):
        return [f"query {key}={value!r} is not an integer"]
    if base == "boolean" and value not in ("true", "false"):
        return [f"query {key}={value!r} is not true/false"]
    if base == "date-time" and not ISO_DATETIME.match(value):
        return [f"query {key}={value!r} is not an ISO date-time"]
    return []


def check_form(form: dict[str, str], fields: list[dict[str, Any]]) -> list[str]:
    known = {f["name"]: f for f in fields}
    problems = [f"form field {k!r} is not in the contract" for k in form if k not in known]
    for f in fields:
        if f["name"] not in form:
            # client_secret may travel as HTTP Basic instead; the contract says so in a note.
            if f.get("required"):
                problems.append(f"form field {f['name']!r} is required")
        elif f.get("enum") and form[f["name"]] not in f["enum"]:
            problems.append(f"form field {f['name']}={form[f['name']]!r} not in {f['enum']}")
    return problems


def check_multipart(content_type: str, body: bytes) -> list[str]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        return ["multipart body could not be parsed"]
    files = [part for part in message.iter_parts() if part.get_filename()]
    if len(files) != 1:
        return [f"multipart body must carry exactly one file part, has {len(files)}"]
    return []


def check_described_body(text: str, exchange: Exchange) -> list[str]:
    """Bodies the contract describes in words: error shapes, 'no body', 'accepted'."""
    raw = exchange.response_body.strip()
    lowered = text.lower()
    if lowered.startswith(("no body", "accepted (no body)")):
        return [] if not raw else [f"{exchange.status} must have no body"]
    if not raw:
        return []  # 202 accepted/deleted, 302, gateway errors: nothing to check
    try:
        document = json.loads(raw)
    except ValueError:
        return [] if exchange.status in (302,) or "bytes" in lowered else [f"{exchange.status} body is not JSON"]
    if not isinstance(document, dict):
        return []
    if "problemdetails" in lowered:
        wanted = {"type", "title", "status", "detail", "instance"}
        missing = wanted - set(document)
        return [f"ProblemDetails without {sorted(missing)}"] if missing else []
    if "exception envelope" in lowered:
        if set(document) == EXCEPTION_ENVELOPE or ("{message}" in lowered and set(document) == {"Message"}):
            return []
        return [f"{exchange.status} body is neither the Exception envelope nor {{Message}}: {sorted(document)}"]
    if lowered.startswith("{error"):
        return [] if "error" in document else ["OAuth error body without 'error'"]
    return []


def type_name(value: Any) -> str:
    return type(value).__name__


def check_scalar(value: Any, spec: dict[str, Any], where: str, *, request: bool) -> list[str]:
    kind = spec["type"]
    if kind in ("string", "date-time", "string(base64)"):
        if not isinstance(value, str):
            return [f"{where}: {kind} expected, got {type_name(value)}"]
        if kind == "date-time" and not ISO_DATETIME.match(value):
            return [f"{where}: {value!r} is not an ISO date-time"]
        if kind == "string(base64)":
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                return [f"{where}: not base64"]
        if "maxLength" in spec and len(value) > spec["maxLength"]:
            return [f"{where}: longer than {spec['maxLength']}"]
        if request and "minLength" in spec and len(value) < spec["minLength"]:
            return [f"{where}: shorter than {spec['minLength']}"]
    elif kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return [f"{where}: integer expected, got {type_name(value)}"]
    elif kind == "number":
        if not isinstance(value, int | float) or isinstance(value, bool):
            return [f"{where}: number expected, got {type_name(value)}"]
    elif kind == "boolean" and not isinstance(value, bool):
        return [f"{where}: boolean expected, got {type_name(value)}"]
    if kind in ("integer", "number"):
        if "minimum" in spec and value < spec["minimum"]:
            return [f"{where}: below {spec['minimum']}"]
        if "maximum" in spec and value > spec["maximum"]:
            return [f"{where}: above {spec['maximum']}"]
    if spec.get("enum") is not None and value not in spec["enum"]:
        return [f"{where}: {value!r} is not one of {spec['enum']}"]
    return []


def check_value(
    value: Any, spec: dict[str, Any], where: str, contract: Contract, base: str, *, request: bool
) -> list[str]:
    """One field's value (already unwrapped) against its contract entry."""
    if value is None:
        return []
    kind = spec["type"]
    if kind in SCALARS:
        return [] if kind == "file" else check_scalar(value, spec, where, request=request)
    array = re.match(r"^array<(.*)>$", kind)
    if array:
        if not isinstance(value, list):
            return [f"{where}: array expected, got {type_name(value)}"]
        element = {"name": spec["name"], "type": array.group(1), "required": False}
        if "fields" in spec:
            element["fields"] = spec["fields"]
        for key in ("enum", "maxLength"):
            if key in spec:
                element[key] = spec[key]
        problems = []
        for index, item in enumerate(value):
            problems += check_value(item, element, f"{where}[{index}]", contract, base, request=request)
        return problems
    if isinstance(spec.get("fields"), list):
        return check_object(value, spec["fields"], where, contract, base, request=request, dto=kind)
    if not kind.startswith("object") and (base, kind) in contract.named:
        return check_object(value, contract.named[(base, kind)], where, contract, base,
                            request=request, dto=kind)
    if not isinstance(value, dict):
        return [f"{where}: object expected ({kind}), got {type_name(value)}"]
    inline = inline_names(kind)
    if inline is not None:
        names, open_ = inline
        if not open_:
            return [f"{where}.{k}: not in the contract ({kind})" for k in value if k not in names]
        return []
    mapping = re.match(r"^object<string,(.*)>$", kind)
    if mapping and mapping.group(1) == "string":
        return [f"{where}.{k}: string expected" for k, v in value.items() if not isinstance(v, str | None)]
    return []  # plain "object" (or a name without fields): open


def unwrap(value: Any, spec: dict[str, Any], where: str) -> tuple[Any, list[str]]:
    if not spec.get("wrapped"):
        if isinstance(value, dict) and set(value) == {"value"} and spec["type"] in SCALARS:
            return value, [f"{where}: wrapped in {{'value': ...}} but the contract says unwrapped"]
        return value, []
    if not isinstance(value, dict) or set(value) != {"value"}:
        return value, [f"{where}: must be wrapped as {{'value': ...}}"]
    return value["value"], []


def check_object(
    document: Any,
    fields: list[dict[str, Any]],
    where: str,
    contract: Contract,
    base: str,
    *,
    request: bool,
    dto: str = "",
) -> list[str]:
    """An object against its field list; ``dto`` names it for the documented extras."""
    if not isinstance(document, dict):
        return [f"{where}: object expected, got {type_name(document)}"]
    known = {f["name"]: f for f in fields}
    allowed = set() if request else DOCUMENTED_IN_REFERENCE.get(dto, set())
    if not request and base == "erp" and dto:
        allowed |= ERP_READ_EXTRAS
    problems = [f"{where}.{k}: not in the contract" for k in document
                if k not in known and k not in allowed]
    for spec in fields:
        name, here = spec["name"], f"{where}.{spec['name']}"
        if name not in document:
            if spec.get("required"):
                problems.append(f"{here}: required")
            continue
        value, wrap_problems = unwrap(document[name], spec, here)
        problems += wrap_problems
        if wrap_problems:
            continue
        if spec.get("wrapped") and spec["type"] == "object" and "fields" not in spec:
            problems += check_wrapped_object(value, spec, here)
        else:
            problems += check_value(value, spec, here, contract, base, request=request)
    return problems


def check_wrapped_object(value: Any, spec: dict[str, Any], where: str) -> list[str]:
    """A wrapped object of wrapped fields (invoice ``billingAddress``/``invoiceContact``)."""
    if value is None:
        return []
    if not isinstance(value, dict):
        return [f"{where}: object expected"]
    names = wrapped_note_names(spec.get("note", ""))
    problems = []
    for key, inner in value.items():
        if names is not None and key not in names:
            problems.append(f"{where}.{key}: not in the contract ({sorted(names)})")
        if not isinstance(inner, dict) or set(inner) != {"value"}:
            problems.append(f"{where}.{key}: must be wrapped as {{'value': ...}}")
    return problems


@dataclass
class Traffic:
    """Exchanges recorded by an httpx response hook; thread-safe."""

    exchanges: list[Exchange] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hook(self, response: httpx.Response) -> None:
        request = response.request
        request.read()
        response.read()
        exchange = Exchange(
            method=request.method,
            url=str(request.url),
            request_headers={k.lower(): v for k, v in request.headers.items()},
            request_body=request.content,
            status=response.status_code,
            response_headers={k.lower(): v for k, v in response.headers.items()},
            response_body=response.content,
        )
        with self._lock:
            self.exchanges.append(exchange)

    def http_client(self, **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` whose traffic lands here (pass it as ``http_client=``)."""
        return httpx.Client(event_hooks={"response": [self.hook]}, **kwargs)

    def __iter__(self) -> Iterator[Exchange]:
        with self._lock:
            return iter(list(self.exchanges))

    def clear(self) -> None:
        with self._lock:
            self.exchanges.clear()
