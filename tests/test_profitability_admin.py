"""GET /profitability from the request logs: revenue from plans, metered cost plus flat lanes' fees shared by
value served, margins, unprofitable clients with reasons, and the book."""

from __future__ import annotations

import datetime as dt
import uuid

from flask import Flask

from tests.admin_support import AdminClient, as_role, owner
from tests.conftest import Seeded
from tollgate.extensions import db
from tollgate.models import RequestLog
from tollgate.services import Services

__all__ = ["owner"]
M = 1_000_000


def _log(app: Flask, seeded: Seeded, client_id: str, lane_id: str, value: int, cost: int) -> None:
    with app.app_context():
        db.session.add(
            RequestLog(
                request_id=f"req-{uuid.uuid4().hex}",
                created_at=dt.datetime(2026, 5, 10, tzinfo=dt.UTC),
                workspace_id=seeded.workspace_id,
                client_id=client_id,
                project_id=seeded.project_id if client_id == seeded.client_id else None,
                key_id="key_x",
                lane_id=lane_id,
                endpoint="chat",
                model_served="gpt-4o-mini",
                input_tokens=1000,
                output_tokens=1000,
                value_micros=value,
                cost_micros=cost,
                status_code=200,
                latency_ms=5,
            )
        )
        db.session.commit()


def test_profitability_of_a_month(app: Flask, svc: Services, seeded: Seeded, owner: AdminClient) -> None:
    flat = owner.post(
        "lanes",
        json={"name": "Plan", "base_url": "https://api.example.com/v1", "payment": "flat", "api_key": "sk-test-1"},
    ).get_json()
    patched = owner.patch(f"lanes/{flat['id']}", json={"monthly_fee_micros": 100 * M})
    assert patched.status_code == 200 and patched.get_json()["monthly_fee_micros"] == 100 * M
    _log(app, seeded, seeded.client_id, seeded.lane_id, 20 * M, 20 * M)  # metered
    _log(app, seeded, seeded.client_id, flat["id"], 30 * M, 0)
    _log(app, seeded, seeded.other_client_id, flat["id"], 90 * M, 0)
    plan = {"effective_month": "2026-05", "kind": "cost_plus", "markup_percent": "30"}
    assert owner.put(f"clients/{seeded.client_id}/billing-plan", json=plan).status_code == 200
    fixed = {"effective_month": "2026-05", "kind": "fixed", "monthly_fee_micros": 50 * M}
    assert owner.put(f"clients/{seeded.other_client_id}/billing-plan", json=fixed).status_code == 200

    found = owner.get("profitability?month=2026-05").get_json()
    clients = {c["client_name"]: c for c in found["clients"]}
    acme, globex = clients["Acme Co"], clients["Globex"]
    assert (acme["revenue_micros"], acme["metered_cost_micros"], acme["flat_fee_share_micros"]) == (
        26 * M,  # $20.00 at cost + 30%
        20 * M,
        25 * M,  # $100 × 30 / 120
    )
    assert (acme["margin_micros"], acme["margin_percent"]) == (-19 * M, "-73.1")
    assert (globex["revenue_micros"], globex["cost_micros"], globex["margin_micros"]) == (50 * M, 75 * M, -25 * M)
    assert [u["client_name"] for u in found["unprofitable"]] == ["Globex", "Acme Co"]
    assert found["unprofitable"][0]["reasons"][0].startswith("fixed retainer with usage included")
    whole = found["book"]
    assert (whole["revenue_micros"], whole["cost_micros"], whole["unprofitable_clients"]) == (76 * M, 120 * M, 2)
    assert (whole["flat_traffic_metered_micros"], whole["flat_fees_micros"]) == (120 * M, 100 * M)

    assert as_role(app, svc, seeded, "client").get("profitability?month=2026-05").status_code == 403
    assert owner.get("profitability").status_code == 422
