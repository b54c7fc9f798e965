"""/alert-rules, /alert-events, /webhook-subscriptions and /webhook-deliveries (with resend).

The n8n trigger node and Make's instant trigger subscribe with POST /webhook-subscriptions when a workflow
is activated and unsubscribe with DELETE when it is deactivated. Payloads and signatures: docs/webhooks.md.
"""

from __future__ import annotations

from typing import Any

from ...alerts import subscriptions
from ...alerts.webhooks import resend
from ...budgets.manage import ensure_default_rules
from ...extensions import db
from ...ids import new_id
from ...models import AlertEvent, AlertRule, Budget, WebhookDelivery, WebhookSubscription
from ...models.base import utcnow
from ...services import services
from ..auth import actor, requires
from ..blueprint import admin_blueprint
from ..changes import changed_fields, commit, record, snapshot
from ..pagination import paginate
from ..problems import abort
from ..schemas.alerts import (
    AlertEventListArgs,
    AlertEventPageSchema,
    AlertRuleListArgs,
    AlertRulePageSchema,
    AlertRuleSchema,
    AlertRuleUpdateSchema,
    WebhookDeliveryListArgs,
    WebhookDeliveryPageSchema,
    WebhookDeliverySchema,
    WebhookSubscriptionCreatedSchema,
    WebhookSubscriptionListArgs,
    WebhookSubscriptionPageSchema,
    WebhookSubscriptionSchema,
)
from ..scope import client_or_404, forced_client_id, get_or_404, scoped

bp = admin_blueprint("alerts", __name__, "Alert rules and events, webhook subscriptions and their deliveries.")
_rule_public = AlertRuleSchema()


@bp.route("/alert-rules", methods=["GET"])
@requires("read")
@bp.arguments(AlertRuleListArgs, location="query")
@bp.response(200, AlertRulePageSchema)
def list_rules(args: dict[str, Any]) -> dict[str, Any]:
    """List alert rules (the workspace defaults — 50/80/100 % and spend spikes — appear with its first budget)."""
    ensure_default_rules(db.session, actor().workspace_id)
    db.session.commit()
    return paginate(scoped(AlertRule), AlertRule, args)


@bp.route("/alert-rules", methods=["POST"])
@requires("write")
@bp.arguments(AlertRuleSchema)
@bp.response(201, AlertRuleSchema)
def create_rule(data: dict[str, Any]) -> AlertRule:
    """Add a threshold rule (percent of a budget) or a spike rule (spend vs the trailing 7-day average)."""
    if data.get("budget_id"):
        get_or_404(Budget, data["budget_id"])
    rule = AlertRule(id=new_id("rule"), workspace_id=actor().workspace_id, **data)
    db.session.add(rule)
    db.session.flush()
    record("alert_rule.create", "alert_rule", rule.id, after=snapshot(_rule_public, rule))
    commit()
    return rule


@bp.route("/alert-rules/<rule_id>", methods=["PATCH"])
@requires("write")
@bp.arguments(AlertRuleUpdateSchema)
@bp.response(200, AlertRuleSchema)
def update_rule(data: dict[str, Any], rule_id: str) -> AlertRule:
    """Change a rule's threshold, factor or window, or switch it off."""
    rule = get_or_404(AlertRule, rule_id)
    before = snapshot(_rule_public, rule)
    for name, value in data.items():
        setattr(rule, name, value)
    record("alert_rule.update", "alert_rule", rule.id, *changed_fields(before, snapshot(_rule_public, rule)))
    commit()
    return rule


@bp.route("/alert-rules/<rule_id>", methods=["DELETE"])
@requires("write")
@bp.response(204)
def delete_rule(rule_id: str) -> None:
    """Remove a rule (events it fired stay)."""
    rule = get_or_404(AlertRule, rule_id)
    record("alert_rule.delete", "alert_rule", rule.id, before=snapshot(_rule_public, rule))
    db.session.delete(rule)
    commit()


