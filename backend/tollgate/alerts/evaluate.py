"""One evaluation pass over every workspace: budgets' thresholds and refusals, burn-rate spikes and unpriced
models become alert events (each once, by its dedupe key, whichever process gets there first), and each new
event is queued for delivery to the webhook subscriptions that want it. Runs off the request path (worker.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..budgets.ledger import Ledger
from ..budgets.loader import budget_spec
from ..budgets.periods import Period, window
from ..extensions import DbSession
from ..ids import new_id
from ..metering.prices import exact_micros
from ..models import (
    AlertEvent,
    AlertRule,
    Budget,
    RequestLog,
    UsageEvent,
    WebhookDelivery,
    WebhookSubscription,
    Workspace,
)
from .rules import Fire, RuleSpec, refusal_fire, spike_fires, spike_window, threshold_fires, unpriced_fire


def evaluate(session: Session, ledger: Ledger, now: dt.datetime) -> list[AlertEvent]:
    created: list[AlertEvent] = []
    for workspace in session.scalars(select(Workspace)).all():
        fires = _workspace_fires(session, ledger, workspace, now)
        created += _store(session, workspace.id, fires, now)
    return created


def _workspace_fires(session: Session, ledger: Ledger, workspace: Workspace, now: dt.datetime) -> list[Fire]:
    rules = [
        RuleSpec(r.id, r.kind, r.budget_id, r.threshold_percent, r.spike_window, r.spike_factor_percent)
        for r in session.scalars(
            select(AlertRule).where(AlertRule.workspace_id == workspace.id, AlertRule.enabled.is_(True))
        )
    ]
    budgets = session.scalars(
        select(Budget).where(Budget.workspace_id == workspace.id, Budget.archived_at.is_(None))
    ).all()
    fires: list[Fire] = []
    if budgets:
        client_of = {b.id: b.client_id for b in budgets}
        for status in ledger.statuses([budget_spec(b) for b in budgets], workspace.timezone):
            fires += threshold_fires(rules, status, client_of[status.budget.id])
            refused = refusal_fire(status, client_of[status.budget.id])
            if refused is not None:
                fires.append(refused)
    for rule in (r for r in rules if r.kind == "spike" and r.spike_window):
        fires += _spikes(session, workspace, rule, now)
    fires += _unpriced(session, workspace, now)
    return fires


def _client_spend(session: Session, workspace_id: str, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    """Value per client in [start, end): gateway traffic and ingested usage events alike, exact to the micro-dollar
    (the sub-micro remainders are summed before rounding)."""
    totals: dict[str, tuple[int, int]] = {}
    for table in (RequestLog, UsageEvent):
        rows = session.execute(
            select(
                table.client_id,
                func.coalesce(func.sum(table.value_micros), 0),
                func.coalesce(func.sum(table.value_remainder_picos), 0),
            )
            .where(table.workspace_id == workspace_id, table.created_at >= start, table.created_at < end)
            .group_by(table.client_id)
        ).all()
        for client_id, total, remainder in rows:
            micros, picos = totals.get(client_id, (0, 0))
            totals[client_id] = (micros + int(total), picos + int(remainder))
    return {client_id: exact_micros(micros, picos) for client_id, (micros, picos) in totals.items()}


def _spikes(session: Session, workspace: Workspace, rule: RuleSpec, now: dt.datetime) -> list[Fire]:
    assert rule.spike_window is not None
    win = spike_window(rule.spike_window, now, workspace.timezone)
    current_start = win.end - dt.timedelta(hours=1) if rule.spike_window == "hour" else win.start
    current = _client_spend(session, workspace.id, current_start, win.end)
    trailing = _client_spend(session, workspace.id, win.trailing_start, current_start)
    fires = [spike_fires(rule, client, spend, trailing.get(client, 0), win) for client, spend in current.items()]
    return [f for f in fires if f is not None]


def _unpriced(session: Session, workspace: Workspace, now: dt.datetime) -> list[Fire]:
    today = window(Period.DAILY, now, workspace.timezone)
    model = func.coalesce(RequestLog.model_served, RequestLog.model_requested)
    rows = session.execute(
        select(RequestLog.client_id, model, func.count())
        .where(
            RequestLog.workspace_id == workspace.id,
            RequestLog.priced.is_(False),
            RequestLog.created_at >= today.start,
        )
        .group_by(RequestLog.client_id, model)
    ).all()
    return [
        unpriced_fire(workspace.id, client_id, str(name), int(count), today.key)
        for client_id, name, count in rows
        if name
    ]


def _store(session: Session, workspace_id: str, fires: Sequence[Fire], now: dt.datetime) -> list[AlertEvent]:
    if not fires:
        return []
    keys = [f.dedupe_key for f in fires]
    seen = set(session.scalars(select(AlertEvent.dedupe_key).where(AlertEvent.dedupe_key.in_(keys))))
    created: list[AlertEvent] = []
    for fire in fires:
        if fire.dedupe_key in seen:
            continue
        seen.add(fire.dedupe_key)
        event = AlertEvent(
            id=new_id("evt"),
            workspace_id=workspace_id,
            type=fire.type,
            client_id=fire.client_id,
            budget_id=fire.budget_id,
            rule_id=fire.rule_id,
            dedupe_key=fire.dedupe_key,
            payload=fire.payload,
            created_at=now,
        )
        try:
            with session.begin_nested():
                session.add(event)
        except IntegrityError:  # another process fired it first
            continue
        enqueue(session, event)
        created.append(event)
    session.commit()
    return created


def enqueue(session: DbSession, event: AlertEvent) -> list[WebhookDelivery]:
    """A pending delivery for every live subscription that wants this event type and client."""
    subs = session.scalars(
        select(WebhookSubscription).where(
            WebhookSubscription.workspace_id == event.workspace_id, WebhookSubscription.disabled_at.is_(None)
        )
    ).all()
    queued = []
    for sub in subs:
        if event.type not in sub.event_types:
            continue
        if sub.client_ids is not None and event.client_id not in sub.client_ids:
            continue
        delivery = WebhookDelivery(
            workspace_id=event.workspace_id,
            subscription_id=sub.id,
            event_id=event.id,
            status="pending",
            attempts=0,
            next_attempt_at=event.created_at,
        )
        session.add(delivery)
        queued.append(delivery)
    session.flush()
    return queued
