"""The book's HTTP server and lifecycle (standard library only).

- ``GET /health``: 200 ``{"status":"ok"}`` while the book serves; 503 while it starts (its
  ``on_start`` hooks run), when a ``readiness`` check fails, and while it drains on shutdown. The
  controller points both the liveness and the readiness probe at it.
- ``POST <any path>``: a webhook (see :mod:`bdk_book.dispatch`).
- SIGTERM (or SIGINT): ``/health`` turns 503 at once and answers carry ``Connection: close``;
  for ``BDK_SHUTDOWN_DRAIN_SECONDS`` (3 s) the book keeps taking webhooks while the gateway
  stops sending them; then it stops accepting, waits up to ``BDK_SHUTDOWN_GRACE_SECONDS`` (20 s)
  for webhooks in flight, runs the ``on_stop`` hooks and exits 0. Kubernetes waits 30 s before
  it kills a pod.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import sys
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .book import Book
from .dispatch import handle_webhook
from .logs import Logger, install_stdlib_handler, parse_level
from .settings import Settings, SettingsError

DEFAULT_BOOK = "bdk_book.acknowledge:book"


class _State:
    """Starting → serving → draining → stopped, and the webhooks in flight."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self.phase = "starting"
        self.in_flight = 0

    def set_phase(self, phase: str) -> None:
        with self._lock:
            self.phase = phase
            self._lock.notify_all()

    def enter(self) -> None:
        with self._lock:
            self.in_flight += 1

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1
            self._lock.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: self.in_flight == 0, timeout)


