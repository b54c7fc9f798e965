"""The Responses API on an Anthropic lane, through the server with the official `openai` SDK: plain, streamed (the
SDK's own event types), tools round trip, JSON output, incomplete answers, the 400s for what Anthropic cannot do,
and the log row priced as Anthropic bills (cache reads and writes at their own rates)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from flask import Flask
from sqlalchemy import func, select

from tollgate.extensions import db
from tollgate.models import UpstreamObject
from tollgate.services import Services

from .anthropic_lane import EXPECTED_MICROS, MODEL, Claude, start_claude_lane
from .conftest import Seeded
from .log_rows import wait_rows

WEATHER: Any = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


@pytest.fixture
def claude(app: Flask, svc: Services, seeded: Seeded) -> Iterator[Claude]:
    lane = start_claude_lane(app, svc, seeded)
    yield lane
    lane.served.stop()


@pytest.fixture
def client(gateway: str, seeded: Seeded, claude: Claude) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway, api_key=seeded.key, max_retries=0, timeout=10)


def _assert_priced_row(app: Flask, svc: Services, claude: Claude, stream: bool) -> None:
    [row] = wait_rows(app, svc)
    assert (row.endpoint, row.provider, row.lane_id, row.stream, row.status_code, row.error_code) == (
        "responses",
        "anthropic",
        claude.lane_id,
        stream,
        200,
        None,
    )
    assert (row.model_requested, row.model_served) == (MODEL, MODEL)
    assert (row.input_tokens, row.cached_input_tokens, row.output_tokens) == (3500, 2000, 300)
    assert (row.value_micros, row.cost_micros, row.priced, row.usage_estimated) == (
        EXPECTED_MICROS,
        EXPECTED_MICROS,
        True,
        False,
    )


def test_plain_response(client: openai.OpenAI, app: Flask, svc: Services, claude: Claude) -> None:
    response = client.responses.create(
        model=MODEL, instructions="Be brief.", input="Say hello to Tollgate", max_output_tokens=200
    )
    assert response.object == "response" and response.status == "completed" and response.model == MODEL
    assert "Tollgate" in response.output_text and response.id.startswith("resp_")
    assert response.instructions == "Be brief." and response.store is False
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens, response.usage.total_tokens) == (
        3500,
        300,
        3800,
    )
    assert response.usage.input_tokens_details.cached_tokens == 2000
    [sent] = claude.state.requests
    assert sent["path"] == "/v1/messages" and sent["body"]["system"] == "Be brief."
    assert sent["body"]["max_tokens"] == 200
    assert sent["body"]["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Say hello to Tollgate"}]}
    ]
    _assert_priced_row(app, svc, claude, stream=False)
    _assert_nothing_stored(app)


def test_streamed_response(client: openai.OpenAI, app: Flask, svc: Services, claude: Claude) -> None:
    with client.responses.stream(model=MODEL, input="stream me please") as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert "response.output_text.delta" in kinds and kinds[-1] == "response.completed"
    assert "stream me please" in final.output_text and final.status == "completed"
    assert final.usage is not None and final.usage.input_tokens == 3500
    assert claude.state.requests[0]["body"]["stream"] is True
    _assert_priced_row(app, svc, claude, stream=True)
    _assert_nothing_stored(app)


def test_streamed_chat_completion_is_not_a_stored_object(
    client: openai.OpenAI, app: Flask, svc: Services, claude: Claude
) -> None:
    """The Chat Completions stream once passed its `created` timestamp where the proxy reads a stored id."""
    assert list(client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}], stream=True))
    assert wait_rows(app, svc)[0].status_code == 200
    _assert_nothing_stored(app)


def _assert_nothing_stored(app: Flask) -> None:
    """Anthropic keeps nothing to retrieve: no response is remembered with a lane and an owner."""
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UpstreamObject)) == 0


def test_tool_call_round_trip(client: openai.OpenAI, claude: Claude) -> None:
    first = client.responses.create(model=MODEL, input="Weather in Paris?", tools=[WEATHER])
    [call] = [item for item in first.output if item.type == "function_call"]
    assert call.name == "get_weather" and json.loads(call.arguments) == {"city": "Paris"}
    follow_up: Any = [
        {"role": "user", "content": "Weather in Paris?"},
        {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
        {"type": "function_call_output", "call_id": call.call_id, "output": '{"temp_c": 21}'},
    ]
    second = client.responses.create(model=MODEL, input=follow_up, tools=[WEATHER])
    assert second.status == "completed" and second.output_text
    sent = claude.state.requests[-1]["body"]
    assert sent["messages"][1]["content"] == [
        {"type": "tool_use", "id": call.call_id, "name": "get_weather", "input": {"city": "Paris"}}
    ]
    assert sent["messages"][2]["content"] == [
        {"type": "tool_result", "tool_use_id": call.call_id, "content": '{"temp_c": 21}'}
    ]


def test_streamed_tool_call(client: openai.OpenAI) -> None:
    with client.responses.stream(model=MODEL, input="Weather?", tools=[WEATHER]) as stream:
        deltas = [e.delta for e in stream if e.type == "response.function_call_arguments.delta"]
        final = stream.get_final_response()
    assert json.loads("".join(deltas)) == {"city": "Paris"}
    [call] = final.output
    assert call.type == "function_call" and json.loads(call.arguments) == {"city": "Paris"}


def test_json_schema_output(client: openai.OpenAI, claude: Claude) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    response = client.responses.create(
        model=MODEL,
        input="Which city?",
        text={"format": {"type": "json_schema", "name": "place", "schema": schema, "strict": True}},
    )
    assert json.loads(response.output_text) == {"city": "Paris"}  # the mock's forced tool input
    assert claude.state.requests[0]["body"]["tool_choice"] == {"type": "tool", "name": "place"}


def test_max_tokens_is_incomplete(client: openai.OpenAI, claude: Claude) -> None:
    claude.state.stop_reason = "max_tokens"
    response = client.responses.create(model=MODEL, input="Write a long story", max_output_tokens=16)
    assert response.status == "incomplete"
    assert response.incomplete_details is not None and response.incomplete_details.reason == "max_output_tokens"


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"store": True}, "store"),
        ({"background": True}, "background"),
        ({"previous_response_id": "resp_unknown"}, "previous_response_id"),
        ({"tools": [{"type": "web_search"}]}, "tools[0]"),
    ],
)
def test_untranslatable_is_a_clear_400(
    client: openai.OpenAI, app: Flask, svc: Services, claude: Claude, fields: dict[str, Any], param: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="Hi", **fields)
    assert caught.value.code == "unsupported_parameter" and caught.value.param == param
    assert "Anthropic" in caught.value.message or "OpenAI" in caught.value.message
    assert claude.state.requests == []  # nothing went upstream
    [row] = wait_rows(app, svc)
    assert (row.status_code, row.error_code, row.provider, row.cost_micros) == (
        400,
        "unsupported_parameter",
        "anthropic",
        0,
    )


def test_upstream_error_in_openai_shape(client: openai.OpenAI, claude: Claude) -> None:
    claude.state.fail_status = 400
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="Hi")
    assert caught.value.code == "invalid_request_error" and "Mock upstream failure 400" in caught.value.message
