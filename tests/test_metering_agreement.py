"""The request log and the budget ledger price every request with the same figures: the same override set, the
same service tier, the same estimate when usage is lost, to the micro-dollar."""

from __future__ import annotations

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
