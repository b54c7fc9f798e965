"""Request bodies are whole or refused (413), never cut short, whether they come with a Content-Length or chunked.

Werkzeug enforces `MAX_CONTENT_LENGTH` on a chunked body (no Content-Length; gunicorn sets
`wsgi.input_terminated`) by reading up to the limit and raising only on a *further* read: `get_data()` reads
exactly `limit` bytes and returns them as if that were the whole body. A 30 MiB chunked body was therefore cut
to 25 MiB and forwarded. Here the stream reads at most limit + 1 bytes, and the extra byte means 413, for the
gateway and the admin API alike (both read through `request.stream`).
"""

from __future__ import annotations

from typing import IO, cast

from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream


class _AtMost(LimitedStream):
    """A stream allowed one byte past `limit`, so reading it tells "exactly the limit" from "more than that"."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        super().__init__(stream, limit + 1, is_max=True)
        self.max_bytes = limit

    def readinto(self, b: bytearray) -> int | None:  # type: ignore[override]
        read = super().readinto(b)
        if self.tell() > self.max_bytes:
            raise RequestEntityTooLarge()
        return read


class BoundedRequest(Request):
    @cached_property
    def stream(self) -> IO[bytes]:
        limit = self.max_content_length
        if self.shallow or limit is None or "wsgi.input_terminated" not in self.environ:
            # Without the server's end-of-body marker Werkzeug reads Content-Length bytes (checked against the
            # limit first) or nothing at all: never more than the limit, never a silently cut body.
            return super().stream
        length = self.content_length
        if length is not None and length > limit:
            raise RequestEntityTooLarge()
        return cast(IO[bytes], _AtMost(self.environ["wsgi.input"], limit))
