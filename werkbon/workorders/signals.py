"""Signals other apps listen to; this app never imports its listeners.

Both are sent inside the database transaction that changes the status, so a listener
that writes rows (an integration's outbox) commits or rolls back together with it.
"""

from django.dispatch import Signal

# sender=WorkOrder, work_order=<WorkOrder>, user=<User>, customer_email=<str: the address the
# technician entered at completion, checked; "" for the customer's own>
work_order_completed = Signal()
# sender=WorkOrder, work_order=<WorkOrder>, user=<User>
work_order_archived = Signal()
