"""Budgets on the real hot path: reserve before the call, settle on every exit, refuse what does not fit."""

from __future__ import annotations

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import EnvironBuilder

from tollgate.budgets import estimate, manage
from tollgate.budgets.ledger import rates_for
from tollgate.budgets.specs import Limits
from tollgate.extensions import db
from tollgate.metering import prices
from tollgate.models import BudgetSpend, RequestLog
from tollgate.services import Services

from .conftest import Mock, Seeded


def chat_body(max_tokens: int | None = 50, stream: bool = False, model: str = "gpt-4o-mini") -> bytes:
    body: dict[str, object] = {"model": model, "messages": [{"role": "user", "content": "hello budget"}]}
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    if stream:
        body["stream"] = True
    return orjson.dumps(body)


def worst_case(raw: bytes, model: str = "gpt-4o-mini") -> int:
    body = orjson.loads(raw)
    rates = rates_for(model, ("openai",), Limits(), prices.requested_tier(body.get("service_tier")))
    assert rates is not None
    return estimate.cost_micros(
        estimate.prompt_tokens_upper(raw), estimate.output_tokens_upper(body, model, "chat"), rates
    )


def add_budget(app: Flask, seeded: Seeded, amount: int, scope: str = "client", hard: bool = True, **kw: object) -> str:
    scope_id = {"client": seeded.client_id, "key": seeded.key_id, "project": seeded.project_id}[scope]
    with app.app_context():
        budget = manage.create_budget(db.session, seeded.workspace_id, scope, scope_id, amount, hard=hard, **kw)  # type: ignore[arg-type]
        db.session.commit()
        return budget.id


def spend(app: Flask, budget_id: str) -> tuple[int, int]:
    with app.app_context():
        rows = db.session.scalars(select(BudgetSpend).where(BudgetSpend.budget_id == budget_id)).all()
        return sum(r.spent_micros for r in rows), sum(r.reserved_micros for r in rows)


def logs(app: Flask, svc: Services) -> list[RequestLog]:
    assert svc.log_writer.flush()
    with app.app_context():
        return list(db.session.scalars(select(RequestLog).order_by(RequestLog.id)))


def post(client: FlaskClient, key: str, raw: bytes, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/v1/chat/completions",
        data=raw,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json", **headers},
    )


@pytest.fixture
def client(app: Flask, seeded: Seeded) -> FlaskClient:
    return app.test_client()


def test_admitted_request_settles_to_its_logged_value(
    app: Flask, svc: Services, seeded: Seeded, client: FlaskClient
) -> None:
    budget = add_budget(app, seeded, 1_000_000)
    resp = post(client, seeded.key, chat_body())
    assert resp.status_code == 200
    [row] = logs(app, svc)
    assert row.value_micros > 0
    assert spend(app, budget) == (row.value_micros, 0)
    assert svc.ledger.open_holds == 0


def test_request_that_does_not_fit_is_refused_naming_the_budget(
    app: Flask, svc: Services, seeded: Seeded, client: FlaskClient, mock_upstream: Mock
) -> None:
    raw = chat_body(max_tokens=1000)
    add_budget(app, seeded, worst_case(raw) - 1, name="Acme monthly")
    resp = post(client, seeded.key, raw)
    assert resp.status_code == 429
    error = resp.get_json()["error"]
    assert error["code"] == "budget_exceeded" and error["type"] == "rate_limit_error"
    assert "Acme monthly" in error["message"] and "resets at" in error["message"]
    assert resp.headers["x-tollgate-budget-reset"].endswith("+00:00")
    assert mock_upstream.state.requests == []  # never forwarded
    [row] = logs(app, svc)
    assert (row.status_code, row.error_code) == (429, "budget_exceeded")


def test_budget_refusal_tells_sdks_not_to_retry(app: Flask, svc: Services, seeded: Seeded, gateway: str) -> None:
    """Retrying a refused budget cannot succeed before the period resets: `x-should-retry: false` stops the
    official SDKs' automatic retries (2 by default), so one call is one refusal, not three."""
    import openai

    add_budget(app, seeded, 1, name="Tiny")
    sdk = openai.OpenAI(base_url=gateway, api_key=seeded.key, timeout=10)  # default max_retries
    with pytest.raises(openai.RateLimitError) as refused:
        sdk.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert refused.value.code == "budget_exceeded"
    assert refused.value.response.headers["x-should-retry"] == "false"
    assert [row.error_code for row in logs(app, svc)] == ["budget_exceeded"]


def test_every_applicable_budget_must_pass(app: Flask, seeded: Seeded, client: FlaskClient) -> None:
    raw = chat_body()
    add_budget(app, seeded, 10 * worst_case(raw), scope="client")
    add_budget(app, seeded, worst_case(raw) - 1, scope="project", name="Triage cap")
    assert post(client, seeded.key, raw).status_code == 200  # the project budget applies only when named
    resp = post(client, seeded.key, raw, **{"X-Project-ID": seeded.project_slug})
    assert resp.status_code == 429 and "Triage cap" in resp.get_json()["error"]["message"]


