"""Removing anything shaped like a secret: from every log record, and from free-form values we store (request
and usage-event `metadata`), so a key pasted into the wrong field is not kept and shown verbatim."""

from __future__ import annotations

import logging
import re

_SECRET = re.compile(
    r"(tga?_[0-9A-Za-z]{20,})"  # Tollgate sub-keys and admin tokens
    r"|(sk-[A-Za-z0-9_\-]{12,})"  # OpenAI-style provider keys
    r"|((?i:bearer)\s+[A-Za-z0-9_\-\.=]{12,})"
    r"|(AIza[0-9A-Za-z_\-]{20,})"  # Google API keys
    r"|(whsec_[0-9A-Za-z_\-]{20,})"  # webhook signing secrets
)


def scrub(text: str) -> str:
    return _SECRET.sub("[REDACTED]", text)


def scrub_mapping(values: dict[str, str] | None) -> dict[str, str] | None:
    """`scrub` every key and value of a string mapping (request or usage-event metadata) before it is stored."""
    if values is None:
        return None
    return {scrub(key): scrub(value) for key, value in values.items()}


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
