"""The Anthropic adapter's Responses API transforms, pure: a Responses request → a Messages request (and the 400s
for what cannot be translated), a Messages response → a `response` object, the Messages event stream → the
Responses API's events, and the /v1/messages relay reading usage without touching an event."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tollgate.gateway import errors
from tollgate.gateway.providers import get_provider
from tollgate.gateway.providers.anthropic.messages import Messages
from tollgate.gateway.providers.anthropic.responses import Responses
from tollgate.gateway.providers.anthropic.responses_request import to_anthropic_responses
from tollgate.gateway.providers.anthropic.responses_response import echo, to_response, translate
from tollgate.gateway.providers.base import StreamState, Untranslatable
from tollgate.metering.usage import TokenUsage

from . import schema_check

MODEL = "claude-sonnet-4-5"
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}


def _mapped(**fields: Any) -> dict[str, Any]:
    return to_anthropic_responses({"model": MODEL, "input": "Hi", **fields}, stream=False).body


def test_plain_input_and_instructions() -> None:
    body = _mapped(instructions="Be brief.", max_output_tokens=50, temperature=1.5, user="u-1")
    assert body == {
        "model": MODEL,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
        "max_tokens": 50,
        "temperature": 1,
        "system": "Be brief.",
        "metadata": {"user_id": "u-1"},
    }
    assert _mapped()["max_tokens"] == 64_000  # the model's whole output limit, as OpenAI allows


def test_multi_turn_items_with_function_call_and_image() -> None:
    items = [
        {"role": "developer", "content": "Use tools."},
        {
            "type": "message",
            "role": "user",
            "content": [
                {"type": "input_text", "text": "Weather here?"},
                {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "auto"},
                {"type": "input_image", "image_url": "https://example.com/a.png"},
            ],
        },
        {"type": "function_call", "call_id": "toolu_1", "name": "get_weather", "arguments": '{"city":"Paris"}'},
        {"type": "function_call_output", "call_id": "toolu_1", "output": '{"temp_c":21}'},
        {"role": "assistant", "content": [{"type": "output_text", "text": "21 °C."}]},
        {"role": "user", "content": "Thanks"},
    ]
    body = _mapped(input=items, tools=[WEATHER], tool_choice="required", parallel_tool_calls=False)
    assert body["system"] == "Use tools."
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Weather here?"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}},
                {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
            ],
        },
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": '{"temp_c":21}'}]},
        {"role": "assistant", "content": [{"type": "text", "text": "21 °C."}]},
        {"role": "user", "content": [{"type": "text", "text": "Thanks"}]},
    ]
    assert body["tools"] == [
        {"name": "get_weather", "description": "Weather for a city", "input_schema": WEATHER["parameters"]}
    ]
    assert body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}


def test_named_tool_choice_and_inline_pdf() -> None:
    pdf = {"role": "user", "content": [{"type": "input_file", "filename": "a.pdf", "file_data": "JVBERi0="}]}
    body = _mapped(input=[pdf], tools=[WEATHER], tool_choice={"type": "function", "name": "get_weather"})
    assert body["tool_choice"] == {"type": "tool", "name": "get_weather"}
    source = body["messages"][0]["content"][0]["source"]
    assert source == {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="}


def test_json_schema_format_is_a_forced_tool() -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}}
    fmt = {"type": "json_schema", "name": "answer", "schema": schema, "strict": True}
    mapped = to_anthropic_responses({"model": MODEL, "input": "Hi", "text": {"format": fmt}}, stream=True)
    assert mapped.json_tool == "answer" and mapped.body["stream"] is True
    assert mapped.body["tools"][0]["input_schema"] == schema
    assert mapped.body["tool_choice"] == {"type": "tool", "name": "answer"}
    json_object = _mapped(text={"format": {"type": "json_object"}})
    assert "single JSON object" in json_object["system"]


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"store": True}, "store"),
        ({"background": True}, "background"),
        ({"previous_response_id": "resp_1"}, "previous_response_id"),
        ({"conversation": "conv_1"}, "conversation"),
        ({"prompt": {"id": "pmpt_1"}}, "prompt"),
        ({"reasoning": {"effort": "high"}}, "reasoning"),
        ({"top_logprobs": 3}, "top_logprobs"),
        ({"tools": [{"type": "web_search"}]}, "tools[0]"),
        ({"tool_choice": {"type": "web_search"}}, "tool_choice"),
        ({"input": [{"type": "item_reference", "id": "msg_1"}]}, "input[0]"),
        ({"input": [{"role": "user", "content": [{"type": "input_image", "file_id": "file-1"}]}]}, "input[0]"),
    ],
)
def test_untranslatable_is_refused(fields: dict[str, Any], param: str) -> None:
    with pytest.raises(Untranslatable) as caught:
        _mapped(**fields)
    assert caught.value.param == param and str(caught.value)


def test_store_false_and_nulls_are_fine() -> None:
    assert _mapped(store=False, background=False, previous_response_id=None, reasoning=None)["model"] == MODEL


MESSAGE: dict[str, Any] = {
    "id": "msg_01abc",
    "type": "message",
    "role": "assistant",
    "model": MODEL,
    "content": [
        {"type": "thinking", "thinking": "hmm", "signature": "x"},
        {"type": "text", "text": "Let me check."},
        {"type": "tool_use", "id": "toolu_9", "name": "get_weather", "input": {"city": "Paris"}},
    ],
    "stop_reason": "tool_use",
    "usage": {"input_tokens": 10, "cache_read_input_tokens": 20, "cache_creation_input_tokens": 5, "output_tokens": 7},
}


def test_response_object() -> None:
    echoed = echo({"model": MODEL, "input": "Hi", "instructions": "Be brief.", "tools": [WEATHER]})
    response = to_response(MESSAGE, 1700000000, None, echoed)
    assert response["id"] == "resp_01abc" and response["object"] == "response"
    assert (response["status"], response["incomplete_details"], response["store"]) == ("completed", None, False)
    assert response["instructions"] == "Be brief." and response["tools"] == [{**WEATHER, "strict": None}]
    assert response["text"] == {"format": {"type": "text"}} and response["tool_choice"] == "auto"
    assert response["output"] == [
        {
            "type": "message",
            "id": "msg_01abc_1",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Let me check.", "annotations": [], "logprobs": []}],
        },
        {
            "type": "function_call",
            "id": "fc_9",
            "call_id": "toolu_9",
            "name": "get_weather",
            "arguments": '{"city":"Paris"}',
            "status": "completed",
        },
    ]
    assert response["usage"] == {
        "input_tokens": 35,
        "input_tokens_details": {"cached_tokens": 20, "cache_write_tokens": 5},
        "output_tokens": 7,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 42,
    }


@pytest.mark.parametrize(
    ("stop_reason", "status", "reason"),
    [
        ("end_turn", "completed", None),
        ("stop_sequence", "completed", None),
        ("max_tokens", "incomplete", "max_output_tokens"),
        ("model_context_window_exceeded", "incomplete", "max_output_tokens"),
        ("refusal", "incomplete", "content_filter"),
    ],
)
def test_stop_reasons(stop_reason: str, status: str, reason: str | None) -> None:
    response = to_response({**MESSAGE, "stop_reason": stop_reason}, 0, None, echo({}))
    assert response["status"] == status
    assert response["incomplete_details"] == ({"reason": reason} if reason else None)


def test_json_tool_block_is_message_text() -> None:
    message = {**MESSAGE, "content": [{"type": "tool_use", "id": "toolu_1", "name": "answer", "input": {"a": 1}}]}
    [item] = to_response(message, 0, "answer", echo({}))["output"]
    assert item["type"] == "message" and item["content"][0]["text"] == '{"a":1}'


def test_error_translation() -> None:
    body = orjson.dumps({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    assert orjson.loads(translate(529, body, 0, None, {})) == {
        "error": {"message": "Overloaded", "type": "overloaded_error", "param": None, "code": "overloaded_error"}
    }
    assert translate(502, b"<html>", 0, None, {}) == b"<html>"


def _sse(event: dict[str, Any]) -> bytes:
    return b"event: " + event["type"].encode() + b"\ndata: " + orjson.dumps(event) + b"\n\n"


def _events(raw: bytes) -> list[dict[str, Any]]:
    out = []
    for chunk in raw.split(b"\n\n"):
        lines = chunk.split(b"\n")
        if len(lines) == 2 and lines[0].startswith(b"event: "):
            data = orjson.loads(lines[1].removeprefix(b"data: "))
            assert lines[0] == b"event: " + data["type"].encode()  # the event name is the payload's type
            out.append(data)
    return out


STREAM: list[dict[str, Any]] = [
    {
        "type": "message_start",
        "message": {
            "id": "msg_01abc",
            "model": MODEL,
            "content": [],
            "usage": {"input_tokens": 10, "cache_read_input_tokens": 20, "output_tokens": 1},
        },
    },
    {"type": "ping"},
    {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "hmm"}},
    {"type": "content_block_stop", "index": 0},
    {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Let me"}},
    {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": " check."}},
    {"type": "content_block_stop", "index": 1},
    {
        "type": "content_block_start",
        "index": 2,
        "content_block": {"type": "tool_use", "id": "toolu_9", "name": "get_weather", "input": {}},
    },
    {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": '{"city":'}},
    {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": '"Paris"}'}},
    {"type": "content_block_stop", "index": 2},
    {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 30}},
    {"type": "message_stop"},
]


def _run(stream: list[dict[str, Any]], body: dict[str, Any]) -> tuple[StreamState, bytes]:
    op = Responses()
    _, state = op.prepare(body, b"", stream=True)
    out = b"".join(r for r in (op.on_event(_sse(e), state) for e in stream) if r)
    return state, out


def test_stream_event_by_event() -> None:
    state, raw = _run(STREAM, {"model": MODEL, "input": "Hi", "tools": [WEATHER], "store": False})
    assert b": ping\n\n" in raw
    events = _events(raw)
    assert [e["type"] for e in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    created = events[0]["response"]
    assert (created["id"], created["status"], created["output"]) == ("resp_01abc", "in_progress", [])
    assert "usage" not in created
    assert [e["delta"] for e in events if e["type"] == "response.output_text.delta"] == ["Let me", " check."]
    assert events[6]["text"] == "Let me check." and events[6]["output_index"] == 0
    added_call = events[9]
    assert added_call["output_index"] == 1 and added_call["item"]["call_id"] == "toolu_9"
    assert added_call["item"]["arguments"] == ""
    assert events[12]["arguments"] == '{"city":"Paris"}' and events[12]["item_id"] == "fc_9"
    final = events[-1]["response"]
    assert final["status"] == "completed" and [i["type"] for i in final["output"]] == ["message", "function_call"]
    assert final["output"][1]["arguments"] == '{"city":"Paris"}'
    assert final["usage"]["input_tokens"] == 30 and final["usage"]["output_tokens"] == 30
    assert state.usage == TokenUsage(input_tokens=30, cached_input_tokens=20, output_tokens=30)
    assert state.model == MODEL
    assert "created" not in state.extra  # the proxy would take it for a stored response


def test_stream_max_tokens_is_incomplete_and_json_tool_is_text() -> None:
    fmt = {"type": "json_schema", "name": "answer", "schema": {"type": "object"}}
    stream = [
        STREAM[0],
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "tool_use", "id": "toolu_1", "name": "answer", "input": {}},
        },
        {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": '{"a":'}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "max_tokens"}, "usage": {"output_tokens": 5}},
        {"type": "message_stop"},
    ]
    _, raw = _run(stream, {"model": MODEL, "input": "Hi", "text": {"format": fmt}})
    events = _events(raw)
    assert [e["delta"] for e in events if e["type"] == "response.output_text.delta"] == ['{"a":']
    assert not [e for e in events if "function_call" in e["type"]]
    final = events[-1]
    assert final["type"] == "response.incomplete"
    assert final["response"]["incomplete_details"] == {"reason": "max_output_tokens"}


def test_stream_error_event() -> None:
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    _, raw = _run([STREAM[0], error], {"model": MODEL, "input": "Hi"})
    last = _events(raw)[-1]
    assert last == {
        "type": "error",
        "sequence_number": 2,
        "code": "overloaded_error",
        "message": "Overloaded",
        "param": None,
    }


def test_messages_relay_reads_usage_and_changes_nothing() -> None:
    op = Messages()
    raw = b'{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[]}'
    upstream, state = op.prepare(orjson.loads(raw), raw, stream=True)
    assert upstream is raw
    start = {"type": "message_start", "message": {"model": MODEL, "usage": {"input_tokens": 4, "output_tokens": 1}}}
    usage = {"output_tokens": 9, "cache_creation_input_tokens": 100, "cache_read_input_tokens": None}
    events = [_sse(start), _sse({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": usage})]
    for event in events:
        assert op.needs_look(event) and op.on_event(event, state) is event
    assert state.model == MODEL
    assert state.usage == TokenUsage(input_tokens=104, output_tokens=9, cache_write_tokens=100)
    assert op.count_deltas(_sse({"type": "content_block_delta"}) * 3) == 3


def test_provider_offers_the_operations() -> None:
    anthropic, openai_provider = get_provider("anthropic"), get_provider("openai")
    assert anthropic is not None and openai_provider is not None
    for name in ("chat", "responses", "messages", "messages.count_tokens"):
        assert anthropic.operation(name) is not None
    assert openai_provider.operation("messages") is None


def test_gateway_errors_in_anthropic_shape() -> None:
    budget = errors.GatewayError(429, "Over budget.", "budget_exceeded")
    assert orjson.loads(budget.body_for(errors.ANTHROPIC)) == {
        "type": "error",
        "error": {"type": "rate_limit_error", "message": "Over budget."},
    }
    assert orjson.loads(budget.body_for(errors.OPENAI))["error"]["code"] == "budget_exceeded"
    kinds = {
        status: orjson.loads(errors.GatewayError(status, "m", "c").anthropic_body())["error"]["type"]
        for status in (400, 401, 403, 404, 413, 409, 502, 503, 504)
    }
    assert kinds == {
        400: "invalid_request_error",
        401: "authentication_error",
        403: "permission_error",
        404: "not_found_error",
        413: "request_too_large",
        409: "invalid_request_error",
        502: "api_error",
        503: "api_error",
        504: "timeout_error",
    }
    broke = errors.upstream_failed("The upstream stream broke.")
    assert broke.event(errors.ANTHROPIC) == b"event: error\ndata: " + broke.anthropic_body() + b"\n\n"
    assert broke.event(errors.OPENAI) == b"data: " + broke.body() + b"\n\n"


def test_translations_validate_against_openais_spec() -> None:
    """Every body and stream event the translation writes is valid under OpenAI's own OpenAPI schemas."""
    body = {"model": MODEL, "input": "Hi", "tools": [WEATHER], "instructions": "Be brief.", "max_output_tokens": 99}
    schema_check.assert_valid(to_response(MESSAGE, 1700000000, None, echo(body)), "Response")
    incomplete = to_response({**MESSAGE, "stop_reason": "max_tokens"}, 1700000000, None, echo(body))
    schema_check.assert_valid(incomplete, "Response")
    _, raw = _run(STREAM, body)
    events = _events(raw)
    for event in events:
        schema_check.assert_valid_response_event(event)
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    _, raw = _run([STREAM[0], error], body)
    schema_check.assert_valid_response_event(_events(raw)[-1])
