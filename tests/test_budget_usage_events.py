"""Usage ingested through POST /api/v1/usage-events counts wherever spend does: budget spend (so admission and
cap status), threshold alerts and spike alerts. A resent event is charged once; budgets on a sub-key do not
apply to events (they name no key)."""

from __future__ import annotations

import datetime as dt

import orjson
from flask import Flask

from tests.admin_support import AdminClient, owner
from tollgate.extensions import db
from tollgate.services import Services

from .conftest import Seeded
from .test_alerts_webhooks import NOW, Receiver, _log, clocked, events, receiver, subscribe
from .test_budget_gateway import add_budget, chat_body, post, spend

__all__ = ["clocked", "owner", "receiver"]

MODEL = "acme-llm"  # priced by an override at $1 per million input tokens: tokens = micro-dollars


def _ingest(owner: AdminClient, svc: Services, *events: dict[str, object]) -> None:
    response = owner.post("usage-events", json={"events": list(events)})
    assert response.status_code == 202, response.get_json()
    assert svc.usage_writer.flush()


def _event(event_id: str, micros: int, at: dt.datetime = NOW, **extra: object) -> dict[str, object]:
    return {"event_id": event_id, "timestamp": at.isoformat(), "model": MODEL, "input_tokens": micros} | extra


def _priced(owner: AdminClient) -> None:
    override = {"model": MODEL, "input_mtok_micros": 1_000_000, "output_mtok_micros": 0}
    assert owner.post("price-overrides", json=override).status_code == 201


def test_ingested_usage_is_budget_spend_once_per_event(
    app: Flask, clocked: Services, seeded: Seeded, owner: AdminClient
) -> None:
    _priced(owner)
    client_budget = add_budget(app, seeded, 10_000_000, period="daily")
    project_budget = add_budget(app, seeded, 10_000_000, scope="project", period="daily")
    key_budget = add_budget(app, seeded, 10_000_000, scope="key", period="daily")
    monthly = add_budget(app, seeded, 10_000_000, period="monthly")
    yesterday = NOW - dt.timedelta(days=1)
    _ingest(
        owner,
        clocked,
        _event("e1", 2_000_000, client=seeded.client_id),
        _event("e2", 1_000_000, client=seeded.client_id, project=seeded.project_slug),
        _event("e3", 500_000, at=yesterday, client=seeded.client_id),  # yesterday's period of the daily budgets
    )
    _ingest(owner, clocked, _event("e1", 2_000_000, client=seeded.client_id))  # a resend: not charged again
    assert spend(app, client_budget) == (3_500_000, 0)  # both days' rows
    assert spend(app, project_budget) == (1_000_000, 0)
    assert spend(app, key_budget) == (0, 0)
    assert spend(app, monthly) == (3_500_000, 0)
    status = owner.get(f"clients/{seeded.client_id}/cap-status").get_json()
    daily = next(b for b in status["budgets"] if b["budget_id"] == client_budget)
    assert daily["spent_micros"] == 3_000_000  # today's period only


def test_a_hard_budget_filled_by_ingested_usage_refuses_gateway_calls(
    app: Flask, clocked: Services, seeded: Seeded, owner: AdminClient
) -> None:
    _priced(owner)
    add_budget(app, seeded, 1_000_000, period="daily")
    gateway = app.test_client()
    assert post(gateway, seeded.key, chat_body()).status_code == 200
    _ingest(owner, clocked, _event("big", 999_999, client=seeded.client_id))
    refused = post(gateway, seeded.key, chat_body())
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "budget_exceeded"


def test_threshold_alerts_driven_by_ingested_usage(
    app: Flask, clocked: Services, seeded: Seeded, owner: AdminClient, receiver: tuple[Receiver, str]
) -> None:
    target, url = receiver
    _priced(owner)
    subscribe(app, clocked, seeded, url, ["cap.threshold_reached", "cap.exceeded"])
    budget = add_budget(app, seeded, 10_000_000, period="daily", hard=False)
    _ingest(owner, clocked, _event("n8n-run-1", 8_500_000, client=seeded.client_id))
    assert clocked.alerts.run_once() == (2, 2)  # 50 % and 80 %
    _ingest(owner, clocked, _event("n8n-run-2", 2_000_000, client=seeded.client_id))
    assert clocked.alerts.run_once() == (1, 1)
    kinds = sorted((e.type, e.payload["threshold_percent"]) for e in events(app))
    assert kinds == [("cap.exceeded", 100), ("cap.threshold_reached", 50), ("cap.threshold_reached", 80)]
    last = orjson.loads(target.calls[-1][1])["data"]
    assert last["budget_id"] == budget and last["spent_micros"] == 10_500_000


def test_spike_alerts_count_ingested_usage(
    app: Flask, clocked: Services, seeded: Seeded, owner: AdminClient, receiver: tuple[Receiver, str]
) -> None:
    """A week of gateway traffic at $0.10 a day, then $0.40 reported through usage events in the last ten
    minutes: today's and the last hour's spend spike, though the gateway saw nothing today."""
    target, url = receiver
    _priced(owner)
    subscribe(app, clocked, seeded, url, ["spend.spike"])
    add_budget(app, seeded, 10**12, period="monthly")  # creates the default rules (day ×3, hour ×5)
    with app.app_context():
        for days_ago in range(1, 8):
            _log(seeded, NOW - dt.timedelta(days=days_ago), 100_000)
        db.session.commit()
    assert clocked.alerts.run_once() == (0, 0)
    _ingest(owner, clocked, _event("burst", 400_000, at=NOW - dt.timedelta(minutes=10), client=seeded.client_id))
    assert clocked.alerts.run_once() == (2, 2)  # today's and the last hour's
    assert [e.type for e in events(app)] == ["spend.spike", "spend.spike"]
    assert {orjson.loads(body)["data"]["spend_micros"] for _, body in target.calls} == {400_000}
