"""An OpenAI Responses API request as an Anthropic Messages request. Pure.

The Responses body is first read as the Chat Completions request it amounts to (instructions → a system message,
input items → messages, flat function tools → nested ones, `text.format` → `response_format`), then mapped by
request.py, so both surfaces translate one way. What the Messages API cannot express is refused with
`Untranslatable` (a 400 naming the parameter) rather than dropped: stored state (`store: true`,
`previous_response_id`, `conversation`, `background`), reusable `prompt`s, `reasoning`, hosted tools and file ids.
"""

from __future__ import annotations

from typing import Any

from ..base import Untranslatable
from .request import Mapped, to_anthropic

_REFUSED: tuple[tuple[str, str], ...] = (
    ("previous_response_id", "Anthropic lanes keep no stored responses: send the whole conversation as `input`."),
    ("conversation", "Anthropic lanes keep no conversations: send the whole conversation as `input`."),
    ("prompt", "Reusable prompts are OpenAI's: send `instructions` and `input` instead."),
    ("reasoning", "`reasoning` has no translation to Anthropic lanes; call /v1/messages for extended thinking."),
)
"""Parameters refused whenever set (not null): each would be silently lost in translation."""


def to_anthropic_responses(body: dict[str, Any], stream: bool) -> Mapped:
    """Raises `Untranslatable` for what Anthropic cannot do; otherwise the Messages body."""
    _refuse_untranslatable(body)
    return to_anthropic(as_chat(body), stream)


def _refuse_untranslatable(body: dict[str, Any]) -> None:
    if body.get("store") is True:
        raise Untranslatable(
            "Anthropic lanes do not store responses: set `store` to false (the response is then not retrievable).",
            "store",
        )
    if body.get("background") is True:
        raise Untranslatable("Anthropic lanes cannot run a response in the background.", "background")
    for param, message in _REFUSED:
        if body.get(param) is not None:
            raise Untranslatable(message, param)
    top_logprobs = body.get("top_logprobs")
    if isinstance(top_logprobs, int) and top_logprobs > 0:
        raise Untranslatable("Anthropic does not return log probabilities.", "top_logprobs")


def as_chat(body: dict[str, Any]) -> dict[str, Any]:
    """The Chat Completions request a Responses request amounts to (only the fields request.py reads)."""
    chat: dict[str, Any] = {"model": body.get("model"), "messages": _messages(body)}
    for source, target in (
        ("max_output_tokens", "max_tokens"),
        ("temperature", "temperature"),
        ("top_p", "top_p"),
        ("parallel_tool_calls", "parallel_tool_calls"),
    ):
        if body.get(source) is not None:
            chat[target] = body[source]
    user = body.get("safety_identifier") or body.get("user")
    if isinstance(user, str) and user:
        chat["user"] = user
    tools = body.get("tools")
    if isinstance(tools, list) and tools:
        chat["tools"] = [_tool(t, i) for i, t in enumerate(tools)]
    if body.get("tool_choice") is not None:
        chat["tool_choice"] = _tool_choice(body["tool_choice"])
    text = body.get("text")
    fmt = text.get("format") if isinstance(text, dict) else None
    if isinstance(fmt, dict) and fmt.get("type") == "json_object":
        chat["response_format"] = {"type": "json_object"}
    elif isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        spec = {k: fmt[k] for k in ("name", "description", "schema") if fmt.get(k) is not None}
        chat["response_format"] = {"type": "json_schema", "json_schema": spec}
    return chat


def _messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    instructions = body.get("instructions")
    if isinstance(instructions, str) and instructions:
        out.append({"role": "system", "content": instructions})
    raw = body.get("input")
    if isinstance(raw, str):
        out.append({"role": "user", "content": raw})
        return out
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        if isinstance(item, dict):
            out.append(_message(item, index))
    return out


def _message(item: dict[str, Any], index: int) -> dict[str, Any]:
    kind = item.get("type", "message")
    if kind == "message":
        role = item.get("role")
        content = item.get("content")
        if isinstance(content, list):
            content = [_part(p, index) for p in content if isinstance(p, dict)]
        return {"role": role if role in ("system", "developer", "assistant") else "user", "content": content}
    if kind == "function_call":
        call = {"id": item.get("call_id"), "type": "function"}
        call["function"] = {"name": item.get("name"), "arguments": item.get("arguments") or "{}"}
        return {"role": "assistant", "content": None, "tool_calls": [call]}
    if kind == "function_call_output":
        output = item.get("output")
        if isinstance(output, list):  # text parts; images in a tool result are not translated
            output = [{"type": "text", "text": p.get("text", "")} for p in output if isinstance(p, dict)]
        return {"role": "tool", "tool_call_id": item.get("call_id"), "content": output}
    raise Untranslatable(f"Input items of type '{kind}' cannot be sent to an Anthropic lane.", f"input[{index}]")


def _part(part: dict[str, Any], index: int) -> dict[str, Any]:
    kind = part.get("type")
    if kind in ("input_text", "output_text"):
        return {"type": "text", "text": part.get("text", "")}
    if kind == "refusal":
        return {"type": "text", "text": part.get("refusal", "")}
    if kind == "input_image" and isinstance(part.get("image_url"), str):
        return {"type": "image_url", "image_url": {"url": part["image_url"]}}
    if kind == "input_file" and isinstance(part.get("file_data"), str):
        data = part["file_data"]
        if not data.startswith("data:"):
            data = "data:application/pdf;base64," + data  # Anthropic's documents are PDFs (or plain text)
        return {"type": "file", "file": {"file_data": data}}
    if kind == "input_file" and isinstance(part.get("file_url"), str):
        return {"type": "document", "source": {"type": "url", "url": part["file_url"]}}  # passed on as it is
    if part.get("file_id") is not None:
        raise Untranslatable("Anthropic lanes cannot read OpenAI file ids; send the data inline.", f"input[{index}]")
    raise Untranslatable(f"Content of type '{kind}' cannot be sent to an Anthropic lane.", f"input[{index}]")


def _tool(tool: Any, index: int) -> dict[str, Any]:
    if not isinstance(tool, dict) or tool.get("type") != "function":
        kind = tool.get("type") if isinstance(tool, dict) else None
        raise Untranslatable(f"Only function tools can be sent to an Anthropic lane, not '{kind}'.", f"tools[{index}]")
    function = {k: tool[k] for k in ("name", "description", "parameters") if tool.get(k) is not None}
    return {"type": "function", "function": function}


def _tool_choice(choice: Any) -> Any:
    if choice in ("auto", "none", "required"):
        return choice
    if isinstance(choice, dict) and choice.get("type") == "function":
        return {"type": "function", "function": {"name": choice.get("name")}}
    raise Untranslatable("Only auto, none, required or a function can be the tool_choice here.", "tool_choice")
