"""The API operations the client calls, named as in visma-net-contract.json.

Keeping them in one table lets a test hold every method, base and path against the contract
file, and gives errors and logs a stable operation name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from vismanet._errors import UnaddressableError

Base = Literal["erp", "erp_legacy", "salesorders_v3", "connect"]


@dataclass(frozen=True)
class Endpoint:
    """One API operation: contract key, HTTP method, base URL kind and path template."""

    name: str
    method: str
    base: Base
    path: str

    def format(self, **params: str | int) -> str:
        """Fill the path template; values are percent-encoded (UTF-8) as one path segment each.

        Raises:
            UnaddressableError: a value this API cannot carry in a path segment (see
                ``segment_is_safe``); nothing is sent.
        """
        for name, value in params.items():
            if not segment_is_safe(value, self.base):
                raise UnaddressableError(
                    f"{name} {str(value)!r} cannot be sent in the URL path of {self.name}:"
                    f" Visma.net would route it elsewhere or refuse it. No request was sent.",
                    operation=self.name,
                    method=self.method,
                    parameter=name,
                    value=str(value),
                )
        return self.path.format(**{k: quote(str(v), safe="") for k, v in params.items()})


# The ERP API runs on ASP.NET/IIS: the whole path is percent-decoded before routing, so an
# encoded "/" becomes a separator (another route, or none: 404), and ASP.NET refuses a
# decoded path holding any of its requestPathInvalidCharacters (400 "A potentially dangerous
# Request.Path value"); IIS refuses "+" (double escaping) and drops trailing dots and spaces.
_ERP_UNSAFE = frozenset("/\\<>*%&:?+")
# The Sales Orders v3 API runs on ASP.NET Core: it decodes everything except "%2F", which
# stays encoded in the route value, so the id would not be found; "\\" is normalised to "/".
_V3_UNSAFE = frozenset("/\\")


def segment_is_safe(value: str | int, base: Base) -> bool:
    """Whether ``value`` survives as one path segment of the API at ``base`` (see above).

    Spaces, ``#``, non-ASCII letters and the like are safe: they are percent-encoded and
    decoded back to the same value. Control characters, empty values, ``.`` and ``..`` are not.
    """
    text = str(value)
    if not text or text in (".", "..") or any(ord(c) < 0x20 or c == "\x7f" for c in text):
        return False
    if base == "salesorders_v3":
        return not any(c in _V3_UNSAFE for c in text)
    return not any(c in _ERP_UNSAFE for c in text) and not text.endswith((".", " "))


def _ep(name: str, method: str, base: Base, path: str) -> Endpoint:
    return Endpoint(name, method, base, path)


TOKEN_CLIENT_CREDENTIALS = _ep("auth.token.client_credentials", "POST", "connect", "/connect/token")
TOKEN_AUTHORIZATION_CODE = _ep("auth.token.authorization_code", "POST", "connect", "/connect/token")
TOKEN_REFRESH = _ep("auth.token.refresh", "POST", "connect", "/connect/token")
AUTHORIZE = _ep("auth.authorize", "GET", "connect", "/connect/authorize")

CONTEXT_LIST = _ep("context.list", "GET", "erp_legacy", "/resources/v1/context")
ORGANIZATION_LIST = _ep("organization.list", "GET", "erp", "/v1/organization")
BRANCH_LIST = _ep("branch.list", "GET", "erp", "/v1/branch")

CUSTOMER_LIST = _ep("customer.list", "GET", "erp", "/v1/customer")
CUSTOMER_GET = _ep("customer.get", "GET", "erp", "/v1/customer/{customerCd}")
CUSTOMER_GET_INTERNAL = _ep(
    "customer.get_internal", "GET", "erp", "/v1/customer/internal/{internalId}"
)

CUSTOMER_V3_LIST = _ep("customer_v3.list", "GET", "salesorders_v3", "/api/v3/Customers")

CUSTOMER_LOCATION_LIST = _ep("customer_location.list", "GET", "erp", "/v1/location/{bAccountId}")
CUSTOMER_LOCATION_GET = _ep(
    "customer_location.get", "GET", "erp", "/v1/location/{bAccountId}/{locationId}"
)
LOCATION_LIST = _ep("location.list", "GET", "erp", "/v1/location")

INVENTORY_LIST = _ep("inventory.list", "GET", "erp", "/v1/inventory")
INVENTORY_GET = _ep("inventory.get", "GET", "erp", "/v1/inventory/{inventoryNumber}")
INVENTORY_GET_INTERNAL = _ep(
    "inventory.get_internal", "GET", "erp", "/v1/inventory/internal/{inventoryId}"
)
ITEMCLASS_LIST = _ep("itemclass.list", "GET", "erp", "/v1/inventory/itemClass")
ITEMCLASS_GET = _ep("itemclass.get", "GET", "erp", "/v1/inventory/itemclass/{itemClassNumber}")

WAREHOUSE_LIST = _ep("warehouse.list", "GET", "erp", "/v1/warehouse")
WAREHOUSE_GET = _ep("warehouse.get", "GET", "erp", "/v1/warehouse/{warehouseId}")

SALESORDERTYPE_LIST = _ep("salesordertype.list", "GET", "erp", "/v1/salesordertype")

SO_LIST = _ep("salesorder_v3.list", "GET", "salesorders_v3", "/api/v3/SalesOrders")
SO_LIST_BY_TYPE = _ep(
    "salesorder_v3.list_by_type", "GET", "salesorders_v3", "/api/v3/SalesOrders/{type}"
)
SO_GET = _ep("salesorder_v3.get", "GET", "salesorders_v3", "/api/v3/SalesOrders/{type}/{orderId}")
SO_CREATE = _ep("salesorder_v3.create", "POST", "salesorders_v3", "/api/v3/SalesOrders")
SO_PATCH = _ep(
    "salesorder_v3.patch", "PATCH", "salesorders_v3", "/api/v3/SalesOrders/{type}/{orderId}"
)
SO_DELETE = _ep(
    "salesorder_v3.delete", "DELETE", "salesorders_v3", "/api/v3/SalesOrders/{type}/{orderId}"
)
SO_LINES_LIST = _ep(
    "salesorder_v3.lines.list",
    "GET",
    "salesorders_v3",
    "/api/v3/SalesOrders/{type}/{orderId}/lines",
)
SO_LINES_GET = _ep(
    "salesorder_v3.lines.get",
    "GET",
    "salesorders_v3",
    "/api/v3/SalesOrders/{type}/{orderId}/lines/{lineId}",
)
SO_LINES_ADD = _ep(
    "salesorder_v3.lines.add",
    "POST",
    "salesorders_v3",
    "/api/v3/SalesOrders/{type}/{orderId}/lines",
)
SO_LINES_PATCH = _ep(
    "salesorder_v3.lines.patch",
    "PATCH",
    "salesorders_v3",
    "/api/v3/SalesOrders/{type}/{orderId}/lines",
)
SO_LINES_DELETE = _ep(
    "salesorder_v3.lines.delete",
    "DELETE",
    "salesorders_v3",
    "/api/v3/SalesOrders/{type}/{orderId}/lines",
)

INVOICE_LIST = _ep("customerinvoice.list", "GET", "erp", "/v1/customerinvoice")
INVOICE_GET = _ep("customerinvoice.get", "GET", "erp", "/v1/customerinvoice/{invoiceNumber}")
INVOICE_CREATE = _ep("customerinvoice.create", "POST", "erp", "/v2/customerinvoice")

ATTACHMENT_SO_UPLOAD = _ep(
    "attachment.salesorder.upload",
    "POST",
    "erp",
    "/v1/salesorder/orderType/{orderType}/{orderNumber}/attachment",
)
ATTACHMENT_INVOICE_UPLOAD = _ep(
    "attachment.customerinvoice.upload",
    "POST",
    "erp",
    "/v1/customerinvoice/{invoiceNumber}/attachment",
)
ATTACHMENT_GET = _ep("attachment.get", "GET", "erp", "/v1/attachment/{attachmentId}")
