"""What every mock upstream's WSGI app needs: its body read, a JSON answer with a real reason phrase. One copy
for the OpenAI, Anthropic, Gemini, Azure and image-provider mocks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

Environ = dict[str, Any]
StartResponse = Callable[..., Any]

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def read_body(environ: Environ) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ["wsgi.input"]
    return stream.read(length) if length > 0 else b""


def json_response(
    start_response: StartResponse, status: int, payload: Any, headers: list[tuple[str, str]] | None = None
) -> list[bytes]:
    data = orjson.dumps(payload)
    start_response(
        f"{status} {REASONS.get(status, 'Status')}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))] + (headers or []),
    )
    return [data]
