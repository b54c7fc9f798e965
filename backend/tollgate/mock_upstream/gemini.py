"""A local upstream that speaks Gemini's REST API (Generative Language API v1beta), for tests.

Plain WSGI like the other mocks, steered in-process through `GeminiMockState`. `POST
/v1beta/models/{model}:generateContent` answers a `GenerateContentResponse`; `:streamGenerateContent?alt=sse`
answers the same as server-sent events, one `data:` event per piece (text words or a function call) with
cumulative `usageMetadata`, the last with `finishReason`. A function call comes back when function declarations
are offered and the last turn carries no function response; JSON mode (`responseMimeType: application/json`)
answers a JSON object. `GET /v1beta/models` lists `models` as Google does. A request without the right
`x-goog-api-key` (or `?key=`) gets Google's 400 `INVALID_ARGUMENT` ("API key not valid", ErrorInfo reason
`API_KEY_INVALID`), as Google answers, and one without
`contents` 400 as well. Every request is recorded.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

import orjson

from . import payloads
from .wsgi import json_response, read_body

StartResponse = Callable[..., Any]
Environ = dict[str, Any]
_PREFIX = "/v1beta/models/"
_STATUS = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED"}


@dataclass
class GeminiMockState:
    api_key: str | None = None
    """Required `x-goog-api-key`; None accepts any."""
    usage: dict[str, int] | None = None
    """Fixed `usageMetadata` counts (promptTokenCount, candidatesTokenCount, cachedContentTokenCount,
    thoughtsTokenCount); default: counted from the text."""
    fail_status: int | None = None
    models: list[str] = field(default_factory=lambda: ["gemini-2.5-flash", "gemini-2.5-pro"])
    """What `GET /v1beta/models` lists."""
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class GeminiMock:
    def __init__(self, state: GeminiMockState | None = None) -> None:
        self.state = state or GeminiMockState()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        raw = read_body(environ)
        state = self.state
        given = environ.get("HTTP_X_GOOG_API_KEY") or query.get("key")
        if state.api_key and given != state.api_key:
            return _invalid_key(start_response)
        try:
            body = orjson.loads(raw) if raw else {}
        except orjson.JSONDecodeError:
            return _error(start_response, 400, "Invalid JSON payload received.")
        with state.lock:
            state.requests.append(
                {
                    "method": method,
                    "path": path,
                    "query": query,
                    "body": body,
                    "auth": environ.get("HTTP_AUTHORIZATION"),
                }
            )
        if (method, path) == ("GET", "/v1beta/models"):
            methods = ["generateContent", "streamGenerateContent", "countTokens"]
            listed = [{"name": f"models/{m}", "supportedGenerationMethods": methods} for m in state.models]
            return json_response(start_response, 200, {"models": listed})
        if method != "POST" or not path.startswith(_PREFIX) or ":" not in path:
            return _error(start_response, 404, f"Method not found: {method} {path}")
        model, action = unquote(path[len(_PREFIX) :]).rsplit(":", 1)
        if state.fail_status is not None:
            return _error(start_response, state.fail_status, f"Mock upstream failure {state.fail_status}")
        if not isinstance(body.get("contents"), list) or not body["contents"]:
            return _error(start_response, 400, "* GenerateContentRequest.contents: contents is not specified")
        if action == "generateContent":
            return json_response(start_response, 200, self._response(model, body, None))
        if action == "streamGenerateContent" and query.get("alt") == "sse":
            return _sse(start_response, self._events(model, body))
        return _error(start_response, 404, f"Method not found: {action}")

    def _answer(self, body: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, int], str]:
        contents = body["contents"]
        prompt = " ".join(str(p.get("text", "")) for c in contents for p in c.get("parts", []) if isinstance(p, dict))
        config = body.get("generationConfig") or {}
        text = payloads.reply_text(prompt, config.get("maxOutputTokens"))
        parts: list[dict[str, Any]]
        if _function(body) is not None:
            parts = [{"functionCall": {"name": _function(body), "args": {"city": "Paris"}}}]
        elif config.get("responseMimeType") == "application/json":
            parts = [{"text": orjson.dumps({"answer": text}).decode()}]
        else:
            parts = [{"text": text}]
        fixed = self.state.usage or {}
        usage = {
            "promptTokenCount": fixed.get("promptTokenCount", payloads.count_tokens(prompt)),
            "candidatesTokenCount": fixed.get("candidatesTokenCount", payloads.count_tokens(text)),
        }
        for name in ("cachedContentTokenCount", "thoughtsTokenCount"):
            if fixed.get(name):
                usage[name] = fixed[name]
        usage["totalTokenCount"] = sum(v for k, v in usage.items() if k != "cachedContentTokenCount")
        return parts, usage, "STOP"

    def _response(self, model: str, body: dict[str, Any], response_id: str | None) -> dict[str, Any]:
        parts, usage, finish = self._answer(body)
        return {
            "candidates": [{"content": {"parts": parts, "role": "model"}, "finishReason": finish, "index": 0}],
            "usageMetadata": usage,
            "modelVersion": model,
            "responseId": response_id or secrets.token_hex(8),
        }

    def _events(self, model: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        parts, usage, finish = self._answer(body)
        response_id = secrets.token_hex(8)
        pieces: list[dict[str, Any]] = []
        for part in parts:
            if "text" in part:
                words = part["text"].split(" ")
                pieces.extend({"text": w if i == 0 else " " + w} for i, w in enumerate(words))
            else:
                pieces.append(part)
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            candidate: dict[str, Any] = {"content": {"parts": [piece], "role": "model"}, "index": 0}
            if last:
                candidate["finishReason"] = finish
            running = usage if last else {"promptTokenCount": usage["promptTokenCount"], "totalTokenCount": 0}
            yield {
                "candidates": [candidate],
                "usageMetadata": running,
                "modelVersion": model,
                "responseId": response_id,
            }


def _function(body: dict[str, Any]) -> str | None:
    """The function to call: the only allowed one, else the first declared, unless the last turn answers one."""
    tools = body.get("tools") or []
    declared = [d for t in tools if isinstance(t, dict) for d in t.get("functionDeclarations") or []]
    config = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
    if not declared or config.get("mode") == "NONE":
        return None
    last = body["contents"][-1].get("parts") or []
    if any(isinstance(p, dict) and "functionResponse" in p for p in last):
        return None
    allowed = config.get("allowedFunctionNames") or []
    return str(allowed[0] if allowed else declared[0].get("name"))


def _sse(start_response: StartResponse, events: Iterator[dict[str, Any]]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")])
    return (b"data: " + orjson.dumps(e) + b"\r\n\r\n" for e in events)


def _invalid_key(start_response: StartResponse) -> list[bytes]:
    """Google's refusal of a bad API key: HTTP 400 (never 401) with an ErrorInfo whose reason is API_KEY_INVALID."""
    info = {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "API_KEY_INVALID",
        "domain": "googleapis.com",
        "metadata": {"service": "generativelanguage.googleapis.com"},
    }
    message = "API key not valid. Please pass a valid API key."
    return json_response(
        start_response,
        400,
        {"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT", "details": [info]}},
    )


def _error(start_response: StartResponse, status: int, message: str) -> list[bytes]:
    error = {"code": status, "message": message, "status": _STATUS.get(status, "INTERNAL")}
    return json_response(start_response, status, {"error": error})
