"""Monthly usage reports: a seeded month in a DST time zone checked field by field against the logs, the PDF
read back with poppler, white-label output, background jobs with `report.ready`, share links, and scoping."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from tests.admin_support import AdminClient, Foreign, as_role, foreign, owner
from tests.conftest import Seeded
from tollgate import provisioning, reporting
from tollgate.alerts.subscriptions import create_subscription
from tollgate.extensions import db
from tollgate.invoicing import Month
from tollgate.models import AlertEvent, Budget, Client, Report, RequestLog, WebhookDelivery, Workspace
from tollgate.models.base import utcnow
from tollgate.services import Services

__all__ = ["foreign", "owner"]

UTC = dt.UTC


def _log(app: Flask, seeded: Seeded, at: dt.datetime, **kw: Any) -> None:
    row: dict[str, Any] = {
        "request_id": f"req-{uuid.uuid4().hex}",
        "created_at": at,
        "workspace_id": seeded.workspace_id,
        "client_id": seeded.client_id,
        "key_id": "key_x",
        "provider": "openai",
        "lane_id": seeded.lane_id,
        "endpoint": "chat",
        "model_requested": "gpt-4o-mini",
        "model_served": "gpt-4o-mini",
        "input_tokens": 1000,
        "output_tokens": 200,
        "value_micros": 1_000_000,
        "cost_micros": 1_000_000,
        "status_code": 200,
        "latency_ms": 10,
        **kw,
    }
    with app.app_context():
        db.session.add(RequestLog(**row))
        db.session.commit()


def _seed_march(app: Flask, svc: Services, seeded: Seeded, owner: AdminClient) -> dict[str, str]:
    """Acme's March 2026 in New York (DST starts on the 8th: UTC-5, then UTC-4)."""
    with app.app_context():
        workspace = db.session.get(Workspace, seeded.workspace_id)
        assert workspace is not None
        workspace.timezone, workspace.name = "America/New_York", "YourAgency"
        workspace.accent_color, workspace.report_footer = "#aa3366", "YourAgency · hello@youragency.example"
        acme = db.session.get(Client, seeded.client_id)
        assert acme is not None
        digest = provisioning.create_project(db.session, acme, "weekly content digest", "digest").id
        triage = seeded.project_id
        backup = provisioning.create_lane(
            db.session, svc.vault, seeded.workspace_id, "Backup", "https://api.example.com/v1", "sk-test-backup"
        )
        backup.payment = "flat"
        db.session.add(
            Budget(
                id="bud_acme_monthly",
                workspace_id=seeded.workspace_id,
                scope="client",
                scope_id=acme.id,
                client_id=acme.id,
                name="Acme monthly",
                amount_micros=1_611_000_000,
                period="monthly",
                hard=True,
            )
        )
        db.session.commit()
        backup_id = backup.id
    assert (
        owner.put(
            f"clients/{seeded.client_id}/billing-plan",
            json={"kind": "retainer", "preset": "starter", "effective_month": "2026-01"},
        ).status_code
        == 200
    )
    # March 1st 00:30 local = 05:30 UTC (EST); March 31st 23:30 local = April 1st 03:30 UTC (EDT).
    _log(
        app,
        seeded,
        dt.datetime(2026, 3, 1, 5, 30, tzinfo=UTC),
        project_id=triage,
        value_micros=400_000_000,
        input_tokens=10_000,
        output_tokens=100,
        model_requested="gpt-4o",
        model_served="gpt-4o",
    )
    _log(app, seeded, dt.datetime(2026, 3, 8, 12, tzinfo=UTC), project_id=triage, value_micros=2_000_000)
    _log(
        app,
        seeded,
        dt.datetime(2026, 3, 8, 12, tzinfo=UTC),
        project_id=triage,
        value_micros=0,
        status_code=502,
        input_tokens=0,
        output_tokens=0,
    )
    _log(
        app,
        seeded,
        dt.datetime(2026, 4, 1, 3, 30, tzinfo=UTC),
        project_id=digest,
        value_micros=210_000_000,
        lane_id=backup_id,
        input_tokens=3000,
        output_tokens=1500,
    )
    # Outside March in New York: Feb 28 23:30 local, April 1 00:00 local; and another client's traffic.
    _log(app, seeded, dt.datetime(2026, 3, 1, 4, 30, tzinfo=UTC), project_id=triage, value_micros=77_000_000)
    _log(app, seeded, dt.datetime(2026, 4, 1, 4, 0, tzinfo=UTC), project_id=triage, value_micros=77_000_000)
    _log(app, seeded, dt.datetime(2026, 3, 15, tzinfo=UTC), client_id=seeded.other_client_id, value_micros=9_000_000)
    return {"digest": digest, "backup": backup_id}


