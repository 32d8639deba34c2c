import json

import pytest

from bdk_book import Book, Reject, Reply, Retry
from bdk_book.dispatch import handle_webhook
from bdk_book.settings import Settings

GATEWAY_HEADERS = {
    "x-bdk-webhook-id": "944d2671-delivery",
    "x-bdk-routed-to": "customer-acme/support-desk",
    "x-bdk-instance": "customer-acme/support-desk-b833beea",
    "x-bdk-integration": "zendesk",
    "x-zendesk-webhook-signature": "c2lnbmF0dXJl",
    "content-type": "application/json",
}
BODY = b'{"ticket":{"id":42,"subject":"Printer on fire"}}'
PATH = "/api/v1/webhooks/zendesk/7315012dd36d62008c1b"


class Clock:
    def __init__(self, *times):
        self.times = list(times)

    def __call__(self):
        return self.times.pop(0) if len(self.times) > 1 else self.times[0]


def dispatch(book, settings, log, headers=GATEWAY_HEADERS, body=BODY, path=PATH, clock=None):
    return handle_webhook(book, settings, log, "POST", path, headers, body, clock or Clock(10.0, 10.150))


def test_the_handler_of_the_integration_gets_the_exact_delivery(single_settings, log):
    book = Book()
    seen = []

    @book.webhook("zendesk")
    def on_zendesk(event):
        seen.append(event)

    @book.webhook("github")
    def on_github(event):  # pragma: no cover - must not be called
        raise AssertionError("wrong handler")

    answer = dispatch(book, single_settings, log)
    assert answer.status == 200
    event = seen[0]
    assert event.body == BODY  # the exact bytes the sender signed
    assert event.json()["ticket"]["id"] == 42
    assert (event.webhook_id, event.integration, event.routed_to, event.instance) == (
        "944d2671-delivery", "zendesk", "customer-acme/support-desk", "customer-acme/support-desk-b833beea")
    assert event.header("X-Zendesk-Webhook-Signature") == "c2lnbmF0dXJl"  # provider headers, any case
    assert event.path == PATH
    assert event.credentials["zendesk_api_key"] == "zd-secret-value-123"
    assert event.tenant.customer_id == "acme-corp"
    assert event.custom_settings["max_tickets_per_hour"] == 100


def test_the_answer_is_the_seeds_json(single_settings, log):
    book = Book()
    book.webhook("zendesk")(lambda event: None)
    answer = dispatch(book, single_settings, log)
    assert answer.body == {
        "webhook_id": "944d2671-delivery",
        "processed": True,
        "routed_to": "customer-acme/support-desk",
        "processing_time_ms": 150,
        "instance": "customer-acme/support-desk-b833beea",
        "integration": "zendesk",
    }
    assert answer.headers == {"x-bdk-webhook-id": "944d2671-delivery"}


def test_a_returned_value_is_the_result_and_a_reply_sets_the_status(single_settings, log):
    book = Book()
    book.webhook("zendesk")(lambda event: {"ticket_id": 42})
    assert dispatch(book, single_settings, log).body["result"] == {"ticket_id": 42}

    queued = Book()
    queued.webhook("zendesk")(lambda event: Reply(202, {"queued": True}, {"x-book-queue": "tickets"}))
    answer = dispatch(queued, single_settings, log)
    assert answer.status == 202 and answer.body["processed"] is True
    assert answer.body["result"] == {"queued": True}
    assert answer.headers["x-book-queue"] == "tickets"


def test_reject_is_a_4xx_naming_the_problem(single_settings, log):
    book = Book()

    @book.webhook("zendesk")
    def refuse(event):
        raise Reject(422, "unsupported_event", "event type 'ticket.merged' is not handled")

    answer = dispatch(book, single_settings, log)
    assert answer.status == 422
    assert answer.body["processed"] is False
    assert answer.body["error"] == {"code": "unsupported_event", "message": "event type 'ticket.merged' is not handled"}
    assert answer.body["webhook_id"] == "944d2671-delivery"


def test_a_body_that_is_not_json_is_a_400_when_the_handler_reads_it(single_settings, log):
    book = Book()
    book.webhook("zendesk")(lambda event: event.json())
    answer = dispatch(book, single_settings, log, body=b"ticket=42")
    assert answer.status == 400 and answer.body["error"]["code"] == "invalid_json"
    assert "body is not JSON" in answer.body["error"]["message"]


