"""A local OpenRouter, for tests: OpenAI's wire format (served by the OpenAI mock, app.py) plus what OpenRouter
adds: `usage.cost` (the USD it billed) on every usage object, the response's or the stream's usage chunk, as
OpenRouter's usage accounting reports it; and the attribution headers it reads (HTTP-Referer, X-Title), recorded
with every request."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .app import MockState, MockUpstream

StartResponse = Callable[..., Any]
Environ = dict[str, Any]


@dataclass
class OpenRouterMockState:
    cost: str | None = None
    """The `usage.cost` to report, as OpenRouter writes it (a JSON number); None: no cost field."""
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class OpenRouterMock:
    def __init__(self, state: OpenRouterMockState, openai: MockState) -> None:
        self.state = state
        self.openai = openai
        self._inner = MockUpstream(openai)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        with self.state.lock:
            self.state.requests.append(
                {"referer": environ.get("HTTP_HTTP_REFERER"), "title": environ.get("HTTP_X_TITLE")}
            )
        if self.state.cost is None:
            return self._inner(environ, start_response)
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            captured["status"], captured["headers"] = status, headers

        body = self._inner(environ, capture)
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], headers)
        return self._with_cost(body)

    def _with_cost(self, body: Iterable[bytes]) -> Iterator[bytes]:
        cost = self.state.cost or "0"
        for piece in body:
            # `"usage":{` is followed by the counts: put the cost first, as a JSON number written as given
            yield piece.replace(b'"usage":{', b'"usage":{"cost":' + cost.encode() + b",")
