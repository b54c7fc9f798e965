"""Anthropic Messages stream events → OpenAI `chat.completion.chunk` events, one event at a time. Pure.

Anthropic names each event (`message_start`, `content_block_start/delta/stop`, `message_delta`, `message_stop`,
`ping`, `error`); OpenAI sends bare `data:` chunks ending with `data: [DONE]`. Text deltas become content deltas,
a `tool_use` block becomes one tool call (its id and name first, then its `input_json_delta`s as argument
fragments), the stop reason becomes the last choice chunk's finish_reason, and at `message_stop` the usage chunk
(only when the caller asked with `stream_options.include_usage`) and `[DONE]` follow. Thinking blocks are not
forwarded (Chat Completions has no field for them) but their tokens are billed within output_tokens.
"""

from __future__ import annotations

from typing import Any

import orjson

from ....metering.usage import from_anthropic
from ...sse import event_object
from ..base import StreamState
from .response import finish_reason, openai_error, openai_usage

DONE = b"data: [DONE]\n\n"
PING = b": ping\n\n"
"""Anthropic's keep-alive as an SSE comment: it keeps idle proxies from closing the stream; clients ignore it."""


def new_state(created: int, include_usage: bool, json_tool: str | None) -> StreamState:
    return StreamState(
        extra={
            "created_at": created,  # not "created": that key names a stored object to the proxy
            "include_usage": include_usage,
            "json_tool": json_tool,
            "id": None,
            "usage": {},
            "tools": {},  # Anthropic content block index → OpenAI tool_calls index
            "json_blocks": set(),  # blocks of the response_format tool: their JSON is the content
        }
    )


def _chunk(state: StreamState, delta: dict[str, Any], finish: str | None = None) -> bytes:
    extra = state.extra
    chunk = {
        "id": extra["id"],
        "object": "chat.completion.chunk",
        "created": extra["created_at"],
        "model": state.model,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    return b"data: " + orjson.dumps(chunk) + b"\n\n"


def record_usage(state: StreamState, usage: Any) -> None:
    """Anthropic's stream counts are cumulative: later non-null values replace earlier ones."""
    if not isinstance(usage, dict):
        return
    merged: dict[str, Any] = state.extra.setdefault("usage", {})
    merged.update({k: v for k, v in usage.items() if v is not None})
    state.usage = from_anthropic(merged)


def on_event(event: bytes, state: StreamState) -> bytes | None:
    data = event_object(event)
    if data is None:
        return None
    kind = data.get("type")
    extra = state.extra
    if kind == "message_start":
        message = _obj(data.get("message"))
        extra["id"] = message.get("id")
        state.model = message.get("model") or state.model
        record_usage(state, message.get("usage"))
        return _chunk(state, {"role": "assistant", "content": ""})
    if kind == "content_block_start":
        return _block_start(data, state)
    if kind == "content_block_delta":
        return _block_delta(data, state)
    if kind == "message_delta":
        record_usage(state, data.get("usage"))
        delta = _obj(data.get("delta"))
        finish = finish_reason(delta.get("stop_reason"))
        if finish == "tool_calls" and not extra["tools"] and extra["json_blocks"]:
            finish = "stop"  # the response_format tool is the answer, not a call for the caller to make
        return _chunk(state, {}, finish) if finish else None
    if kind == "message_stop":
        out = b""
        if extra["include_usage"]:
            chunk = {
                "id": extra["id"],
                "object": "chat.completion.chunk",
                "created": extra["created_at"],
                "model": state.model,
                "choices": [],
                "usage": openai_usage(extra["usage"]),
            }
            out = b"data: " + orjson.dumps(chunk) + b"\n\n"
        return out + DONE
    if kind == "ping":
        return PING
    if kind == "error":
        return b"data: " + orjson.dumps(openai_error(data)) + b"\n\n"
    return None  # content_block_stop, and event types added later


def _block_start(data: dict[str, Any], state: StreamState) -> bytes | None:
    block = _obj(data.get("content_block"))
    index = data.get("index")
    extra = state.extra
    if block.get("type") == "text":
        text = block.get("text")
        return _chunk(state, {"content": text}) if text else None
    if block.get("type") != "tool_use":
        return None
    if extra["json_tool"] is not None and block.get("name") == extra["json_tool"]:
        extra["json_blocks"].add(index)
        return None
    position = len(extra["tools"])
    extra["tools"][index] = position
    function = {"name": block.get("name"), "arguments": ""}
    call: dict[str, Any] = {"index": position, "id": block.get("id"), "type": "function", "function": function}
    return _chunk(state, {"tool_calls": [call]})


def _block_delta(data: dict[str, Any], state: StreamState) -> bytes | None:
    delta = _obj(data.get("delta"))
    index = data.get("index")
    extra = state.extra
    if delta.get("type") == "text_delta":
        return _chunk(state, {"content": delta.get("text", "")})
    if delta.get("type") != "input_json_delta":
        return None  # thinking, signature and citation deltas have no Chat Completions field
    fragment = delta.get("partial_json", "")
    if index in extra["json_blocks"]:
        return _chunk(state, {"content": fragment}) if fragment else None
    if index not in extra["tools"] or not fragment:
        return None
    return _chunk(state, {"tool_calls": [{"index": extra["tools"][index], "function": {"arguments": fragment}}]})


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
