"""Alerts end to end: threshold and spike rules fire once per period, events are delivered to a real local
HTTP receiver with a verifiable signature, failures are retried with backoff, and deliveries can be resent."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from flask import Flask
from sqlalchemy import select

from tollgate.alerts import signing
from tollgate.alerts.subscriptions import SubscriptionError, create_subscription
from tollgate.alerts.webhooks import resend
from tollgate.budgets.ledger import Ledger
from tollgate.budgets.store import BudgetLine
from tollgate.extensions import db
from tollgate.ids import new_id
from tollgate.models import AlertEvent, AlertRule, RequestLog, WebhookDelivery
from tollgate.services import Services

from .conftest import Seeded, ServedApp
from .test_budget_gateway import add_budget, chat_body, logs, post, worst_case

NOW = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)


@dataclass
class Receiver:
    status: int = 200
    calls: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        with self.lock:
            self.calls.append((headers, body))
        start_response(f"{self.status} X", [("Content-Type", "text/plain")])
        return [b"ok"]


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    target = Receiver()
    served = ServedApp(target)
    yield target, served.url + "/hooks/tollgate"
    served.stop()


@pytest.fixture
def clocked(svc: Services) -> Services:
    svc.ledger.clock = lambda: NOW
    svc.alerts.clock = lambda: NOW
    return svc


def spend(ledger: Ledger, budget_id: str, micros: int) -> None:
    """Record spend in the budget's current period through the ledger store, as settled requests would."""
    [status] = ledger.statuses(_spec(budget_id), "UTC")
    line = BudgetLine(budget_id, status.period.key, 0, None)
    ledger.store.reserve([line], [], 0)
    ledger.store.settle([line], micros, [])


def _spec(budget_id: str) -> list[Any]:
    from tollgate.budgets.loader import budget_spec
    from tollgate.models import Budget

    budget = db.session.get(Budget, budget_id)
    assert budget is not None
    return [budget_spec(budget)]


def subscribe(app: Flask, svc: Services, seeded: Seeded, url: str, types: list[str]) -> str:
    with app.app_context():
        _, secret = create_subscription(db.session, svc.vault, seeded.workspace_id, url, types, allow_private=True)
        db.session.commit()
    return secret


def events(app: Flask) -> list[AlertEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AlertEvent).order_by(AlertEvent.created_at, AlertEvent.type)))


def test_signature_roundtrip_and_replay_window() -> None:
    header = signing.sign("whsec_x", 1_800_000_000, b'{"a":1}')
    assert header.startswith("t=1800000000,v1=")
    assert signing.verify("whsec_x", header, b'{"a":1}', now=1_800_000_100)
    assert not signing.verify("whsec_x", header, b'{"a":2}', now=1_800_000_100)
    assert not signing.verify("whsec_y", header, b'{"a":1}', now=1_800_000_100)
    assert not signing.verify("whsec_x", header, b'{"a":1}', now=1_800_001_000)  # too old: a replay
    assert [signing.backoff_s(n) for n in (1, 2, 3)] == [30, 60, 120] and signing.backoff_s(50) == 6 * 3600


def test_thresholds_fire_once_per_period_and_are_delivered_signed(
    app: Flask, clocked: Services, seeded: Seeded, receiver: tuple[Receiver, str]
) -> None:
    target, url = receiver
    secret = subscribe(app, clocked, seeded, url, ["cap.threshold_reached", "cap.exceeded"])
    budget = add_budget(app, seeded, 10_000_000, period="daily", name="Daily cap")
    with app.app_context():
        spend(clocked.ledger, budget, 8_500_000)
    assert clocked.alerts.run_once() == (2, 2)  # 50% and 80%
    assert clocked.alerts.run_once() == (0, 0)  # once per period per rule
    assert sorted(e.payload["threshold_percent"] for e in events(app)) == [50, 80]
    headers, body = target.calls[0]
    assert signing.verify(secret, headers["tollgate-signature"], body, now=int(NOW.timestamp()))
    message = orjson.loads(body)
    assert message["type"] == "cap.threshold_reached" and message["client_id"] == seeded.client_id
    assert message["data"]["budget_id"] == budget and message["data"]["name"] == "Daily cap"
    # the body signature, for receivers that only see parsed JSON (Make): same secret, same timestamp
    sig = message["signature"]
    assert f"t={sig['t']}," in headers["tollgate-signature"]
    fields = (message["id"], message["type"], message["client_id"], message["created_at"])
    assert signing.sign_fields(secret, signing.field_text(sig["t"], *fields)) == sig["v1"]
    assert signing.sign_fields("whsec_other", signing.field_text(sig["t"], *fields)) != sig["v1"]
    with app.app_context():
        spend(clocked.ledger, budget, 2_000_000)
    assert clocked.alerts.run_once() == (1, 1)
    assert sorted(e.type for e in events(app)) == ["cap.exceeded"] + ["cap.threshold_reached"] * 2


