"""A Gemini `GenerateContentResponse` (or error) as OpenAI's chat completion (or error) shape. Pure."""

from __future__ import annotations

import secrets
from typing import Any

import orjson

from ....metering.usage import TokenUsage

FINISH_REASONS = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
}
"""Gemini `finishReason` → OpenAI `finish_reason`; any other reason (LANGUAGE, OTHER, MALFORMED_FUNCTION_CALL,
…) is `stop`. A candidate whose parts call a function finishes with `tool_calls`."""


def finish_reason(reason: Any, called: bool) -> str | None:
    if not reason or reason == "FINISH_REASON_UNSPECIFIED":
        return None
    if called and reason == "STOP":
        return "tool_calls"
    return FINISH_REASONS.get(str(reason), "stop")


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def token_usage(metadata: Any) -> TokenUsage | None:
    """`usageMetadata` as billed: the prompt includes cached content and tool-use prompt tokens; the output is
    the candidates plus the thinking tokens, both billed at the output rate."""
    if not isinstance(metadata, dict) or "promptTokenCount" not in metadata:
        return None
    thoughts = _count(metadata.get("thoughtsTokenCount"))
    return TokenUsage(
        input_tokens=_count(metadata.get("promptTokenCount")) + _count(metadata.get("toolUsePromptTokenCount")),
        cached_input_tokens=_count(metadata.get("cachedContentTokenCount")),
        output_tokens=_count(metadata.get("candidatesTokenCount")) + thoughts,
        reasoning_tokens=thoughts,
    )


def openai_usage(metadata: Any) -> dict[str, Any]:
    usage = token_usage(metadata) or TokenUsage()
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_input_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


def call_id(call: dict[str, Any]) -> str:
    given = call.get("id")
    return given if isinstance(given, str) and given else "call_" + secrets.token_hex(12)


def tool_call(call: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": call_id(call),
        "type": "function",
        "function": {"name": call.get("name"), "arguments": orjson.dumps(call.get("args") or {}).decode()},
    }


def visible_parts(candidate: dict[str, Any]) -> list[dict[str, Any]]:
    """The candidate's parts a caller sees: not thought summaries (`thought: true`), which Chat has no field for."""
    content = candidate.get("content")
    parts = content.get("parts") if isinstance(content, dict) else None
    return [p for p in parts or [] if isinstance(p, dict) and not p.get("thought")]


def _choice(candidate: dict[str, Any], position: int) -> dict[str, Any]:
    parts = visible_parts(candidate)
    texts = [str(p["text"]) for p in parts if "text" in p]
    calls = [tool_call(p["functionCall"]) for p in parts if isinstance(p.get("functionCall"), dict)]
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts) if texts else None, "refusal": None}
    if calls:
        message["tool_calls"] = calls
    index = candidate.get("index")
    return {
        "index": index if isinstance(index, int) else position,
        "message": message,
        "logprobs": None,
        "finish_reason": finish_reason(candidate.get("finishReason"), bool(calls)) or "stop",
    }


def completion_id(response: dict[str, Any]) -> str:
    rid = response.get("responseId")
    return "chatcmpl-" + (rid if isinstance(rid, str) and rid else secrets.token_hex(12))


def to_openai(response: dict[str, Any], created: int, model: str | None) -> dict[str, Any]:
    candidates = [c for c in response.get("candidates") or [] if isinstance(c, dict)]
    choices = [_choice(c, i) for i, c in enumerate(candidates)]
    if not choices:  # the prompt itself was blocked (promptFeedback.blockReason)
        empty = {"role": "assistant", "content": None, "refusal": None}
        choices = [{"index": 0, "message": empty, "logprobs": None, "finish_reason": "content_filter"}]
    return {
        "id": completion_id(response),
        "object": "chat.completion",
        "created": created,
        "model": response.get("modelVersion") or model,
        "choices": choices,
        "usage": openai_usage(response.get("usageMetadata")),
    }


def key_refused(data: bytes) -> bool:
    """Google refuses a bad API key with HTTP 400 `INVALID_ARGUMENT` (never 401) and an ErrorInfo detail whose
    reason is `API_KEY_INVALID`: that 400 is the lane's credential refused, not the caller's request at fault."""
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError:
        return False
    if isinstance(parsed, list) and len(parsed) == 1:  # some Google front ends wrap an error in a list
        parsed = parsed[0]
    error = parsed.get("error") if isinstance(parsed, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    return isinstance(details, list) and any(
        isinstance(d, dict) and d.get("reason") == "API_KEY_INVALID" for d in details
    )


def openai_error(error: Any) -> dict[str, Any]:
    """Google's `{"error": {"code", "message", "status"}}` as OpenAI's error object; the status (INVALID_ARGUMENT,
    PERMISSION_DENIED, RESOURCE_EXHAUSTED, …) becomes the code."""
    inner = error.get("error") if isinstance(error, dict) else None
    inner = inner if isinstance(inner, dict) else {}
    status = str(inner.get("status") or "UPSTREAM_ERROR")
    caller_fault = status in ("INVALID_ARGUMENT", "FAILED_PRECONDITION", "NOT_FOUND")
    kind = "invalid_request_error" if caller_fault else "api_error"
    message = str(inner.get("message") or "The upstream provider returned an error.")
    return {"error": {"message": message, "type": kind, "param": None, "code": status.lower()}}


def translate(status: int, data: bytes, created: int, model: str | None) -> bytes:
    """A plain upstream body, success or error, in OpenAI's shape; a body that is not JSON passes unchanged."""
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError:
        return data
    if isinstance(parsed, list) and len(parsed) == 1:  # some Google front ends wrap an error in a list
        parsed = parsed[0]
    if not isinstance(parsed, dict):
        return data
    if status >= 300 or "error" in parsed:
        return orjson.dumps(openai_error(parsed))
    return orjson.dumps(to_openai(parsed, created, model))
