"""Archived work orders → sales orders or customer invoices in Visma.net, exactly once.

The rules are written down in ``docs/sync-rules.md`` ("## Export"); the content of a document
is decided in :mod:`werkbon.integrations.vismanet.mapping.outbound`. The modules are the
export's steps, in order:

1. :mod:`.outbox`: the record written in the archive transaction (:func:`queue`), its marker,
   and what a person does with it (:func:`retry`, :func:`set_customer`,
   :func:`make_new_document`, :func:`mark_handled_outside`).
2. :mod:`.preflight`: valid settings, a customer, a warehouse, and fresh master data in
   Visma.net (customer, items, warehouse usable) before the first write.
3. :mod:`.document`: adopt the document an earlier attempt made (only when provably ours) or
   create it; store its number at once; read its status back. :mod:`.write_back` instead for a
   work order made from a Visma.net sales order (never one Werkbon made itself).
4. :mod:`.attachments`: the PDFs the document does not have yet, never twice.
5. :mod:`.outcome`: sent, transient (bounded retries), failed (a person acts, Retry) or
   deleted in Visma.net (a person chooses); each a method of ``ExportRecord``.

:mod:`.job` runs them for one record (``tasks.export_work_order``).
"""

from __future__ import annotations

from werkbon.integrations.models import EXPORT_WORKABLE_STATES, ExportDocumentType
from werkbon.integrations.vismanet.export.attachments import MSG_NO_FORMS
from werkbon.integrations.vismanet.export.document import (
    find_invoice,
    find_sales_order,
    gather_facts,
)
from werkbon.integrations.vismanet.export.job import export
from werkbon.integrations.vismanet.export.outbox import (
    KIND,
    make_new_document,
    mark_handled_outside,
    queue,
    retry,
    set_customer,
)
from werkbon.integrations.vismanet.export.outcome import PermanentFailure
from werkbon.integrations.vismanet.export.preflight import (
    MSG_CUSTOMER_INACTIVE,
    MSG_CUSTOMER_UNKNOWN,
    MSG_NO_CUSTOMER,
    choose_warehouse,
)

SALES_ORDER = ExportDocumentType.SALES_ORDER.value
CUSTOMER_INVOICE = ExportDocumentType.CUSTOMER_INVOICE.value
RETRYABLE = EXPORT_WORKABLE_STATES  # the states a job works on

__all__ = [
    "CUSTOMER_INVOICE", "KIND", "MSG_CUSTOMER_INACTIVE", "MSG_CUSTOMER_UNKNOWN", "MSG_NO_CUSTOMER", "MSG_NO_FORMS",
    "RETRYABLE", "SALES_ORDER", "PermanentFailure", "choose_warehouse", "export", "find_invoice",
    "find_sales_order", "gather_facts", "make_new_document", "mark_handled_outside", "queue", "retry",
    "set_customer",
]
