"""The route table: every emulated operation with its contract id, path, auth and handler.

Order matters where literals and parameters share a position (``customer/customerClass``
before ``customer/{customerCd}``). ``coverage.py`` builds COVERAGE.md from this table.
"""

from __future__ import annotations

from .core import Route
from .resources import (
    attachments,
    customers,
    customers_v3,
    inventory,
    invoices,
    locations,
    reference,
    salesorders,
)


def build_routes() -> list[Route]:
    """The route table: operation id, method, path pattern, handler and API (erp or v3)."""
    erp, v3 = "erp", "v3"
    return [
        Route("context.list", "GET", "/resources/v1/context", reference.list_contexts, erp),
        Route("context.list", "GET", "/API/resources/v1/context", reference.list_contexts, erp),
        Route("organization.list", "GET", "/v1/organization", reference.list_organizations, erp),
        Route("branch.list", "GET", "/v1/branch", reference.list_branches, erp),
        Route("customer.classes", "GET", "/v1/customer/customerClass", customers.list_customer_classes, erp),
        Route("customer.get_internal", "GET", "/v1/customer/internal/{internalId}",
              customers.get_customer_internal, erp),
        Route("customer.list", "GET", "/v1/customer", customers.list_customers, erp),
        Route("customer.get", "GET", "/v1/customer/{customerCd}", customers.get_customer, erp),
        Route("location.list", "GET", "/v1/location", locations.list_all, erp),
        Route("customer_location.list", "GET", "/v1/location/{bAccountId}", locations.list_for_customer, erp),
        Route("customer_location.get", "GET", "/v1/location/{bAccountId}/{locationId}", locations.get_location, erp),
        Route("itemclass.list", "GET", "/v1/inventory/itemClass", reference.list_item_classes, erp),
        Route("itemclass.get", "GET", "/v1/inventory/itemclass/{itemClassNumber}", reference.get_item_class, erp),
        Route("postingclass.list", "GET", "/v1/inventory/itemPostClass", reference.list_posting_classes, erp),
        Route("inventory.get_internal", "GET", "/v1/inventory/internal/{inventoryId}",
              inventory.get_inventory_internal, erp),
        Route("inventory.list", "GET", "/v1/inventory", inventory.list_inventory, erp),
        Route("inventory.get", "GET", "/v1/inventory/{inventoryNumber}", inventory.get_inventory, erp),
        Route("warehouse.list", "GET", "/v1/warehouse", reference.list_warehouses, erp),
        Route("warehouse.get", "GET", "/v1/warehouse/{warehouseId}", reference.get_warehouse, erp),
        Route("salesordertype.list", "GET", "/v1/salesordertype", reference.list_order_types, erp),
        Route("salesordertype.get", "GET", "/v1/salesordertype/{orderType}", reference.get_order_type, erp),
        # Customer invoices
        Route("customerinvoice.create", "POST", "/v2/customerinvoice", invoices.create_invoice, erp, "create"),
        Route("customerinvoice.create_v1", "POST", "/v1/customerinvoice", invoices.create_invoice, erp, "create"),
        Route("customerinvoice.list", "GET", "/v1/customerinvoice", invoices.list_invoices, erp),
        Route("customerinvoice.get", "GET", "/v1/customerinvoice/{invoiceNumber}", invoices.get_invoice, erp),
        Route("customerinvoice.update", "PUT", "/v1/customerinvoice/{invoiceNumber}", invoices.update_invoice,
              erp, "update"),
        Route("customerinvoice.delete", "DELETE", "/v1/customerinvoice/{invoiceNumber}", invoices.delete_invoice,
              erp, "delete"),
        Route("customerinvoice.release", "POST", "/v1/customerinvoice/{invoiceNumber}/action/release",
              invoices.release_invoice, erp, "update"),
        # Attachments
        Route("attachment.salesorder.upload", "POST", "/v1/salesorder/orderType/{orderType}/{orderNumber}/attachment",
              attachments.upload_salesorder, erp, "create"),
        Route("attachment.salesorder.upload_line", "POST",
              "/v1/salesorder/orderType/{orderType}/{orderNumber}/{lineNumber}/attachment",
              attachments.upload_salesorder_line, erp, "create"),
        Route("attachment.salesorder.upload_untyped", "POST", "/v1/salesorder/{orderNumber}/attachment",
              attachments.upload_salesorder_untyped, erp, "create"),
        Route("attachment.salesorder.delete", "DELETE", "/v1/salesorder/{orderType}/{orderNumber}/attachment/{fileId}",
              attachments.delete_salesorder_attachment, erp, "delete"),
        Route("attachment.customerinvoice.upload", "POST", "/v1/customerinvoice/{invoiceNumber}/attachment",
              attachments.upload_invoice, erp, "create"),
        Route("attachment.customerinvoice.upload_line", "POST",
              "/v1/customerinvoice/{invoiceNumber}/{lineNumber}/attachment",
              attachments.upload_invoice_line, erp, "create"),
        Route("attachment.get", "GET", "/v1/attachment/{attachmentId}", attachments.get_attachment, erp),
        Route("attachment.update_metadata", "PUT", "/v1/attachment/{attachmentId}", attachments.update_attachment,
              erp, "update"),
        # Sales Orders v3
        Route("salesorder_v3.list", "GET", "/api/v3/SalesOrders", salesorders.list_orders, v3),
        Route("salesorder_v3.create", "POST", "/api/v3/SalesOrders", salesorders.create_order, v3, "write"),
        Route("salesorder_v3.list_by_type", "GET", "/api/v3/SalesOrders/{type}", salesorders.list_orders, v3),
        Route("salesorder_v3.get", "GET", "/api/v3/SalesOrders/{type}/{orderId}", salesorders.get_order, v3),
        Route("salesorder_v3.patch", "PATCH", "/api/v3/SalesOrders/{type}/{orderId}", salesorders.patch_order,
              v3, "write"),
        Route("salesorder_v3.delete", "DELETE", "/api/v3/SalesOrders/{type}/{orderId}", salesorders.delete_order,
              v3, "write"),
        Route("salesorder_v3.lines.list", "GET", "/api/v3/SalesOrders/{type}/{orderId}/lines",
              salesorders.list_lines, v3),
        Route("salesorder_v3.lines.add", "POST", "/api/v3/SalesOrders/{type}/{orderId}/lines",
              salesorders.add_lines, v3, "write"),
        Route("salesorder_v3.lines.patch", "PATCH", "/api/v3/SalesOrders/{type}/{orderId}/lines",
              salesorders.patch_lines, v3, "write"),
        Route("salesorder_v3.lines.delete", "DELETE", "/api/v3/SalesOrders/{type}/{orderId}/lines",
              salesorders.delete_lines, v3, "write"),
        Route("salesorder_v3.lines.get", "GET", "/api/v3/SalesOrders/{type}/{orderId}/lines/{lineId}",
              salesorders.get_line, v3),
        Route("customer_v3.list", "GET", "/api/v3/Customers", customers_v3.list_customers, v3),
        Route("customer_v3.locations", "GET", "/api/v3/Customers/{customerId}/locations",
              customers_v3.list_locations, v3),
    ]
