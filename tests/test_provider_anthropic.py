"""The Anthropic adapter's pure transforms: Chat Completions request → Messages request (table-driven), Messages
response → chat completion, and the Messages event stream → chat.completion.chunk events, event by event."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
import pytest

from tollgate.gateway.context import LaneTarget
from tollgate.gateway.providers import get_provider
from tollgate.gateway.providers.anthropic import api
from tollgate.gateway.providers.anthropic.chat import Chat
from tollgate.gateway.providers.anthropic.request import to_anthropic
from tollgate.gateway.providers.anthropic.response import to_openai, translate
from tollgate.metering import prices
from tollgate.metering.usage import TokenUsage, from_anthropic

USER = {"role": "user", "content": "Hi"}
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}


def _mapped(**fields: Any) -> dict[str, Any]:
    body = {"model": "claude-sonnet-4-5", "messages": [USER], **fields}
    return to_anthropic(body, stream=False).body


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


REQUEST_CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("max_tokens defaults to the model's output limit", {}, {"max_tokens": 64_000}),
    ("max_tokens kept", {"max_tokens": 50}, {"max_tokens": 50}),
    ("max_completion_tokens wins", {"max_tokens": 50, "max_completion_tokens": 70}, {"max_tokens": 70}),
    ("max_completion_tokens null", {"max_tokens": 50, "max_completion_tokens": None}, {"max_tokens": 50}),
    ("stop string", {"stop": "END"}, {"stop_sequences": ["END"]}),
    ("stop list", {"stop": ["a", "b"]}, {"stop_sequences": ["a", "b"]}),
    ("temperature capped at 1", {"temperature": 1.7}, {"temperature": 1}),
    ("temperature kept", {"temperature": 0.2}, {"temperature": 0.2}),
    ("top_p", {"top_p": 0.9}, {"top_p": 0.9}),
    ("n > 1 left for Anthropic to refuse", {"n": 2}, {"n": 2}),
    ("n = 1 dropped", {"n": 1}, {"n": None}),
    ("user → metadata.user_id", {"user": "u-42"}, {"metadata": {"user_id": "u-42"}}),
    ("tools", {"tools": [WEATHER]}, {"tools": [WEATHER_TOOL]}),
    ("tool_choice auto", {"tools": [WEATHER], "tool_choice": "auto"}, {"tool_choice": {"type": "auto"}}),
    ("tool_choice required → any", {"tools": [WEATHER], "tool_choice": "required"}, {"tool_choice": {"type": "any"}}),
    ("tool_choice none", {"tools": [WEATHER], "tool_choice": "none"}, {"tool_choice": {"type": "none"}}),
    (
        "tool_choice named function",
        {"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "get_weather"}}},
        {"tool_choice": {"type": "tool", "name": "get_weather"}},
    ),
    (
        "parallel_tool_calls false",
        {"tools": [WEATHER], "parallel_tool_calls": False},
        {"tool_choice": {"type": "auto", "disable_parallel_tool_use": True}},
    ),
    (
        "json_object → system instruction",
        {"response_format": {"type": "json_object"}},
        {"system": "Respond with a single JSON object and nothing else: no prose, no code fence."},
    ),
    (
        "json_schema → one forced tool",
        {"response_format": {"type": "json_schema", "json_schema": {"name": "city", "schema": {"type": "object"}}}},
        {
            "tools": [
                {
                    "name": "city",
                    "description": "Give the answer as this JSON object.",
                    "input_schema": {"type": "object"},
                }
            ],
            "tool_choice": {"type": "tool", "name": "city"},
        },
    ),
]


@pytest.mark.parametrize(("fields", "expected"), [c[1:] for c in REQUEST_CASES], ids=[c[0] for c in REQUEST_CASES])
def test_request_fields(fields: dict[str, Any], expected: dict[str, Any]) -> None:
    mapped = _mapped(**fields)
    assert {k: mapped.get(k) for k in expected} == expected
    assert mapped["model"] == "claude-sonnet-4-5" and "stream" not in mapped


def test_request_absent_fields_stay_absent() -> None:
    mapped = _mapped(max_tokens=10)
    assert mapped == {
        "model": "claude-sonnet-4-5",
        "messages": [{"role": "user", "content": [_text("Hi")]}],
        "max_tokens": 10,
    }


@pytest.mark.parametrize(
    ("model", "limit"),
    [
        ("claude-3-5-haiku-latest", 8192),
        ("claude-opus-4-1-20250805", 32_000),
        ("claude-haiku-4-5", 64_000),
        ("x", 4096),
    ],
)
def test_default_max_tokens(model: str, limit: int) -> None:
    assert to_anthropic({"model": model, "messages": [USER]}, stream=True).body["max_tokens"] == limit


def test_request_conversation() -> None:
    """System and developer messages → `system`; images by data URL and http URL; an assistant tool call and
    its tool results → tool_use / tool_result blocks in alternating turns."""
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "developer", "content": [{"type": "text", "text": "Use metric units."}]},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in these?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K"}},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg", "detail": "low"}},
            ],
        },
        {"role": "assistant", "content": "Let me check the weather."},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
                },
                {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": ""}},
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "3°C"},
        {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "sunny"}]},
        {"role": "user", "content": "Thanks"},
    ]
    mapped = to_anthropic({"model": "claude-haiku-4-5", "messages": messages, "max_tokens": 5}, stream=True).body
    assert mapped["system"] == "Be brief.\n\nUse metric units."
    assert mapped["stream"] is True
    assert mapped["messages"] == [
        {
            "role": "user",
            "content": [
                _text("What is in these?"),
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0K"}},
                {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
            ],
        },
        {
            "role": "assistant",
            "content": [
                _text("Let me check the weather."),
                {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Oslo"}},
                {"type": "tool_use", "id": "call_2", "name": "get_weather", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "call_1", "content": "3°C"},
                {"type": "tool_result", "tool_use_id": "call_2", "content": "sunny"},
                _text("Thanks"),
            ],
        },
    ]


def test_prepare_returns_new_bytes_and_headers() -> None:
    raw = orjson.dumps({"model": "claude-haiku-4-5", "messages": [USER], "stream_options": {"include_usage": True}})
    upstream, state = Chat().prepare(orjson.loads(raw), raw, True)
    assert upstream != raw and orjson.loads(upstream)["stream"] is True
    assert "stream_options" not in orjson.loads(upstream) and state.extra["include_usage"] is True
    lane = LaneTarget("lane_1", "a", "anthropic", "http://127.0.0.1:9/", "sk-ant-test", "metered", None)
    provider = get_provider("anthropic")
    assert provider is not None
    assert provider.url(lane, Chat.path) == "http://127.0.0.1:9/v1/messages"
    assert provider.url(lane, "/models") == "http://127.0.0.1:9/v1/models"  # the catalog's path
    headers = provider.headers(lane)
    assert headers["x-api-key"] == "sk-ant-test" and headers["anthropic-version"] == api.API_VERSION
    assert "Authorization" not in headers


MESSAGE = {
    "id": "msg_01",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5-20250929",
    "content": [
        {"type": "thinking", "thinking": "hmm", "signature": "sig"},
        {"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Oslo"}},
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {
        "input_tokens": 100,
        "cache_read_input_tokens": 2000,
        "cache_creation_input_tokens": 500,
        "output_tokens": 30,
    },
}


def test_response_mapping() -> None:
    out = to_openai(MESSAGE, 1700000000, None)
    assert out == {
        "id": "msg_01",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "claude-sonnet-4-5-20250929",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Checking.",
                    "refusal": None,
                    "tool_calls": [
                        {
                            "id": "toolu_1",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
                        }
                    ],
                },
                "logprobs": None,
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {
            "prompt_tokens": 2600,
            "completion_tokens": 30,
            "total_tokens": 2630,
            "prompt_tokens_details": {"cached_tokens": 2000},
        },
    }


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
    ],
)
def test_finish_reasons(stop_reason: str, finish: str) -> None:
    assert to_openai({**MESSAGE, "stop_reason": stop_reason}, 0, None)["choices"][0]["finish_reason"] == finish


def test_json_schema_tool_is_the_content() -> None:
    message = {**MESSAGE, "content": [{"type": "tool_use", "id": "t", "name": "city", "input": {"name": "Oslo"}}]}
    choice = to_openai(message, 0, "city")["choices"][0]
    assert choice["message"]["content"] == '{"name":"Oslo"}' and "tool_calls" not in choice["message"]
    assert choice["finish_reason"] == "stop"


def test_error_translation() -> None:
    body = orjson.dumps({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}})
    assert orjson.loads(translate(401, body, 0, None)) == {
        "error": {
            "message": "invalid x-api-key",
            "type": "authentication_error",
            "param": None,
            "code": "authentication_error",
        }
    }
    assert translate(502, b"<html>bad gateway</html>", 0, None) == b"<html>bad gateway</html>"


def test_usage_and_exact_price_with_cache_writes() -> None:
    """Anthropic's input_tokens exclude the cache: billed input is the sum; reads and writes have their own rates
    (claude-sonnet-4-5: $3 input, $0.30 cache read, $3.75 cache write, $15 output per million tokens)."""
    usage = from_anthropic(MESSAGE["usage"])
    assert usage == TokenUsage(input_tokens=2600, cached_input_tokens=2000, output_tokens=30, cache_write_tokens=500)
    # 100 × 3 + 2000 × 0.30 + 500 × 3.75 + 30 × 15 = 300 + 600 + 1875 + 450 = 3225 micro-dollars
    assert prices.list_value_usd(usage, "claude-sonnet-4-5", "anthropic") == Decimal("0.003225")
    assert prices.value_picos(usage, "claude-sonnet-4-5", "anthropic") == 3_225_000_000
    # without the write rate the 500 tokens would have cost 500 × 3 = 1500, not 1875
    assert prices.value_picos(TokenUsage(input_tokens=500), "claude-sonnet-4-5", "anthropic") == 1_500_000_000
    override = prices.OverridePrice(
        input_mtok_micros=2_000_000, output_mtok_micros=10_000_000, cached_input_mtok_micros=0
    )
    assert override.value_picos(usage) == 600 * 2_000_000 + 30 * 10_000_000  # writes at the override's input rate


def _sse(event: dict[str, Any]) -> bytes:
    return b"event: " + event["type"].encode() + b"\ndata: " + orjson.dumps(event) + b"\n\n"


def _chunk(out: bytes | None) -> dict[str, Any]:
    assert out is not None and out.startswith(b"data: ") and out.endswith(b"\n\n")
    return orjson.loads(out[6:])


def test_stream_event_by_event_with_tool_call() -> None:
    chat = Chat()
    body = {"model": "claude-sonnet-4-5", "messages": [USER], "stream": True, "stream_options": {"include_usage": True}}
    _, state = chat.prepare(body, orjson.dumps(body), True)
    created = state.extra["created_at"]
    assert chat.needs_look(b"event: ping\n")
    start_usage = {
        "input_tokens": 100,
        "cache_read_input_tokens": 2000,
        "cache_creation_input_tokens": 500,
        "output_tokens": 1,
    }
    first = _chunk(
        chat.on_event(
            _sse(
                {
                    "type": "message_start",
                    "message": {"id": "msg_9", "model": "claude-sonnet-4-5", "content": [], "usage": start_usage},
                }
            ),
            state,
        )
    )
    assert first == {
        "id": "msg_9",
        "object": "chat.completion.chunk",
        "created": created,
        "model": "claude-sonnet-4-5",
        "choices": [
            {"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None, "finish_reason": None}
        ],
    }
    assert state.usage == TokenUsage(
        input_tokens=2600, cached_input_tokens=2000, output_tokens=1, cache_write_tokens=500
    )
    assert chat.on_event(_sse({"type": "ping"}), state) == b": ping\n\n"
    assert (
        chat.on_event(
            _sse({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}}),
            state,
        )
        is None
    )
    assert (
        chat.on_event(
            _sse({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "x"}}),
            state,
        )
        is None
    )
    assert (
        chat.on_event(
            _sse({"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}}), state
        )
        is None
    )
    text = _chunk(
        chat.on_event(
            _sse({"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Hello"}}), state
        )
    )
    assert text["choices"][0]["delta"] == {"content": "Hello"}
    assert chat.on_event(_sse({"type": "content_block_stop", "index": 1}), state) is None
    tool_start = {"type": "tool_use", "id": "toolu_7", "name": "get_weather", "input": {}}
    call = _chunk(chat.on_event(_sse({"type": "content_block_start", "index": 2, "content_block": tool_start}), state))
    assert call["choices"][0]["delta"] == {
        "tool_calls": [
            {"index": 0, "id": "toolu_7", "type": "function", "function": {"name": "get_weather", "arguments": ""}}
        ]
    }
    for piece in ('{"city":', '"Oslo"}'):
        delta = {"type": "input_json_delta", "partial_json": piece}
        args = _chunk(chat.on_event(_sse({"type": "content_block_delta", "index": 2, "delta": delta}), state))
        assert args["choices"][0]["delta"] == {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}
    second = _chunk(
        chat.on_event(
            _sse({"type": "content_block_start", "index": 3, "content_block": {**tool_start, "id": "toolu_8"}}), state
        )
    )
    assert second["choices"][0]["delta"]["tool_calls"][0]["index"] == 1
    final = _chunk(
        chat.on_event(
            _sse(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                    "usage": {"output_tokens": 42},
                }
            ),
            state,
        )
    )
    assert final["choices"][0] == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "tool_calls"}
    assert state.usage == TokenUsage(
        input_tokens=2600, cached_input_tokens=2000, output_tokens=42, cache_write_tokens=500
    )
    stop = chat.on_event(_sse({"type": "message_stop"}), state)
    assert stop is not None
    usage_event, done = stop.split(b"\n\n")[:2]
    assert done == b"data: [DONE]"
    assert _chunk(usage_event + b"\n\n") == {
        "id": "msg_9",
        "object": "chat.completion.chunk",
        "created": created,
        "model": "claude-sonnet-4-5",
        "choices": [],
        "usage": {
            "prompt_tokens": 2600,
            "completion_tokens": 42,
            "total_tokens": 2642,
            "prompt_tokens_details": {"cached_tokens": 2000},
        },
    }


def test_stream_without_usage_request_ends_with_done_only() -> None:
    chat = Chat()
    body = {"model": "claude-haiku-4-5", "messages": [USER], "stream": True}
    _, state = chat.prepare(body, orjson.dumps(body), True)
    chat.on_event(
        _sse(
            {
                "type": "message_start",
                "message": {"id": "m", "model": "claude-haiku-4-5", "usage": {"input_tokens": 5, "output_tokens": 1}},
            }
        ),
        state,
    )
    assert chat.on_event(_sse({"type": "message_stop"}), state) == b"data: [DONE]\n\n"


def test_stream_json_schema_tool_streams_as_content() -> None:
    chat = Chat()
    body = {
        "model": "claude-haiku-4-5",
        "messages": [USER],
        "stream": True,
        "response_format": {"type": "json_schema", "json_schema": {"name": "city", "schema": {"type": "object"}}},
    }
    _, state = chat.prepare(body, orjson.dumps(body), True)
    chat.on_event(
        _sse(
            {
                "type": "message_start",
                "message": {"id": "m", "model": "claude-haiku-4-5", "usage": {"input_tokens": 5, "output_tokens": 1}},
            }
        ),
        state,
    )
    assert (
        chat.on_event(
            _sse(
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "tool_use", "id": "t", "name": "city", "input": {}},
                }
            ),
            state,
        )
        is None
    )
    piece = _chunk(
        chat.on_event(
            _sse(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "input_json_delta", "partial_json": '{"a":1}'},
                }
            ),
            state,
        )
    )
    assert piece["choices"][0]["delta"] == {"content": '{"a":1}'}
    end = _chunk(
        chat.on_event(
            _sse({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 9}}), state
        )
    )
    assert end["choices"][0]["finish_reason"] == "stop"


def test_stream_error_event() -> None:
    chat = Chat()
    _, state = chat.prepare({"model": "claude-haiku-4-5", "messages": [USER]}, b"{}", True)
    out = _chunk(
        chat.on_event(_sse({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}), state)
    )
    assert out == {
        "error": {"message": "Overloaded", "type": "overloaded_error", "param": None, "code": "overloaded_error"}
    }
