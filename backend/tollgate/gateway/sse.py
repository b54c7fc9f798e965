"""Server-sent events: split a byte stream into whole events, once, for every provider.

Upstream chunks almost always carry whole events; then a chunk goes out as it came, untouched. Only a chunk
that ends mid-event is held until the rest arrives, so the client never sees half an event and the gateway
never buffers more than one event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson

EventFilter = Callable[[bytes], bytes | None]
"""Given one whole event (including its blank-line terminator), what to forward: itself, a rewrite, or None."""


def _boundary(buffer: bytes) -> int:
    """Index just past the last complete event in `buffer`, or 0 if there is none."""
    end = max(buffer.rfind(b"\n\n"), buffer.rfind(b"\r\n\r\n"))
    if end < 0:
        return 0
    return end + (4 if buffer.startswith(b"\r\n\r\n", end) else 2)


def split_events(data: bytes) -> list[bytes]:
    """Whole events in `data`, each keeping its terminator."""
    events: list[bytes] = []
    start = 0
    while start < len(data):
        lf = data.find(b"\n\n", start)
        crlf = data.find(b"\r\n\r\n", start)
        if lf < 0 and crlf < 0:
            events.append(data[start:])
            break
        if crlf >= 0 and (lf < 0 or crlf <= lf):
            end = crlf + 4
        else:
            end = lf + 2
        events.append(data[start:end])
        start = end
    return events


def relay(chunks: Iterable[bytes], needs_look: Callable[[bytes], bool], on_event: EventFilter) -> Iterator[bytes]:
    """Forward `chunks` as whole events; `on_event` sees (and may drop) only events `needs_look` flags."""
    pending = b""
    for chunk in chunks:
        if not chunk:
            continue
        data = pending + chunk if pending else chunk
        cut = _boundary(data)
        pending = data[cut:]
        whole = data[:cut]
        if not whole:
            continue
        if not needs_look(whole):
            yield whole
            continue
        out = b"".join(r for r in (on_event(e) for e in split_events(whole)) if r)
        if out:
            yield out
    if pending:  # the upstream closed without a final blank line: still look at what it sent
        out = pending if not needs_look(pending) else b"".join(r for r in map(on_event, split_events(pending)) if r)
        if out:
            yield out


def data_payload(event: bytes) -> bytes | None:
    """The `data:` field of an event (joined if multi-line), or None for comments and keep-alives."""
    parts = [line[5:].lstrip(b" ") for line in event.splitlines() if line.startswith(b"data:")]
    return b"\n".join(parts) if parts else None


def event_object(event: bytes) -> dict[str, Any] | None:
    """The event's `data:` as a JSON object; None for a comment, a keep-alive, `[DONE]` or anything not an object
    (providers' stream transforms pass or drop such events, each as its format needs)."""
    payload = data_payload(event)
    if not payload:
        return None
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None
