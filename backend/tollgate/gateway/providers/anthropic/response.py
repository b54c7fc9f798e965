"""An Anthropic Messages response (or error) as OpenAI's chat completion (or error) shape. Pure."""

from __future__ import annotations

from typing import Any

import orjson

FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
"""Anthropic `stop_reason` → OpenAI `finish_reason`."""


def finish_reason(stop_reason: Any) -> str | None:
    return FINISH_REASONS.get(stop_reason, "stop") if stop_reason else None


def openai_usage(usage: dict[str, Any]) -> dict[str, Any]:
    """Anthropic usage in OpenAI's words: the prompt is every input token, cached (read or written) or not."""
    read = token_count(usage.get("cache_read_input_tokens"))
    prompt = token_count(usage.get("input_tokens")) + read + token_count(usage.get("cache_creation_input_tokens"))
    completion = token_count(usage.get("output_tokens"))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": read},
    }


def token_count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def tool_call(block: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": block.get("id"),
        "type": "function",
        "function": {"name": block.get("name"), "arguments": orjson.dumps(block.get("input", {})).decode()},
    }


def to_openai(message: dict[str, Any], created: int, json_tool: str | None) -> dict[str, Any]:
    """`json_tool`: the tool standing for `response_format: json_schema`; its input is the answer's content."""
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in message.get("content") or []:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text":
            texts.append(str(block.get("text", "")))
        elif block.get("type") == "tool_use" and json_tool is not None and block.get("name") == json_tool:
            texts.append(orjson.dumps(block.get("input", {})).decode())
        elif block.get("type") == "tool_use":
            calls.append(tool_call(block))
    reply: dict[str, Any] = {"role": "assistant", "content": "".join(texts) if texts else None, "refusal": None}
    if calls:
        reply["tool_calls"] = calls
    finish = finish_reason(message.get("stop_reason"))
    if json_tool is not None and finish == "tool_calls" and not calls:
        finish = "stop"
    usage = message.get("usage")
    return {
        "id": message.get("id"),
        "object": "chat.completion",
        "created": created,
        "model": message.get("model"),
        "choices": [{"index": 0, "message": reply, "logprobs": None, "finish_reason": finish}],
        "usage": openai_usage(usage if isinstance(usage, dict) else {}),
    }


def openai_error(error: Any) -> dict[str, Any]:
    """Anthropic's `{"type": "error", "error": {"type", "message"}}` as OpenAI's error object; Anthropic's error
    type (`invalid_request_error`, `authentication_error`, `overloaded_error`, …) becomes both type and code."""
    inner = error.get("error") if isinstance(error, dict) else None
    inner = inner if isinstance(inner, dict) else {}
    kind = str(inner.get("type") or "upstream_error")
    message = str(inner.get("message") or "The upstream provider returned an error.")
    return {"error": {"message": message, "type": kind, "param": None, "code": kind}}


def translate(status: int, data: bytes, created: int, json_tool: str | None) -> bytes:
    """A plain upstream body, success or error, in OpenAI's shape; a body that is not JSON passes unchanged."""
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError:
        return data
    if not isinstance(parsed, dict):
        return data
    if status >= 300 or parsed.get("type") == "error":
        return orjson.dumps(openai_error(parsed))
    return orjson.dumps(to_openai(parsed, created, json_tool))
