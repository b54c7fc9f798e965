"""A lane with provider `anthropic` behind the gateway: the official `openai` SDK calls /v1/chat/completions with
a Claude model, the gateway speaks Anthropic's Messages API to the Anthropic mock, and the log row carries
Anthropic's token counts priced exactly (cache reads and cache writes at their own rates)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import openai
import pytest
from flask import Flask
from sqlalchemy import update

from tollgate import provisioning
from tollgate.extensions import db
from tollgate.mock_upstream.anthropic import AnthropicMock, AnthropicMockState
from tollgate.models import Lane
from tollgate.services import Services

from .conftest import Seeded, ServedApp
from .log_rows import wait_rows

ANTHROPIC_KEY = "sk-ant-mock-0123456789abcdef"
MODEL = "claude-sonnet-4-5"
USAGE = {
    "input_tokens": 1000,
    "cache_read_input_tokens": 2000,
    "cache_creation_input_tokens": 500,
    "output_tokens": 300,
}
# claude-sonnet-4-5 per million tokens: $3 input, $0.30 cache read, $3.75 cache write, $15 output →
# 1000 × 3 + 2000 × 0.30 + 500 × 3.75 + 300 × 15 = 3000 + 600 + 1875 + 4500 micro-dollars
EXPECTED_MICROS = 9975
WEATHER_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@dataclass
class Claude:
    state: AnthropicMockState
    lane_id: str


@pytest.fixture
def claude(app: Flask, svc: Services, seeded: Seeded) -> Iterator[Claude]:
    """An Anthropic lane for `claude-*` beside the seeded OpenAI lane (narrowed to `gpt-*`), before any call."""
    state = AnthropicMockState(api_key=ANTHROPIC_KEY, usage=dict(USAGE))
    served = ServedApp(AnthropicMock(state))
    with app.app_context():
        session = db.session
        session.execute(update(Lane).where(Lane.id == seeded.lane_id).values(models=["gpt-*"]))
        lane = provisioning.create_lane(
            session,
            svc.vault,
            seeded.workspace_id,
            "Claude",
            served.url,
            ANTHROPIC_KEY,
            "anthropic",
            models=["claude-*"],
        )
        provisioning.append_route(session, seeded.workspace_id, lane)
        session.commit()
        lane_id = lane.id
    yield Claude(state, lane_id)
    served.stop()


@pytest.fixture
def client(gateway: str, seeded: Seeded, claude: Claude) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway, api_key=seeded.key, max_retries=0, timeout=10)


def _assert_priced_row(app: Flask, svc: Services, claude: Claude, stream: bool) -> None:
    [row] = wait_rows(app, svc)
    assert (row.provider, row.lane_id, row.stream, row.status_code, row.error_code) == (
        "anthropic",
        claude.lane_id,
        stream,
        200,
        None,
    )
    assert (row.model_requested, row.model_served) == (MODEL, MODEL)
    assert (row.input_tokens, row.cached_input_tokens, row.output_tokens) == (3500, 2000, 300)
    assert (row.value_micros, row.value_remainder_picos, row.cost_micros, row.priced) == (
        EXPECTED_MICROS,
        0,
        9975,
        True,
    )


def test_plain_chat_completion(client: openai.OpenAI, app: Flask, svc: Services, claude: Claude) -> None:
    completion = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello to Tollgate"}],
        user="end-user-7",
    )
    assert completion.object == "chat.completion" and completion.model == MODEL
    choice = completion.choices[0]
    assert choice.finish_reason == "stop" and "Tollgate" in (choice.message.content or "")
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (3500, 300)
    assert completion.usage.prompt_tokens_details is not None
    assert completion.usage.prompt_tokens_details.cached_tokens == 2000
    [sent] = claude.state.requests
    assert sent["path"] == "/v1/messages" and sent["anthropic_version"] == "2023-06-01"
    assert sent["authorization"] is None  # the key went in x-api-key (the mock refuses anything else)
    assert sent["body"]["system"] == "Be brief." and sent["body"]["max_tokens"] == 64_000
    assert sent["body"]["metadata"] == {"user_id": "end-user-7"}
    _assert_priced_row(app, svc, claude, stream=False)


def test_streaming_with_usage(client: openai.OpenAI, app: Flask, svc: Services, claude: Claude) -> None:
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "stream me"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "stream me" in text
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    usage = chunks[-1].usage
    assert usage is not None and not chunks[-1].choices
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (3500, 300, 3800)
    assert claude.state.requests[0]["body"]["stream"] is True
    _assert_priced_row(app, svc, claude, stream=True)


def test_streaming_without_usage_still_logs_it(
    client: openai.OpenAI, app: Flask, svc: Services, claude: Claude
) -> None:
    chunks = list(
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}], stream=True)
    )
    assert chunks and all(c.usage is None for c in chunks)
    _assert_priced_row(app, svc, claude, stream=True)


def test_tool_call_round_trip(client: openai.OpenAI, claude: Claude) -> None:
    messages: list[Any] = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL])
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls or []
    assert call.type == "function" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    messages.append(choice.message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": '{"temp_c": 21}'})
    second = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL])
    assert second.choices[0].finish_reason == "stop" and second.choices[0].message.content
    sent = claude.state.requests[-1]["body"]
    assert sent["tools"][0]["input_schema"] == WEATHER_TOOL["function"]["parameters"]
    assert sent["messages"][1]["content"] == [
        {"type": "tool_use", "id": call.id, "name": "get_weather", "input": {"city": "Paris"}}
    ]
    assert sent["messages"][2]["content"] == [
        {"type": "tool_result", "tool_use_id": call.id, "content": '{"temp_c": 21}'}
    ]


def test_streamed_tool_call(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Weather?"}],
        tools=[WEATHER_TOOL],
        stream=True,
    )
    chunks = list(stream)
    calls = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
    assert calls[0].id and calls[0].function is not None and calls[0].function.name == "get_weather"
    arguments = "".join(tc.function.arguments or "" for tc in calls if tc.function is not None)
    assert json.loads(arguments) == {"city": "Paris"} and {tc.index for tc in calls} == {0}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_upstream_error_in_openai_shape(client: openai.OpenAI, claude: Claude) -> None:
    claude.state.fail_status = 400
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    assert caught.value.code == "invalid_request_error" and caught.value.type == "invalid_request_error"
    assert "Mock upstream failure 400" in caught.value.message


def test_wrong_lane_key_is_the_lanes_failure(client: openai.OpenAI, claude: Claude) -> None:
    claude.state.api_key = "sk-ant-another-key"
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    assert caught.value.status_code == 502
    assert "rejected this lane's credential" in caught.value.message


def test_model_list_from_an_anthropic_lane(app: Flask, claude: Claude, client: openai.OpenAI) -> None:
    """A lane without a model list is asked for its own: Anthropic's `GET /v1/models`, read into OpenAI's shape."""
    with app.app_context():
        db.session.execute(update(Lane).where(Lane.id == claude.lane_id).values(models=None))
        db.session.commit()
    listed = {m.id: m.owned_by for m in client.models.list()}
    assert listed == {"claude-haiku-4-5": "anthropic", "claude-sonnet-4-5": "anthropic"}
    assert claude.state.requests[-1]["path"] == "/v1/models"
