"""Admin API for budgets, rate limits, cap status, alert rules and events, webhook subscriptions and deliveries."""

from __future__ import annotations

from flask import Flask

from tests.admin_support import PROBLEM, AdminClient, as_role, foreign, owner  # noqa: F401 - fixtures
from tests.conftest import Seeded
from tollgate.extensions import db
from tollgate.models import AuditEvent, WebhookDelivery
from tollgate.services import Services

from .test_budget_gateway import chat_body, post


def test_budget_crud_takes_effect_on_the_gateway(app: Flask, seeded: Seeded, owner: AdminClient) -> None:  # noqa: F811
    created = owner.post(
        "budgets",
        json={"scope": "client", "scope_id": seeded.client_id, "amount_micros": 1, "period": "daily", "name": "Tiny"},
    )
    assert created.status_code == 201, created.get_json()
    budget = created.get_json()
    assert (budget["client_id"], budget["amount_usd"], budget["hard"]) == (seeded.client_id, "0.000001", True)
    gateway = app.test_client()
    refused = post(gateway, seeded.key, chat_body())
    assert refused.status_code == 429 and "Tiny" in refused.get_json()["error"]["message"]
    patched = owner.patch(f"budgets/{budget['id']}", json={"amount_micros": 50_000_000})
    assert patched.status_code == 200 and patched.get_json()["amount_micros"] == 50_000_000
    assert post(gateway, seeded.key, chat_body()).status_code == 200  # the key cache was invalidated
    listed = owner.get("budgets", query_string={"client_id": seeded.client_id}).get_json()
    assert [b["id"] for b in listed["data"]] == [budget["id"]]
    assert owner.delete(f"budgets/{budget['id']}").status_code == 204
    assert owner.get(f"budgets/{budget['id']}").get_json()["id"] == budget["id"]  # archived, still readable
    assert owner.get("budgets").get_json()["data"] == []
    with app.app_context():
        actions = {a.action for a in db.session.query(AuditEvent).filter(AuditEvent.target_type == "budget")}
    assert actions == {"budget.create", "budget.update", "budget.archive"}


def test_budget_validation_is_problem_json(seeded: Seeded, owner: AdminClient, foreign: object) -> None:  # noqa: F811
    bad = owner.post("budgets", json={"scope": "client", "scope_id": seeded.client_id, "amount_micros": -5})
    assert bad.status_code == 422 and bad.mimetype == PROBLEM
    other = owner.post(
        "budgets",
        json={"scope": "client", "scope_id": foreign.client_id, "amount_micros": 5},  # type: ignore[attr-defined]
    )
    assert other.status_code == 404 and "No client" in other.get_json()["detail"]  # another workspace's id


def test_cap_status_per_client_project_and_key(app: Flask, svc: Services, seeded: Seeded, owner: AdminClient) -> None:  # noqa: F811
    owner.post("budgets", json={"scope": "client", "scope_id": seeded.client_id, "amount_micros": 10_000_000})
    owner.post("budgets", json={"scope": "project", "scope_id": seeded.project_id, "amount_micros": 5_000_000})
    gateway = app.test_client()
    assert post(gateway, seeded.key, chat_body(), **{"X-Project-ID": seeded.project_slug}).status_code == 200
    assert svc.log_writer.flush()
    status = owner.get(f"clients/{seeded.client_id}/cap-status").get_json()
    assert status["scope"] == "client" and status["state"] == "ok"
    [budget] = status["budgets"]
    assert budget["spent_micros"] > 0 and budget["reserved_micros"] == 0
    assert "% of monthly budget (" in budget["summary"] and budget["summary"].endswith("of $10.00)")
    project = owner.get(f"projects/{seeded.project_id}/cap-status").get_json()
    assert project["budgets"][0]["spent_micros"] == budget["spent_micros"]
    assert owner.get(f"sub-keys/{seeded.key_id}/cap-status").get_json()["budgets"] == []
    client_token = as_role(app, svc, seeded, "client")
    assert client_token.get(f"clients/{seeded.client_id}/cap-status").status_code == 200
    assert client_token.get(f"clients/{seeded.other_client_id}/cap-status").status_code == 404


