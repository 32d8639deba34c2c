"""One line per event, ``key=value``, the platform's log format (docs/operations.md).

Values are made safe for one line: anything but visible ASCII is escaped, values with spaces,
quotes or ``=`` are quoted, and every value is bounded, so request-derived text can neither
break a line nor forge a key. Secrets are never passed here: the runtime logs names, ids and
sizes, never header values or bodies.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import Any, TextIO

LEVELS = {"debug": 10, "info": 20, "warn": 30, "warning": 30, "error": 40}
MAX_VALUE = 256

_lock = threading.Lock()


def parse_level(name: str | None) -> int:
    """``LOG_LEVEL`` → a level; unknown names are an error naming the variable."""
    if name is None or name == "":
        return LEVELS["info"]
    level = LEVELS.get(name.strip().lower())
    if level is None:
        raise ValueError(
            f"LOG_LEVEL: must be one of debug, info, warn, error; got {name!r}")
    return level


def format_value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    truncated = len(text) > MAX_VALUE
    if truncated:
        text = text[:MAX_VALUE]
    plain = text != "" and all(0x20 < ord(c) < 0x7F and c not in '="\\' for c in text)
    if plain:
        return text + ("..." if truncated else "")
    out = []
    for c in text:
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c == "\n":
            out.append("\\n")
        elif 0x20 <= ord(c) < 0x7F:
            out.append(c)
        else:
            out.append(f"\\u{ord(c):04x}")
    return '"' + "".join(out) + ("..." if truncated else "") + '"'


def format_line(level: str, event: str, fields: dict[str, Any]) -> str:
    ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z"
    parts = [f"ts={ts}", f"level={level}", f"event={format_value(event)}"]
    for key, value in fields.items():
        parts.append(f"{key}={format_value(value)}")
    return " ".join(parts)


class Logger:
    """``log.info("ticket_created", ticket_id=42)`` → ``… level=info event=ticket_created ticket_id=42``."""

    def __init__(self, level: int = LEVELS["info"], stream: TextIO | None = None, **context: Any):
        self.level = level
        self._stream = stream
        self._context = context

    def bind(self, **context: Any) -> "Logger":
        """A logger that adds ``context`` to every line (e.g. the webhook id)."""
        return Logger(self.level, self._stream, **{**self._context, **context})

    def enabled(self, level: str) -> bool:
        return LEVELS[level] >= self.level

    def _emit(self, level: str, event: str, fields: dict[str, Any]) -> None:
        if not self.enabled(level):
            return
        line = format_line(level, event, {**self._context, **fields})
        stream = self._stream or sys.stderr
        with _lock:
            stream.write(line + "\n")
            stream.flush()

    def debug(self, event: str, **fields: Any) -> None:
        self._emit("debug", event, fields)

    def info(self, event: str, **fields: Any) -> None:
        self._emit("info", event, fields)

    def warn(self, event: str, **fields: Any) -> None:
        self._emit("warn", event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._emit("error", event, fields)


class _StdlibHandler(logging.Handler):
    """Routes the standard ``logging`` module (a book's own libraries) into the same format."""

    def __init__(self, logger: Logger):
        super().__init__()
        self._logger = logger

    def emit(self, record: logging.LogRecord) -> None:
        level = "error" if record.levelno >= 40 else "warn" if record.levelno >= 30 else (
            "info" if record.levelno >= 20 else "debug")
        fields: dict[str, Any] = {"logger": record.name, "message": record.getMessage()}
        if record.exc_info and record.exc_info[0] is not None:
            fields["error"] = record.exc_info[0].__name__
        self._logger._emit(level, "log", fields)


def install_stdlib_handler(logger: Logger) -> None:
    root = logging.getLogger()
    root.handlers[:] = [_StdlibHandler(logger)]
    root.setLevel(logger.level)
