"""Gemini, Azure OpenAI, OpenRouter and a Groq-like OpenAI-compatible lane behind the gateway, each against a
local mock speaking its real wire format, called with the official `openai` SDK; routing by model family; and
the log rows priced from the right genai-prices provider (never a silent $0)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest
from flask import Flask
from sqlalchemy import func, select, update

from tollgate import provisioning
from tollgate.budgets import manage
from tollgate.extensions import db
from tollgate.mock_upstream.anthropic import AnthropicMock, AnthropicMockState
from tollgate.mock_upstream.app import MockState, MockUpstream
from tollgate.mock_upstream.azure import AzureMock, AzureMockState
from tollgate.mock_upstream.gemini import GeminiMock, GeminiMockState
from tollgate.mock_upstream.openrouter import OpenRouterMock, OpenRouterMockState
from tollgate.models import Lane, UpstreamObject
from tollgate.services import Services

from .conftest import Seeded, ServedApp
from .log_rows import wait_rows

GEMINI_KEY = "AIza-mock-0123456789"
GEMINI_USAGE = {
    "promptTokenCount": 10000,
    "cachedContentTokenCount": 4000,
    "candidatesTokenCount": 1000,
    "thoughtsTokenCount": 500,
}
# gemini-2.5-flash per million tokens: $0.30 input, $0.03 cache read, $2.50 output (thinking tokens included):
# 6000 × 0.30 + 4000 × 0.03 + 1500 × 2.50 = 1800 + 120 + 3750 micro-dollars
GEMINI_MICROS = 5670
WEATHER: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture
def served() -> Iterator[list[ServedApp]]:
    started: list[ServedApp] = []
    yield started
    for app in started:
        app.stop()


def _lane(
    app: Flask,
    svc: Services,
    seeded: Seeded,
    served: list[ServedApp],
    wsgi: object,
    provider: str,
    key: str,
    *,
    path: str = "",
    settings: dict[str, Any] | None = None,
    own_policy: bool = False,
) -> str:
    """A lane of `provider` to `wsgi` on a socket: after the seeded OpenAI lane in the workspace default policy,
    or alone in the client's own policy."""
    server = ServedApp(wsgi)
    served.append(server)
    with app.app_context():
        lane = provisioning.create_lane(
            db.session, svc.vault, seeded.workspace_id, provider, server.url + path, key, provider
        )
        lane.settings = settings
        provisioning.append_route(db.session, seeded.workspace_id, lane, seeded.client_id if own_policy else None)
        db.session.commit()
        return lane.id


@pytest.fixture
def sdk(gateway: str, seeded: Seeded) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway, api_key=seeded.key, max_retries=0, timeout=10)


@pytest.fixture
def gemini(app: Flask, svc: Services, seeded: Seeded, served: list[ServedApp]) -> tuple[GeminiMockState, str]:
    state = GeminiMockState(api_key=GEMINI_KEY, usage=dict(GEMINI_USAGE))
    return state, _lane(app, svc, seeded, served, GeminiMock(state), "gemini", GEMINI_KEY, path="/v1beta")


def _assert_gemini_row(app: Flask, svc: Services, lane_id: str, stream: bool) -> None:
    [row] = wait_rows(app, svc)
    assert (row.provider, row.lane_id, row.stream, row.status_code) == ("gemini", lane_id, stream, 200)
    assert (row.model_requested, row.model_served) == ("gemini-2.5-flash", "gemini-2.5-flash")
    assert (row.input_tokens, row.cached_input_tokens, row.output_tokens, row.reasoning_tokens) == (
        10000,
        4000,
        1500,
        500,
    )
    assert (row.value_micros, row.cost_micros, row.priced) == (GEMINI_MICROS, GEMINI_MICROS, True)


