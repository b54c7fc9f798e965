"""An OpenAI Chat Completions request as a Gemini `generateContent` request. Pure.

messages → `contents` (user/model turns; consecutive turns of one role merged, as Gemini wants them
alternating) and `systemInstruction`; image parts → `inlineData` (data URLs) or `fileData` (other URLs);
assistant `tool_calls` → `functionCall` parts and `tool` messages → `functionResponse` parts (named by the call
they answer); `tools` → `functionDeclarations`; `tool_choice` → `toolConfig`; sampling, stop, `n`, the output
cap and `response_format` (JSON mode, JSON schema) → `generationConfig`. Fields Gemini has no equivalent for
(logprobs, logit_bias, user, …) are dropped.
"""

from __future__ import annotations

import json
from typing import Any

_CONFIG = {
    "temperature": "temperature",
    "top_p": "topP",
    "n": "candidateCount",
    "seed": "seed",
    "presence_penalty": "presencePenalty",
    "frequency_penalty": "frequencyPenalty",
}
"""OpenAI parameter → its `generationConfig` name, copied as it is."""

THINKING_BUDGETS = {"minimal": 0, "low": 1024, "medium": 8192, "high": 24576}
"""`reasoning_effort` → `thinkingConfig.thinkingBudget` (tokens)."""

_SCHEMA_KEYS = frozenset(
    {
        "type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems", "properties",
        "required", "minProperties", "maxProperties", "minLength", "maxLength", "pattern", "example", "anyOf",
        "propertyOrdering", "default", "items", "minimum", "maximum",
    }
)  # fmt: skip
"""The OpenAPI subset `responseSchema` and function `parameters` accept; others (additionalProperties, $schema,
strict) are refused by Gemini, so they are left out."""


def to_gemini(body: dict[str, Any]) -> dict[str, Any]:
    system, contents = _contents(body.get("messages") or [])
    out: dict[str, Any] = {"contents": contents}
    if system:
        out["systemInstruction"] = {"parts": [{"text": "\n\n".join(system)}]}
    declarations = [_declaration(t) for t in body.get("tools") or [] if _is_function(t)]
    if declarations:
        out["tools"] = [{"functionDeclarations": declarations}]
    tool_config = _tool_config(body.get("tool_choice"))
    if tool_config:
        out["toolConfig"] = {"functionCallingConfig": tool_config}
    config = _generation_config(body)
    if config:
        out["generationConfig"] = config
    return out


def _generation_config(body: dict[str, Any]) -> dict[str, Any]:
    config = {target: body[name] for name, target in _CONFIG.items() if body.get(name) is not None}
    cap = body.get("max_completion_tokens", body.get("max_tokens"))
    if isinstance(cap, int):
        config["maxOutputTokens"] = cap
    stop = body.get("stop")
    if stop:
        config["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    effort = body.get("reasoning_effort")
    if effort in THINKING_BUDGETS:
        config["thinkingConfig"] = {"thinkingBudget": THINKING_BUDGETS[effort]}
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") in ("json_object", "json_schema"):
        config["responseMimeType"] = "application/json"
        spec = fmt.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        if isinstance(schema, dict):
            config["responseSchema"] = gemini_schema(schema)
    return config


def gemini_schema(schema: Any) -> Any:
    """A JSON Schema cut to the subset Gemini accepts, recursively."""
    if isinstance(schema, list):
        return [gemini_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key not in _SCHEMA_KEYS:
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: gemini_schema(sub) for name, sub in value.items()}
        elif key in ("items", "anyOf"):
            out[key] = gemini_schema(value)
        else:
            out[key] = value
    return out


def _is_function(tool: Any) -> bool:
    return isinstance(tool, dict) and tool.get("type") == "function" and isinstance(tool.get("function"), dict)


def _declaration(tool: dict[str, Any]) -> dict[str, Any]:
    function = tool["function"]
    out: dict[str, Any] = {"name": function.get("name")}
    if function.get("description"):
        out["description"] = function["description"]
    if isinstance(function.get("parameters"), dict) and function["parameters"].get("properties"):
        out["parameters"] = gemini_schema(function["parameters"])
    return out


def _tool_config(choice: Any) -> dict[str, Any] | None:
    if choice in ("none", "auto"):
        return {"mode": choice.upper()}
    if choice == "required":
        return {"mode": "ANY"}
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        return {"mode": "ANY", "allowedFunctionNames": [choice["function"].get("name")]}
    return None


def _contents(messages: list[Any]) -> tuple[list[str], list[dict[str, Any]]]:
    system: list[str] = []
    contents: list[dict[str, Any]] = []
    call_names: dict[str, str] = {}  # tool_call id → function name, for the tool results that follow
    for message in messages:
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        if role in ("system", "developer"):
            system.append(_text(message.get("content")))
            continue
        if role == "assistant":
            parts = _parts(message.get("content"))
            for call in message.get("tool_calls") or []:
                function = call.get("function") or {}
                call_names[str(call.get("id"))] = str(function.get("name"))
                parts.append({"functionCall": {"name": function.get("name"), "args": _args(function.get("arguments"))}})
            _append(contents, "model", parts)
        elif role == "tool":
            name = call_names.get(str(message.get("tool_call_id")), str(message.get("name") or "tool"))
            response = {"name": name, "response": _result(_text(message.get("content")))}
            _append(contents, "user", [{"functionResponse": response}])
        else:
            _append(contents, "user", _parts(message.get("content")))
    return system, contents


def _append(contents: list[dict[str, Any]], role: str, parts: list[dict[str, Any]]) -> None:
    if not parts:
        return
    if contents and contents[-1]["role"] == role:
        contents[-1]["parts"].extend(parts)
    else:
        contents.append({"role": role, "parts": parts})


def _parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"text": content}] if content else []
    parts: list[dict[str, Any]] = []
    for part in content or []:
        if not isinstance(part, dict):
            continue
        if part.get("type") == "text":
            parts.append({"text": str(part.get("text", ""))})
        elif part.get("type") == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, dict) else image
            if isinstance(url, str):
                parts.append(image_part(url))
    return parts


def image_part(url: str) -> dict[str, Any]:
    """`data:image/png;base64,…` → inlineData; any other URL → fileData (Gemini fetches it)."""
    if url.startswith("data:") and ";base64," in url:
        header, data = url[5:].split(";base64,", 1)
        return {"inlineData": {"mimeType": header or "image/png", "data": data}}
    return {"fileData": {"mimeType": _mime_of(url), "fileUri": url}}


def _mime_of(url: str) -> str:
    lower = url.lower().split("?", 1)[0]
    for ext, mime in ((".png", "image/png"), (".webp", "image/webp"), (".gif", "image/gif"), (".heic", "image/heic")):
        if lower.endswith(ext):
            return mime
    return "image/jpeg"


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _args(arguments: Any) -> dict[str, Any]:
    try:
        parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _result(text: str) -> dict[str, Any]:
    """Gemini wants an object as a function's response: a JSON object as it is, anything else wrapped."""
    try:
        parsed = json.loads(text)
    except ValueError:
        return {"content": text}
    return parsed if isinstance(parsed, dict) else {"content": parsed}
