"""The request log and the budget ledger price every request with the same figures: the same override set, the
same service tier, the same estimate when usage is lost, to the micro-dollar."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import replace

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.admin_support import AdminClient, owner
from tests.anthropic_lane import EXPECTED_MICROS as CLAUDE_MICROS
from tests.anthropic_lane import MODEL as CLAUDE
from tests.anthropic_lane import start_claude_lane
from tests.conftest import MOCK_PROVIDER_KEY, Mock, Seeded
from tests.test_budget_gateway import add_budget, chat_body, logs, post, spend
from tollgate import provisioning
from tollgate.extensions import db
from tollgate.metering import prices
from tollgate.metering.usage import TokenUsage
from tollgate.models import Lane
from tollgate.services import Services

__all__ = ["owner"]


def test_a_new_price_override_prices_the_log_as_it_priced_admission(
    app: Flask, svc: Services, seeded: Seeded, owner: AdminClient, mock_upstream: Mock
) -> None:
    """The log writer used to read overrides through its own 30 s cache: a request right after an override was
    created was charged to the budget at the override and logged at list price."""
    client: FlaskClient = app.test_client()
    budget = add_budget(app, seeded, 10_000_000)
    mock_upstream.state.usage = {"prompt_tokens": 1000, "completion_tokens": 100}
    assert post(client, seeded.key, chat_body()).status_code == 200
    assert logs(app, svc)  # the writer has looked the workspace's overrides up (none) and cached them
    created = owner.post(
        "price-overrides", json={"model": "gpt-4o-mini", "input_mtok_micros": 7_000_000, "output_mtok_micros": 0}
    )
    assert created.status_code == 201, created.get_json()
    assert post(client, seeded.key, chat_body()).status_code == 200
    first, second = logs(app, svc)
    assert first.value_micros == prices.value_micros(TokenUsage(1000, 0, 100), "gpt-4o-mini")
    assert second.value_micros == 7_000  # 1,000 input tokens at $7 per million
    assert spend(app, budget) == (first.value_micros + second.value_micros, 0)


def _tier_body(tier: str | None, model: str = "gpt-4o", stream: bool = False) -> bytes:
    body: dict[str, object] = {"model": model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 975}
    if tier is not None:
        body["service_tier"] = tier
    if stream:
        body["stream"] = True
    return orjson.dumps(body)


def test_list_price_follows_the_service_tier_the_response_reports() -> None:
    usage = TokenUsage(input_tokens=1000, output_tokens=975)
    assert prices.value_micros(usage, "gpt-4o") == 12_250
    assert prices.value_micros(replace(usage, service_tier="default"), "gpt-4o") == 12_250
    assert prices.value_micros(replace(usage, service_tier="priority"), "gpt-4o") == 20_825
    assert prices.value_micros(replace(usage, service_tier="flex"), "gpt-5") == 5_500  # half the standard 11,000
    assert prices.value_micros(replace(usage, service_tier="scale"), "gpt-4o") == 12_250  # no own prices: standard


@pytest.mark.parametrize("stream", [False, True])
def test_a_priority_call_is_logged_and_charged_at_the_priority_rate(
    app: Flask, svc: Services, seeded: Seeded, mock_upstream: Mock, stream: bool
) -> None:
    client: FlaskClient = app.test_client()
    budget = add_budget(app, seeded, 10_000_000)
    mock_upstream.state.usage = {"prompt_tokens": 1000, "completion_tokens": 975}
    response = post(client, seeded.key, _tier_body("priority", stream=stream))
    assert response.status_code == 200
    response.get_data()
    [row] = logs(app, svc)
    assert row.value_micros == 20_825
    assert spend(app, budget) == (20_825, 0)


def test_the_worst_case_is_the_requested_tier_or_the_dearest_one(
    app: Flask, svc: Services, seeded: Seeded, mock_upstream: Mock
) -> None:
    """No tier (or `auto`): the project may serve it at priority, so the reservation covers priority; a named tier
    reserves at that tier's rates."""
    client: FlaskClient = app.test_client()
    prompt_bound = len(_tier_body(None))
    mock_upstream.state.usage = {"prompt_tokens": prompt_bound, "completion_tokens": 975}
    mock_upstream.state.service_tier = "priority"  # `auto` served at the project's priority tier
    billed = prices.value_micros(TokenUsage(prompt_bound, 0, 975, 0, "priority"), "gpt-4o")
    assert billed is not None
    budget = add_budget(app, seeded, billed - 1)
    assert post(client, seeded.key, _tier_body(None)).status_code == 429  # it could cost more than the cap
    assert post(client, seeded.key, _tier_body("auto")).status_code == 429
    mock_upstream.state.service_tier = None
    flex = _tier_body("flex", model="gpt-5")
    flex_rates = prices.worst_case_rates("gpt-5", "openai", "flex")
    assert flex_rates is not None and flex_rates.output_mtok_micros == 5_000_000
    assert post(client, seeded.key, flex).status_code == 200  # flex reserves at flex rates: it fits
    spent, reserved = spend(app, budget)
    assert 0 < spent <= billed - 1 and reserved == 0