def test_default_and_budget_rule_at_one_percentage_fire_one_event(
    app: Flask, clocked: Services, seeded: Seeded, receiver: tuple[Receiver, str]
) -> None:
    """The workspace default 80 % and the budget's own 80 % rule describe one crossing: one event, naming the
    budget's own rule."""
    target, url = receiver
    subscribe(app, clocked, seeded, url, ["cap.threshold_reached", "cap.exceeded"])
    budget = add_budget(app, seeded, 10_000_000, period="daily")
    with app.app_context():
        own = AlertRule(id=new_id("rule"), workspace_id=seeded.workspace_id, budget_id=budget, kind="threshold")
        own.threshold_percent = 80
        db.session.add(own)
        db.session.commit()
        own_id = own.id
        spend(clocked.ledger, budget, 8_500_000)
    assert clocked.alerts.run_once() == (2, 2)  # 50 % and 80 %, once each
    fired = {e.payload["threshold_percent"]: e for e in events(app)}
    assert sorted(fired) == [50, 80] and fired[80].rule_id == own_id
    assert clocked.alerts.run_once() == (0, 0)
    assert len(target.calls) == 2


def test_first_refusal_under_a_hard_budget_fires_cap_exceeded_once(
    app: Flask, clocked: Services, seeded: Seeded, receiver: tuple[Receiver, str]
) -> None:
    """Spend stops at 95 % (the next call's worst case no longer fits): no threshold reaches 100 %, but the
    client is being refused. The first refusal raises one `cap.exceeded`, however many follow, and only the
    first refusal of the period writes to the ledger store."""
    target, url = receiver
    subscribe(app, clocked, seeded, url, ["cap.exceeded"])
    raw = chat_body(max_tokens=1000)
    budget = add_budget(app, seeded, 10 * worst_case(raw), period="daily", name="Acme daily")
    with app.app_context():
        spend(clocked.ledger, budget, 95 * worst_case(raw) // 10)
    marks: list[str] = []
    mark_refused = clocked.ledger.store.mark_refused
    clocked.ledger.store.mark_refused = lambda line, at: (marks.append(line.budget_id), mark_refused(line, at))[-1]  # type: ignore[method-assign]
    client = app.test_client()
    assert [post(client, seeded.key, raw).status_code for _ in range(3)] == [429] * 3
    assert marks == [budget]
    assert clocked.alerts.run_once() == (3, 1)  # 50 % and 80 % (not subscribed), and the refusal
    assert post(client, seeded.key, raw).status_code == 429
    assert clocked.alerts.run_once() == (0, 0)
    [(headers, body)] = target.calls
    message = orjson.loads(body)
    assert headers["tollgate-event"] == message["type"] == "cap.exceeded"
    assert message["client_id"] == seeded.client_id == message["data"]["client_id"]
    data = message["data"]
    assert (data["budget_id"], data["name"], data["period"]) == (budget, "Acme daily", "daily")
    assert data["trigger"] == "refusal" and data["threshold_percent"] == 100
    assert data["period_start"] == "2026-11-23T00:00:00+00:00" and data["percent_used"] == 95.0
    assert data["refused_at"] == NOW.isoformat() and "refused" in data["summary"]
    assert [row.error_code for row in logs(app, clocked)] == ["budget_exceeded"] * 4


def test_failed_delivery_is_retried_with_backoff_then_resent(
    app: Flask, clocked: Services, seeded: Seeded, receiver: tuple[Receiver, str]
) -> None:
    target, url = receiver
    target.status = 500
    subscribe(app, clocked, seeded, url, ["cap.exceeded"])
    budget = add_budget(app, seeded, 1_000, period="daily")
    with app.app_context():
        spend(clocked.ledger, budget, 1_000)
    assert clocked.alerts.run_once() == (3, 1)  # 50, 80 and 100 %; only cap.exceeded is subscribed
    with app.app_context():
        [delivery] = db.session.scalars(select(WebhookDelivery)).all()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
        assert delivery.next_attempt_at == NOW + dt.timedelta(seconds=30)
    assert clocked.alerts.run_once() == (0, 0)  # not due yet
    target.status = 200
    clocked.alerts.clock = lambda: NOW + dt.timedelta(seconds=31)
    assert clocked.alerts.run_once() == (0, 1)
    with app.app_context():
        delivery = db.session.scalars(select(WebhookDelivery)).one()
        assert (delivery.status, delivery.attempts) == ("delivered", 2)
        again = resend(db.session, delivery, NOW + dt.timedelta(seconds=40))
        db.session.commit()
        assert again.id != delivery.id
    clocked.alerts.clock = lambda: NOW + dt.timedelta(seconds=41)
    assert clocked.alerts.run_once() == (0, 1)
    assert len(target.calls) == 3


def test_spend_spike_against_the_trailing_week(
    app: Flask, clocked: Services, seeded: Seeded, receiver: tuple[Receiver, str]
) -> None:
    target, url = receiver
    subscribe(app, clocked, seeded, url, ["spend.spike"])
    add_budget(app, seeded, 10**12, period="monthly")  # creates the default rules (day ×3, hour ×5)
    with app.app_context():
        for days_ago in range(1, 8):
            _log(seeded, NOW - dt.timedelta(days=days_ago), 100_000)  # $0.10 a day
        _log(seeded, NOW - dt.timedelta(minutes=10), 400_000)  # $0.40 in the last ten minutes
        db.session.commit()
    fired, _ = clocked.alerts.run_once()
    types = [e.type for e in events(app)]
    assert fired == 2 and types == ["spend.spike", "spend.spike"]  # today's and the last hour's
    assert "the 7-day average" in orjson.loads(target.calls[0][1])["data"]["summary"]
    assert clocked.alerts.run_once() == (0, 0)


def test_unpriced_traffic_raises_an_alert(app: Flask, clocked: Services, seeded: Seeded) -> None:
    add_budget(app, seeded, 10**9, hard=False)
    with app.app_context():
        _log(seeded, NOW - dt.timedelta(minutes=5), 0, model="acme-private-llm", priced=False)
        db.session.commit()
    clocked.alerts.run_once()
    [event] = [e for e in events(app) if e.type == "price.unknown"]
    assert event.payload["model"] == "acme-private-llm" and "price override" in event.payload["summary"]
    assert event.client_id == seeded.client_id == event.payload["client_id"]  # client-filtered subscriptions see it


def test_subscription_validation(app: Flask, svc: Services, seeded: Seeded) -> None:
    with app.app_context():
        with pytest.raises(SubscriptionError, match="unknown"):
            create_subscription(db.session, svc.vault, seeded.workspace_id, "https://example.com/h", ["nope"])
        with pytest.raises(SubscriptionError, match="private"):
            create_subscription(db.session, svc.vault, seeded.workspace_id, "http://10.0.0.1/h", ["cap.exceeded"])


def _log(seeded: Seeded, at: dt.datetime, value: int, model: str = "gpt-4o-mini", priced: bool = True) -> None:
    db.session.add(
        RequestLog(
            request_id=new_id("req"),
            created_at=at,
            workspace_id=seeded.workspace_id,
            client_id=seeded.client_id,
            key_id=seeded.key_id,
            endpoint="chat",
            model_requested=model,
            stream=False,
            input_tokens=1,
            cached_input_tokens=0,
            output_tokens=1,
            reasoning_tokens=0,
            value_micros=value,
            cost_micros=value,
            priced=priced,
            status_code=200,
            latency_ms=1,
        )
    )
