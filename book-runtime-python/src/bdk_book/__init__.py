"""bdk_book: the reference Python runtime for BDK books (docs/book-contract.md).

A book registers one handler per integration and calls ``book.run()`` (or is served by
``python -m bdk_book`` with ``BDK_BOOK=module:attribute``); the runtime does the rest of the
contract: the port, ``/health``, the environment the controller sets, credentials, the answer's
JSON, structured logs and graceful shutdown.
"""

from .book import Book, Reject, Reply, Retry, Webhook
from .credentials import Credentials, MissingCredential
from .logs import Logger
from .settings import Settings, SettingsError, Tenant

__all__ = [
    "Book", "Credentials", "Logger", "MissingCredential", "Reject", "Reply", "Retry", "Settings",
    "SettingsError", "Tenant", "Webhook",
]
__version__ = "0.1.0"
