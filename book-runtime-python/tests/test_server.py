"""The runtime as a process (python -m bdk_book), over real HTTP, with real signals."""

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
DEADLINE = 20.0

GATED_BOOK = '''
import os
from pathlib import Path
from bdk_book import Book

book = Book("gated")
gate = Path(os.environ["TEST_GATE"])

@book.webhook("zendesk")
def gated(event):
    (gate / "started").touch()
    with open(gate / "release") as fifo:   # blocks until the test writes to the FIFO
        fifo.read()
    return {"released": True}

@book.readiness
def flag():
    return not (gate / "unready").exists()
'''


def wait_until(condition, what, timeout=DEADLINE):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class Book:
    def __init__(self, tmp_path, extra_env=None, args=()):
        self.gate = tmp_path / "gate"
        self.gate.mkdir()
        os.mkfifo(self.gate / "release")
        (tmp_path / "books").mkdir()
        (tmp_path / "books" / "gated_book.py").write_text(GATED_BOOK)
        secrets = tmp_path / "secrets"
        secrets.mkdir()
        (secrets / "zendesk_api_key").write_text("zd-secret-value-123")
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": f"{SRC}{os.pathsep}{tmp_path / 'books'}",
            "PORT": "0", "HOST": "127.0.0.1", "BOOK_TYPE": "support-desk", "LOG_LEVEL": "debug",
            "SECRETS_DIR": str(secrets), "TEST_GATE": str(self.gate),
            "BDK_BOOK": "gated_book:book", "BDK_SHUTDOWN_DRAIN_SECONDS": "5",
            **(extra_env or {}),
        }
        self.proc = subprocess.Popen([sys.executable, "-m", "bdk_book", *args], env=env,
                                     stderr=subprocess.PIPE, text=True)
        self.lines = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.port = None

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line)

    def log(self):
        return "".join(self.lines)

    def wait_ready(self):
        wait_until(lambda: "event=book_ready" in self.log() or self.proc.poll() is not None, "book_ready")
        assert self.proc.poll() is None, self.log()
        self.port = int(re.search(r"event=book_listening .*port=(\d+)", self.log()).group(1))
        return self

    def request(self, method, path, body=None, headers=None, chunked=False):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=DEADLINE)
        try:
            conn.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
            response = conn.getresponse()
            return response.status, dict((k.lower(), v) for k, v in response.getheaders()), response.read()
        finally:
            conn.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=DEADLINE)


@pytest.fixture
def book(tmp_path):
    b = Book(tmp_path)
    yield b
    b.stop()
    print(b.log())  # shown when the test failed


def release(book):
    with open(book.gate / "release", "w") as fifo:
        fifo.write("go")


WEBHOOK_HEADERS = {
    "x-bdk-webhook-id": "d-1", "x-bdk-routed-to": "customer-acme/support-desk",
    "x-bdk-instance": "customer-acme/support-desk-1", "x-bdk-integration": "zendesk",
    "content-type": "application/json",
}


def post_in_background(book, results, **kwargs):
    def run():
        results.append(book.request("POST", "/api/v1/webhooks/zendesk/k1", body=b'{"ticket":{"id":1}}',
                                    headers=WEBHOOK_HEADERS, **kwargs))
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_health_and_a_webhook_over_http(book):
    book.wait_ready()
    status, _, body = book.request("GET", "/health")
    assert status == 200 and json.loads(body) == {"status": "ok", "book": "support-desk"}

    results = []
    thread = post_in_background(book, results)
    wait_until(lambda: (book.gate / "started").exists(), "the handler to start")
    release(book)
    thread.join(DEADLINE)
    status, headers, body = results[0]
    answer = json.loads(body)
    assert status == 200 and headers["x-bdk-webhook-id"] == "d-1"
    assert answer["processed"] is True and answer["webhook_id"] == "d-1"
    assert answer["routed_to"] == "customer-acme/support-desk" and answer["result"] == {"released": True}
    assert isinstance(answer["processing_time_ms"], int)


