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
from tests.conftest import Mock, Seeded
from tests.test_budget_gateway import add_budget, chat_body, logs, post, spend
from tollgate.metering import prices
from tollgate.metering.usage import TokenUsage
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