def _month_row(owner: AdminClient, client_name: str) -> list[str]:
    month = dt.datetime.now(dt.UTC).strftime("%Y-%m")
    table = list(csv.reader(io.StringIO(owner.get("exports/monthly.csv", query_string={"month": month}).text)))
    return next(row for row in table if row[0] == client_name)


def _cap_spent(client: FlaskClient, key: str) -> int:
    status = client.get("/v1/tollgate/cap-status", headers={"Authorization": f"Bearer {key}"}).get_json()
    [budget] = status["budgets"]
    return int(budget["spent_micros"])


def test_a_thousand_tiny_embeddings_add_up_to_the_exact_micro_dollar(
    app: Flask, svc: Services, seeded: Seeded, owner: AdminClient, mock_upstream: Mock
) -> None:
    """7 tokens of text-embedding-3-small are worth 0.14 micro-dollars: each row rounds to 0, the month is 140."""
    client: FlaskClient = app.test_client()
    budget = add_budget(app, seeded, 1_000_000)
    mock_upstream.state.usage = {"prompt_tokens": 7}
    mock_upstream.state.record_requests = False
    raw = orjson.dumps({"model": "text-embedding-3-small", "input": "a short text"})
    headers = {"Authorization": f"Bearer {seeded.key}", "Content-Type": "application/json"}
    for _ in range(1000):
        assert client.post("/v1/embeddings", data=raw, headers=headers).status_code == 200
    rows = logs(app, svc)
    assert len(rows) == 1000 and {row.value_micros for row in rows} == {0}
    assert prices.value_picos(TokenUsage(7), "text-embedding-3-small") == 140_000
    totals = owner.get("usage").get_json()["totals"]
    assert (totals["requests"], totals["value_micros"], totals["cost_micros"]) == (1000, 140, 140)
    assert _month_row(owner, "Acme Co")[3] == "0.000140"
    assert spend(app, budget) == (140, 0)
    assert _cap_spent(client, seeded.key) == 140


@pytest.mark.parametrize("endpoint", ["chat", "responses"])
@pytest.mark.parametrize("with_budget", [True, False])
def test_an_abandoned_stream_is_estimated_alike_in_the_log_the_budget_and_the_reports(
    app: Flask, svc: Services, seeded: Seeded, owner: AdminClient, mock_upstream: Mock, endpoint: str, with_budget: bool
) -> None:
    """It used to be logged as $0 (0 tokens) while its budget was charged the whole reservation."""
    client: FlaskClient = app.test_client()
    budget = add_budget(app, seeded, 10_000_000) if with_budget else None
    mock_upstream.state.stream_delay_s = 0.05
    if endpoint == "chat":
        path, raw = "/v1/chat/completions", _tier_body("default", model="gpt-4o-mini", stream=True)
    else:
        body = {"model": "gpt-4o-mini", "input": "tell me a long story", "stream": True, "max_output_tokens": 500}
        path, raw = "/v1/responses", orjson.dumps(body)
    headers = {"Authorization": f"Bearer {seeded.key}", "Content-Type": "application/json"}
    resp = client.post(path, data=raw, headers=headers, buffered=False)
    chunks = iter(resp.response)
    seen = b""
    while seen.count(b'.delta"' if endpoint == "responses" else b'"delta"') < 4:
        seen += next(chunks)
    resp.close()  # the caller abandons the stream
    [row] = logs(app, svc)
    assert row.error_code == "client_disconnected" and row.usage_estimated
    assert row.input_tokens == len(raw)  # the prompt's bound from the body
    assert 4 <= row.output_tokens <= 6  # one token per content delta relayed (one more may be in flight)
    exact = prices.value_picos(TokenUsage(row.input_tokens, 0, row.output_tokens), "gpt-4o-mini")
    assert exact is not None and row.value_micros * 10**6 + row.value_remainder_picos == exact > 0
    listed = owner.get("request-logs").get_json()["data"]
    assert [(r["usage_estimated"], r["value_micros"]) for r in listed] == [(True, row.value_micros)]
    assert owner.get("usage").get_json()["totals"]["value_micros"] == row.value_micros
    [line] = list(csv.DictReader(io.StringIO(owner.get("exports/request-logs.csv").text)))
    assert (line["usage_estimated"], line["value_usd"]) == ("True", prices.usd_string(row.value_micros))
    if budget is not None:
        assert spend(app, budget) == (row.value_micros, 0)
        assert _cap_spent(client, seeded.key) == row.value_micros
    assert svc.ledger.open_holds == 0