def test_gemini_chat(sdk: openai.OpenAI, app: Flask, svc: Services, gemini: tuple[GeminiMockState, str]) -> None:
    state, lane_id = gemini
    completion = sdk.chat.completions.create(
        model="gemini-2.5-flash",
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello to Tollgate"}],
        max_tokens=50,
    )
    assert completion.object == "chat.completion" and completion.model == "gemini-2.5-flash"
    assert completion.choices[0].finish_reason == "stop" and "Tollgate" in (completion.choices[0].message.content or "")
    assert completion.usage is not None and (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (
        10000,
        1500,
    )
    [sent] = state.requests  # the seeded OpenAI lane, first in the policy, was not tried: gemini-* is Gemini's
    assert sent["path"] == "/v1beta/models/gemini-2.5-flash:generateContent" and sent["auth"] is None
    assert sent["body"]["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert sent["body"]["generationConfig"] == {"maxOutputTokens": 50}
    _assert_gemini_row(app, svc, lane_id, stream=False)


def test_gemini_stream(sdk: openai.OpenAI, app: Flask, svc: Services, gemini: tuple[GeminiMockState, str]) -> None:
    state, lane_id = gemini
    chunks = list(
        sdk.chat.completions.create(
            model="gemini-2.5-flash",
            messages=[{"role": "user", "content": "Say hello to Tollgate"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "Tollgate" in text
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 1500
    assert state.requests[0]["path"].endswith(":streamGenerateContent") and state.requests[0]["query"] == {"alt": "sse"}
    _assert_gemini_row(app, svc, lane_id, stream=True)
    with app.app_context():  # a chat stream creates no stored object (its timestamp is no response id)
        assert db.session.scalar(select(func.count()).select_from(UpstreamObject)) == 0


def test_gemini_models_are_listed(sdk: openai.OpenAI, gemini: tuple[GeminiMockState, str]) -> None:
    listed = {m.id for m in sdk.models.list()}
    assert {"gemini-2.5-flash", "gemini-2.5-pro", "gpt-4o-mini"} <= listed


def test_gemini_tool_call_and_json_mode(sdk: openai.OpenAI, gemini: tuple[GeminiMockState, str]) -> None:
    state, _ = gemini
    called = sdk.chat.completions.create(
        model="gemini-2.5-flash", messages=[{"role": "user", "content": "Weather in Paris?"}], tools=[WEATHER]
    )
    choice = called.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.tool_calls
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather" and call.function.arguments == '{"city":"Paris"}'  # type: ignore[union-attr]
    answered = sdk.chat.completions.create(
        model="gemini-2.5-flash",
        messages=[{"role": "user", "content": "Reply in JSON"}],
        response_format={"type": "json_object"},
    )
    assert (answered.choices[0].message.content or "").startswith('{"answer":')
    assert state.requests[0]["body"]["tools"] == [
        {"functionDeclarations": [{"name": "get_weather", "parameters": WEATHER["function"]["parameters"]}]}
    ]
    assert state.requests[1]["body"]["generationConfig"] == {"responseMimeType": "application/json"}


def test_gemini_refused_key_is_the_lanes_failure_and_falls_through(
    sdk: openai.OpenAI, app: Flask, svc: Services, seeded: Seeded, served: list[ServedApp], gemini: Any
) -> None:
    """Google refuses a bad key with HTTP 400 `API_KEY_INVALID`, not 401: the lane's credential refused (the next
    lane serves, the attempt says `auth_failed`), never a caller's bad request; a caller's own 400 still passes."""
    state, refused_lane = gemini
    state.api_key = "AIza-another"
    hi = [{"role": "user", "content": "hi"}]
    with pytest.raises(openai.InternalServerError) as raised:  # the only Gemini lane: 502, as for a 401
        sdk.chat.completions.create(model="gemini-2.5-flash", messages=hi)  # type: ignore[arg-type]
    assert raised.value.status_code == 502 and "rejected this lane's credential" in raised.value.message
    good = GeminiMockState(api_key="AIza-good-0123456789", usage=dict(GEMINI_USAGE))
    good_lane = _lane(app, svc, seeded, served, GeminiMock(good), "gemini", "AIza-good-0123456789", path="/v1beta")
    completion = sdk.chat.completions.create(model="gemini-2.5-flash", messages=hi)  # type: ignore[arg-type]
    assert completion.choices[0].message.content
    with pytest.raises(openai.BadRequestError) as caller_fault:  # the caller's 400 (no contents): not a key refusal
        sdk.chat.completions.create(model="gemini-2.5-flash", messages=[])
    assert caller_fault.value.code == "invalid_argument"
    rows = wait_rows(app, svc, 3)
    refused = [{"lane_id": refused_lane, "reason": "auth_failed", "status": 400}]
    assert [(r.status_code, r.lane_id, r.attempts) for r in rows] == [
        (502, refused_lane, refused),
        (200, good_lane, refused),
        (400, good_lane, refused),
    ]


def test_models_route_by_family(
    sdk: openai.OpenAI, app: Flask, svc: Services, seeded: Seeded, mock_upstream: Any, served: list[ServedApp]
) -> None:
    """An OpenAI lane and an Anthropic lane, neither listing models: claude-* goes to Anthropic, gpt-4o to OpenAI."""
    claude = AnthropicMockState(api_key="sk-ant-mock-0123456789")
    claude_lane = _lane(app, svc, seeded, served, AnthropicMock(claude), "anthropic", "sk-ant-mock-0123456789")
    assert (
        sdk.chat.completions.create(model="claude-x", messages=[{"role": "user", "content": "hi"}]).model == "claude-x"
    )
    assert sdk.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}]).model == "gpt-4o"
    assert [r["body"]["model"] for r in claude.requests] == ["claude-x"]
    assert [r["body"]["model"] for r in mock_upstream.state.requests] == ["gpt-4o"]
    rows = wait_rows(app, svc, 2)
    assert [(r.model_requested, r.lane_id) for r in rows] == [("claude-x", claude_lane), ("gpt-4o", seeded.lane_id)]


def test_azure_deployment(
    sdk: openai.OpenAI, app: Flask, svc: Services, seeded: Seeded, served: list[ServedApp]
) -> None:
    azure = AzureMockState(api_key="azure-mock-key", deployments={"prod-4o": "gpt-4o-2024-08-06"})
    inner = MockState(usage={"prompt_tokens": 1000, "completion_tokens": 100})
    settings = {"deployments": {"gpt-4o": "prod-4o"}, "api_version": "2024-10-21"}
    lane_id = _lane(
        app, svc, seeded, served, AzureMock(azure, inner), "azure", "azure-mock-key", settings=settings, own_policy=True
    )
    completion = sdk.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert completion.model == "gpt-4o-2024-08-06"
    chunks = list(
        sdk.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True)
    )
    assert all(c.usage is None for c in chunks)  # the usage chunk the gateway asked for is not passed on
    assert [r["path"] for r in azure.requests] == ["/openai/deployments/prod-4o/chat/completions"] * 2
    assert azure.requests[0]["query"] == {"api-version": "2024-10-21"}
    assert (azure.requests[0]["api_key"], azure.requests[0]["auth"]) == ("azure-mock-key", None)
    rows = wait_rows(app, svc, 2)
    # priced by the underlying model at Azure's list: gpt-4o $2.50 input, $10 output per million tokens
    assert [(r.provider, r.lane_id, r.model_served, r.value_micros, r.priced) for r in rows] == [
        ("azure", lane_id, "gpt-4o-2024-08-06", 3500, True)
    ] * 2


def test_openrouter_cost_and_headers(
    sdk: openai.OpenAI, app: Flask, svc: Services, seeded: Seeded, served: list[ServedApp]
) -> None:
    router = OpenRouterMockState(cost="0.001234567")
    inner = MockState(api_key="sk-or-mock", usage={"prompt_tokens": 1000, "completion_tokens": 100})
    settings = {"http_referer": "https://agency.example", "x_title": "Agency"}
    mock = OpenRouterMock(router, inner)
    _lane(app, svc, seeded, served, mock, "openrouter", "sk-or-mock", path="/v1", settings=settings, own_policy=True)
    sdk.chat.completions.create(model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    streamed = sdk.chat.completions.create(
        model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    assert all(c.usage is None for c in streamed)  # the gateway's usage chunk is not the caller's
    router.cost = None  # without OpenRouter's own cost: genai-prices' OpenRouter list
    sdk.chat.completions.create(model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    sdk.chat.completions.create(model="nobody/unlisted-model", messages=[{"role": "user", "content": "hi"}])
    assert router.requests[0] == {"referer": "https://agency.example", "title": "Agency"}
    assert inner.requests[0]["body"]["usage"] == {"include": True}
    rows = wait_rows(app, svc, 4)
    for row in rows[:2]:  # plain and streamed: OpenRouter's own cost, $0.001234567
        assert (row.value_micros, row.value_remainder_picos, row.priced) == (1235, -433_000, True)
    # openai/gpt-4o-mini on OpenRouter: $0.15 input, $0.60 output per million tokens → 150 + 60
    assert (rows[2].value_micros, rows[2].priced) == (210, True)
    assert (rows[3].value_micros, rows[3].priced) == (0, False)  # unknown: unpriced, not a silent $0


def test_openai_compatible_lane_priced_from_its_provider(
    sdk: openai.OpenAI, app: Flask, svc: Services, seeded: Seeded, served: list[ServedApp]
) -> None:
    """A Groq-like base URL (here local, so the lane says `price_provider: groq`; api.groq.com would say it)."""
    groq = MockState(api_key="gsk-mock", usage={"prompt_tokens": 1000, "completion_tokens": 1000})
    _lane(app, svc, seeded, served, MockUpstream(groq), "openai", "gsk-mock", path="/v1",
          settings={"price_provider": "groq"}, own_policy=True)  # fmt: skip
    sdk.chat.completions.create(model="llama-3.3-70b-versatile", messages=[{"role": "user", "content": "hi"}])
    sdk.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    rows = wait_rows(app, svc, 2)
    # llama-3.3-70b-versatile on Groq: $0.59 input, $0.79 output per million tokens
    assert (rows[0].provider, rows[0].value_micros, rows[0].priced) == ("openai", 1380, True)
    assert (rows[1].value_micros, rows[1].priced) == (0, False)  # Groq's list has no gpt-4o-mini: unpriced


def test_lane_settings_column_round_trips(app: Flask, seeded: Seeded) -> None:
    """The Lane.settings column round-trips as JSON (SQLite and PostgreSQL)."""
    with app.app_context():
        db.session.execute(update(Lane).where(Lane.id == seeded.lane_id).values(settings={"price_provider": "groq"}))
        db.session.commit()
        assert db.session.get(Lane, seeded.lane_id).settings == {"price_provider": "groq"}  # type: ignore[union-attr]


def test_hard_budget_uses_the_lanes_price_list(app: Flask, svc: Services, seeded: Seeded) -> None:
    """Admission reserves at the lane's price provider: gpt-4o-mini is unknown to Groq's list, so a hard budget
    refuses it as unpriced there; the same lane's Llama model is admitted and settles to its Groq price."""
    with app.app_context():
        db.session.execute(update(Lane).where(Lane.id == seeded.lane_id).values(settings={"price_provider": "groq"}))
        manage.create_budget(db.session, seeded.workspace_id, "client", seeded.client_id, 1_000_000, hard=True)
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {seeded.key}"}
    refused = client.post(
        "/v1/chat/completions", json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        headers=headers,
    )  # fmt: skip
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "model_unpriced"
    served = client.post(
        "/v1/chat/completions",
        json={"model": "llama-3.1-8b-instant", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 20},
        headers=headers,
    )
    assert served.status_code == 200
    rows = wait_rows(app, svc, 2)
    assert rows[-1].priced and rows[-1].value_micros * 1_000_000 + rows[-1].value_remainder_picos > 0