def test_soft_budget_admits_over_the_cap(app: Flask, svc: Services, seeded: Seeded, client: FlaskClient) -> None:
    budget = add_budget(app, seeded, 1, hard=False)
    assert post(client, seeded.key, chat_body()).status_code == 200
    [row] = logs(app, svc)
    assert spend(app, budget) == (row.value_micros, 0)


def test_upstream_failure_releases_the_reservation(
    app: Flask, seeded: Seeded, client: FlaskClient, mock_upstream: Mock
) -> None:
    budget = add_budget(app, seeded, 1_000_000)
    mock_upstream.state.fail_status = 500
    assert post(client, seeded.key, chat_body()).status_code == 502
    assert spend(app, budget) == (0, 0)


def test_completed_stream_settles_to_real_cost(app: Flask, svc: Services, seeded: Seeded, client: FlaskClient) -> None:
    budget = add_budget(app, seeded, 1_000_000)
    resp = post(client, seeded.key, chat_body(stream=True))
    assert resp.status_code == 200 and b"[DONE]" in resp.get_data()
    [row] = logs(app, svc)
    assert row.value_micros > 0 and spend(app, budget) == (row.value_micros, 0)


def test_client_disconnect_mid_stream_settles_at_the_worst_case(
    app: Flask, svc: Services, seeded: Seeded, client: FlaskClient, mock_upstream: Mock
) -> None:
    budget = add_budget(app, seeded, 1_000_000)
    mock_upstream.state.stream_delay_s = 0.05
    raw = chat_body(max_tokens=200, stream=True)
    resp = client.post(
        "/v1/chat/completions",
        data=raw,
        headers={"Authorization": f"Bearer {seeded.key}", "Content-Type": "application/json"},
        buffered=False,
    )
    chunks = iter(resp.response)
    next(chunks)
    resp.close()  # the client goes away: the stream generator's finally settles
    [row] = logs(app, svc)
    assert row.error_code == "client_disconnected"
    assert spend(app, budget) == (worst_case(raw), 0)
    assert svc.ledger.open_holds == 0


def test_unpriced_model_is_refused_under_a_hard_budget(app: Flask, seeded: Seeded, client: FlaskClient) -> None:
    add_budget(app, seeded, 1_000_000)
    resp = post(client, seeded.key, chat_body(model="acme-private-llm"))
    assert resp.status_code == 403
    error = resp.get_json()["error"]
    assert error["code"] == "model_unpriced" and "acme-private-llm" in error["message"]
    assert "price override" in error["message"]
    assert (
        "POST /api/v1/price-overrides" in error["message"] and "dashboard" not in error["message"]
    )  # only what exists


def test_unpriced_model_under_soft_budget_is_admitted_and_logged_unpriced(
    app: Flask, svc: Services, seeded: Seeded, client: FlaskClient
) -> None:
    add_budget(app, seeded, 1_000_000, hard=False)
    assert post(client, seeded.key, chat_body(model="acme-private-llm")).status_code == 200
    [row] = logs(app, svc)
    assert row.priced is False


def test_price_override_makes_a_custom_model_usable(
    app: Flask, svc: Services, seeded: Seeded, client: FlaskClient
) -> None:
    from tollgate.ids import new_id
    from tollgate.models import PriceOverride

    with app.app_context():
        db.session.add(
            PriceOverride(
                id=new_id("po"),
                workspace_id=seeded.workspace_id,
                model="acme-private-llm",
                input_mtok_micros=1_000_000,
                output_mtok_micros=2_000_000,
            )
        )
        db.session.commit()
    budget = add_budget(app, seeded, 1_000_000)
    assert post(client, seeded.key, chat_body(model="acme-private-llm")).status_code == 200
    [row] = logs(app, svc)
    assert row.priced and row.value_micros > 0
    assert spend(app, budget) == (row.value_micros, 0)  # the ledger and the log price with the same override


def test_stream_closed_before_its_first_byte_still_settles_and_logs(app: Flask, svc: Services, seeded: Seeded) -> None:
    """A WSGI server may close a streaming response without ever iterating it (the client left before the
    first byte): the generator's `finally` never runs, so close() must settle and log."""
    budget = add_budget(app, seeded, 1_000_000)
    raw = chat_body(max_tokens=200, stream=True)
    environ = EnvironBuilder(
        path="/v1/chat/completions",
        method="POST",
        data=raw,
        headers={"Authorization": f"Bearer {seeded.key}", "Content-Type": "application/json"},
    ).get_environ()
    statuses: list[str] = []
    app_iter = app(environ, lambda status, headers, exc_info=None: statuses.append(status))
    assert statuses == ["200 OK"]
    app_iter.close()  # type: ignore[attr-defined]  # never iterated
    [row] = logs(app, svc)
    assert row.error_code == "client_disconnected"
    assert row.lane_id == seeded.lane_id
    assert spend(app, budget) == (worst_case(raw), 0)
    assert svc.ledger.open_holds == 0
