"""Requests- and tokens-per-minute limits on the hot path, with OpenAI's x-ratelimit-* headers."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask

from tollgate.budgets import manage
from tollgate.extensions import db
from tollgate.services import Services

from .conftest import Mock, Seeded
from .test_budget_gateway import chat_body, post


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock(svc: Services) -> Clock:
    clock = Clock()
    svc.ledger.clock = clock
    return clock


def limit(app: Flask, seeded: Seeded, scope: str, rpm: int | None, tpm: int | None) -> None:
    scope_id = seeded.key_id if scope == "key" else seeded.client_id
    with app.app_context():
        manage.set_rate_limit(db.session, seeded.workspace_id, scope, scope_id, rpm, tpm)
        db.session.commit()


def test_requests_per_minute_headers_then_429_with_retry_after(
    app: Flask, seeded: Seeded, clock: Clock, mock_upstream: Mock
) -> None:
    limit(app, seeded, "key", 3, None)
    client = app.test_client()
    remaining = []
    for _ in range(3):
        resp = post(client, seeded.key, chat_body())
        assert resp.status_code == 200
        assert resp.headers["x-ratelimit-limit-requests"] == "3"
        remaining.append(resp.headers["x-ratelimit-remaining-requests"])
    assert remaining == ["2", "1", "0"]
    assert resp.headers["x-ratelimit-reset-requests"] == "1m0s"
    refused = post(client, seeded.key, chat_body())
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limit_exceeded"
    assert refused.headers["Retry-After"] == "20"
    assert refused.headers["x-ratelimit-remaining-requests"] == "0"
    assert refused.headers["x-ratelimit-reset-requests"] == "1m0s"  # as OpenAI sends on its 429s too
    assert "x-should-retry" not in refused.headers  # waiting Retry-After helps: SDKs may retry
    assert len(mock_upstream.state.requests) == 3
    clock.now += dt.timedelta(seconds=20)
    assert post(client, seeded.key, chat_body()).status_code == 200


def test_client_limit_is_shared_by_its_keys(app: Flask, svc: Services, seeded: Seeded, clock: Clock) -> None:
    limit(app, seeded, "client", 2, None)
    with app.app_context():
        from tollgate import provisioning
        from tollgate.models import Client

        acme = db.session.get(Client, seeded.client_id)
        assert acme is not None
        second = provisioning.issue_sub_key(db.session, svc.hasher, acme, "second key").secret
        db.session.commit()
    client = app.test_client()
    assert post(client, seeded.key, chat_body()).status_code == 200
    assert post(client, second, chat_body()).status_code == 200
    assert post(client, second, chat_body()).status_code == 429
    assert post(client, seeded.other_key, chat_body()).status_code == 200  # another client: its own limits


def test_tokens_per_minute_counts_max_tokens_and_trues_up(app: Flask, seeded: Seeded, clock: Clock) -> None:
    limit(app, seeded, "key", None, 1000)
    client = app.test_client()
    resp = post(client, seeded.key, chat_body(max_tokens=500))
    assert resp.status_code == 200
    assert resp.headers["x-ratelimit-limit-tokens"] == "1000"
    charged = 1000 - int(resp.headers["x-ratelimit-remaining-tokens"])
    assert charged >= 500
    # The mock answered with far fewer than 500 tokens; settling gave the rest back.
    assert post(client, seeded.key, chat_body(max_tokens=900)).status_code == 200
    too_big = post(client, seeded.key, chat_body(max_tokens=5000))
    assert too_big.status_code == 429 and "Retry-After" not in too_big.headers
    assert too_big.headers["x-should-retry"] == "false"  # it never fits: retrying cannot help
    assert "more than the API key limit" in too_big.get_json()["error"]["message"]


def test_no_limits_no_headers(app: Flask, seeded: Seeded) -> None:
    resp = post(app.test_client(), seeded.key, chat_body())
    assert resp.status_code == 200 and "x-ratelimit-limit-requests" not in resp.headers
