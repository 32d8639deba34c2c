"""Turns one delivered webhook into the book's answer (no I/O: the server does that).

The answer is the seed's JSON — ``webhook_id``, ``processed``, ``routed_to``,
``processing_time_ms`` — plus ``instance`` and ``integration`` when the gateway named them, the
handler's ``result`` when it returned one, and ``error`` (``code``, ``message``) when the webhook
was not processed. Statuses: 200 (or the handler's 2xx) processed; 4xx refused for good; 503
with ``Retry-After`` retry later; 500 the handler failed. Envoy passes all of them to the sender
unchanged (docs/book-contract.md says what senders do with each).
"""

from __future__ import annotations

import json
import re
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .book import Book, Reject, Reply, Retry, Webhook
from .logs import Logger
from .settings import Settings

HEADER_WEBHOOK_ID = "x-bdk-webhook-id"
HEADER_ROUTED_TO = "x-bdk-routed-to"
HEADER_INSTANCE = "x-bdk-instance"
HEADER_INTEGRATION = "x-bdk-integration"

# The gateway's public webhook path; used only when x-bdk-integration is absent (a book run by
# hand, without the gateway in front).
_WEBHOOK_PATH = re.compile(r"^/api/v1/webhooks/([^/]+)/[^/]+/?$")


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def handle_webhook(
    book: Book,
    settings: Settings,
    log: Logger,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    clock: Callable[[], float] = time.monotonic,
) -> Answer:
    """``headers`` keyed by lower-case name."""
    started = clock()
    webhook_id = headers.get(HEADER_WEBHOOK_ID)
    routed_to = headers.get(HEADER_ROUTED_TO)
    instance = headers.get(HEADER_INSTANCE)
    integration = headers.get(HEADER_INTEGRATION)
    if not integration:
        match = _WEBHOOK_PATH.match(path)
        integration = match.group(1) if match else None
    wlog = log.bind(webhook_id=webhook_id, integration=integration, instance=instance)

    def answer(status: int, processed: bool, result: Any = None, error: tuple[str, str] | None = None,
               extra_headers: Mapping[str, str] | None = None) -> Answer:
        elapsed_ms = int(round((clock() - started) * 1000))
        payload: dict[str, Any] = {
            "webhook_id": webhook_id,
            "processed": processed,
            "routed_to": routed_to,
            "processing_time_ms": elapsed_ms,
        }
        if instance:
            payload["instance"] = instance
        if integration:
            payload["integration"] = integration
        if result is not None:
            payload["result"] = result
        if error is not None:
            payload["error"] = {"code": error[0], "message": error[1]}
        out_headers = dict(extra_headers or {})
        if webhook_id:
            out_headers["x-bdk-webhook-id"] = webhook_id
        wlog.info("webhook_handled", status=status, processed=processed, body_bytes=len(body),
                  processing_time_ms=elapsed_ms, **({"error_code": error[0]} if error else {}))
        return Answer(status, payload, out_headers)

    if not integration:
        return answer(400, False, error=("missing_integration",
                      f"header {HEADER_INTEGRATION} is missing and the path is not /api/v1/webhooks/<integration>/<key>"))
    tenant = settings.tenant_for(instance)
    if tenant is None:
        reason = (f"header {HEADER_INSTANCE} is missing: a shared book needs it to pick the tenant" if not instance
                  else f"no tenant {instance!r} in this shared book (BDK_TENANTS names {', '.join(sorted(settings.tenants)) or 'none'})")
        return answer(404, False, error=("unknown_instance", reason))
    handler = book.handler_for(integration)
    if handler is None:
        known = ", ".join(book.integrations) or "none"
        return answer(404, False, error=("unknown_integration",
                      f"this book has no handler for integration {integration!r} (handlers: {known})"))

    event = Webhook(
        webhook_id=webhook_id,
        integration=integration,
        routed_to=routed_to,
        instance=instance,
        method=method,
        path=path,
        headers=dict(headers),
        body=body,
        tenant=tenant,
        log=wlog,
    )
    try:
        outcome = handler(event)
    except Reject as r:
        return answer(r.status, False, error=(r.code, r.message))
    except Retry as r:
        extra = {"retry-after": str(r.after_seconds)} if r.after_seconds is not None else {}
        return answer(503, False, error=("retry", r.message), extra_headers=extra)
    except Exception as e:  # the book's bug: the sender learns only that it failed
        frame = traceback.extract_tb(e.__traceback__)[-1] if e.__traceback__ else None
        where = f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}:{frame.name}" if frame else None
        wlog.error("webhook_failed", error_type=type(e).__name__, error=str(e), where=where)
        wlog.debug("webhook_failed_traceback", traceback="".join(traceback.format_exception(e)))
        return answer(500, False, error=("handler_failed", "the book failed to process this webhook"))
    reply = outcome if isinstance(outcome, Reply) else Reply(200, outcome)
    try:
        json.dumps(reply.result)
    except (TypeError, ValueError) as e:
        wlog.error("webhook_failed", error_type=type(e).__name__, error=f"result is not JSON-serializable: {e}")
        return answer(500, False, error=("handler_failed", "the book failed to process this webhook"))
    return answer(reply.status, True, result=reply.result, extra_headers=reply.headers)
