"""Gemini `streamGenerateContent?alt=sse` events → OpenAI `chat.completion.chunk` events, one at a time. Pure.

Each Gemini event is a whole `GenerateContentResponse` holding the next piece of the candidate: text parts
become content deltas, a `functionCall` part becomes one complete tool call, and the event carrying
`finishReason` ends the choice. `usageMetadata` rides on the events, cumulative: the last one counts. Gemini
sends no end marker, so the finishing event is followed by the usage chunk (when the caller asked with
`stream_options.include_usage`) and `data: [DONE]`.
"""

from __future__ import annotations

from typing import Any

import orjson

from ...sse import event_object
from ..base import StreamState
from .response import completion_id, finish_reason, openai_error, openai_usage, token_usage, tool_call, visible_parts

DONE = b"data: [DONE]\n\n"


def new_state(created: int, include_usage: bool, model: str) -> StreamState:
    return StreamState(
        model=model,
        # "created_at", not "created": that key names a stored object (a response id) to the proxy
        extra={"created_at": created, "include_usage": include_usage, "id": None, "started": False, "calls": 0},
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


def on_event(event: bytes, state: StreamState) -> bytes | None:
    data = event_object(event)
    if data is None:
        return None
    if "error" in data:
        return b"data: " + orjson.dumps(openai_error(data)) + b"\n\n"
    extra = state.extra
    if extra["id"] is None:
        extra["id"] = completion_id(data)
    state.model = data.get("modelVersion") or state.model
    metadata = data.get("usageMetadata")
    if (usage := token_usage(metadata)) is not None:
        state.usage = usage
        extra["usage"] = metadata
    out: list[bytes] = []
    if not extra["started"]:
        extra["started"] = True
        out.append(_chunk(state, {"role": "assistant", "content": ""}))
    candidates = [c for c in data.get("candidates") or [] if isinstance(c, dict)]
    candidate = candidates[0] if candidates else {}
    for part in visible_parts(candidate):
        if part.get("text"):
            out.append(_chunk(state, {"content": str(part["text"])}))
        elif isinstance(part.get("functionCall"), dict):
            call = {**tool_call(part["functionCall"]), "index": extra["calls"]}
            extra["calls"] += 1
            out.append(_chunk(state, {"tool_calls": [call]}))
    finish = finish_reason(candidate.get("finishReason"), extra["calls"] > 0)
    if finish is None and not candidates and isinstance(data.get("promptFeedback"), dict):
        finish = "content_filter"  # the prompt was blocked: no candidate comes
    if finish is not None:
        out.append(_chunk(state, {}, finish))
        if extra["include_usage"]:
            chunk = {
                "id": extra["id"],
                "object": "chat.completion.chunk",
                "created": extra["created_at"],
                "model": state.model,
                "choices": [],
                "usage": openai_usage(extra.get("usage")),
            }
            out.append(b"data: " + orjson.dumps(chunk) + b"\n\n")
        out.append(DONE)
    return b"".join(out) or None
