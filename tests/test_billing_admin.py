"""Billing plans and invoice drafts through the admin API: plan history per month, invoices made from the
request logs to the cent, numbering, `invoice.ready` deliveries, QuickBooks/Xero/JSON exports, and scoping."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

from flask import Flask
from sqlalchemy import select

from tests.admin_support import AdminClient, Foreign, as_role, foreign, owner
from tests.conftest import Seeded
from tollgate import provisioning
from tollgate.alerts.subscriptions import create_subscription
from tollgate.billing.exports import QUICKBOOKS_COLUMNS, XERO_COLUMNS
from tollgate.extensions import db
from tollgate.models import AlertEvent, AuditEvent, Client, RequestLog, WebhookDelivery, Workspace
from tollgate.services import Services

__all__ = ["foreign", "owner"]

UTC = dt.UTC


def _log(app: Flask, ws: str, client_id: str, project_id: str | None, cost_micros: int, at: dt.datetime) -> None:
    with app.app_context():
        db.session.add(
            RequestLog(
                request_id=f"req-{uuid.uuid4().hex}",
                created_at=at,
                workspace_id=ws,
                client_id=client_id,
                project_id=project_id,
                key_id="key_x",
                provider="openai",
                lane_id="lane_x",
                endpoint="chat",
                model_requested="gpt-4o-mini",
                model_served="gpt-4o-mini",
                input_tokens=600,
                output_tokens=400,
                value_micros=cost_micros * 2,
                cost_micros=cost_micros,
                status_code=200,
                latency_ms=10,
            )
        )
        db.session.commit()


def _may_2026(app: Flask, seeded: Seeded) -> None:
    """Acme's May 2026 in New York: three projects, $12.34 + $8.76 + $4.21, with rows on both sides of the
    month's local boundaries (UTC-4 in May and June) that must not count."""
    with app.app_context():
        workspace = db.session.get(Workspace, seeded.workspace_id)
        assert workspace is not None
        workspace.timezone = "America/New_York"
        acme = db.session.get(Client, seeded.client_id)
        assert acme is not None
        projects = {
            slug: provisioning.create_project(db.session, acme, slug, slug).id
            for slug in ("support-chatbot", "content-generator", "lead-qualification")
        }
        db.session.commit()
    ws, acme_id = seeded.workspace_id, seeded.client_id
    _log(app, ws, acme_id, projects["support-chatbot"], 12_000_000, dt.datetime(2026, 5, 1, 4, 0, tzinfo=UTC))
    _log(app, ws, acme_id, projects["support-chatbot"], 340_000, dt.datetime(2026, 6, 1, 3, 59, tzinfo=UTC))
    _log(app, ws, acme_id, projects["content-generator"], 8_764_999, dt.datetime(2026, 5, 15, tzinfo=UTC))
    _log(app, ws, acme_id, projects["lead-qualification"], 4_205_000, dt.datetime(2026, 5, 20, tzinfo=UTC))
    # 23:59 on April 30 and 00:00 on June 1 in New York: other months.
    _log(app, ws, acme_id, projects["support-chatbot"], 99_000_000, dt.datetime(2026, 5, 1, 3, 59, tzinfo=UTC))
    _log(app, ws, acme_id, projects["support-chatbot"], 99_000_000, dt.datetime(2026, 6, 1, 4, 0, tzinfo=UTC))
    # Another client's traffic in the same month.
    _log(app, ws, seeded.other_client_id, None, 50_000_000, dt.datetime(2026, 5, 10, tzinfo=UTC))


def _put_plan(owner: AdminClient, client_id: str, **body: object) -> dict[str, object]:
    response = owner.put(f"clients/{client_id}/billing-plan", json=body)
    assert response.status_code == 200, response.get_json()
    found: dict[str, object] = response.get_json()
    return found


def test_plan_history_applies_per_month(app: Flask, seeded: Seeded, owner: AdminClient) -> None:
    acme = seeded.client_id
    plan = _put_plan(owner, acme, effective_month="2026-05", kind="cost_plus", markup_percent="30")
    assert plan["treatment"] == "cost plus 30%"
    assert plan["markup_percent"] == "30.00"
    growth = _put_plan(owner, acme, effective_month="2026-08", kind="retainer", preset="growth")
    assert (growth["monthly_fee_micros"], growth["included_tokens"]) == (1_200_000_000, 5_000_000)
    assert (growth["overage_per_mtok_usd"], growth["label"]) == ("60.000000", "Growth retainer")
    assert growth["treatment"] == "included in retainer"

    def in_effect(month: str) -> object:
        response = owner.get(f"clients/{acme}/billing-plan?month={month}")
        return response.get_json()["kind"] if response.status_code == 200 else response.status_code

    assert [in_effect(m) for m in ("2026-04", "2026-05", "2026-07", "2026-08", "2027-01")] == [
        404,
        "cost_plus",
        "cost_plus",
        "retainer",
        "retainer",
    ]
    # Setting May again replaces May's row; the history keeps one row per month a plan took effect.
    _put_plan(owner, acme, effective_month="2026-05", kind="pass_through")
    history = owner.get(f"clients/{acme}/billing-plans").get_json()["data"]
    assert [(p["effective_month"], p["kind"]) for p in history] == [
        ("2026-08", "retainer"),
        ("2026-05", "pass_through"),
    ]
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.target_type == "billing_plan")).all()
    assert actions == ["billing_plan.set"] * 3