def _second_lane(app: Flask, svc: Services, seeded: Seeded, base_url: str, payment: str = "metered") -> str:
    """acme's own policy: the seeded lane, then a second lane (another account, or acme's own key)."""
    with app.app_context():
        first = db.session.get(Lane, seeded.lane_id)
        assert first is not None
        provisioning.append_route(db.session, seeded.workspace_id, first, client_id=seeded.client_id)
        owner_client = seeded.client_id if payment == "byok" else None
        lane = provisioning.create_lane(
            db.session,
            svc.vault,
            seeded.workspace_id,
            "Second",
            base_url,
            MOCK_PROVIDER_KEY,
            payment=payment,
            owner_client_id=owner_client,
        )
        provisioning.append_route(db.session, seeded.workspace_id, lane, client_id=seeded.client_id)
        db.session.commit()
        lane_id = lane.id
    svc.keys.invalidate()
    return lane_id


@pytest.mark.parametrize("case", ["alias", "fallthrough", "byok", "anthropic-responses", "anthropic-messages"])
def test_fallthrough_byok_and_aliases_agree_everywhere(
    app: Flask,
    svc: Services,
    seeded: Seeded,
    owner: AdminClient,
    mock_upstream: Mock,
    case: str,
    request: pytest.FixtureRequest,
) -> None:
    """A request served after a full flat lane, one through the client's own key ($0 cost, value at list) and one
    for an aliased model: the log rows, the ledger, /api/v1/usage and both CSV exports agree to the micro-dollar."""
    client: FlaskClient = app.test_client()
    auth = {"Authorization": f"Bearer {seeded.key}"}
    hi = [{"role": "user", "content": "hi"}]
    budget = add_budget(app, seeded, 10_000_000)
    mock_upstream.state.usage = {"prompt_tokens": 1234, "completion_tokens": 567}
    model, asked = "gpt-4o-mini", "gpt-4o-mini"
    if case == "alias":
        assert owner.patch(f"sub-keys/{seeded.key_id}", json={"allowed_models": ["gpt-4o"]}).status_code == 200
        assert owner.post("model-aliases", json={"alias": "fast", "model": "gpt-4o"}).status_code == 201
        model, asked = "gpt-4o", "fast"
    elif case == "fallthrough":
        second = _second_lane(app, svc, seeded, mock_upstream.base_url)
        capacity = {"limit": 1, "unit": "requests", "window_s": 3600}
        assert owner.patch(f"lanes/{seeded.lane_id}", json={"payment": "flat", "capacity": capacity}).status_code == 200
    elif case == "byok":
        second = _second_lane(app, svc, seeded, mock_upstream.base_url, payment="byok")
        assert owner.patch(f"lanes/{seeded.lane_id}", json={"disabled": True}).status_code == 200
    else:
        claude = start_claude_lane(app, svc, seeded)
        request.addfinalizer(claude.served.stop)
        svc.keys.invalidate()
    for _ in range(2):
        if case == "anthropic-responses":
            response = client.post("/v1/responses", json={"model": CLAUDE, "input": "hi"}, headers=auth)
        elif case == "anthropic-messages":
            body = {"model": CLAUDE, "max_tokens": 400, "messages": hi}
            response = client.post("/v1/messages", json=body, headers={"x-api-key": seeded.key})
        else:
            response = client.post("/v1/chat/completions", json={"model": asked, "messages": hi}, headers=auth)
        assert response.status_code == 200, response.get_json()
    rows = logs(app, svc)
    if case.startswith("anthropic"):  # cache reads and writes at Anthropic's own rates
        expected = [(CLAUDE_MICROS, CLAUDE_MICROS, 2000)] * 2
        assert [(r.value_micros, r.cost_micros, r.cached_input_tokens) for r in rows] == expected
    else:
        listed = prices.value_micros(TokenUsage(1234, 0, 567), model)
        assert listed is not None and [r.value_micros for r in rows] == [listed, listed]
    if case == "fallthrough":
        assert [r.lane_id for r in rows] == [seeded.lane_id, second]
        assert rows[1].attempts == [{"lane_id": seeded.lane_id, "reason": "capacity_full"}]
        assert rows[0].cost_micros == 0 and rows[1].cost_micros == listed  # the plan's fee is monthly
    elif case == "byok":
        assert [r.lane_id for r in rows] == [second, second] and {r.cost_micros for r in rows} == {0}
    value = prices.exact_micros(sum(r.value_micros for r in rows), sum(r.value_remainder_picos for r in rows))
    cost = prices.exact_micros(sum(r.cost_micros for r in rows), sum(r.cost_remainder_picos for r in rows))
    totals = owner.get("usage").get_json()["totals"]
    assert (totals["requests"], totals["value_micros"], totals["cost_micros"]) == (2, value, cost)
    lines = list(csv.DictReader(io.StringIO(owner.get("exports/request-logs.csv").text)))
    assert sorted((line["value_usd"], line["cost_usd"]) for line in lines) == sorted(
        (prices.usd_string(r.value_micros), prices.usd_string(r.cost_micros)) for r in rows
    )
    assert _month_row(owner, "Acme Co")[3] == prices.usd_string(cost)  # the agency's cost column
    assert spend(app, budget) == (value, 0)
    assert _cap_spent(client, seeded.key) == value
