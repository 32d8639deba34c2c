"""``python -m bdk_book``: serves the book BDK_BOOK names (default: bdk_book.acknowledge:book)."""

import sys

from .server import main

sys.exit(main())
