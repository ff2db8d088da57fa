"""The signed work order e-mailed to the customer at completion (issue 11): an outbox row per
completion, sent by a Celery task through SMTP. See :mod:`werkbon.customermail.outbox`."""
