"""The 1st-of-month run: every active client's previous-month report and invoice draft, made once even when two
processes run it at the same moment, with one `report.ready` and one `invoice.ready` each."""

from __future__ import annotations

import datetime as dt
import threading

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import Seeded
from tollgate import invoicing
from tollgate.extensions import db
from tollgate.invoicing import Month
from tollgate.models import AlertEvent, Client, Invoice, MonthlyClose, Report, RequestLog, Workspace
from tollgate.monthly_close import close_previous_month

UTC = dt.UTC
# November 1st, 2026, 01:00 in New York (the night DST ends): October is the month to close.
FIRST = dt.datetime(2026, 11, 1, 5, 0, tzinfo=UTC)


def _prepare(app: Flask, seeded: Seeded) -> None:
    with app.app_context():
        workspace = db.session.get(Workspace, seeded.workspace_id)
        assert workspace is not None
        workspace.timezone = "America/New_York"
        for client in db.session.scalars(select(Client)).all():
            client.created_at = dt.datetime(2026, 1, 1, tzinfo=UTC)
        late = Client(id="cli_late", workspace_id=seeded.workspace_id, name="Late Co", slug="late")
        late.created_at = dt.datetime(2026, 11, 1, 4, 30, tzinfo=UTC)  # after October ended in New York
        db.session.add(late)
        acme = db.session.get(Client, seeded.client_id)
        assert acme is not None
        invoicing.set_plan(db.session, acme, Month(2026, 1), {"kind": "pass_through"}, "test")
        db.session.add(
            RequestLog(
                request_id="req-october",
                created_at=dt.datetime(2026, 10, 20, tzinfo=UTC),
                workspace_id=seeded.workspace_id,
                client_id=seeded.client_id,
                key_id="key_x",
                endpoint="chat",
                value_micros=12_340_000,
                cost_micros=12_340_000,
                status_code=200,
                latency_ms=5,
            )
        )
        db.session.commit()


def test_two_processes_close_the_month_once(app: Flask, seeded: Seeded) -> None:
    _prepare(app, seeded)
    with app.app_context():
        engine = db.engine
    start = threading.Barrier(2)
    closed: list[int] = []

    def run() -> None:
        with Session(engine) as session:
            start.wait()
            closed.append(close_previous_month(session, FIRST))

    runners = [threading.Thread(target=run) for _ in range(2)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join(180)
    assert sorted(closed) in ([0, 2], [1, 1])  # two clients, each closed by exactly one of the runs

    with app.app_context():
        reports = db.session.scalars(select(Report)).all()
        assert sorted((r.client_id, r.month, r.status) for r in reports) == sorted(
            [(seeded.client_id, "2026-10", "ready"), (seeded.other_client_id, "2026-10", "ready")]
        )
        invoices = db.session.scalars(select(Invoice)).all()
        assert [(i.client_id, i.month, i.total_micros) for i in invoices] == [(seeded.client_id, "2026-10", 12_340_000)]
        events = dict(
            db.session.execute(select(AlertEvent.type, func.count()).group_by(AlertEvent.type)).tuples().all()
        )
        assert events == {"report.ready": 2, "invoice.ready": 1}
        assert db.session.scalar(select(func.count()).select_from(MonthlyClose)) == 2
        acme_report = next(r for r in reports if r.client_id == seeded.client_id)
        assert acme_report.figures is not None and "Requests served: 1" in acme_report.figures["header"]

        # Later passes (same day, next week) find nothing to do; December's run closes November.
        assert close_previous_month(db.session, FIRST + dt.timedelta(days=7)) == 0
        assert db.session.scalar(select(func.count()).select_from(Report)) == 2


def test_the_month_to_close_is_the_previous_local_month() -> None:
    # 23:30 on October 31st in New York is still October there: September is the month to close.
    assert Month.containing(dt.datetime(2026, 11, 1, 3, 30, tzinfo=UTC), "America/New_York").previous == Month(2026, 9)
    assert Month.containing(FIRST, "America/New_York").previous == Month(2026, 10)
    assert Month.containing(dt.datetime(2026, 1, 1, 5, tzinfo=UTC), "America/New_York").previous == Month(2025, 12)
