"""What a sync job does with an error: the log says what happened, the worker never
crashes on an expected one (``docs/sync-rules.md``, "Errors")."""

from __future__ import annotations

import contextlib
import logging
import traceback
from collections.abc import Iterator

from django.utils.translation import gettext_noop

from vismanet import RateLimitedError, ReconnectRequired, VismaNetError
from werkbon.integrations.leases import LeaseLost
from werkbon.integrations.log import log
from werkbon.integrations.models import Integration, LogEntry, LogLevel, LogTable
from werkbon.integrations.vismanet.sync.pipeline import Deactivated

logger = logging.getLogger(__name__)

RECONNECT = gettext_noop("Connection to Visma.net lost: reconnect")
RECONNECT_ACTION = gettext_noop(
    "Open Integrations → Visma.net and connect again (step 2 of the activation); the import "
    "continues where it stopped."
)
FAILED = gettext_noop("Import from Visma.net failed: %(message)s")
FAILED_ACTION = gettext_noop("No action needed if it happens once: the next run tries again. "
                             "If it keeps failing, contact support with the details.")
CRASHED = gettext_noop("Import from Visma.net stopped on an unexpected error")
CRASHED_ACTION = gettext_noop("Contact support with the details of this entry.")


def _last_is(integration: Integration, message: str) -> bool:
    latest = LogEntry.objects.filter(integration=integration).order_by("-created_at", "-id").first()
    return latest is not None and latest.message == message


@contextlib.contextmanager
def reported(integration: Integration) -> Iterator[None]:
    """Run a sync job and turn its errors into log entries.

    * ``ReconnectRequired`` → one error entry (not repeated while nothing else happened), stop.
    * ``RateLimitedError`` → stop quietly: the client factory paused the company and logged it.
    * ``Deactivated`` → stop quietly: the user deactivated the integration during the run.
    * ``LeaseLost`` → stop quietly: another worker took the job over (this one was too slow
      to renew its lease); that worker carries on from the committed state.
    * any other ``VismaNetError`` → an error entry with the message; the request id and the
      operation go to the detail for support.
    * anything else → an error entry with the traceback (redacted) as detail, re-raised.
    """
    try:
        yield
    except ReconnectRequired as error:
        if not _last_is(integration, RECONNECT):
            log(integration, LogLevel.ERROR, LogTable.INTEGRATION, RECONNECT, action=RECONNECT_ACTION,
                detail=str(error))
    except RateLimitedError:
        logger.info("import of integration %s paused by a rate limit", integration.pk)
    except Deactivated:
        logger.info("import of integration %s stopped: deactivated", integration.pk)
    except LeaseLost:
        logger.warning("import of integration %s stopped: its lease was taken over", integration.pk)
    except VismaNetError as error:
        detail = (f"operation={error.operation} status={error.status_code} "
                  f"request_ids={getattr(error, 'request_ids', None) or error.request_id}\n{error}")
        log(integration, LogLevel.ERROR, LogTable.INTEGRATION, FAILED, action=FAILED_ACTION,
            params={"message": error.message or str(error)}, detail=detail)
    except Exception:
        log(integration, LogLevel.ERROR, LogTable.INTEGRATION, CRASHED, action=CRASHED_ACTION,
            detail=traceback.format_exc())
        raise
