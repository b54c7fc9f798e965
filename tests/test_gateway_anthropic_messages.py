"""Anthropic's own `POST /v1/messages` through the gateway, with the official `anthropic` SDK unchanged (base URL =
Tollgate, api_key = a sub-key, sent as `x-api-key`): plain, streamed, tools, count_tokens, errors in Anthropic's
shape raising the SDK's own classes, and one log row priced as Anthropic bills (cache reads and writes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest
import requests
from flask import Flask
from sqlalchemy import update

from tollgate.budgets import manage
from tollgate.extensions import db
from tollgate.models import Lane
from tollgate.services import Services

from .anthropic_lane import EXPECTED_MICROS, MODEL, Claude, start_claude_lane
from .conftest import Seeded
from .log_rows import wait_rows

WEATHER: Any = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
HI: Any = [{"role": "user", "content": "Say hello to Tollgate"}]


@pytest.fixture
def claude(app: Flask, svc: Services, seeded: Seeded) -> Iterator[Claude]:
    lane = start_claude_lane(app, svc, seeded)
    yield lane
    lane.served.stop()


@pytest.fixture
def root(gateway: str, claude: Claude) -> str:
    """The gateway's root: Anthropic's SDK appends /v1/messages itself."""
    return gateway.removesuffix("/v1")


@pytest.fixture
def client(root: str, seeded: Seeded) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=root, api_key=seeded.key, max_retries=0, timeout=10)


def _assert_priced_row(app: Flask, svc: Services, claude: Claude, stream: bool) -> None:
    [row] = wait_rows(app, svc)
    assert (row.endpoint, row.provider, row.lane_id, row.stream, row.status_code, row.error_code) == (
        "messages",
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


def test_plain_message_is_relayed_as_it_is(
    client: anthropic.Anthropic, app: Flask, svc: Services, claude: Claude
) -> None:
    message = client.messages.create(
        model=MODEL, max_tokens=256, system="Be brief.", messages=HI, metadata={"user_id": "end-user-7"}
    )
    assert message.type == "message" and message.model == MODEL and message.stop_reason == "end_turn"
    assert message.content[0].type == "text" and "Tollgate" in message.content[0].text
    assert (message.usage.input_tokens, message.usage.cache_read_input_tokens) == (1000, 2000)
    assert message.usage.cache_creation_input_tokens == 500
    [sent] = claude.state.requests
    assert sent["body"] == {
        "model": MODEL,
        "max_tokens": 256,
        "system": "Be brief.",
        "messages": HI,
        "metadata": {"user_id": "end-user-7"},
    }
    assert sent["anthropic_version"] == "2023-06-01" and sent["authorization"] is None  # the lane's key, not ours
    _assert_priced_row(app, svc, claude, stream=False)
    [row] = wait_rows(app, svc)
    assert row.end_user == "end-user-7"  # Anthropic's `metadata.user_id` is the end user, as `user` is OpenAI's


def test_streamed_message(client: anthropic.Anthropic, app: Flask, svc: Services, claude: Claude) -> None:
    with client.messages.stream(model=MODEL, max_tokens=256, messages=HI) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert "Tollgate" in text and final.content[0].type == "text" and final.content[0].text == text
    assert final.usage.output_tokens == 300 and final.stop_reason == "end_turn"
    assert claude.state.requests[0]["body"]["stream"] is True
    _assert_priced_row(app, svc, claude, stream=True)


def test_tool_use(client: anthropic.Anthropic, claude: Claude) -> None:
    message = client.messages.create(model=MODEL, max_tokens=256, messages=HI, tools=[WEATHER])
    assert message.stop_reason == "tool_use"
    [block] = message.content
    assert block.type == "tool_use" and block.name == "get_weather" and block.input == {"city": "Paris"}
    assert claude.state.requests[0]["body"]["tools"] == [WEATHER]


def test_count_tokens_is_free(client: anthropic.Anthropic, app: Flask, svc: Services, claude: Claude) -> None:
    counted = client.messages.count_tokens(model=MODEL, messages=HI)
    assert counted.input_tokens > 0
    assert claude.state.requests[0]["path"] == "/v1/messages/count_tokens"
    [row] = wait_rows(app, svc)
    assert (row.endpoint, row.status_code, row.cost_micros) == ("messages.count_tokens", 200, 0)


def test_bearer_authorization_works_too(root: str, seeded: Seeded, claude: Claude) -> None:
    bearer = anthropic.Anthropic(base_url=root, auth_token=seeded.key, max_retries=0, timeout=10)
    assert bearer.messages.create(model=MODEL, max_tokens=16, messages=HI).type == "message"


def test_bad_key_is_an_authentication_error(root: str, claude: Claude) -> None:
    bad = anthropic.Anthropic(base_url=root, api_key="tg_not-a-real-key", max_retries=0, timeout=10)
    with pytest.raises(anthropic.AuthenticationError) as caught:
        bad.messages.create(model=MODEL, max_tokens=16, messages=HI)
    assert caught.value.status_code == 401
    assert caught.value.body == {
        "type": "error",
        "error": {
            "type": "authentication_error",
            "message": "Incorrect API key provided. Use a Tollgate sub-key (tg_...).",
        },
    }


def test_missing_key_is_anthropic_shaped(root: str, claude: Claude) -> None:
    answer = requests.post(f"{root}/v1/messages", json={"model": MODEL, "max_tokens": 1, "messages": HI}, timeout=10)
    assert answer.status_code == 401 and answer.json()["error"]["type"] == "authentication_error"
    assert answer.json()["type"] == "error" and answer.headers["x-request-id"].startswith("req_")


def test_over_budget_is_a_rate_limit_error_not_retried(
    app: Flask, svc: Services, seeded: Seeded, client: anthropic.Anthropic, claude: Claude
) -> None:
    with app.app_context():
        manage.create_budget(db.session, seeded.workspace_id, "client", seeded.client_id, 1)
        db.session.commit()
    with pytest.raises(anthropic.RateLimitError) as caught:
        client.messages.create(model=MODEL, max_tokens=4096, messages=HI)
    error = caught.value.body["error"]  # type: ignore[index]
    assert error["type"] == "rate_limit_error" and "budget" in error["message"]
    assert caught.value.response.headers["x-should-retry"] == "false"
    assert claude.state.requests == []
    [row] = wait_rows(app, svc)
    assert (row.endpoint, row.status_code, row.error_code) == ("messages", 429, "budget_exceeded")


def test_non_anthropic_model_is_a_clear_400(client: anthropic.Anthropic, claude: Claude) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        client.messages.create(model="gpt-4o-mini", max_tokens=16, messages=HI)
    error = caught.value.body["error"]  # type: ignore[index]
    assert error["type"] == "invalid_request_error" and "not served by any Anthropic lane" in error["message"]


def test_upstream_error_is_relayed_untouched(client: anthropic.Anthropic, claude: Claude) -> None:
    claude.state.fail_status = 400
    with pytest.raises(anthropic.BadRequestError) as caught:
        client.messages.create(model=MODEL, max_tokens=16, messages=HI)
    assert caught.value.body == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "Mock upstream failure 400"},
    }


def test_lane_failure_is_an_anthropic_api_error(client: anthropic.Anthropic, claude: Claude) -> None:
    claude.state.fail_status = 529  # overloaded: the lane's failure, the gateway's 502
    with pytest.raises(anthropic.InternalServerError) as caught:
        client.messages.create(model=MODEL, max_tokens=16, messages=HI)
    assert caught.value.status_code == 502 and caught.value.body["error"]["type"] == "api_error"  # type: ignore[index]


def test_unknown_messages_url_is_anthropic_shaped(root: str) -> None:
    answer = requests.get(f"{root}/v1/messages", timeout=10)
    assert answer.status_code == 405 and answer.json()["type"] == "error"
    assert answer.json()["error"]["type"] == "invalid_request_error"


def test_models_in_anthropics_shape_for_its_sdk_and_openais_for_openai(
    client: anthropic.Anthropic, app: Flask, gateway: str, seeded: Seeded, claude: Claude
) -> None:
    """`client.models.list()` of Anthropic's SDK (x-api-key + anthropic-version) gets Anthropic's paged shape;
    the OpenAI SDK, on the same URL, still gets OpenAI's list."""
    with app.app_context():
        listed = {claude.lane_id: ["claude-sonnet-4-5", "claude-haiku-4-5"], seeded.lane_id: ["gpt-4o-mini"]}
        for lane_id, models in listed.items():
            db.session.execute(update(Lane).where(Lane.id == lane_id).values(models=models))
        db.session.commit()
    expected = ["claude-haiku-4-5", "claude-sonnet-4-5", "gpt-4o-mini"]
    page = client.models.list()
    assert [m.id for m in page.data] == expected and page.has_more is False
    assert all(m.type == "model" and m.display_name == m.id and m.created_at.year >= 1970 for m in page.data)
    assert [m.id for m in client.models.list(limit=1)] == expected  # the SDK follows `has_more` / `after_id`
    one = client.models.list(limit=2, after_id="claude-haiku-4-5")
    assert ([m.id for m in one.data], one.has_more, one.first_id, one.last_id) == (
        expected[1:], False, "claude-sonnet-4-5", "gpt-4o-mini"
    )  # fmt: skip
    assert client.models.retrieve("claude-sonnet-4-5").id == "claude-sonnet-4-5"
    with pytest.raises(anthropic.NotFoundError):
        client.models.retrieve("claude-nonexistent")
    with pytest.raises(anthropic.BadRequestError):
        client.models.list(limit=0)
    with pytest.raises(anthropic.AuthenticationError):
        anthropic.Anthropic(base_url=gateway.removesuffix("/v1"), api_key="tg_wrong", max_retries=0).models.list()

    sdk = openai.OpenAI(base_url=gateway, api_key=seeded.key, max_retries=0, timeout=10)
    openai_page = sdk.models.list()
    assert [m.id for m in openai_page.data] == expected and all(m.object == "model" for m in openai_page.data)
    assert sdk.models.retrieve("gpt-4o-mini").owned_by == "openai"