@bp.route("/alert-events", methods=["GET"])
@requires("read", client=True)
@bp.arguments(AlertEventListArgs, location="query")
@bp.response(200, AlertEventPageSchema)
def list_events(args: dict[str, Any]) -> dict[str, Any]:
    """List fired alert events, newest first."""
    query = scoped(AlertEvent)
    client_id = forced_client_id(args.get("client_id"))
    if client_id:
        query = query.where(AlertEvent.client_id == client_id)
    for name in ("type", "budget_id"):
        if args.get(name):
            query = query.where(getattr(AlertEvent, name) == args[name])
    return paginate(query, AlertEvent, args)


@bp.route("/webhook-subscriptions", methods=["GET"])
@requires("read")
@bp.arguments(WebhookSubscriptionListArgs, location="query")
@bp.response(200, WebhookSubscriptionPageSchema)
def list_subscriptions(args: dict[str, Any]) -> dict[str, Any]:
    """List webhook subscriptions."""
    return paginate(scoped(WebhookSubscription), WebhookSubscription, args)


@bp.route("/webhook-subscriptions", methods=["POST"])
@requires("write")
@bp.arguments(WebhookSubscriptionSchema)
@bp.response(201, WebhookSubscriptionCreatedSchema)
def create_subscription(data: dict[str, Any]) -> dict[str, Any]:
    """Subscribe a URL to event types, optionally for some clients only. The signing secret is shown once."""
    svc = services()
    for client_id in data.get("client_ids") or ():
        client_or_404(client_id)
    try:
        sub, secret = subscriptions.create_subscription(
            db.session,
            svc.vault,
            actor().workspace_id,
            data["url"],
            data["event_types"],
            data.get("client_ids"),
            data.get("description"),
            allow_private=svc.settings.allow_private_upstreams,
            actor=actor().label,
        )
    except subscriptions.SubscriptionError as exc:
        abort(422, str(exc), {exc.field: [str(exc)]})
    commit()
    return {name: getattr(sub, name) for name in WebhookSubscriptionSchema().fields} | {"secret": secret}


@bp.route("/webhook-subscriptions/<subscription_id>", methods=["GET"])
@requires("read")
@bp.response(200, WebhookSubscriptionSchema)
def get_subscription(subscription_id: str) -> WebhookSubscription:
    """Get one subscription (never its secret)."""
    return get_or_404(WebhookSubscription, subscription_id)


@bp.route("/webhook-subscriptions/<subscription_id>", methods=["DELETE"])
@requires("write")
@bp.response(204)
def delete_subscription(subscription_id: str) -> None:
    """Unsubscribe: no further deliveries (its delivery log goes with it)."""
    subscriptions.delete_subscription(db.session, get_or_404(WebhookSubscription, subscription_id), actor().label)
    commit()


@bp.route("/webhook-deliveries", methods=["GET"])
@requires("read")
@bp.arguments(WebhookDeliveryListArgs, location="query")
@bp.response(200, WebhookDeliveryPageSchema)
def list_deliveries(args: dict[str, Any]) -> dict[str, Any]:
    """The delivery log: every attempt's status, attempts, last response code and error."""
    query = scoped(WebhookDelivery)
    for name in ("subscription_id", "event_id", "status"):
        if args.get(name):
            query = query.where(getattr(WebhookDelivery, name) == args[name])
    return paginate(query, WebhookDelivery, args)


@bp.route("/webhook-deliveries/<delivery_id>/resend", methods=["POST"])
@requires("write")
@bp.response(202, WebhookDeliverySchema)
def resend_delivery(delivery_id: str) -> WebhookDelivery:
    """Send the delivery's event again, now (a new delivery; the log keeps the old one)."""
    if not delivery_id.isdigit():
        abort(404, f"No webhook delivery with id '{delivery_id}' in this workspace.")
    delivery = get_or_404(WebhookDelivery, int(delivery_id))
    again = resend(db.session, delivery, utcnow())
    record("webhook_delivery.resend", "webhook_delivery", str(again.id), after={"of": delivery.id})
    commit()
    return again
