"""A logging filter that removes anything shaped like a secret from every log record."""

from __future__ import annotations

import logging
import re

_SECRET = re.compile(
    r"(tga?_[0-9A-Za-z]{20,})"  # Tollgate sub-keys and admin tokens
    r"|(sk-[A-Za-z0-9_\-]{12,})"  # OpenAI-style provider keys
    r"|((?i:bearer)\s+[A-Za-z0-9_\-\.=]{12,})"
    r"|(AIza[0-9A-Za-z_\-]{20,})"  # Google API keys
)


def scrub(text: str) -> str:
    return _SECRET.sub("[REDACTED]", text)


class ScrubbingFormatter(logging.Formatter):
    """Wraps a handler's formatter and scrubs the finished line, tracebacks and `extra` included."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self._inner = inner or logging.Formatter(logging.BASIC_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        return scrub(self._inner.format(record))


def install(logger: logging.Logger | None = None) -> None:
    """Wrap the formatter of every handler on `logger` (default: root) so no line leaves unscrubbed."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not isinstance(handler.formatter, ScrubbingFormatter):
            handler.setFormatter(ScrubbingFormatter(handler.formatter))
