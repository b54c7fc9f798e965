"""Alert rules, webhook subscriptions (the signing secret shown once), their delivery log and resend."""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for
from werkzeug.wrappers import Response

from ..models.alert import EVENT_TYPES, RULE_KINDS
from .pages import api, back, bp, change


@bp.route("/alerts")
def alerts() -> str:
    calls = api()
    return render_template(
        "dashboard/alerts.html",
        rules=calls.all("/alert-rules", limit=100),
        events=calls.get("/alert-events", limit=20)["data"],
        subscriptions=calls.all("/webhook-subscriptions", limit=100),
        deliveries=calls.get("/webhook-deliveries", limit=30)["data"],
        kinds=RULE_KINDS,
        event_types=EVENT_TYPES,
    )


@bp.route("/alert-rules", methods=["POST"])
def create_rule() -> Response:
    form = request.form
    body: dict[str, Any] = {"kind": form.get("kind", "threshold")}
    for name in ("threshold_percent", "spike_factor_percent"):
        if form.get(name):
            body[name] = int(form[name]) if form[name].isdigit() else form[name]
    if form.get("spike_window"):
        body["spike_window"] = form["spike_window"]
    change(api().call("POST", "/alert-rules", json=body), "Alert rule added.")
    return back(url_for("dashboard.alerts"))


@bp.route("/alert-rules/<rule_id>/delete", methods=["POST"])
def delete_rule(rule_id: str) -> Response:
    change(api().call("DELETE", f"/alert-rules/{rule_id}"), "Alert rule removed.")
    return back(url_for("dashboard.alerts"))


@bp.route("/webhooks", methods=["POST"])
def create_webhook() -> Any:
    body = {"url": request.form.get("url", ""), "event_types": request.form.getlist("event_types")}
    answer = api().call("POST", "/webhook-subscriptions", json=body)
    if not change(answer, "Webhook added. Copy its signing secret now: it is not shown again."):
        return back(url_for("dashboard.alerts"))
    shown = answer.body | {"name": answer.body["url"]}
    return render_template("dashboard/secret.html", key=shown, back=url_for("dashboard.alerts"))


@bp.route("/webhooks/<subscription_id>/delete", methods=["POST"])
def delete_webhook(subscription_id: str) -> Response:
    change(api().call("DELETE", f"/webhook-subscriptions/{subscription_id}"), "Webhook removed.")
    return back(url_for("dashboard.alerts"))


@bp.route("/webhook-deliveries/<int:delivery_id>/resend", methods=["POST"])
def resend_delivery(delivery_id: int) -> Response:
    change(api().call("POST", f"/webhook-deliveries/{delivery_id}/resend"), "Delivery queued again.")
    return back(url_for("dashboard.alerts"))