def test_a_chunked_body_is_read_whole(book):
    book.wait_ready()
    results = []

    def chunks():
        yield b'{"ticket":'
        yield b'{"id":7}}'

    thread = threading.Thread(target=lambda: results.append(book.request(
        "POST", "/api/v1/webhooks/zendesk/k1", body=chunks(),
        headers=dict(WEBHOOK_HEADERS, **{"Transfer-Encoding": "chunked"}), chunked=True)))
    thread.start()
    wait_until(lambda: (book.gate / "started").exists(), "the handler to start")
    release(book)
    thread.join(DEADLINE)
    assert results[0][0] == 200
    assert "body_bytes=19" in book.log()


def test_other_methods_paths_and_oversized_bodies_get_clear_json_errors(tmp_path):
    b = Book(tmp_path, {"BDK_MAX_BODY_BYTES": "16"})
    try:
        b.wait_ready()
        status, headers, body = b.request("PUT", "/health")
        assert status == 405 and headers["allow"] == "GET, POST"
        status, _, body = b.request("GET", "/metrics")
        assert status == 404 and json.loads(body)["error"]["code"] == "not_found"
        status, _, body = b.request("POST", "/api/v1/webhooks/zendesk/k1", body=b"x" * 17, headers=WEBHOOK_HEADERS)
        assert status == 413 and "BDK_MAX_BODY_BYTES" in json.loads(body)["error"]["message"]
    finally:
        b.stop()


def test_a_failing_readiness_check_makes_health_503(book):
    book.wait_ready()
    (book.gate / "unready").touch()
    status, _, body = book.request("GET", "/health")
    assert status == 503 and json.loads(body) == {"status": "not_ready", "check": "flag"}


def test_sigterm_drains_finishes_the_webhook_in_flight_and_exits_0(book):
    book.wait_ready()
    results = []
    thread = post_in_background(book, results)
    wait_until(lambda: (book.gate / "started").exists(), "the handler to start")

    book.proc.send_signal(signal.SIGTERM)
    # Draining: health says so at once (readiness fails, the gateway stops sending) …
    wait_until(lambda: book.request("GET", "/health")[0] == 503, "/health to turn 503")
    status, headers, body = book.request("GET", "/health")
    assert json.loads(body) == {"status": "draining"} and headers["connection"] == "close"
    # … and the webhook in flight still completes.
    release(book)
    thread.join(DEADLINE)
    assert results[0][0] == 200 and json.loads(results[0][2])["processed"] is True
    assert book.proc.wait(timeout=DEADLINE) == 0
    log = book.log()
    assert "event=shutdown_requested" in log
    assert re.search(r"event=book_stopped .*clean=true", log)
    assert "zd-secret-value-123" not in log


@pytest.mark.parametrize("env, message", [
    ({"PORT": "eighty"}, "PORT: must be a port number"),
    ({"BDK_BOOK": "nosuchmodule:book"}, "BDK_BOOK: cannot import module 'nosuchmodule'"),
    ({"BDK_BOOK": "gated_book"}, "BDK_BOOK: must be module:attribute"),
    ({"BDK_BOOK": "gated_book:gate"}, "is not a bdk_book.Book"),
])
def test_bad_settings_exit_2_naming_the_variable(tmp_path, env, message):
    b = Book(tmp_path, env)
    try:
        assert b.proc.wait(timeout=DEADLINE) == 2
        wait_until(lambda: "event=start_failed" in b.log(), "start_failed to be logged")
        assert message in b.log().replace('\\"', '"')
    finally:
        b.stop()


def test_the_default_book_acknowledges_every_integration(tmp_path):
    b = Book(tmp_path, {"BDK_BOOK": ""})
    try:
        b.wait_ready()
        status, _, body = b.request("POST", "/api/v1/webhooks/github/k2", body=b"{}",
                                    headers=dict(WEBHOOK_HEADERS, **{"x-bdk-integration": "github"}))
        assert status == 200 and json.loads(body)["processed"] is True
        wait_until(lambda: "event=webhook_acknowledged" in b.log(), "webhook_acknowledged to be logged")
    finally:
        b.stop()
