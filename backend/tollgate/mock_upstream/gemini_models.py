"""A local upstream answering Gemini's model list (`GET /v1beta/models`) as Google does, for checking a
client's own Gemini key. A missing or wrong `x-goog-api-key` (or `?key=`) gets Google's real refusal: HTTP 400
`INVALID_ARGUMENT` with an `ErrorInfo` detail whose reason is `API_KEY_INVALID` (Google does not answer 401 for
a bad API key). Plain WSGI like the other mocks; every request is recorded."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import orjson

StartResponse = Callable[..., Any]


@dataclass
class GeminiMockState:
    api_key: str | None = None
    """Required key; None accepts any."""
    models: list[str] = field(default_factory=lambda: ["gemini-2.5-flash", "gemini-2.5-pro"])
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class GeminiModelsMock:
    def __init__(self, state: GeminiMockState | None = None) -> None:
        self.state = state or GeminiMockState()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        given = environ.get("HTTP_X_GOOG_API_KEY") or parse_qs(environ.get("QUERY_STRING", "")).get("key", [None])[0]
        with self.state.lock:
            self.state.requests.append({"method": method, "path": path, "has_key": bool(given)})
        if self.state.api_key and given != self.state.api_key:
            return _json(start_response, 400, _invalid_key())
        if (method, path) != ("GET", "/v1beta/models"):
            return _json(start_response, 404, {"error": {"code": 404, "message": "Not found.", "status": "NOT_FOUND"}})
        models = [
            {"name": f"models/{m}", "displayName": m, "supportedGenerationMethods": ["generateContent"]}
            for m in self.state.models
        ]
        return _json(start_response, 200, {"models": models})


def _invalid_key() -> dict[str, Any]:
    return {
        "error": {
            "code": 400,
            "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "generativelanguage.googleapis.com"},
                }
            ],
        }
    }


def _json(start_response: StartResponse, status: int, payload: Any) -> list[bytes]:
    body = orjson.dumps(payload)
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}.get(status, "Error")
    start_response(f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