def test_incomplete_or_invalid_plans_are_422(seeded: Seeded, owner: AdminClient) -> None:
    path = f"clients/{seeded.client_id}/billing-plan"
    cases = [
        ({"kind": "cost_plus"}, "markup_percent"),
        ({"kind": "retainer", "monthly_fee_micros": 500_000_000}, "included_tokens"),
        ({"kind": "byok", "monthly_fee_micros": 1}, "monthly_fee_micros"),  # not whole cents
        ({"kind": "fixed", "preset": "pro"}, "preset"),
        ({"kind": "retainer", "preset": "huge"}, "preset"),
        ({"kind": "pass_through", "effective_month": "2026-13"}, "effective_month"),
    ]
    for body, field in cases:
        response = owner.put(path, json=body)
        assert response.status_code == 422, body
        assert field in response.get_json()["errors"], response.get_json()


def test_invoice_from_the_logs_to_the_cent(app: Flask, svc: Services, seeded: Seeded, owner: AdminClient) -> None:
    _may_2026(app, seeded)
    with app.app_context():
        create_subscription(
            db.session, svc.vault, seeded.workspace_id, "https://hooks.example.com/x", ["invoice.ready"]
        )
        db.session.commit()
    _put_plan(owner, seeded.client_id, effective_month="2026-01", kind="cost_plus", markup_percent="30")
    response = owner.post("invoices", json={"client_id": seeded.client_id, "month": "2026-05"})
    assert response.status_code == 201, response.get_json()
    invoice = response.get_json()
    assert response.headers["Location"] == f"/api/v1/invoices/{invoice['id']}"
    assert [(line["description"].split(":")[0], line["amount"]) for line in invoice["lines"]] == [
        ("content-generator", "8.76"),
        ("lead-qualification", "4.21"),
        ("support-chatbot", "12.34"),
        ("Markup 30% on $25.31", "7.59"),
    ]
    assert (invoice["usage_subtotal_usd"], invoice["total_usd"], invoice["total_micros"]) == (
        "25.31",
        "32.90",
        32_900_000,
    )
    assert (invoice["number"], invoice["status"], invoice["client_name"]) == ("202605-001", "draft", "Acme Co")
    assert (invoice["invoice_date"], invoice["due_date"]) == ("2026-06-01", "2026-07-01")
    assert invoice["tokens"] == 4000
    assert invoice["plan"]["treatment"] == "cost plus 30%"

    # Made again after a late row: same invoice and number, current figures, a second event.
    _log(app, seeded.workspace_id, seeded.client_id, None, 1_000_000, dt.datetime(2026, 5, 31, tzinfo=UTC))
    again = owner.post("invoices", json={"client_id": seeded.client_id, "month": "2026-05"}).get_json()
    assert (again["id"], again["number"], again["total_usd"]) == (invoice["id"], "202605-001", "34.20")
    assert again["lines"][3]["description"].startswith("Other usage (no project)")

    _put_plan(owner, seeded.other_client_id, effective_month="2026-05", kind="pass_through")
    globex = owner.post("invoices", json={"client_id": seeded.other_client_id, "month": "2026-05"}).get_json()
    assert (globex["number"], globex["total_usd"]) == ("202605-002", "50.00")

    with app.app_context():
        events = db.session.scalars(select(AlertEvent).where(AlertEvent.type == "invoice.ready")).all()
        deliveries = db.session.scalars(select(WebhookDelivery)).all()
    assert len(events) == 3 and len(deliveries) == 3
    assert events[0].payload["number"] == "202605-001" and events[0].client_id == seeded.client_id
    listed = owner.get("invoices?month=2026-05&sort=number").get_json()["data"]
    assert [i["number"] for i in listed] == ["202605-001", "202605-002"]


def test_retainer_overage_invoice(app: Flask, seeded: Seeded, owner: AdminClient) -> None:
    _put_plan(owner, seeded.client_id, effective_month="2026-05", kind="retainer", preset="starter")
    with app.app_context():
        db.session.execute(
            RequestLog.__table__.insert(),
            [
                {
                    "request_id": f"req-{uuid.uuid4().hex}",
                    "created_at": dt.datetime(2026, 5, 2, tzinfo=UTC),
                    "workspace_id": seeded.workspace_id,
                    "client_id": seeded.client_id,
                    "project_id": seeded.project_id,
                    "key_id": "key_x",
                    "endpoint": "chat",
                    "input_tokens": 1_500_000,
                    "output_tokens": 1_000_000,
                    "value_micros": 1,
                    "cost_micros": 1,
                    "status_code": 200,
                    "latency_ms": 1,
                }
            ],
        )
        db.session.commit()
    invoice = owner.post("invoices", json={"client_id": seeded.client_id, "month": "2026-05"}).get_json()
    assert [line["amount"] for line in invoice["lines"]] == ["500.00", "0.00", "30.00"]
    assert invoice["lines"][2]["description"] == (
        "Overage: 500,000 tokens over 2,000,000 included, at $60.00 per 1M tokens"
    )
    assert (invoice["total_usd"], invoice["overage_tokens"]) == ("530.00", 500_000)


