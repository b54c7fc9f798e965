"""Anthropic Messages stream events → OpenAI Responses API stream events, one event at a time. Pure.

`message_start` opens the response (`response.created`, `response.in_progress`). A text block is one `message`
output item: `response.output_item.added`, `response.content_part.added`, one `response.output_text.delta` per
text delta, then `.output_text.done`, `.content_part.done`, `.output_item.done` when the block stops. A `tool_use`
block is one `function_call` item whose `input_json_delta`s are `response.function_call_arguments.delta`s; the
block of the tool standing for `text.format: json_schema` streams as message text instead. `message_stop` ends
with `response.completed` (or `response.incomplete`) carrying the whole response and its usage. Every event has
its `sequence_number`, as OpenAI's spec defines. Thinking blocks are not forwarded (billed within output).
"""

from __future__ import annotations

from typing import Any

import orjson

from ...sse import event_object
from ..base import StreamState
from . import responses_response as shapes
from .stream import PING, record_usage


def new_state(created_at: int, json_tool: str | None, echoed: dict[str, Any]) -> StreamState:
    return StreamState(
        extra={
            "created_at": created_at,  # not "created": that key names a stored object to the proxy
            "json_tool": json_tool,
            "echo": echoed,
            "id": None,
            "usage": {},
            "sequence": 0,
            "stop_reason": None,
            "blocks": {},  # Anthropic content block index → the output item it streams into
            "output": [],  # finished output items, in order
        }
    )


def _event(state: StreamState, kind: str, fields: dict[str, Any]) -> bytes:
    payload = {"type": kind, "sequence_number": state.extra["sequence"], **fields}
    state.extra["sequence"] += 1
    return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"


def _response(state: StreamState, status: str, incomplete: dict[str, str] | None = None) -> dict[str, Any]:
    extra = state.extra
    done = status in ("completed", "incomplete")
    return shapes.response_object(
        extra["echo"],
        message_id=extra["id"],
        created_at=extra["created_at"],
        model=state.model,
        status=status,
        output=list(extra["output"]) if done else [],
        usage=shapes.usage(extra["usage"]) if done else None,
        incomplete_details=incomplete,
    )


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
        response = {"response": _response(state, "in_progress")}
        return _event(state, "response.created", response) + _event(state, "response.in_progress", response)
    if kind == "content_block_start":
        return _block_start(data, state)
    if kind == "content_block_delta":
        return _block_delta(data, state)
    if kind == "content_block_stop":
        return _block_stop(data, state)
    if kind == "message_delta":
        record_usage(state, data.get("usage"))
        extra["stop_reason"] = _obj(data.get("delta")).get("stop_reason") or extra["stop_reason"]
        return None
    if kind == "message_stop":
        status, incomplete = shapes.status_of(extra["stop_reason"])
        name = "response.completed" if status == "completed" else "response.incomplete"
        return _event(state, name, {"response": _response(state, status, incomplete)})
    if kind == "ping":
        return PING
    if kind == "error":
        error = _obj(data.get("error"))
        code = str(error.get("type") or "upstream_error")
        text = str(error.get("message") or "The upstream provider returned an error.")
        return _event(state, "error", {"code": code, "message": text, "param": None})
    return None


def _block_start(data: dict[str, Any], state: StreamState) -> bytes | None:
    block = _obj(data.get("content_block"))
    extra = state.extra
    output_index = len(extra["output"]) + len(extra["blocks"])
    is_json = block.get("type") == "tool_use" and extra["json_tool"] is not None
    if block.get("type") == "text" or (is_json and block.get("name") == extra["json_tool"]):
        item_id = f"msg_{str(extra['id'] or '').removeprefix('msg_')}_{data.get('index')}"
        item = {"type": "message", "id": item_id, "status": "in_progress", "role": "assistant", "content": []}
        extra["blocks"][data.get("index")] = {"item": item, "index": output_index, "text": ""}
        part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        out = _event(state, "response.output_item.added", {"output_index": output_index, "item": item})
        at = {"item_id": item_id, "output_index": output_index, "content_index": 0}
        out += _event(state, "response.content_part.added", {**at, "part": part})
        first = block.get("text")
        if isinstance(first, str) and first:
            extra["blocks"][data.get("index")]["text"] = first
            out += _event(state, "response.output_text.delta", {**at, "delta": first, "logprobs": []})
        return out
    if block.get("type") != "tool_use":
        return None  # thinking and server tool blocks: nothing the caller's format carries
    item = shapes.function_call_item(block.get("id"), block.get("name"), "", "in_progress")
    extra["blocks"][data.get("index")] = {"item": item, "index": output_index, "text": ""}
    return _event(state, "response.output_item.added", {"output_index": output_index, "item": item})


def _block_delta(data: dict[str, Any], state: StreamState) -> bytes | None:
    open_block = state.extra["blocks"].get(data.get("index"))
    delta = _obj(data.get("delta"))
    if open_block is None:
        return None
    fragment = delta.get("text") if delta.get("type") == "text_delta" else None
    if delta.get("type") == "input_json_delta":
        fragment = delta.get("partial_json")
    if not isinstance(fragment, str) or not fragment:
        return None
    open_block["text"] += fragment
    item, output_index = open_block["item"], open_block["index"]
    if item["type"] == "function_call":
        fields = {"item_id": item["id"], "output_index": output_index, "delta": fragment}
        return _event(state, "response.function_call_arguments.delta", fields)
    at = {"item_id": item["id"], "output_index": output_index, "content_index": 0}
    return _event(state, "response.output_text.delta", {**at, "delta": fragment, "logprobs": []})


def _block_stop(data: dict[str, Any], state: StreamState) -> bytes | None:
    open_block = state.extra["blocks"].pop(data.get("index"), None)
    if open_block is None:
        return None
    item, output_index, text = open_block["item"], open_block["index"], open_block["text"]
    if item["type"] == "function_call":
        arguments = text or "{}"
        done = shapes.function_call_item(item["call_id"], item["name"], arguments)
        fields = {"item_id": item["id"], "output_index": output_index, "name": item["name"], "arguments": arguments}
        out = _event(state, "response.function_call_arguments.done", fields)
    else:
        done = shapes.message_item(item["id"], text)
        at = {"item_id": item["id"], "output_index": output_index, "content_index": 0}
        out = _event(state, "response.output_text.done", {**at, "text": text, "logprobs": []})
        out += _event(state, "response.content_part.done", {**at, "part": done["content"][0]})
    state.extra["output"].append(done)
    return out + _event(state, "response.output_item.done", {"output_index": output_index, "item": done})


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
