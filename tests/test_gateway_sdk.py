"""The official `openai` SDK pointed at the gateway: every endpoint a workflow tool uses, end to end over HTTP."""

from __future__ import annotations

import json

import openai
import pytest
from flask import Flask

from tollgate.models import RequestLog
from tollgate.services import Services

from .conftest import Mock, Seeded
from .log_rows import wait_rows

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture
def client(gateway: str, seeded: Seeded) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway, api_key=seeded.key, max_retries=0, timeout=10)


def _rows(app: Flask, svc: Services, count: int = 1) -> list[RequestLog]:
    return wait_rows(app, svc, count)


def test_chat_non_stream(client: openai.OpenAI, app: Flask, svc: Services, seeded: Seeded) -> None:
    completion = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hello to Tollgate"}]
    )
    assert completion.object == "chat.completion"
    assert "Tollgate" in (completion.choices[0].message.content or "")
    assert completion.usage is not None and completion.usage.prompt_tokens > 0
    [row] = _rows(app, svc)
    assert (row.endpoint, row.stream, row.status_code, row.lane_id) == ("chat", False, 200, seeded.lane_id)
    assert row.output_tokens == completion.usage.completion_tokens
    assert row.model_served == "gpt-4o-mini"


def test_chat_stream(client: openai.OpenAI, app: Flask, svc: Services) -> None:
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "stream me"}], stream=True
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "stream me" in text
    assert all(c.usage is None for c in chunks)
    [row] = _rows(app, svc)
    assert row.stream is True and row.status_code == 200 and row.error_code is None
    assert row.input_tokens > 0 and row.output_tokens == len(text.split())


def test_chat_tool_call_round_trip(client: openai.OpenAI, mock_upstream: Mock) -> None:
    messages: list[dict[str, object]] = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=[WEATHER_TOOL])
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls or []
    assert call.type == "function" and call.function.name == "get_weather"
    messages.append(choice.message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps({"temp_c": 21})})
    second = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=[WEATHER_TOOL])
    assert second.choices[0].finish_reason == "stop" and second.choices[0].message.content
    sent = mock_upstream.state.requests[-1]["body"]
    assert sent["messages"][-1] == {"role": "tool", "tool_call_id": call.id, "content": '{"temp_c": 21}'}
    assert sent["messages"][1]["tool_calls"][0]["id"] == call.id


def test_chat_stream_tool_call(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Weather?"}], tools=[WEATHER_TOOL], stream=True
    )
    calls = [tc for c in stream if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert calls and calls[0].function is not None and calls[0].function.name == "get_weather"


def test_responses_non_stream(client: openai.OpenAI, app: Flask, svc: Services) -> None:
    response = client.responses.create(model="gpt-4o-mini", input="Hello responses", instructions="Be brief")
    assert response.status == "completed"
    assert "Hello responses" in response.output_text
    assert response.usage is not None and response.usage.input_tokens > 0
    [row] = _rows(app, svc)
    assert row.endpoint == "responses" and row.input_tokens == response.usage.input_tokens
    assert row.output_tokens == response.usage.output_tokens


def test_responses_stream(client: openai.OpenAI, app: Flask, svc: Services) -> None:
    events = list(client.responses.create(model="gpt-4o-mini", input="stream responses", stream=True))
    types = [e.type for e in events]
    assert types[0] == "response.created" and types[-1] == "response.completed"
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert "stream responses" in deltas
    final = events[-1]
    assert final.type == "response.completed"
    [row] = _rows(app, svc)
    assert row.stream is True and row.endpoint == "responses"
    assert final.response.usage is not None and row.output_tokens == final.response.usage.output_tokens


def test_embeddings_sdk_default_base64(client: openai.OpenAI, mock_upstream: Mock, app: Flask, svc: Services) -> None:
    result = client.embeddings.create(model="text-embedding-3-small", input=["alpha", "beta"])
    assert mock_upstream.state.requests[-1]["body"]["encoding_format"] == "base64"
    assert [d.index for d in result.data] == [0, 1]
    assert all(len(d.embedding) == 8 and all(isinstance(x, float) for x in d.embedding) for d in result.data)
    as_float = client.embeddings.create(
        model="text-embedding-3-small", input=["alpha", "beta"], encoding_format="float"
    )
    assert "encoding_format" in mock_upstream.state.requests[-1]["body"]
    assert as_float.data[0].embedding == pytest.approx(result.data[0].embedding)
    rows = _rows(app, svc, 2)
    assert [r.endpoint for r in rows] == ["embeddings", "embeddings"]
    assert rows[0].input_tokens == result.usage.prompt_tokens and rows[0].output_tokens == 0


def test_models_list_and_retrieve(client: openai.OpenAI) -> None:
    ids = [m.id for m in client.models.list()]
    assert ids == sorted(["gpt-4o-mini", "gpt-4o", "text-embedding-3-small", "o3-mini"])
    model = client.models.retrieve("gpt-4o")
    assert model.id == "gpt-4o" and model.object == "model"
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("no-such-model")
    assert caught.value.code == "model_not_found"
