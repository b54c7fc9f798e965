"""An Anthropic Messages response (or error) as an OpenAI Responses API `response` object (or error). Pure.

Text blocks become `message` output items (one `output_text` part each), `tool_use` blocks `function_call` items
(the tool_use id is the `call_id` the caller answers with a `function_call_output`), and the block of the tool that
stands for `text.format: json_schema` becomes the message text. The stop reason sets `status`: `max_tokens` and
the context window end as `incomplete` (`max_output_tokens`), a refusal as `incomplete` (`content_filter`).
The response is never stored (`store: false`): Anthropic keeps nothing to retrieve.
"""

from __future__ import annotations

from typing import Any

import orjson

from .response import openai_error, token_count

INCOMPLETE = {
    "max_tokens": "max_output_tokens",
    "model_context_window_exceeded": "max_output_tokens",
    "refusal": "content_filter",
}
"""Anthropic `stop_reason` → the Responses `incomplete_details.reason`; any other ends `completed`."""

ECHOED: tuple[tuple[str, Any], ...] = (
    ("instructions", None),
    ("max_output_tokens", None),
    ("metadata", {}),
    ("parallel_tool_calls", True),
    ("temperature", None),
    ("text", {"format": {"type": "text"}}),
    ("tool_choice", "auto"),
    ("tools", []),
    ("top_p", None),
)
"""Request fields a response object repeats, with OpenAI's defaults."""


def echo(body: dict[str, Any]) -> dict[str, Any]:
    echoed = {name: body.get(name) if body.get(name) is not None else default for name, default in ECHOED}
    if isinstance(echoed["tools"], list):
        echoed["tools"] = [_function_tool(t) for t in echoed["tools"]]
    return echoed


def _function_tool(tool: Any) -> Any:
    """A function tool as OpenAI echoes it: `parameters` and `strict` always present (null when not given)."""
    if not isinstance(tool, dict) or tool.get("type") != "function":
        return tool
    return {"parameters": None, "strict": None, **tool}


def response_id(message_id: Any) -> str:
    return "resp_" + str(message_id or "").removeprefix("msg_")


def status_of(stop_reason: Any) -> tuple[str, dict[str, str] | None]:
    reason = INCOMPLETE.get(stop_reason) if isinstance(stop_reason, str) else None
    return ("incomplete", {"reason": reason}) if reason else ("completed", None)


def usage(anthropic: dict[str, Any]) -> dict[str, Any]:
    """Anthropic usage in the Responses API's words: input counts every prompt token, cached or not."""
    read = token_count(anthropic.get("cache_read_input_tokens"))
    written = token_count(anthropic.get("cache_creation_input_tokens"))
    prompt = token_count(anthropic.get("input_tokens")) + read + written
    output = token_count(anthropic.get("output_tokens"))
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": read, "cache_write_tokens": written},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": prompt + output,
    }


def message_item(item_id: str, text: str, status: str = "completed") -> dict[str, Any]:
    part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    return {"type": "message", "id": item_id, "status": status, "role": "assistant", "content": [part]}


def function_call_item(block_id: Any, name: Any, arguments: str, status: str = "completed") -> dict[str, Any]:
    call_id = str(block_id or "")
    return {
        "type": "function_call",
        "id": "fc_" + call_id.removeprefix("toolu_"),
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": status,
    }


def response_object(
    echoed: dict[str, Any],
    *,
    message_id: Any,
    created_at: int,
    model: Any,
    status: str,
    output: list[dict[str, Any]],
    usage: dict[str, Any] | None,
    incomplete_details: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = {
        "id": response_id(message_id),
        "object": "response",
        "created_at": created_at,
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": incomplete_details,
        "model": model,
        "output": output,
        "previous_response_id": None,
        "store": False,
        **echoed,
    }
    if usage is not None:  # a response still in progress has none yet: the key is left out, as OpenAI does
        response["usage"] = usage
    return response


def to_response(
    message: dict[str, Any], created_at: int, json_tool: str | None, echoed: dict[str, Any]
) -> dict[str, Any]:
    output: list[dict[str, Any]] = []
    item_base = str(message.get("id") or "").removeprefix("msg_")
    for index, block in enumerate(message.get("content") or []):
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text":
            output.append(message_item(f"msg_{item_base}_{index}", str(block.get("text", ""))))
        elif block.get("type") == "tool_use" and json_tool is not None and block.get("name") == json_tool:
            output.append(message_item(f"msg_{item_base}_{index}", orjson.dumps(block.get("input", {})).decode()))
        elif block.get("type") == "tool_use":
            arguments = orjson.dumps(block.get("input", {})).decode()
            output.append(function_call_item(block.get("id"), block.get("name"), arguments))
    status, incomplete = status_of(message.get("stop_reason"))
    counts = message.get("usage")
    return response_object(
        echoed,
        message_id=message.get("id"),
        created_at=created_at,
        model=message.get("model"),
        status=status,
        output=output,
        usage=usage(counts if isinstance(counts, dict) else {}),
        incomplete_details=incomplete,
    )


def translate(status: int, data: bytes, created_at: int, json_tool: str | None, echoed: dict[str, Any]) -> bytes:
    """A plain upstream body, success or error, in OpenAI's shape; a body that is not JSON passes unchanged."""
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError:
        return data
    if not isinstance(parsed, dict):
        return data
    if status >= 300 or parsed.get("type") == "error":
        return orjson.dumps(openai_error(parsed))
    return orjson.dumps(to_response(parsed, created_at, json_tool, echoed))
