"""A book: one handler per integration, plus optional start, readiness and stop hooks.

    from bdk_book import Book, Reject

    book = Book()

    @book.webhook("zendesk")
    def ticket(event):
        ticket = event.json()["ticket"]
        token = event.credentials["zendesk_api_key"]
        ...
        return {"ticket_id": ticket["id"]}   # optional: becomes "result" in the answer

A handler gets a :class:`Webhook` and returns ``None`` (processed), a JSON-able value (processed,
sent back as ``result``) or a :class:`Reply`; it raises :class:`Reject` to refuse the webhook for
good (4xx) or :class:`Retry` to ask the sender to deliver it again later (503 + Retry-After).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .credentials import Credentials
from .logs import Logger
from .settings import Tenant


class Reject(Exception):
    """Refuse this webhook for good: a 4xx the sender should not retry (except 408/429)."""

    def __init__(self, status: int = 400, code: str = "rejected", message: str = ""):
        if not 400 <= status <= 499:
            raise ValueError(f"Reject status must be 4xx; got {status}")
        super().__init__(message or code)
        self.status = status
        self.code = code
        self.message = message or code


class Retry(Exception):
    """Cannot process it now: 503 with ``Retry-After`` so the sender delivers it again later."""

    def __init__(self, message: str = "try again later", after_seconds: int | None = None):
        if after_seconds is not None and after_seconds < 0:
            raise ValueError(f"Retry after_seconds must be >= 0; got {after_seconds}")
        super().__init__(message)
        self.message = message
        self.after_seconds = after_seconds


@dataclass(frozen=True)
class Reply:
    """A handler's explicit answer: a status (2xx) and a result for the answer's ``result``."""

    status: int = 200
    result: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 200 <= self.status <= 299:
            raise ValueError(f"Reply status must be 2xx (raise Reject or Retry otherwise); got {self.status}")


@dataclass(frozen=True)
class Webhook:
    """One webhook as the gateway delivered it: verified, with the exact body the sender signed."""

    webhook_id: str | None
    integration: str
    routed_to: str | None
    instance: str | None
    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    tenant: Tenant
    log: Logger

    @property
    def credentials(self) -> Credentials:
        return self.tenant.credentials

    @property
    def custom_settings(self) -> Mapping[str, Any]:
        return self.tenant.custom_settings

    def header(self, name: str, default: str | None = None) -> str | None:
        """A request header by case-insensitive name (the provider's own headers included)."""
        return self.headers.get(name.lower(), default)

    def text(self, encoding: str = "utf-8") -> str:
        try:
            return self.body.decode(encoding)
        except UnicodeDecodeError as e:
            raise Reject(400, "invalid_body", f"body is not {encoding} text: {e.reason} at byte {e.start}") from None

    def json(self) -> Any:
        """The body parsed as JSON; a body that is not JSON is a 400 naming the problem."""
        try:
            return json.loads(self.text())
        except json.JSONDecodeError as e:
            raise Reject(400, "invalid_json", f"body is not JSON: {e.msg} at character {e.pos}") from None


Handler = Callable[[Webhook], Any]
Hook = Callable[[], Any]


class Book:
    def __init__(self, name: str | None = None):
        self.name = name
        self._handlers: dict[str, Handler] = {}
        self._fallback: Handler | None = None
        self._on_start: list[Hook] = []
        self._readiness: list[Hook] = []
        self._on_stop: list[Hook] = []

    def webhook(self, integration: str | None = None) -> Callable[[Handler], Handler]:
        """Registers the handler of ``integration`` (the name in the book's ``integrations``);
        without a name, the handler of every integration that has none of its own."""

        def register(fn: Handler) -> Handler:
            if integration is None:
                if self._fallback is not None:
                    raise ValueError("a handler for every other integration is already registered")
                self._fallback = fn
            else:
                if not integration or not isinstance(integration, str):
                    raise ValueError(f"integration must be a non-empty name; got {integration!r}")
                if integration in self._handlers:
                    raise ValueError(f"integration {integration!r} already has a handler: one handler per integration")
                self._handlers[integration] = fn
            return fn

        return register

    def on_start(self, fn: Hook) -> Hook:
        """Runs once before the book reports ready (load models, open clients …)."""
        self._on_start.append(fn)
        return fn

    def readiness(self, fn: Hook) -> Hook:
        """A check /health runs: return False (or raise) while the book cannot serve."""
        self._readiness.append(fn)
        return fn

    def on_stop(self, fn: Hook) -> Hook:
        """Runs once after the last in-flight webhook finished, before the process exits."""
        self._on_stop.append(fn)
        return fn

    def handler_for(self, integration: str) -> Handler | None:
        return self._handlers.get(integration, self._fallback)

    @property
    def integrations(self) -> list[str]:
        return sorted(self._handlers)

    @property
    def start_hooks(self) -> list[Hook]:
        return list(self._on_start)

    @property
    def readiness_checks(self) -> list[Hook]:
        return list(self._readiness)

    @property
    def stop_hooks(self) -> list[Hook]:
        return list(self._on_stop)

    def run(self, argv: list[str] | None = None) -> None:
        """Serves this book until SIGTERM (``python mybook.py``); see :mod:`bdk_book.server`."""
        from .server import main

        raise SystemExit(main(argv, book=self))
