"""Response bodies and stream events in OpenAI's documented shapes (see the OpenAI OpenAPI spec)."""

from __future__ import annotations

import base64
import hashlib
import struct
import time
from collections.abc import Iterator
from typing import Any


def count_tokens(text: str) -> int:
    """A deterministic stand-in for a tokenizer: one token per word, at least one."""
    return max(1, len(text.split()))


def prompt_text(messages: Any) -> str:
    parts: list[str] = []
    for message in messages if isinstance(messages, list) else []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(p.get("text", "") for p in content if isinstance(p, dict))
    return " ".join(parts)


def responses_input_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        texts = []
        for item in value:
            if isinstance(item, dict):
                content = item.get("content")
                if isinstance(content, str):
                    texts.append(content)
                elif isinstance(content, list):
                    texts.extend(p.get("text", "") for p in content if isinstance(p, dict))
        return " ".join(texts)
    return ""


def reply_text(prompt: str, max_tokens: int | None) -> str:
    words = ("Hello from the Tollgate mock upstream. You said: " + prompt[:200]).split()
    if max_tokens is not None and max_tokens > 0:
        words = words[:max_tokens]
    return " ".join(words)


def chat_usage(prompt_tokens: int, completion_tokens: int, cached: int, reasoning: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def responses_usage(input_tokens: int, output_tokens: int, cached: int, reasoning: int) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": input_tokens + output_tokens,
    }


def chat_completion(
    completion_id: str,
    model: str,
    message: dict[str, Any],
    finish_reason: str,
    usage: dict[str, Any],
    service_tier: str = "default",
) -> dict[str, Any]:
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
        "usage": usage,
        "service_tier": service_tier,
        "system_fingerprint": "fp_tollgate_mock",
    }


def assistant_message(text: str | None, tool_calls: list[dict[str, Any]] | None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None, "annotations": []}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return message


def chat_chunks(
    completion_id: str,
    model: str,
    text: str,
    tool_calls: list[dict[str, Any]] | None,
    usage: dict[str, Any] | None,
    include_usage: bool,
    service_tier: str = "default",
) -> Iterator[dict[str, Any]]:
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "service_tier": service_tier,
            "system_fingerprint": "fp_tollgate_mock",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if include_usage:
            body["usage"] = None
        return body

    yield chunk({"role": "assistant", "content": "", "refusal": None}, None)
    if tool_calls:
        for index, call in enumerate(tool_calls):
            yield chunk({"tool_calls": [{"index": index, **call}]}, None)
        yield chunk({}, "tool_calls")
    else:
        words = text.split(" ")
        for i, word in enumerate(words):
            yield chunk({"content": word if i == 0 else " " + word}, None)
        yield chunk({}, "stop")
    if include_usage:
        yield {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "service_tier": service_tier,
            "system_fingerprint": "fp_tollgate_mock",
            "choices": [],
            "usage": usage,
        }


def response_object(
    response_id: str,
    model: str,
    body: dict[str, Any],
    text: str,
    usage: dict[str, Any] | None,
    status: str,
    service_tier: str = "default",
) -> dict[str, Any]:
    output = []
    if status == "completed":
        output.append(
            {
                "type": "message",
                "id": "msg_" + response_id[5:],
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
            }
        )
    now = int(time.time())
    response: dict[str, Any] = {
        "id": response_id,
        "object": "response",
        "created_at": now,
        "completed_at": now if status == "completed" else None,
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": model,
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": None, "summary": None},
        "service_tier": service_tier,
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools", []),
        "top_p": body.get("top_p", 1.0),
        "truncation": "disabled",
        "safety_identifier": body.get("safety_identifier"),
        "prompt_cache_key": body.get("prompt_cache_key"),
        "metadata": body.get("metadata") or {},
    }
    # The spec types `usage` and the deprecated `user` as non-nullable: absent until known / unless sent.
    if usage is not None:
        response["usage"] = usage
    if isinstance(body.get("user"), str):
        response["user"] = body["user"]
    return response


def response_events(
    response_id: str, model: str, body: dict[str, Any], text: str, usage: dict[str, Any], service_tier: str = "default"
) -> Iterator[dict[str, Any]]:
    item_id = "msg_" + response_id[5:]
    sequence = iter(range(1_000_000))
    in_progress = response_object(response_id, model, body, "", None, "in_progress", service_tier)
    yield {"type": "response.created", "sequence_number": next(sequence), "response": in_progress}
    yield {"type": "response.in_progress", "sequence_number": next(sequence), "response": in_progress}
    item = {"type": "message", "id": item_id, "status": "in_progress", "role": "assistant", "content": []}
    yield {
        "type": "response.output_item.added",
        "sequence_number": next(sequence),
        "output_index": 0,
        "item": item,
    }
    part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
    yield {
        "type": "response.content_part.added",
        "sequence_number": next(sequence),
        "item_id": item_id,
        "output_index": 0,
        "content_index": 0,
        "part": part,
    }
    words = text.split(" ")
    for i, word in enumerate(words):
        yield {
            "type": "response.output_text.delta",
            "sequence_number": next(sequence),
            "item_id": item_id,
            "output_index": 0,
            "content_index": 0,
            "delta": word if i == 0 else " " + word,
            "logprobs": [],
        }
    yield {
        "type": "response.output_text.done",
        "sequence_number": next(sequence),
        "item_id": item_id,
        "output_index": 0,
        "content_index": 0,
        "text": text,
        "logprobs": [],
    }
    done_part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    yield {
        "type": "response.content_part.done",
        "sequence_number": next(sequence),
        "item_id": item_id,
        "output_index": 0,
        "content_index": 0,
        "part": done_part,
    }
    done_item = {
        "type": "message",
        "id": item_id,
        "status": "completed",
        "role": "assistant",
        "content": [done_part],
    }
    yield {
        "type": "response.output_item.done",
        "sequence_number": next(sequence),
        "output_index": 0,
        "item": done_item,
    }
    final = response_object(response_id, model, body, text, usage, "completed", service_tier)
    yield {"type": "response.completed", "sequence_number": next(sequence), "response": final}


def embedding_vector(text: str, dimensions: int) -> list[float]:
    seed = hashlib.sha256(text.encode()).digest()
    values: list[float] = []
    while len(values) < dimensions:
        seed = hashlib.sha256(seed).digest()
        values.extend((b - 128) / 128 for b in seed)
    return values[:dimensions]


def encode_base64(vector: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
