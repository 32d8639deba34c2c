"""The book the runtime image serves when no other is named: it acknowledges every webhook.

What the controller runs for a python book until the book's own image (built ``FROM`` the
runtime image, with ``BDK_BOOK`` naming its module) is configured: each webhook is logged on one
line (ids, integration, size — never the body) and answered with the seed's JSON.
"""

from .book import Book, Webhook

book = Book("acknowledge")


@book.webhook()
def acknowledge(event: Webhook) -> None:
    event.log.info("webhook_acknowledged", routed_to=event.routed_to, body_bytes=len(event.body),
                   content_type=event.header("content-type"))