class BookServer:
    """A running book: :meth:`start` listens, :meth:`stop` drains and closes."""

    def __init__(self, book: Book, settings: Settings, log: Logger):
        self.book = book
        self.settings = settings
        self.log = log
        self.state = _State()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "bdk-book"
            sys_version = ""

            def log_message(self, format: str, *args: Any) -> None:  # http.server's own lines: off
                pass

            def do_GET(self) -> None:
                if self.path.split("?", 1)[0] == "/health":
                    status, body = server.health()
                    self._send(status, body)
                else:
                    self._send(404, {"error": {"code": "not_found", "message": "GET serves /health only; webhooks are POSTs"}})

            def do_POST(self) -> None:
                server.state.enter()
                try:
                    body = self._read_body()
                    if body is None:
                        return
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    answer = handle_webhook(server.book, server.settings, server.log, "POST",
                                            self.path, headers, body)
                    self._send(answer.status, answer.body, answer.headers)
                finally:
                    server.state.leave()

            def _other(self) -> None:
                self._send(405, {"error": {"code": "method_not_allowed",
                                           "message": f"{self.command} is not supported; use GET /health or POST a webhook"}},
                           {"allow": "GET, POST"})

            do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _other

            def _read_body(self) -> bytes | None:
                limit = server.settings.max_body_bytes
                if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                    chunks, total = [], 0
                    while True:
                        size_line = self.rfile.readline(1024)
                        try:
                            size = int(size_line.split(b";", 1)[0].strip(), 16)
                        except ValueError:
                            self._refuse(400, "invalid_body", "malformed chunked transfer encoding")
                            return None
                        if size == 0:
                            while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                                pass  # trailers
                            return b"".join(chunks)
                        total += size
                        if total > limit:
                            self._refuse(413, "body_too_large", f"body over {limit} bytes (BDK_MAX_BODY_BYTES)")
                            return None
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline(1024)
                length_header = self.headers.get("Content-Length")
                if length_header is None:
                    return b""
                try:
                    length = int(length_header)
                    if length < 0:
                        raise ValueError
                except ValueError:
                    self._refuse(400, "invalid_body", f"Content-Length {length_header!r} is not a byte count")
                    return None
                if length > limit:
                    self._refuse(413, "body_too_large", f"body of {length} bytes is over {limit} (BDK_MAX_BODY_BYTES)")
                    return None
                return self.rfile.read(length)

            def _refuse(self, status: int, code: str, message: str) -> None:
                server.log.warn("webhook_refused", status=status, error_code=code)
                self.close_connection = True
                self._send(status, {"processed": False, "error": {"code": code, "message": message}})

            def _send(self, status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> None:
                data = json.dumps(body, separators=(",", ":")).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                if server.state.phase != "serving":
                    # Draining: the gateway should open its next connection to another pod.
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

        self._http = ThreadingHTTPServer((settings.host, settings.port), Handler)
        self._http.daemon_threads = True  # in-flight webhooks are awaited by _State, with a deadline
        self._thread = threading.Thread(target=self._http.serve_forever, name="bdk-book-http", daemon=True)

    @property
    def port(self) -> int:
        return self._http.server_address[1]

    def health(self) -> tuple[int, dict[str, Any]]:
        phase = self.state.phase
        if phase != "serving":
            return 503, {"status": phase}
        for check in self.book.readiness_checks:
            try:
                ok = check()
            except Exception as e:  # a failing check means not ready, not a crash
                self.log.warn("readiness_check_failed", check=getattr(check, "__name__", "check"),
                              error_type=type(e).__name__)
                ok = False
            if ok is False:
                return 503, {"status": "not_ready", "check": getattr(check, "__name__", "check")}
        return 200, {"status": "ok", "book": self.settings.book_type}

    def start(self) -> None:
        self._thread.start()
        self.log.info("book_listening", host=self.settings.host, port=self.port, book=self.settings.book_type,
                      version=self.settings.book_version, deployment_type=self.settings.deployment_type,
                      shared=self.settings.shared, tenants=len(self.settings.tenants),
                      integrations=",".join(self.book.integrations) or "*")
        for hook in self.book.start_hooks:
            hook()
        self.state.set_phase("serving")
        self.log.info("book_ready")

    def stop(self, drain: bool = True) -> bool:
        """Drains (unless told not to) and closes; True when no webhook was cut off."""
        self.state.set_phase("draining")
        self.log.info("shutdown_requested", drain_seconds=self.settings.drain_seconds if drain else 0,
                      grace_seconds=self.settings.grace_seconds)
        if drain:
            # Keep serving while the gateway takes this pod out of its endpoints.
            threading.Event().wait(self.settings.drain_seconds)
        self._http.shutdown()  # stops accepting; handler threads already running go on
        self._http.server_close()
        idle = self.state.wait_idle(self.settings.grace_seconds)
        if not idle:
            self.log.warn("shutdown_grace_exceeded", in_flight=self.state.in_flight)
        for hook in self.book.stop_hooks:
            try:
                hook()
            except Exception as e:
                self.log.error("stop_hook_failed", hook=getattr(hook, "__name__", "hook"), error_type=type(e).__name__)
        self.state.set_phase("stopped")
        self.log.info("book_stopped", clean=idle)
        return idle


def load_book(reference: str) -> Book:
    """``module:attribute`` → the Book it names; errors say which part is wrong."""
    module_name, sep, attribute = reference.partition(":")
    if not sep or not module_name or not attribute:
        raise SettingsError(f"BDK_BOOK: must be module:attribute (e.g. mybook:book); got {reference!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise SettingsError(f"BDK_BOOK: cannot import module {module_name!r}: {e}") from None
    book = getattr(module, attribute, None)
    if not isinstance(book, Book):
        raise SettingsError(f"BDK_BOOK: {reference!r} is not a bdk_book.Book (got {type(book).__name__})")
    return book


def main(argv: list[str] | None = None, book: Book | None = None, env: Mapping[str, str] | None = None) -> int:
    """Runs a book until SIGTERM/SIGINT. 0: stopped cleanly; 1: failed; 2: bad settings."""
    env = os.environ if env is None else env
    parser = argparse.ArgumentParser(prog="python -m bdk_book",
                                     description="Serves a BDK book: GET /health, webhooks by POST (docs/book-contract.md).")
    parser.add_argument("--book", default=None,
                        help=f"module:attribute of the Book to serve (default: $BDK_BOOK, else {DEFAULT_BOOK})")
    parser.add_argument("--port", type=int, default=None, help="port (default: $PORT, else 8080)")
    parser.add_argument("--host", default=None, help="bind address (default: $HOST, else 0.0.0.0)")
    args = parser.parse_args(argv)

    overrides = dict(env)
    if args.port is not None:
        overrides["PORT"] = str(args.port)
    if args.host is not None:
        overrides["HOST"] = args.host
    bootstrap = Logger(stream=sys.stderr)
    try:
        settings = Settings.from_env(overrides)
        if book is None:
            book = load_book(args.book or env.get("BDK_BOOK") or DEFAULT_BOOK)
    except SettingsError as e:
        bootstrap.error("start_failed", error=str(e))
        return 2
    log = Logger(parse_level(settings.log_level), sys.stderr, book=settings.book_type)
    install_stdlib_handler(log)

    stop_requested = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        stop_requested.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        server = BookServer(book, settings, log)
    except OSError as e:
        log.error("start_failed", error=f"cannot listen on {settings.host}:{settings.port}: {e.strerror}")
        return 1
    try:
        server.start()
    except Exception as e:
        log.error("start_failed", error_type=type(e).__name__, error=str(e))
        server.stop(drain=False)
        return 1
    # Wake up now and then: the kernel may deliver the signal to another thread, and Python runs
    # its handler only when the main thread executes again.
    while not stop_requested.wait(0.2):
        pass
    return 0 if server.stop() else 1