def _make(owner: AdminClient, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = owner.post("reports", json=body)
    assert response.status_code == 202, response.get_json()
    reports: list[dict[str, Any]] = response.get_json()["data"]
    return reports


def _ready(owner: AdminClient, report_id: str, timeout_s: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        found: dict[str, Any] = owner.get(f"reports/{report_id}").get_json()
        if found["status"] in ("ready", "failed") or time.monotonic() > deadline:
            assert found["status"] == "ready", found
            return found
        time.sleep(0.2)


HEADER = [
    "Acme Co: AI usage report, March 2026",
    "Prepared by: YourAgency",
    "Workflows: Support triage, weekly content digest",
    "Requests served: 3",
    "API-equivalent value: $612 (PRICES list prices)",
    "Billing treatment: included in retainer",
    "Cap status: 38% of monthly budget",
]


def _header(app: Flask) -> list[str]:
    with app.app_context():
        prices = Month.containing(utcnow(), "America/New_York").label
    return [line.replace("PRICES", prices) for line in HEADER]


def test_report_of_a_seeded_month_field_by_field(
    app: Flask, svc: Services, seeded: Seeded, owner: AdminClient, tmp_path: Path
) -> None:
    ids = _seed_march(app, svc, seeded, owner)
    with app.app_context():
        create_subscription(db.session, svc.vault, seeded.workspace_id, "https://hooks.example.com/r", ["report.ready"])
        db.session.commit()
    (made,) = _make(owner, {"month": "2026-03", "client_id": seeded.client_id})
    report = _ready(owner, made["id"])
    assert report["header"] == _header(app)

    figures = owner.get(f"reports/{made['id']}/download?format=json").get_json()
    assert figures["requests_served"] == 3 and figures["requests_total"] == 4
    assert figures["value_micros"] == 612_000_000  # 400 + 2 + 210 dollars; the 502 is worth nothing
    assert [(w["name"], w["requests"], w["tokens"], w["value"]) for w in figures["by_workflow"]] == [
        ("Support triage", 2, 11_300, "$402.00"),
        ("weekly content digest", 1, 4_500, "$210.00"),
    ]
    assert [(m["name"], m["requests"], m["value_micros"]) for m in figures["by_model"]] == [
        ("gpt-4o", 1, 400_000_000),
        ("gpt-4o-mini", 2, 212_000_000),
    ]
    daily = {d["day"]: (d["requests"], d["value_micros"]) for d in figures["daily"]}
    assert len(daily) == 31
    assert daily["2026-03-01"] == (1, 400_000_000)
    assert daily["2026-03-08"] == (1, 2_000_000)
    assert daily["2026-03-31"] == (1, 210_000_000)  # 03:30 UTC on April 1st is still March 31st in New York
    assert sum(r for r, _ in daily.values()) == 3
    assert [(lane["name"], lane["requests"]) for lane in figures["lanes"]] == [
        ("Metered API", 2),
        ("Flat-fee plan", 1),
    ]
    assert figures["fallbacks"] == 1  # served by the backup lane, not the routing policy's first
    assert ids["backup"] not in str(figures)

    with app.app_context():
        events = db.session.scalars(select(AlertEvent).where(AlertEvent.type == "report.ready")).all()
        assert [e.payload["report_id"] for e in events] == [made["id"]]
        assert db.session.scalars(select(WebhookDelivery)).all()

    page = owner.get(f"reports/{made['id']}/download?format=html")
    text = page.get_data(as_text=True)
    assert page.mimetype == "text/html" and "attachment" in page.headers["Content-Disposition"]
    for line in _header(app):
        assert line in text
    assert "#aa3366" in text and "hello@youragency.example" in text
    lowered = text.lower()
    assert "tollgate" not in lowered and "openai" not in lowered and "<script" not in lowered
    assert "<svg" in lowered and "http://" not in lowered.replace("http://www.w3.org", "")

    table = owner.get(f"reports/{made['id']}/download?format=csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(table)))
    assert rows[0] == ["Acme Co", "AI usage report, March 2026"]
    assert ["Requests served", "3"] in rows and ["Support triage", "2", "11300", "402.000000"] in rows

    pdf = owner.get(f"reports/{made['id']}/download?format=pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.data)
    pdf_text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    for line in _header(app):
        assert line in pdf_text.stdout
    assert "tollgate" not in pdf_text.stdout.lower()
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")], check=True
    )
    image = next(tmp_path.glob("page*.png"))
    assert image.read_bytes().startswith(b"\x89PNG") and image.stat().st_size > 2000


def test_march_window_in_new_york_crosses_dst() -> None:
    window = Month(2026, 3).window("America/New_York")
    assert (window.start, window.end) == (
        dt.datetime(2026, 3, 1, 5, tzinfo=UTC),
        dt.datetime(2026, 4, 1, 4, tzinfo=UTC),
    )


def test_share_links_open_expire_and_revoke(app: Flask, svc: Services, seeded: Seeded, owner: AdminClient) -> None:
    _seed_march(app, svc, seeded, owner)
    made = _make(owner, {"month": "2026-03"})
    assert sorted(r["client_id"] for r in made) == sorted([seeded.client_id, seeded.other_client_id])
    acme = next(r for r in made if r["client_id"] == seeded.client_id)
    globex = next(r for r in made if r["client_id"] == seeded.other_client_id)
    for report in made:
        _ready(owner, report["id"])

    link = owner.post(f"reports/{acme['id']}/share-link", json={"expires_in_days": 1})
    assert link.status_code == 201
    url = link.get_json()["url"]
    path = url[url.index("/shared/") :]
    anonymous = app.test_client()
    opened = anonymous.get(path)
    assert opened.status_code == 200 and opened.mimetype == "text/html"
    body = opened.get_data(as_text=True)
    assert "Acme Co: AI usage report, March 2026" in body and "Globex" not in body
    assert anonymous.get(path + "?format=pdf").data.startswith(b"%PDF")

    # The token names one report; changing it breaks the signature, it never opens another client's report.
    token = path.rsplit("/", 1)[1]
    assert anonymous.get(path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")).status_code == 404
    with app.app_context():
        assert reporting.shared_report(db.session, svc.share_key, token, utcnow()) is not None
        later = utcnow() + dt.timedelta(days=1, seconds=1)
        assert reporting.shared_report(db.session, svc.share_key, token, later) is None  # expired
        assert reporting.shared_report(db.session, b"another key" * 3, token, utcnow()) is None
        globex_row = db.session.get(Report, globex["id"])
        assert globex_row is not None and globex_row.share_nonce is None

    # A new link revokes the previous one; DELETE revokes the current one.
    second = owner.post(f"reports/{acme['id']}/share-link", json={}).get_json()["url"]
    assert anonymous.get(path).status_code == 404
    second_path = second[second.index("/shared/") :]
    assert anonymous.get(second_path).status_code == 200
    assert owner.get(f"reports/{acme['id']}").get_json()["share_expires_at"] is not None
    assert owner.delete(f"reports/{acme['id']}/share-link").status_code == 204
    assert anonymous.get(second_path).status_code == 404
    assert owner.get(f"reports/{acme['id']}").get_json()["share_expires_at"] is None


def test_reports_are_scoped_to_their_client_and_workspace(
    app: Flask, svc: Services, seeded: Seeded, owner: AdminClient, foreign: Foreign
) -> None:
    made = _make(owner, {"month": "2026-02"})
    for report in made:
        _ready(owner, report["id"])
    acme = next(r for r in made if r["client_id"] == seeded.client_id)
    globex = next(r for r in made if r["client_id"] == seeded.other_client_id)

    client = as_role(app, svc, seeded, "client")
    assert [r["id"] for r in client.get("reports").get_json()["data"]] == [acme["id"]]
    assert client.get(f"reports/{globex['id']}").status_code == 404
    assert client.get(f"reports/{globex['id']}/download?format=json").status_code == 404
    assert client.get(f"reports/{acme['id']}/download?format=json").status_code == 200
    assert client.post("reports", json={"month": "2026-02"}).status_code == 403
    assert client.post(f"reports/{acme['id']}/share-link", json={}).status_code == 403

    stranger = AdminClient(app.test_client(), foreign.token)
    assert stranger.get(f"reports/{acme['id']}").status_code == 404
    assert stranger.post("reports", json={"month": "2026-02", "client_id": seeded.client_id}).status_code == 404


def test_a_report_not_ready_is_409_and_a_claimed_job_runs_once(app: Flask, seeded: Seeded, owner: AdminClient) -> None:
    with app.app_context():
        workspace = db.session.get(Workspace, seeded.workspace_id)
        client = db.session.get(Client, seeded.client_id)
        assert workspace is not None and client is not None
        report = reporting.request_report(db.session, workspace, client, Month(2026, 1))
        db.session.commit()
        report_id = report.id
    assert owner.get(f"reports/{report_id}/download?format=html").status_code == 409
    with app.app_context():
        assert reporting.generate(db.session, report_id) is True
        assert reporting.generate(db.session, report_id) is False  # already made: nothing to claim
        made = db.session.get(Report, report_id)
        assert made is not None and made.status == "ready"
        assert made.figures is not None and made.figures["header"][3] == "Requests served: 0"
        assert made.figures["cap_status"] == "no cap" and made.figures["billing_treatment"] == "no billing plan"

        # A report left `running` by a dead process is queued again when asked for after a while, not before.
        workspace, client = db.session.get(Workspace, seeded.workspace_id), db.session.get(Client, seeded.client_id)
        assert workspace is not None and client is not None
        made.status, made.requested_at = "running", utcnow() - dt.timedelta(minutes=5)
        db.session.commit()
        assert reporting.request_report(db.session, workspace, client, Month(2026, 1)).status == "running"
        made.requested_at = utcnow() - reporting.STALE_RUNNING - dt.timedelta(seconds=1)
        db.session.commit()
        assert reporting.request_report(db.session, workspace, client, Month(2026, 1)).status == "queued"
