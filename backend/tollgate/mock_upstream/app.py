"""The mock upstream as a plain WSGI app (no framework: it must be cheap enough to benchmark against).

Behaviour is steered through `MockState`: in-process by tests, or, only in a mock built with `steerable=True`,
over HTTP with `POST /__mock/state` (JSON with the same fields) when it runs in another process. The demo's
mock (mounted at /mock on a server anyone may reach) is not steerable: its endpoint does not exist, so nobody
can make it fail, stall or change its models. Every request is recorded in `state.requests` so tests can see
exactly what the gateway sent upstream.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import parse_qsl

import orjson

from . import openai_media as media
from . import payloads, stored
from .wsgi import REASONS, json_response, read_body

StartResponse = Callable[..., Any]
_KEEP_RESPONSES = 10_000
"""Stored responses the mock remembers; the oldest is forgotten first."""
_MODEL_OPTIONAL = frozenset({"/moderations", "/conversations"})
"""Calls that name no chat model (`strict_models` does not apply): moderation models, conversations."""
Environ = dict[str, Any]


@dataclass
class MockState:
    api_key: str | None = None
    """Required bearer key; None accepts any."""
    fail_status: int | None = None
    """Answer every request with this HTTP status (an OpenAI error body)."""
    fail_count: int | None = None
    """With fail_status: only this many requests fail, then normal service resumes."""
    retry_after: str | None = None
    delay_s: float = 0.0
    """Sleep before answering (for timeouts)."""
    stream_delay_s: float = 0.0
    """Sleep between stream events (for disconnect tests)."""
    usage: dict[str, int] | None = None
    """Fixed counts: prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens."""
    served_model: str | None = None
    """Model name to report as served (e.g. a dated snapshot); default echoes the request."""
    service_tier: str | None = None
    """Service tier to report as served; default: the requested one (`auto` or none is served as `default`)."""
    models: list[str] = field(default_factory=lambda: ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small", "o3-mini"])
    background_polls: int = 2
    """A background response completes on this retrieve (earlier ones see it queued, then in progress)."""
    background_s: float = 60.0
    """…or once this much time has passed since it was created."""
    strict_models: bool = False
    """True: a call naming a model not in `models` gets OpenAI's 404 `model_not_found` (the demo's mock, so a typo
    fails there as it would at OpenAI). False: any model is served (tests name models no price list knows)."""
    record_requests: bool = True
    requests: list[dict[str, Any]] = field(default_factory=list)
    responses: dict[str, stored.StoredResponse] = field(default_factory=dict, repr=False)
    conversations: dict[str, stored.Conversation] = field(default_factory=dict, repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def update(self, changes: dict[str, Any]) -> None:
        names = {f.name for f in fields(self)} - {"lock", "requests", "responses", "conversations"}
        for key, value in changes.items():
            if key in names:
                setattr(self, key, value)
        if changes.get("clear_requests"):
            self.requests.clear()


class MockUpstream:
    def __init__(self, state: MockState | None = None, steerable: bool = False) -> None:
        self.state = state or MockState()
        self.steerable = steerable
        """Serve `POST /__mock/state` (unauthenticated, so for test processes only)."""

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        if path.startswith("/v1/"):
            path = path[3:]
        body_bytes = read_body(environ)
        if self.steerable and path == "/__mock/state" and method == "POST":
            self.state.update(orjson.loads(body_bytes or b"{}"))
            return json_response(start_response, 200, {"ok": True})
        if method == "GET" and path == "/__mock/files/image.png":  # where an image `url` points (no key needed)
            start_response("200 OK", [("Content-Type", "image/png"), ("Content-Length", str(len(media.PNG_1PX)))])
            return [media.PNG_1PX]
        if self.state.api_key and environ.get("HTTP_AUTHORIZATION") != f"Bearer {self.state.api_key}":
            return _error(start_response, 401, "Incorrect API key provided.", "invalid_api_key")
        if method == "POST" and path == "/audio/transcriptions":
            return self._transcription(start_response, environ, body_bytes)
        body: dict[str, Any] = {}
        if body_bytes:
            try:
                body = orjson.loads(body_bytes)
            except orjson.JSONDecodeError:
                return _error(start_response, 400, "We could not parse the JSON body of your request.", None)
        if self.state.record_requests:
            with self.state.lock:
                self.state.requests.append(
                    {
                        "method": method,
                        "path": path,
                        "query": environ.get("QUERY_STRING", ""),
                        "body": body,
                        "authorization": environ.get("HTTP_AUTHORIZATION"),
                    }
                )
        failure = self._failure(start_response)
        if failure is not None:
            return failure
        if self.state.delay_s:
            time.sleep(self.state.delay_s)
        route = {
            ("GET", "/models"): self._models,
            ("POST", "/chat/completions"): self._chat,
            ("POST", "/responses"): self._responses,
            ("POST", "/embeddings"): self._embeddings,
            ("POST", "/moderations"): self._moderations,
            ("POST", "/images/generations"): lambda start, body: self._images(start, body, environ),
            ("POST", "/conversations"): self._create_conversation,
        }.get((method, path))
        if route is None:
            if method == "GET" and path.startswith("/models/"):
                return self._model(start_response, path[len("/models/") :])
            query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
            if path.startswith("/responses/"):
                return self._stored_response(start_response, method, path.split("/")[2:], query)
            if path.startswith("/conversations/"):
                return self._conversation(start_response, method, path.split("/")[2:], body, query)
            return _error(start_response, 404, f"Unknown request URL: {method} {path}", "unknown_url")
        strict = self.state.strict_models and path not in _MODEL_OPTIONAL
        if method == "POST" and strict and body.get("model") not in self.state.models:
            message = f"The model `{body.get('model')}` does not exist or you do not have access to it."
            return _error(start_response, 404, message, "model_not_found")
        return route(start_response, body)

    def _images(self, start_response: StartResponse, body: dict[str, Any], environ: Environ) -> Iterable[bytes]:
        base = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', 'localhost')}"
        status, payload = media.image_generation(body, base + environ.get("SCRIPT_NAME", "") + "/v1")
        return json_response(start_response, status, payload)

    def _transcription(self, start_response: StartResponse, environ: Environ, raw: bytes) -> Iterable[bytes]:
        """Multipart, not JSON: recorded with its content type and size (the file itself is not kept)."""
        content_type = environ.get("CONTENT_TYPE", "")
        if self.state.record_requests:
            with self.state.lock:
                self.state.requests.append(
                    {
                        "method": "POST",
                        "path": "/audio/transcriptions",
                        "query": "",
                        "body": {"content_type": content_type, "bytes": len(raw)},
                        "raw": raw,
                        "authorization": environ.get("HTTP_AUTHORIZATION"),
                    }
                )
        failure = self._failure(start_response)
        if failure is not None:
            return failure
        strict = self.state.models if self.state.strict_models else None  # as for JSON calls: a typo is a 404
        status, kind, out = media.transcription(raw, content_type, strict)
        if isinstance(out, dict):
            return json_response(start_response, status, out)
        start_response(
            f"{status} {REASONS.get(status, 'Status')}", [("Content-Type", kind), ("Content-Length", str(len(out)))]
        )
        return [out]

    def _failure(self, start_response: StartResponse) -> Iterable[bytes] | None:
        state = self.state
        with state.lock:
            if state.fail_status is None:
                return None
            if state.fail_count is not None:
                if state.fail_count <= 0:
                    state.fail_status = state.fail_count = None
                    return None
                state.fail_count -= 1
            status = state.fail_status
        headers = [("Retry-After", state.retry_after)] if state.retry_after else []
        return _error(start_response, status, f"Mock upstream failure {status}", "mock_failure", headers)

    def _counts(self, prompt: str, text: str) -> tuple[int, int, int, int]:
        fixed = self.state.usage or {}
        return (
            fixed.get("prompt_tokens", payloads.count_tokens(prompt)),
            fixed.get("completion_tokens", payloads.count_tokens(text)),
            fixed.get("cached_tokens", 0),
            fixed.get("reasoning_tokens", 0),
        )

    def _tier(self, body: dict[str, Any]) -> str:
        """The tier a call is served at, as OpenAI reports it: the requested one; `auto` (or none) → `default`."""
        requested = body.get("service_tier")
        if self.state.service_tier:
            return self.state.service_tier
        return requested if isinstance(requested, str) and requested not in ("", "auto") else "default"

    def _models(self, start_response: StartResponse, body: dict[str, Any]) -> Iterable[bytes]:
        data = [{"id": m, "object": "model", "created": 1715367049, "owned_by": "system"} for m in self.state.models]
        return json_response(start_response, 200, {"object": "list", "data": data})

    def _model(self, start_response: StartResponse, model_id: str) -> Iterable[bytes]:
        if model_id not in self.state.models:
            return _error(start_response, 404, f"The model '{model_id}' does not exist", "model_not_found")
        return json_response(
            start_response,
            200,
            {"id": model_id, "object": "model", "created": 1715367049, "owned_by": "system"},
        )

    def _chat(self, start_response: StartResponse, body: dict[str, Any]) -> Iterable[bytes]:
        model = self.state.served_model or str(body.get("model", ""))
        prompt = payloads.prompt_text(body.get("messages"))
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
        tool_calls = _tool_calls(body)
        text = payloads.reply_text(prompt, max_tokens if isinstance(max_tokens, int) else None)
        prompt_tokens, completion_tokens, cached, reasoning = self._counts(prompt, text)
        usage = payloads.chat_usage(prompt_tokens, completion_tokens, cached, reasoning)
        completion_id = "chatcmpl-" + secrets.token_hex(12)
        tier = self._tier(body)
        if body.get("stream") is True:
            options = body.get("stream_options") or {}
            include_usage = isinstance(options, dict) and options.get("include_usage") is True
            chunks = payloads.chat_chunks(completion_id, model, text, tool_calls, usage, include_usage, tier)
            return self._sse(start_response, chunks, done_marker=True)
        message = payloads.assistant_message(None if tool_calls else text, tool_calls)
        finish = "tool_calls" if tool_calls else "stop"
        return json_response(
            start_response, 200, payloads.chat_completion(completion_id, model, message, finish, usage, tier)
        )

    def _responses(self, start_response: StartResponse, body: dict[str, Any]) -> Iterable[bytes]:
        model = self.state.served_model or str(body.get("model", ""))
        prompt = " ".join(
            filter(None, [body.get("instructions") or "", payloads.responses_input_text(body.get("input"))])
        )
        max_tokens = body.get("max_output_tokens")
        text = payloads.reply_text(prompt, max_tokens if isinstance(max_tokens, int) else None)
        input_tokens, output_tokens, cached, reasoning = self._counts(prompt, text)
        usage = payloads.responses_usage(input_tokens, output_tokens, cached, reasoning)
        response_id = stored.new_id("resp")
        tier = self._tier(body)
        background = body.get("background") is True
        kept = stored.StoredResponse(
            body,
            model,
            text,
            usage,
            stored.input_items(body.get("input")),
            "queued" if background else "completed",
            background,
            tier,
        )
        if body.get("store") is not False:
            with self.state.lock:
                if len(self.state.responses) >= _KEEP_RESPONSES:  # the benchmark creates thousands
                    del self.state.responses[next(iter(self.state.responses))]
                self.state.responses[response_id] = kept
        if body.get("stream") is True:
            events = payloads.response_events(response_id, model, body, text, usage, tier)
            return self._sse(start_response, events, done_marker=False, named=True)
        return json_response(start_response, 200, kept.render(response_id))

    def _stored_response(
        self, start_response: StartResponse, method: str, parts: list[str], query: dict[str, str]
    ) -> Iterable[bytes]:
        """GET /responses/{id}, DELETE /responses/{id}, POST /responses/{id}/cancel, GET …/input_items."""
        response_id, action = parts[0], "/".join(parts[1:])
        with self.state.lock:
            kept = self.state.responses.get(response_id)
            if kept is None:
                return _error(start_response, 404, f"Response with id '{response_id}' not found.", None)
            if (method, action) == ("GET", "") and query.get("stream") == "true":  # replay to the end
                kept.status = "completed"
                events = payloads.response_events(
                    response_id, kept.model, kept.body, kept.text, kept.usage, kept.service_tier
                )
                return self._sse(start_response, events, done_marker=False, named=True)
            if (method, action) == ("GET", ""):
                stored.advance(kept, self.state.background_polls, self.state.background_s)
                return json_response(start_response, 200, kept.render(response_id))
            if (method, action) == ("DELETE", ""):
                del self.state.responses[response_id]
                return json_response(
                    start_response, 200, {"id": response_id, "object": "response.deleted", "deleted": True}
                )
            if (method, action) == ("POST", "cancel"):
                if not kept.background:
                    return _error(start_response, 400, "Only background responses can be cancelled.", None)
                if kept.status not in stored.TERMINAL:
                    kept.status = "cancelled"
                return json_response(start_response, 200, kept.render(response_id))
            if (method, action) == ("GET", "input_items"):
                return json_response(start_response, 200, stored.page(kept.input_items, query))
        return _error(start_response, 404, f"Unknown request URL: {method} /responses/{response_id}/{action}", None)

    def _moderations(self, start_response: StartResponse, body: dict[str, Any]) -> Iterable[bytes]:
        model = body.get("model") or "omni-moderation-latest"
        return json_response(start_response, 200, stored.moderation(str(model), body.get("input")))

    def _create_conversation(self, start_response: StartResponse, body: dict[str, Any]) -> Iterable[bytes]:
        conversation_id = stored.new_id("conv")
        metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        kept = stored.Conversation(metadata or {}, stored.input_items(body.get("items")))
        with self.state.lock:
            self.state.conversations[conversation_id] = kept
        return json_response(start_response, 200, kept.render(conversation_id))

    def _conversation(
        self, start_response: StartResponse, method: str, parts: list[str], body: dict[str, Any], query: dict[str, str]
    ) -> Iterable[bytes]:
        """GET/POST/DELETE /conversations/{id}, GET/POST …/items, GET/DELETE …/items/{item_id}."""
        conversation_id, action = parts[0], "/".join(parts[1:2])
        item_id = parts[2] if len(parts) > 2 else None
        with self.state.lock:
            kept = self.state.conversations.get(conversation_id)
            if kept is None:
                return _error(start_response, 404, f"Conversation with id '{conversation_id}' not found.", None)
            if action == "" and method == "GET":
                return json_response(start_response, 200, kept.render(conversation_id))
            if action == "" and method == "POST":
                if isinstance(body.get("metadata"), dict):
                    kept.metadata = body["metadata"]
                return json_response(start_response, 200, kept.render(conversation_id))
            if action == "" and method == "DELETE":
                del self.state.conversations[conversation_id]
                deleted = {"id": conversation_id, "object": "conversation.deleted", "deleted": True}
                return json_response(start_response, 200, deleted)
            if action == "items" and item_id is None and method == "GET":
                return json_response(
                    start_response, 200, stored.page(kept.items, query | {"order": query.get("order", "asc")})
                )
            if action == "items" and item_id is None and method == "POST":
                added = stored.input_items(body.get("items"))
                kept.items.extend(added)
                return json_response(start_response, 200, stored.page(added, {"order": "asc", "limit": "100"}))
            if action == "items" and item_id is not None:
                item = next((i for i in kept.items if i["id"] == item_id), None)
                if item is None:
                    return _error(start_response, 404, f"Item with id '{item_id}' not found.", None)
                if method == "GET":
                    return json_response(start_response, 200, item)
                if method == "DELETE":
                    kept.items.remove(item)
                    return json_response(start_response, 200, kept.render(conversation_id))
        return _error(start_response, 404, f"Unknown request URL: {method} /conversations/{'/'.join(parts)}", None)

    def _embeddings(self, start_response: StartResponse, body: dict[str, Any]) -> Iterable[bytes]:
        raw_input = body.get("input")
        inputs = raw_input if isinstance(raw_input, list) else [raw_input]
        texts = [i if isinstance(i, str) else " ".join(map(str, i)) if isinstance(i, list) else str(i) for i in inputs]
        dimensions = body.get("dimensions")
        dims = dimensions if isinstance(dimensions, int) and dimensions > 0 else 8
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for index, text in enumerate(texts):
            vector = payloads.embedding_vector(text, dims)
            data.append(
                {
                    "object": "embedding",
                    "index": index,
                    "embedding": payloads.encode_base64(vector) if as_base64 else vector,
                }
            )
        fixed = self.state.usage or {}
        prompt_tokens = fixed.get("prompt_tokens", sum(payloads.count_tokens(t) for t in texts))
        return json_response(
            start_response,
            200,
            {
                "object": "list",
                "data": data,
                "model": self.state.served_model or body.get("model"),
                "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
            },
        )

    def _sse(
        self,
        start_response: StartResponse,
        items: Iterator[dict[str, Any]],
        done_marker: bool,
        named: bool = False,
    ) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/event-stream; charset=utf-8"), ("Cache-Control", "no-cache")])
        delay = self.state.stream_delay_s

        def generate() -> Iterator[bytes]:
            for item in items:
                prefix = b"event: " + item["type"].encode() + b"\n" if named else b""
                yield prefix + b"data: " + orjson.dumps(item) + b"\n\n"
                if delay:
                    time.sleep(delay)
            if done_marker:
                yield b"data: [DONE]\n\n"

        return generate()


def _tool_calls(body: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Call the first tool when tools are offered and the last message is not a tool result."""
    tools = body.get("tools")
    messages = body.get("messages") or []
    if not tools or body.get("tool_choice") == "none":
        return None
    if messages and isinstance(messages[-1], dict) and messages[-1].get("role") == "tool":
        return None
    function = tools[0].get("function", {}) if isinstance(tools[0], dict) else {}
    return [
        {
            "id": "call_" + secrets.token_hex(8),
            "type": "function",
            "function": {"name": function.get("name", "tool"), "arguments": "{}"},
        }
    ]


def _error(
    start_response: StartResponse,
    status: int,
    message: str,
    code: str | None,
    headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    kind = {
        400: "invalid_request_error",
        401: "invalid_request_error",
        404: "invalid_request_error",
        429: "requests",
    }.get(status, "server_error")
    return json_response(
        start_response,
        status,
        {"error": {"message": message, "type": kind, "param": None, "code": code}},
        headers,
    )
