"""A local upstream that speaks Anthropic's Messages API (version 2023-06-01), for tests and the benchmark.

Plain WSGI like the OpenAI mock (app.py), steered in-process through `AnthropicMockState`. `POST /v1/messages`
answers a message or its event stream (text, or a `tool_use` block when tools are offered), with cache usage
fields when the state fixes them; `POST /v1/messages/count_tokens` counts the prompt; `GET /v1/models` answers
Anthropic's model list. A request without the right `x-api-key` gets 401 `authentication_error`, one without
`anthropic-version` or `max_tokens` 400 `invalid_request_error`, as Anthropic answers. Every request is recorded
(body and headers) so tests see exactly what the gateway sent.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from . import payloads
from .wsgi import json_response, read_body

StartResponse = Callable[..., Any]
Environ = dict[str, Any]


@dataclass
class AnthropicMockState:
    api_key: str | None = None
    """Required `x-api-key`; None accepts any."""
    usage: dict[str, int] | None = None
    """Fixed counts: input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens."""
    served_model: str | None = None
    models: list[str] = field(default_factory=lambda: ["claude-sonnet-4-5", "claude-haiku-4-5"])
    """What `GET /v1/models` lists."""
    stop_reason: str | None = None
    """Fixed `stop_reason` (e.g. `max_tokens`, `refusal`); None: `tool_use` or `end_turn` as the answer is."""
    fail_status: int | None = None
    """Answer every request with this HTTP status and Anthropic's error body."""
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


class AnthropicMock:
    def __init__(self, state: AnthropicMockState | None = None) -> None:
        self.state = state or AnthropicMockState()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        raw = read_body(environ)
        state = self.state
        if state.api_key and environ.get("HTTP_X_API_KEY") != state.api_key:
            return _error(start_response, 401, "invalid x-api-key")
        try:
            body = orjson.loads(raw) if raw else {}
        except orjson.JSONDecodeError:
            return _error(start_response, 400, "The request body is not valid JSON.")
        with state.lock:
            state.requests.append(
                {
                    "method": method,
                    "path": path,
                    "body": body,
                    "anthropic_version": environ.get("HTTP_ANTHROPIC_VERSION"),
                    "authorization": environ.get("HTTP_AUTHORIZATION"),
                }
            )
        if (method, path) == ("GET", "/v1/models"):
            return json_response(start_response, 200, _model_list(state.models))
        if (method, path) == ("POST", "/v1/messages/count_tokens"):
            prompt = payloads.prompt_text(body.get("messages"))
            return json_response(start_response, 200, {"input_tokens": payloads.count_tokens(prompt)})
        if (method, path) != ("POST", "/v1/messages"):
            return _error(start_response, 404, f"Not found: {method} {path}")
        if not environ.get("HTTP_ANTHROPIC_VERSION"):
            return _error(start_response, 400, "anthropic-version: header is required")
        if state.fail_status is not None:
            return _error(start_response, state.fail_status, f"Mock upstream failure {state.fail_status}")
        if not isinstance(body.get("max_tokens"), int):
            return _error(start_response, 400, "max_tokens: Field required")
        return self._messages(start_response, body)

    def _messages(self, start_response: StartResponse, body: dict[str, Any]) -> Iterable[bytes]:
        model = self.state.served_model or str(body.get("model", ""))
        system = body.get("system") if isinstance(body.get("system"), str) else ""
        prompt = " ".join(filter(None, [system, payloads.prompt_text(body.get("messages"))]))
        text = payloads.reply_text(prompt, body["max_tokens"])
        tool = _tool(body)
        fixed = self.state.usage or {}
        usage = {
            "input_tokens": fixed.get("input_tokens", payloads.count_tokens(prompt)),
            "cache_creation_input_tokens": fixed.get("cache_creation_input_tokens", 0),
            "cache_read_input_tokens": fixed.get("cache_read_input_tokens", 0),
            "output_tokens": fixed.get("output_tokens", payloads.count_tokens(text)),
            "service_tier": "standard",
        }
        message_id = "msg_" + secrets.token_hex(12)
        if tool is not None:
            content: list[dict[str, Any]] = [
                {"type": "tool_use", "id": "toolu_" + secrets.token_hex(8), "name": tool, "input": {"city": "Paris"}}
            ]
        else:
            content = [{"type": "text", "text": text}]
        stop_reason = self.state.stop_reason or ("tool_use" if tool is not None else "end_turn")
        if body.get("stream") is True:
            return _sse(start_response, _events(message_id, model, content, stop_reason, usage))
        message = {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": usage,
        }
        return json_response(start_response, 200, message)


def _model_list(models: list[str]) -> dict[str, Any]:
    data = [{"type": "model", "id": m, "display_name": m, "created_at": "2025-09-29T00:00:00Z"} for m in models]
    return {
        "data": data,
        "has_more": False,
        "first_id": models[0] if models else None,
        "last_id": models[-1] if models else None,
    }


def _tool(body: dict[str, Any]) -> str | None:
    """The tool to call: the forced one, else the first offered unless the last turn carries a tool result."""
    tools = body.get("tools")
    raw_choice = body.get("tool_choice")
    choice: dict[str, Any] = raw_choice if isinstance(raw_choice, dict) else {}
    if not isinstance(tools, list) or not tools or choice.get("type") == "none":
        return None
    if choice.get("type") == "tool":
        return str(choice.get("name"))
    messages = body.get("messages") or []
    last = messages[-1].get("content") if messages and isinstance(messages[-1], dict) else None
    if isinstance(last, list) and any(isinstance(b, dict) and b.get("type") == "tool_result" for b in last):
        return None
    return str(tools[0].get("name")) if isinstance(tools[0], dict) else None


def _events(
    message_id: str, model: str, content: list[dict[str, Any]], stop_reason: str, usage: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    """The documented event order: message_start (input usage, output 1), a ping, each block's start, deltas and
    stop, message_delta (stop reason and cumulative usage), message_stop."""
    start_usage = {**usage, "output_tokens": 1}
    yield {
        "type": "message_start",
        "message": {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": start_usage,
        },
    }
    yield {"type": "ping"}
    for index, block in enumerate(content):
        if block["type"] == "text":
            yield {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}
            words = block["text"].split(" ")
            for i, word in enumerate(words):
                delta = {"type": "text_delta", "text": word if i == 0 else " " + word}
                yield {"type": "content_block_delta", "index": index, "delta": delta}
        else:
            started = {**block, "input": {}}
            yield {"type": "content_block_start", "index": index, "content_block": started}
            arguments = orjson.dumps(block["input"]).decode()
            for piece in (arguments[: len(arguments) // 2], arguments[len(arguments) // 2 :]):
                delta = {"type": "input_json_delta", "partial_json": piece}
                yield {"type": "content_block_delta", "index": index, "delta": delta}
        yield {"type": "content_block_stop", "index": index}
    final_usage = {k: v for k, v in usage.items() if k != "service_tier"}
    yield {
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": None},
        "usage": final_usage,
    }
    yield {"type": "message_stop"}


def _sse(start_response: StartResponse, events: Iterator[dict[str, Any]]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/event-stream; charset=utf-8"), ("Cache-Control", "no-cache")])
    return (b"event: " + e["type"].encode() + b"\ndata: " + orjson.dumps(e) + b"\n\n" for e in events)


def _error(start_response: StartResponse, status: int, message: str) -> list[bytes]:
    kind = _ERROR_TYPES.get(status, "api_error")
    return json_response(start_response, status, {"type": "error", "error": {"type": kind, "message": message}})
