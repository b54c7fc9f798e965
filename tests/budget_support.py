"""Sample rows of the budget and alert resources, for the admin role matrix (own and foreign workspace)."""

from __future__ import annotations

from flask import Flask

from tollgate.alerts.subscriptions import create_subscription
from tollgate.budgets import manage
from tollgate.extensions import db
from tollgate.ids import new_id
from tollgate.models import AlertEvent, AlertRule, WebhookDelivery
from tollgate.services import Services


def budget_sample_ids(app: Flask, svc: Services, workspace_id: str, client_id: str) -> dict[str, str]:
    """budget_id, rate_limit_id, rule_id, subscription_id and delivery_id of fresh rows in `workspace_id`."""
    with app.app_context():
        session = db.session
        budget = manage.create_budget(session, workspace_id, "client", client_id, 1_000_000)
        limit = manage.set_rate_limit(session, workspace_id, "client", client_id, 1000, None)
        rule = session.query(AlertRule).filter(AlertRule.workspace_id == workspace_id).first()
        assert rule is not None
        sub, _ = create_subscription(
            session, svc.vault, workspace_id, "https://hooks.example.com/t", ["cap.exceeded"], allow_private=True
        )
        event = AlertEvent(
            id=new_id("evt"),
            workspace_id=workspace_id,
            type="cap.exceeded",
            client_id=client_id,
            dedupe_key=new_id("dd"),
            payload={},
        )
        session.add(event)
        session.flush()
        delivery = WebhookDelivery(
            workspace_id=workspace_id, subscription_id=sub.id, event_id=event.id, status="failed", attempts=8
        )
        session.add(delivery)
        session.commit()
        return {
            "budget_id": budget.id,
            "rate_limit_id": limit.id,
            "rule_id": rule.id,
            "subscription_id": sub.id,
            "delivery_id": str(delivery.id),
        }