def test_rate_limit_put_and_delete(app: Flask, seeded: Seeded, owner: AdminClient) -> None:  # noqa: F811
    put = owner.put("rate-limits", json={"scope": "key", "scope_id": seeded.key_id, "requests_per_min": 1})
    assert put.status_code == 200, put.get_json()
    gateway = app.test_client()
    assert post(gateway, seeded.key, chat_body()).headers["x-ratelimit-limit-requests"] == "1"
    again = owner.put("rate-limits", json={"scope": "key", "scope_id": seeded.key_id, "requests_per_min": 5})
    assert again.get_json()["id"] == put.get_json()["id"]  # one limit per scope
    assert owner.delete(f"rate-limits/{put.get_json()['id']}").status_code == 204
    assert "x-ratelimit-limit-requests" not in post(gateway, seeded.key, chat_body()).headers


def test_rules_events_subscriptions_and_resend(app: Flask, svc: Services, seeded: Seeded, owner: AdminClient) -> None:  # noqa: F811
    rules = owner.get("alert-rules").get_json()["data"]
    assert sorted(r["threshold_percent"] for r in rules if r["kind"] == "threshold") == [50, 80, 100]
    custom = owner.post("alert-rules", json={"kind": "threshold", "threshold_percent": 90})
    assert custom.status_code == 201
    assert owner.post("alert-rules", json={"kind": "spike"}).status_code == 422
    assert owner.patch(f"alert-rules/{custom.get_json()['id']}", json={"enabled": False}).get_json()["enabled"] is False
    sub = owner.post(
        "webhook-subscriptions",
        json={"url": "http://127.0.0.1:9/hook", "event_types": ["cap.exceeded"], "client_ids": [seeded.client_id]},
    )
    assert sub.status_code == 201, sub.get_json()
    assert sub.get_json()["secret"].startswith("whsec_")
    assert "secret" not in owner.get(f"webhook-subscriptions/{sub.get_json()['id']}").get_json()
    owner.post("budgets", json={"scope": "client", "scope_id": seeded.client_id, "amount_micros": 1, "hard": False})
    assert post(app.test_client(), seeded.key, chat_body()).status_code == 200
    assert svc.log_writer.flush()
    svc.alerts.post = lambda url, body, headers: 503
    svc.alerts.run_once()
    events = owner.get("alert-events", query_string={"type": "cap.exceeded"}).get_json()["data"]
    assert len(events) == 1 and events[0]["client_id"] == seeded.client_id
    [delivery] = owner.get("webhook-deliveries").get_json()["data"]
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == ("pending", 1, 503)
    resent = owner.post(f"webhook-deliveries/{delivery['id']}/resend")
    assert resent.status_code == 202 and resent.get_json()["id"] != delivery["id"]
    with app.app_context():
        assert db.session.query(WebhookDelivery).count() == 2
    assert owner.delete(f"webhook-subscriptions/{sub.get_json()['id']}").status_code == 204
    assert owner.get("webhook-deliveries").get_json()["data"] == []
    assert owner.post("webhook-deliveries/abc/resend").status_code == 404


def test_price_override_changes_apply_to_the_next_admission(app: Flask, seeded: Seeded, owner: AdminClient) -> None:  # noqa: F811
    """Overrides are cached with the key: create, update and delete must each invalidate that cache."""
    owner.post("budgets", json={"scope": "client", "scope_id": seeded.client_id, "amount_micros": 1_000_000})
    gateway = app.test_client()
    raw = chat_body(model="acme-llm")
    unpriced = post(gateway, seeded.key, raw)  # also caches the key's limits, without an override
    assert unpriced.status_code == 403 and unpriced.get_json()["error"]["code"] == "model_unpriced"
    body = {"model": "acme-llm", "input_mtok_micros": 1_000_000, "output_mtok_micros": 1_000_000}
    created = owner.post("price-overrides", json=body)
    assert created.status_code == 201
    assert post(gateway, seeded.key, raw).status_code == 200
    override_id = created.get_json()["id"]
    assert owner.patch(f"price-overrides/{override_id}", json={"output_mtok_micros": 10**12}).status_code == 200
    refused = post(gateway, seeded.key, raw)  # 50 output tokens now cost up to $50, over the $1 budget
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "budget_exceeded"
    assert owner.delete(f"price-overrides/{override_id}").status_code == 204
    assert post(gateway, seeded.key, raw).status_code == 403