def test_retry_is_a_503_with_retry_after(single_settings, log):
    book = Book()

    @book.webhook("zendesk")
    def later(event):
        raise Retry("the ticket system is down", after_seconds=30)

    answer = dispatch(book, single_settings, log)
    assert answer.status == 503 and answer.headers["retry-after"] == "30"
    assert answer.body["error"] == {"code": "retry", "message": "the ticket system is down"}


def test_a_failing_handler_is_a_500_that_tells_the_sender_nothing_and_logs_where(single_settings, log, log_stream):
    book = Book()

    @book.webhook("zendesk")
    def broken(event):
        raise KeyError("internal-detail-" + event.credentials["zendesk_api_key"][:0])

    answer = dispatch(book, single_settings, log)
    assert answer.status == 500
    assert answer.body["error"] == {"code": "handler_failed", "message": "the book failed to process this webhook"}
    assert "internal-detail" not in json.dumps(answer.body)
    logged = log_stream.getvalue()
    assert "event=webhook_failed" in logged and "error_type=KeyError" in logged
    assert "where=test_dispatch.py:" in logged and ":broken" in logged


def test_a_result_that_is_not_json_is_a_500(single_settings, log):
    book = Book()
    book.webhook("zendesk")(lambda event: {"when": object()})
    answer = dispatch(book, single_settings, log)
    assert answer.status == 500 and answer.body["processed"] is False


def test_unknown_integration_is_a_404_listing_the_handlers(single_settings, log):
    book = Book()
    book.webhook("github")(lambda event: None)
    answer = dispatch(book, single_settings, log)
    assert answer.status == 404 and answer.body["error"]["code"] == "unknown_integration"
    assert "no handler for integration 'zendesk' (handlers: github)" in answer.body["error"]["message"]


def test_a_fallback_handler_takes_integrations_without_their_own(single_settings, log):
    book = Book()
    calls = []
    book.webhook()(lambda event: calls.append(event.integration))
    assert dispatch(book, single_settings, log).status == 200 and calls == ["zendesk"]


def test_without_the_gateway_header_the_integration_comes_from_the_path(single_settings, log):
    book = Book()
    book.webhook("zendesk")(lambda event: None)
    headers = {k: v for k, v in GATEWAY_HEADERS.items() if k != "x-bdk-integration"}
    assert dispatch(book, single_settings, log, headers=headers).body["integration"] == "zendesk"
    answer = dispatch(book, single_settings, log, headers=headers, path="/hook")
    assert answer.status == 400 and answer.body["error"]["code"] == "missing_integration"
    assert "x-bdk-integration" in answer.body["error"]["message"]


def test_a_shared_book_serves_the_tenant_x_bdk_instance_names(tmp_path, log):
    for name, value in (("acme-support", "acme-key"), ("globex-support", "globex-key")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "api_key").write_text(value)
    tenants = {n: {"customer_id": n.split("-")[0], "secrets_dir": str(tmp_path / n)}
               for n in ("acme-support", "globex-support")}
    settings = Settings.from_env({"BDK_TENANTS": json.dumps(tenants)})
    book = Book()
    book.webhook("zendesk")(lambda e: {"customer": e.tenant.customer_id, "key": e.credentials["api_key"]})
    headers = dict(GATEWAY_HEADERS, **{"x-bdk-instance": "customer-globex/globex-support"})
    assert dispatch(book, settings, log, headers=headers).body["result"] == {"customer": "globex", "key": "globex-key"}
    unknown = dispatch(book, settings, log, headers=dict(GATEWAY_HEADERS, **{"x-bdk-instance": "customer-x/x"}))
    assert unknown.status == 404 and unknown.body["error"]["code"] == "unknown_instance"


def test_no_credential_value_or_body_is_logged(single_settings, log, log_stream):
    book = Book()
    book.webhook("zendesk")(lambda event: event.credentials["zendesk_api_key"] and None)
    dispatch(book, single_settings, log)
    logged = log_stream.getvalue()
    assert "event=webhook_handled" in logged and "webhook_id=944d2671-delivery" in logged
    for secret in ("zd-secret-value-123", "Printer on fire", "c2lnbmF0dXJl"):
        assert secret not in logged


def test_one_handler_per_integration():
    book = Book()
    book.webhook("zendesk")(lambda event: None)
    with pytest.raises(ValueError, match="one handler per integration"):
        book.webhook("zendesk")(lambda event: None)
    with pytest.raises(ValueError, match="Reject status must be 4xx"):
        Reject(500)
    with pytest.raises(ValueError, match="Reply status must be 2xx"):
        Reply(302)
