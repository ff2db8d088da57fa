"""Constants of the shipped demo seed (tests and demos may import these; production code
must not import ``vismanet_sandbox``)."""

from __future__ import annotations

DEMO_TENANT_ID = "5e3f1a2b-7c4d-4e8f-9a01-b2c3d4e5f601"
DEMO_COMPANY_NUMBER = 4710001
DEMO_COMPANY_NAME = "Installatietechniek Demo B.V."
SMALL_TENANT_ID = "5e3f1a2b-7c4d-4e8f-9a01-b2c3d4e5f602"
SMALL_COMPANY_NUMBER = 4710002
SMALL_COMPANY_NAME = "Kleine Klusjes B.V."

CLIENT_ID = "werkbon-demo"
CLIENT_SECRET = "werkbon-demo-secret"  # noqa: S105 - public demo credential of a local sandbox
DEMO_USER = "demo"

INTERACTIVE_SCOPES = ("vismanet_erp_interactive_api:read", "vismanet_erp_interactive_api:create",
                      "vismanet_erp_interactive_api:update", "vismanet_erp_interactive_api:delete")
SERVICE_SCOPES = ("vismanet_erp_service_api:read", "vismanet_erp_service_api:create",
                  "vismanet_erp_service_api:update", "vismanet_erp_service_api:delete")
SALESORDER_SCOPES = ("visma.net.erp.salesorder:read", "visma.net.erp.salesorder:write")

ITEM_WORK = "ARBEID"
ITEM_TRAVEL = "REISTIJD"
ITEM_CALLOUT = "VOORRIJDEN"
WAREHOUSES = ("HOOFD", "BUS1", "BUS2")
SMALL_WAREHOUSE = "MAGAZIJN"
ORDER_TYPE_SALES = "SO"
ORDER_TYPE_QUOTE = "QT"
FIRST_CUSTOMER = "10001"
SMALL_FIRST_CUSTOMER = "20001"
