"""Cost per log row is exactly the list-price arithmetic, computed here independently from genai-prices' raw
price fields; actual cost follows the lane's payment kind; a workspace override wins; unknown models are
logged unpriced."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
import requests
from flask import Flask
from genai_prices import data_snapshot

from tollgate import provisioning
from tollgate.extensions import db
from tollgate.ids import new_id
from tollgate.models import PriceOverride, RequestLog
from tollgate.services import Services

from .conftest import MOCK_PROVIDER_KEY, Mock, Seeded
from .log_rows import wait_rows


def _list_prices(model: str) -> tuple[Decimal, Decimal, Decimal]:
    _provider, found = data_snapshot.get_snapshot().find_provider_model(model, None, "openai", None)
    prices: Any = found.prices
    return Decimal(prices.input_mtok), Decimal(prices.cache_read_mtok), Decimal(prices.output_mtok)


def _micros(usd: Decimal) -> int:
    return int((usd * 1_000_000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def expected_usd(model: str, prompt: int, cached: int, completion: int) -> Decimal:
    input_mtok, cache_read_mtok, output_mtok = _list_prices(model)
    return ((prompt - cached) * input_mtok + cached * cache_read_mtok + completion * output_mtok) / Decimal(1_000_000)


def expected_micros(model: str, prompt: int, cached: int, completion: int) -> int:
    return _micros(expected_usd(model, prompt, cached, completion))


def _call(gateway: str, key: str, endpoint: str, model: str, stream: bool = False) -> None:
    if endpoint == "chat":
        path, body = "/chat/completions", {"model": model, "messages": [{"role": "user", "content": "price me"}]}
    else:
        path, body = "/responses", {"model": model, "input": "price me"}
    if stream:
        body["stream"] = True
    resp = requests.post(gateway + path, json=body, headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert resp.status_code == 200, resp.text


def _rows(app: Flask, svc: Services, count: int = 1) -> list[RequestLog]:
    return wait_rows(app, svc, count)


CASES = [
    # model, prompt, cached, completion, reasoning
    ("gpt-4o-mini", 1001, 333, 77, 0),  # 171.375 micro-dollars → 171
    ("gpt-4o-mini", 30, 0, 0, 0),  # 4.5 → 5 (half up; the exact remainder, -0.5, is kept beside it)
    ("gpt-4o-mini", 10, 0, 0, 0),  # 1.5 → 2
    ("o3-mini", 123_457, 100_000, 9_876, 4_321),
    ("o3-mini", 5, 5, 1, 1),
]


ENDPOINTS = [("chat", False), ("chat", True), ("responses", False), ("responses", True)]
# Every case through plain chat, and the first o3-mini case through each endpoint and stream mode.
MATRIX = [(*case, "chat", False) for case in CASES] + [
    (*CASES[3], endpoint, stream) for endpoint, stream in ENDPOINTS[1:]
]


@pytest.mark.parametrize(("model", "prompt", "cached", "completion", "reasoning", "endpoint", "stream"), MATRIX)
def test_value_is_list_price_arithmetic(
    app: Flask,
    svc: Services,
    gateway: str,
    seeded: Seeded,
    mock_upstream: Mock,
    model: str,
    prompt: int,
    cached: int,
    completion: int,
    reasoning: int,
    endpoint: str,
    stream: bool,
) -> None:
    mock_upstream.state.usage = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "cached_tokens": cached,
        "reasoning_tokens": reasoning,
    }
    _call(gateway, seeded.key, endpoint, model, stream)
    [row] = _rows(app, svc)
    assert (row.input_tokens, row.cached_input_tokens, row.output_tokens, row.reasoning_tokens) == (
        prompt,
        cached,
        completion,
        reasoning,
    )
    assert row.priced is True
    assert row.value_micros == expected_micros(model, prompt, cached, completion)
    exact_picos = expected_usd(model, prompt, cached, completion) * 10**12
    assert row.value_micros * 10**6 + row.value_remainder_picos == exact_picos  # nothing lost to rounding
    assert (row.cost_micros, row.cost_remainder_picos) == (row.value_micros, row.value_remainder_picos)  # metered


def test_expected_values_are_not_trivial() -> None:
    """Guards the independent arithmetic above against silently computing zero."""
    assert expected_micros("gpt-4o-mini", 1001, 333, 77) == 171
    assert expected_micros("gpt-4o-mini", 30, 0, 0) == 5
    assert expected_micros("o3-mini", 0, 0, 1_000_000) == 4_400_000


def test_dated_snapshot_is_priced_as_its_family(
    app: Flask, svc: Services, gateway: str, seeded: Seeded, mock_upstream: Mock
) -> None:
    mock_upstream.state.usage = {"prompt_tokens": 1000, "completion_tokens": 1000}
    mock_upstream.state.served_model = "gpt-4o-mini-2024-07-18"
    _call(gateway, seeded.key, "chat", "gpt-4o-mini")
    [row] = _rows(app, svc)
    assert row.model_requested == "gpt-4o-mini" and row.model_served == "gpt-4o-mini-2024-07-18"
    assert row.value_micros == expected_micros("gpt-4o-mini", 1000, 0, 1000) == 750


@pytest.mark.parametrize(("payment", "byok"), [("metered", False), ("flat", False), ("byok", True)])
def test_actual_cost_by_lane_payment(
    app: Flask, svc: Services, gateway: str, seeded: Seeded, mock_upstream: Mock, payment: str, byok: bool
) -> None:
    with app.app_context():
        lane = provisioning.create_lane(
            db.session,
            svc.vault,
            seeded.workspace_id,
            f"{payment} lane",
            mock_upstream.base_url,
            MOCK_PROVIDER_KEY,
            payment=payment,
            owner_client_id=seeded.client_id if byok else None,
        )
        provisioning.append_route(db.session, seeded.workspace_id, lane, client_id=seeded.client_id)
        db.session.commit()
        lane_id = lane.id
    svc.keys.invalidate()
    mock_upstream.state.usage = {"prompt_tokens": 2000, "completion_tokens": 500, "cached_tokens": 1000}
    _call(gateway, seeded.key, "chat", "gpt-4o")
    [row] = _rows(app, svc)
    assert row.lane_id == lane_id
    assert row.value_micros == expected_micros("gpt-4o", 2000, 1000, 500) > 0
    assert row.cost_micros == (row.value_micros if payment == "metered" else 0)


def test_workspace_override_wins(app: Flask, svc: Services, gateway: str, seeded: Seeded, mock_upstream: Mock) -> None:
    with app.app_context():
        db.session.add(
            PriceOverride(
                id=new_id("po"),
                workspace_id=seeded.workspace_id,
                model="gpt-4o-mini",
                input_mtok_micros=2_000_000,
                cached_input_mtok_micros=500_000,
                output_mtok_micros=8_000_000,
            )
        )
        db.session.commit()
    mock_upstream.state.usage = {"prompt_tokens": 3000, "completion_tokens": 250, "cached_tokens": 1000}
    _call(gateway, seeded.key, "chat", "gpt-4o-mini")
    [row] = _rows(app, svc)
    expected = _micros((Decimal(2000) * 2 + Decimal(1000) * Decimal("0.5") + Decimal(250) * 8) / 1_000_000)
    assert row.value_micros == expected == 6500
    assert row.value_micros != expected_micros("gpt-4o-mini", 3000, 1000, 250)
    assert row.priced is True and row.cost_micros == expected


def test_unknown_model_is_unpriced(
    app: Flask, svc: Services, gateway: str, seeded: Seeded, mock_upstream: Mock
) -> None:
    mock_upstream.state.usage = {"prompt_tokens": 100, "completion_tokens": 100}
    _call(gateway, seeded.key, "chat", "acme-private-llm-7b")
    [row] = _rows(app, svc)
    assert row.priced is False
    assert row.value_micros == 0 and row.cost_micros == 0
    assert row.input_tokens == 100
