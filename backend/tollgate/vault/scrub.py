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


_ECHO_RUN = 8
"""A provider's echo of a key that shares this many characters in a row with it is cut (a key cut short, or
only its tail)."""
_MASKED = re.compile(r"(?<![A-Za-z0-9_\-])[A-Za-z0-9_\-]*\*{3,}[A-Za-z0-9_\-]*")
"""A masked key as OpenAI's 401 echoes it (`sk-abc*****wxyz`): its visible ends are cut too. Matched only
from the start of a run of key characters: a long run without stars is scanned once, not once per position."""


def scrub(text: str) -> str:
    return _SECRET.sub("[REDACTED]", text)


def redact(text: str, *given: str | None) -> str:
    """`scrub`, and also whatever a provider echoed of the given keys: the whole key, a masked form, or any run
    of 8 or more of its characters. Keys of any shape (Azure's hex, Groq's `gsk_`, a local server's), which
    `scrub` cannot know. Cuts only key characters, so a JSON body stays valid JSON."""
    secrets = [s for s in given if s]  # a lane without a credential has none
    for secret in secrets:
        text = text.replace(secret, "[REDACTED]")
    grams = {s[i : i + _ECHO_RUN] for s in secrets for i in range(len(s) - _ECHO_RUN + 1)}
    if grams:
        spans: list[tuple[int, int]] = []
        for gram in grams:  # str.find per gram, not a Python loop per character: error bodies can be large
            at = text.find(gram)
            while at != -1:
                spans.append((at, at + _ECHO_RUN))
                at = text.find(gram, at + 1)
        text = _cut(text, spans)
        text = _MASKED.sub("[REDACTED]", text)
    return scrub(text)


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with each run of overlapping or touching spans replaced by one `[REDACTED]`."""
    out: list[str] = []
    done = 0
    for start, end in sorted(spans):
        if start > done or not out:
            out.append(text[done:start])
            out.append("[REDACTED]")
        done = max(done, end)
    out.append(text[done:])
    return "".join(out)


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