def test_exports_import_as_is(app: Flask, seeded: Seeded, owner: AdminClient) -> None:
    _may_2026(app, seeded)
    _put_plan(owner, seeded.client_id, effective_month="2026-05", kind="cost_plus", markup_percent="30")
    invoice = owner.post("invoices", json={"client_id": seeded.client_id, "month": "2026-05"}).get_json()

    qb = owner.get(f"invoices/{invoice['id']}/export?format=quickbooks")
    assert qb.status_code == 200 and qb.mimetype == "text/csv"
    assert 'filename="invoice-202605-001-quickbooks.csv"' in qb.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(qb.get_data(as_text=True))))
    assert rows[0] == list(QUICKBOOKS_COLUMNS)
    assert {tuple(r[:4]) for r in rows[1:]} == {("202605-001", "Acme Co", "06/01/2026", "07/01/2026")}
    assert [r[10] for r in rows[1:]] == ["8.76", "4.21", "12.34", "7.59"]

    xero = owner.get(f"invoices/{invoice['id']}/export?format=xero&account_code=4000&tax_type=No%20VAT")
    rows = list(csv.reader(io.StringIO(xero.get_data(as_text=True))))
    assert rows[0] == list(XERO_COLUMNS)
    first = dict(zip(rows[0], rows[1], strict=True))
    assert (first["*InvoiceDate"], first["*AccountCode"], first["*TaxType"]) == ("01/06/2026", "4000", "No VAT")
    assert [r[rows[0].index("*UnitAmount")] for r in rows[1:]] == ["8.76", "4.21", "12.34", "7.59"]

    as_json = owner.get(f"invoices/{invoice['id']}/export?format=json")
    assert as_json.mimetype == "application/json"
    assert as_json.get_json()["total_usd"] == "32.90"
    assert owner.get(f"invoices/{invoice['id']}/export?format=pdf").status_code == 422


def test_preview_and_missing_plan(app: Flask, seeded: Seeded, owner: AdminClient) -> None:
    _may_2026(app, seeded)
    missing = owner.post("invoices", json={"client_id": seeded.client_id, "month": "2026-05"})
    assert missing.status_code == 409
    assert owner.get(f"clients/{seeded.client_id}/invoices/2026-05").status_code == 404
    _put_plan(owner, seeded.client_id, effective_month="2026-05", kind="pass_through")
    preview = owner.get(f"clients/{seeded.client_id}/invoices/2026-05").get_json()
    assert (preview["status"], preview["id"], preview["number"], preview["total_usd"]) == (
        "preview",
        None,
        None,
        "25.31",
    )
    assert owner.get(f"clients/{seeded.client_id}/invoices/2026-5x").status_code == 404
    made = owner.post("invoices", json={"client_id": seeded.client_id, "month": "2026-05"}).get_json()
    assert owner.get(f"clients/{seeded.client_id}/invoices/2026-05").get_json()["id"] == made["id"]


def test_client_tokens_and_other_workspaces_see_only_their_own(
    app: Flask, svc: Services, seeded: Seeded, owner: AdminClient, foreign: Foreign
) -> None:
    _may_2026(app, seeded)
    for client_id in (seeded.client_id, seeded.other_client_id):
        _put_plan(owner, client_id, effective_month="2026-05", kind="pass_through")
    mine = owner.post("invoices", json={"client_id": seeded.client_id, "month": "2026-05"}).get_json()
    theirs = owner.post("invoices", json={"client_id": seeded.other_client_id, "month": "2026-05"}).get_json()

    acme = as_role(app, svc, seeded, "client")
    assert acme.get(f"invoices/{mine['id']}").status_code == 200
    assert acme.get(f"invoices/{theirs['id']}").status_code == 404
    assert acme.get(f"invoices/{theirs['id']}/export?format=quickbooks").status_code == 404
    assert [i["id"] for i in acme.get("invoices").get_json()["data"]] == [mine["id"]]
    assert acme.get(f"clients/{seeded.other_client_id}/billing-plan").status_code == 404
    assert acme.get(f"clients/{seeded.other_client_id}/invoices/2026-05").status_code == 404
    assert acme.put(f"clients/{seeded.client_id}/billing-plan", json={"kind": "pass_through"}).status_code == 403
    assert acme.post("invoices", json={"client_id": seeded.client_id, "month": "2026-05"}).status_code == 403

    stranger = AdminClient(app.test_client(), foreign.token)
    assert stranger.get(f"invoices/{mine['id']}").status_code == 404
    assert stranger.get("invoices").get_json()["data"] == []
    assert stranger.post("invoices", json={"client_id": seeded.client_id, "month": "2026-05"}).status_code == 404
    assert stranger.put(f"clients/{seeded.client_id}/billing-plan", json={"kind": "pass_through"}).status_code == 404
