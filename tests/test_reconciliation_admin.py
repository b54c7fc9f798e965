"""Reconciliation through the admin API on a seeded month: a lane's request log against the report mock (and a
CSV export), agreement within 1%, a gap that fires `reconciliation.gap` to webhooks, the write-only report
credential, flat lanes, and who may see which lane's runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pytest
from flask import Flask
from sqlalchemy import select

from tests.admin_support import AdminClient, as_role, foreign, owner
from tests.conftest import Seeded
from tests.reconciliation_support import ADMIN_KEY, DAYS, MONTH, billed, report_mock, seed_month
from tests.test_alerts_webhooks import Receiver, receiver, subscribe
from tollgate import provisioning
from tollgate.extensions import db
from tollgate.mock_upstream.reports import ReportMockState
from tollgate.models import AlertEvent, ReconciliationRun, ReportCredential, WebhookDelivery
from tollgate.reconciliation.provider_api import requests_getter
from tollgate.reconciliation.scheduled import run_due
from tollgate.services import Services

__all__ = ["foreign", "owner", "receiver", "report_mock"]


def make_lane(
    app: Flask, svc: Services, seeded: Seeded, payment: str = "metered", owner_client: str | None = None
) -> str:
    with app.app_context():
        lane = provisioning.create_lane(
            db.session,
            svc.vault,
            seeded.workspace_id,
            f"{payment} lane",
            "https://api.openai.com/v1",
            "sk-inference-key-not-real-0000",
            payment=payment,
            owner_client_id=owner_client,
        )
        lane.created_at = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
        db.session.commit()
        return lane.id


def set_credential(api: AdminClient, lane_id: str, url: str) -> Any:
    body = {"api_key": ADMIN_KEY, "base_url": url + "/v1", "scope": "proj_lane"}
    return api.put(f"/api/v1/lanes/{lane_id}/report-credential", json=body)


@pytest.fixture
def lane(app: Flask, svc: Services, seeded: Seeded) -> str:
    return make_lane(app, svc, seeded)


def test_a_seeded_month_agrees_within_one_percent(
    app: Flask, svc: Services, seeded: Seeded, owner: AdminClient, lane: str, report_mock: tuple[ReportMockState, str]
) -> None:
    state, url = report_mock
    exact = seed_month(app, seeded.workspace_id, seeded.client_id, seeded.key_id, lane)
    state.lines = billed(exact, "1.004")
    assert set_credential(owner, lane, url).status_code == 200
    made = owner.post(f"/api/v1/lanes/{lane}/reconciliations", json={"month": MONTH})
    assert made.status_code == 201, made.json
    run = made.json
    assert made.headers["Location"] == f"/api/v1/reconciliations/{run['id']}"
    assert run["status"] == "ok" and run["gap_days"] == [] and run["source"] == "api"
    assert (run["start_day"], run["end_day"]) == ("2026-11-01", "2026-11-30")
    total_picos = sum(exact.values())
    assert run["tollgate_cost_micros"] == (total_picos + 500_000) // 1_000_000  # exact to the micro-dollar
    assert run["difference_percent"] == "0.3984"  # 0.4% of Tollgate's figure is 0.3984% of the provider's
    rows = owner.get(f"/api/v1/reconciliations/{run['id']}/rows", query_string={"limit": 200}).json
    assert len(rows["data"]) == 60 and rows["next_cursor"] is None
    first = rows["data"][0]
    assert (first["day"], first["model"], first["requests"]) == ("2026-11-01", "gpt-4o-2024-08-06", 3)
    assert abs(first["difference_micros"] - (first["provider_cost_micros"] - first["tollgate_cost_micros"])) <= 1
    assert first["difference_micros"] > 0 and first["difference_percent"] == "0.3984"
    assert (first["tollgate_input_tokens"], first["tollgate_output_tokens"]) == (3000, 600)  # the usage report's
    assert (first["provider_input_tokens"], first["provider_output_tokens"]) == (3000, 600)  # counts agree
    page = owner.get(f"/api/v1/reconciliations/{run['id']}/rows", query_string={"limit": 50}).json
    rest = owner.get(f"/api/v1/reconciliations/{run['id']}/rows", query_string={"cursor": page["next_cursor"]}).json
    assert [r["model"] for r in page["data"] + rest["data"]] == [r["model"] for r in rows["data"]]
    listed = owner.get(f"/api/v1/lanes/{lane}/reconciliations").json
    assert [r["id"] for r in listed["data"]] == [run["id"]]
    with app.app_context():
        assert db.session.scalars(select(AlertEvent).where(AlertEvent.type == "reconciliation.gap")).all() == []


def test_a_gap_fires_reconciliation_gap_to_webhooks(
    app: Flask,
    svc: Services,
    seeded: Seeded,
    owner: AdminClient,
    lane: str,
    report_mock: tuple[ReportMockState, str],
    receiver: tuple[Receiver, str],
) -> None:
    state, url = report_mock
    target, hook = receiver
    subscribe(app, svc, seeded, hook, ["reconciliation.gap"])
    exact = seed_month(app, seeded.workspace_id, seeded.client_id, seeded.key_id, lane)
    state.lines = billed(exact, "1.002", off={dt.date(2026, 11, 17): "1.05"})  # one day 5% over, the month 0.35%
    set_credential(owner, lane, url)
    run = owner.post(f"/api/v1/lanes/{lane}/reconciliations", json={"from": "2026-11-01", "to": "2026-11-30"}).json
    assert run["status"] == "gap" and run["gap_days"] == ["2026-11-17"]
    assert svc.alerts.deliver_once() == 1
    message = orjson.loads(target.calls[0][1])
    assert message["type"] == "reconciliation.gap"
    data = message["data"]
    assert data["run_id"] == run["id"] and data["lane_id"] == lane
    assert [d["day"] for d in data["gap_days"]] == ["2026-11-17"]
    assert data["gap_days"][0]["difference_percent"] == "4.7619"  # 5% over Tollgate is 4.76% of the provider's


def test_csv_export_upload_as_body_and_multipart(app: Flask, seeded: Seeded, owner: AdminClient, lane: str) -> None:
    exact = seed_month(app, seeded.workspace_id, seeded.client_id, seeded.key_id, lane)
    lines = ["start_time_iso,line_item,amount_value,amount_currency"]
    for line in billed(exact, "0.995"):
        lines.append(f'{line.day.isoformat()}T00:00:00+00:00,"{line.model}, input",{line.amount_usd},usd')
    text = "\n".join(lines) + "\n"
    made = owner.post(f"/api/v1/lanes/{lane}/reconciliations/csv", data=text, content_type="text/csv")
    assert made.status_code == 201, made.json
    assert made.json["source"] == "csv" and made.json["status"] == "ok"
    assert (made.json["start_day"], made.json["end_day"]) == ("2026-11-01", "2026-11-30")  # the file's own days
    import io

    multipart = owner.post(
        f"/api/v1/lanes/{lane}/reconciliations/csv?month=2026-11",
        data={"file": (io.BytesIO(text.encode()), "costs.csv")},
        content_type="multipart/form-data",
    )
    assert multipart.status_code == 201 and multipart.json["provider_cost_usd"] == made.json["provider_cost_usd"]
    rows = owner.get(f"/api/v1/reconciliations/{made.json['id']}/rows").json["data"]
    assert rows[0]["provider_input_tokens"] is None and rows[0]["tollgate_input_tokens"] == 3000  # CSV: no tokens
    bad = owner.post(f"/api/v1/lanes/{lane}/reconciliations/csv", data="a,b\n1,2\n", content_type="text/csv")
    assert bad.status_code == 422 and bad.content_type == "application/problem+json"
    assert "No day column" in bad.json["detail"] and "header" in bad.json["errors"]
    wrong_type = owner.post(f"/api/v1/lanes/{lane}/reconciliations/csv", data="x", content_type="text/plain")
    assert wrong_type.status_code == 415
    no_file = owner.post(
        f"/api/v1/lanes/{lane}/reconciliations/csv", data={"other": "x"}, content_type="multipart/form-data"
    )
    assert no_file.status_code == 422


def test_report_credential_is_write_only_and_encrypted(
    app: Flask, svc: Services, owner: AdminClient, lane: str, report_mock: tuple[ReportMockState, str]
) -> None:
    _, url = report_mock
    put = set_credential(owner, lane, url)
    assert put.status_code == 200
    assert "api_key" not in put.json and put.json["credential_last4"] == ADMIN_KEY[-4:]
    assert ADMIN_KEY not in put.get_data(as_text=True)
    got = owner.get(f"/api/v1/lanes/{lane}/report-credential").json
    assert got["credential_fingerprint"] == put.json["credential_fingerprint"]
    with app.app_context():
        stored = db.session.get(ReportCredential, lane)
        assert stored is not None and ADMIN_KEY.encode() not in stored.ciphertext
        good = stored.ciphertext
        stored.ciphertext = good[:-1] + bytes([good[-1] ^ 1])  # tampered: does not decrypt
        db.session.commit()
    tampered = owner.post(f"/api/v1/lanes/{lane}/reconciliations", json={"month": MONTH})
    assert tampered.status_code == 409 and "cannot be decrypted" in tampered.json["detail"]
    assert owner.delete(f"/api/v1/lanes/{lane}/report-credential").status_code == 204
    assert owner.get(f"/api/v1/lanes/{lane}/report-credential").status_code == 404
    missing = owner.post(f"/api/v1/lanes/{lane}/reconciliations", json={"month": MONTH})
    assert missing.status_code == 409 and "no report credential" in missing.json["detail"]


def test_flat_lanes_are_not_reconciled_and_periods_are_checked(
    app: Flask, svc: Services, seeded: Seeded, owner: AdminClient, lane: str
) -> None:
    flat = make_lane(app, svc, seeded, payment="flat")
    refused = owner.post(f"/api/v1/lanes/{flat}/reconciliations", json={"month": MONTH})
    assert refused.status_code == 409 and "does not apply to a flat lane" in refused.json["detail"]
    for body in (
        {},
        {"month": MONTH, "from": "2026-11-01"},
        {"from": "2026-11-01"},
        {"from": "2026-11-02", "to": "2026-11-01"},
    ):
        assert owner.post(f"/api/v1/lanes/{lane}/reconciliations", json=body).status_code == 422, body
    assert (
        owner.post(f"/api/v1/lanes/{lane}/reconciliations", json={"month": MONTH, "source": "csv"}).status_code == 422
    )


def test_roles_and_tenancy(
    app: Flask,
    svc: Services,
    seeded: Seeded,
    owner: AdminClient,
    foreign: Any,
    report_mock: tuple[ReportMockState, str],
) -> None:
    state, url = report_mock
    own = make_lane(app, svc, seeded, payment="byok", owner_client=seeded.client_id)
    other = make_lane(app, svc, seeded, payment="byok", owner_client=seeded.other_client_id)
    exact = seed_month(app, seeded.workspace_id, seeded.client_id, seeded.key_id, own, payment="byok")
    state.lines = billed(exact, "1")
    runs = {}
    for lane_id in (own, other):
        set_credential(owner, lane_id, url)
        runs[lane_id] = owner.post(f"/api/v1/lanes/{lane_id}/reconciliations", json={"month": MONTH}).json
    assert runs[own]["status"] == "ok" and runs[own]["difference_micros"] == 0  # BYOK: compared on value
    assert runs[own]["client_id"] == seeded.client_id
    client = as_role(app, svc, seeded, "client")
    assert client.get(f"/api/v1/lanes/{own}/reconciliations").json["data"][0]["id"] == runs[own]["id"]
    assert client.get(f"/api/v1/reconciliations/{runs[own]['id']}/rows").status_code == 200
    assert client.get(f"/api/v1/lanes/{other}/reconciliations").status_code == 404
    assert client.get(f"/api/v1/reconciliations/{runs[other]['id']}").status_code == 404
    assert client.get(f"/api/v1/reconciliations/{runs[other]['id']}/rows").status_code == 404
    assert client.post(f"/api/v1/lanes/{own}/reconciliations", json={"month": MONTH}).status_code == 403
    assert client.get(f"/api/v1/lanes/{own}/report-credential").status_code == 403
    viewer = as_role(app, svc, seeded, "viewer")
    assert viewer.get(f"/api/v1/reconciliations/{runs[other]['id']}").status_code == 200
    assert viewer.put(f"/api/v1/lanes/{own}/report-credential", json={"api_key": ADMIN_KEY}).status_code == 403
    stranger = AdminClient(app.test_client(), foreign.token)
    assert stranger.get(f"/api/v1/reconciliations/{runs[own]['id']}").status_code == 404
    assert stranger.get(f"/api/v1/lanes/{own}/reconciliations").status_code == 404


def test_scheduled_runs_reconcile_settled_days_and_months_once(
    app: Flask, svc: Services, seeded: Seeded, owner: AdminClient, lane: str, report_mock: tuple[ReportMockState, str]
) -> None:
    state, url = report_mock
    exact = seed_month(app, seeded.workspace_id, seeded.client_id, seeded.key_id, lane)
    state.lines = billed(exact, "1.001")
    set_credential(owner, lane, url)
    now = dt.datetime(2026, 12, 1, 13, 0, tzinfo=dt.UTC)  # November settled, 12 hours after its end
    get = requests_getter(allow_private=True)
    with app.app_context():
        assert run_due(db.session, svc.vault, get, now) == 8  # seven days and the month
        assert run_due(db.session, svc.vault, get, now) == 0  # once
        stored = db.session.scalars(select(ReconciliationRun).order_by(ReconciliationRun.start_day)).all()
    assert {r.status for r in stored} == {"ok"} and {r.trigger for r in stored} == {"schedule"}
    month = [r for r in stored if r.start_day != r.end_day]
    assert [(r.start_day, r.end_day) for r in month] == [(DAYS[0], DAYS[-1])]
    state.admin_key = "sk-admin-rotated-000000000"  # the provider refuses the stored key from now on
    with app.app_context():
        assert run_due(db.session, svc.vault, get, now + dt.timedelta(days=1)) == 1
        failed = db.session.scalars(select(ReconciliationRun).where(ReconciliationRun.status == "failed")).one()
        assert "HTTP 401" in (failed.error or "")
        assert run_due(db.session, svc.vault, get, now + dt.timedelta(days=1, minutes=5)) == 0  # retried hourly
        assert db.session.scalars(select(WebhookDelivery)).all() == []
