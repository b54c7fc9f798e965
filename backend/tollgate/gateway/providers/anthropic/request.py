"""An OpenAI Chat Completions request as an Anthropic Messages request (API version 2023-06-01). Pure.

What has no Anthropic counterpart is either mapped the way Anthropic's own OpenAI compatibility layer does
(temperature capped at 1, `required` tool choice → `any`) or left in place for the upstream to refuse, so the
caller sees Anthropic's own 400 rather than a silently different request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

DEFAULT_MAX_TOKENS = 4096
OUTPUT_LIMITS: tuple[tuple[str, int], ...] = (
    ("claude-opus-4-5", 64_000),
    ("claude-opus-4-1", 32_000),
    ("claude-opus-4", 32_000),
    ("claude-sonnet-4", 64_000),
    ("claude-haiku-4", 64_000),
    ("claude-3-7-sonnet", 64_000),
    ("claude-3-5-sonnet", 8_192),
    ("claude-3-5-haiku", 8_192),
    ("claude-3-haiku", 4_096),
    ("claude-3-opus", 4_096),
)
"""Most output tokens a model writes in one call, by id prefix (Anthropic's model overview; first match wins).
Anthropic requires `max_tokens`; a caller that sets none gets the model's whole output limit, as at OpenAI."""

JSON_OBJECT_INSTRUCTION = "Respond with a single JSON object and nothing else: no prose, no code fence."


@dataclass(frozen=True, slots=True)
class Mapped:
    """The Anthropic body, and the name of the tool that stands for `response_format: json_schema` (its input is
    the caller's JSON answer), if the request uses that trick."""

    body: dict[str, Any]
    json_tool: str | None = None


def max_output_tokens(model: str) -> int:
    for prefix, limit in OUTPUT_LIMITS:
        if model.startswith(prefix):
            return limit
    return DEFAULT_MAX_TOKENS


def to_anthropic(body: dict[str, Any], stream: bool) -> Mapped:
    model = str(body.get("model", ""))
    system, messages = _messages(body.get("messages"))
    out: dict[str, Any] = {"model": model, "messages": messages}
    cap = body.get("max_completion_tokens")
    cap = body.get("max_tokens") if cap is None else cap
    out["max_tokens"] = cap if isinstance(cap, int) and not isinstance(cap, bool) else max_output_tokens(model)
    if stream:
        out["stream"] = True
    stop = body.get("stop")
    if isinstance(stop, str):
        out["stop_sequences"] = [stop]
    elif isinstance(stop, list) and stop:
        out["stop_sequences"] = stop
    temperature = body.get("temperature")
    if isinstance(temperature, int | float) and not isinstance(temperature, bool):
        out["temperature"] = min(temperature, 1)  # OpenAI's range is 0–2, Anthropic's 0–1
    if body.get("top_p") is not None:
        out["top_p"] = body["top_p"]
    if body.get("n") not in (None, 1):
        out["n"] = body["n"]  # Anthropic answers one choice: it refuses the unknown field with its own 400
    user = body.get("user")
    if isinstance(user, str) and user:
        out["metadata"] = {"user_id": user}
    tools = [_tool(t) for t in body.get("tools") or [] if isinstance(t, dict)]
    choice = _tool_choice(body.get("tool_choice"), body.get("parallel_tool_calls"))
    json_tool = None
    response_format = body.get("response_format")
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind == "json_schema" and not tools:
        # No native JSON mode in this API version: one forced tool whose input schema is the caller's schema
        # (Anthropic's documented way to get schema-shaped JSON); its input comes back as the message content.
        spec = response_format.get("json_schema") if isinstance(response_format, dict) else None
        spec = spec if isinstance(spec, dict) else {}
        json_tool = str(spec.get("name") or "json_response")
        tools = [
            {
                "name": json_tool,
                "description": str(spec.get("description") or "Give the answer as this JSON object."),
                "input_schema": spec.get("schema") or {"type": "object"},
            }
        ]
        choice = {"type": "tool", "name": json_tool}
    elif kind in ("json_object", "json_schema"):
        instruction = JSON_OBJECT_INSTRUCTION
        if kind == "json_schema" and isinstance(response_format, dict):
            spec = response_format.get("json_schema")
            schema = spec.get("schema") if isinstance(spec, dict) else None
            if schema is not None:
                instruction += " It must match this JSON schema: " + orjson.dumps(schema).decode()
        system.append(instruction)
    if system:
        out["system"] = "\n\n".join(system)
    if tools:
        out["tools"] = tools
    if choice is not None and tools:
        out["tool_choice"] = choice
    return Mapped(out, json_tool)


def _text(content: Any) -> str:
    """The text of a string or of a list of text parts (system, developer and tool messages)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _messages(raw: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """System texts and the conversation. Consecutive turns of one role merge into one (tool results and the
    user text after them form the single user turn Anthropic expects after a tool use)."""
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for message in raw if isinstance(raw, list) else []:
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        if role in ("system", "developer"):
            system.append(_text(message.get("content")))
            continue
        if role == "tool":
            role, blocks = "user", [_tool_result(message)]
        elif role == "assistant":
            blocks = _content_blocks(message.get("content")) + [
                _tool_use(call) for call in message.get("tool_calls") or [] if isinstance(call, dict)
            ]
        else:
            role, blocks = "user", _content_blocks(message.get("content"))
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    return system, turns


def _content_blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    if not isinstance(content, list):
        return []
    return [_part(p) for p in content if isinstance(p, dict)]


def _part(part: dict[str, Any]) -> dict[str, Any]:
    kind = part.get("type")
    if kind == "text":
        return {"type": "text", "text": part.get("text", "")}
    if kind == "image_url":
        image = part.get("image_url")
        address = image.get("url") if isinstance(image, dict) else image
        return {"type": "image", "source": _source(str(address or ""))}
    if kind == "file":
        file = _obj(part.get("file"))
        data = str(file.get("file_data") or "")
        if data.startswith("data:"):
            return {"type": "document", "source": _source(data)}
    return part  # no Anthropic counterpart (audio, file ids): Anthropic refuses it with its own message


def _source(address: str) -> dict[str, Any]:
    """A data URL becomes a base64 source (`data:image/png;base64,…`); anything else a URL source."""
    if address.startswith("data:") and ";base64," in address:
        media_type, _, data = address[5:].partition(";base64,")
        return {"type": "base64", "media_type": media_type, "data": data}
    return {"type": "url", "url": address}


def _tool_use(call: dict[str, Any]) -> dict[str, Any]:
    function = _obj(call.get("function"))
    arguments = function.get("arguments") or "{}"
    try:
        parsed = orjson.loads(arguments) if isinstance(arguments, str) else arguments
    except orjson.JSONDecodeError:
        parsed = arguments  # not JSON: Anthropic refuses it rather than the gateway guessing
    return {"type": "tool_use", "id": call.get("id"), "name": function.get("name"), "input": parsed}


def _tool_result(message: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": message.get("tool_call_id"), "content": _text(message.get("content"))}


def _tool(tool: dict[str, Any]) -> dict[str, Any]:
    function = tool.get("function")
    if tool.get("type") != "function" or not isinstance(function, dict):
        return tool
    out: dict[str, Any] = {"name": function.get("name")}
    if function.get("description"):
        out["description"] = function["description"]
    out["input_schema"] = function.get("parameters") or {"type": "object", "properties": {}}
    return out


def _tool_choice(choice: Any, parallel: Any) -> dict[str, Any] | None:
    if choice == "none":
        mapped: dict[str, Any] | None = {"type": "none"}
    elif choice == "required":
        mapped = {"type": "any"}
    elif isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        mapped = {"type": "tool", "name": choice["function"].get("name")}
    elif choice == "auto" or parallel is False:
        mapped = {"type": "auto"}
    else:
        mapped = None
    if mapped is not None and parallel is False and mapped["type"] != "none":
        mapped["disable_parallel_tool_use"] = True
    return mapped


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
