"""The 1st-of-month run: for every workspace whose local calendar has entered a new month, the previous month's
report and invoice draft of every active client, made once however many processes or hosts run it.

Each (workspace, client, month) is claimed by inserting a `monthly_closes` row; only the inserter goes on. The
run looks at the previous month on every pass (not only on the 1st), so a run missed on the 1st (everything
down) happens on the next pass; clients created after that month ended are left out.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .extensions import DbSession
from .invoicing import Month, NoPlan, make_invoice
from .models import Client, MonthlyClose, Workspace
from .reporting import generate, request_report

log = logging.getLogger(__name__)
ACTOR = "system:monthly-close"


def close_previous_month(session: DbSession, now: dt.datetime) -> int:
    """Claim and make every client's previous-month report and invoice draft not made yet; returns how many
    clients this call closed. Reports are made here, one after another (a few seconds each, once a month)."""
    closed = 0
    for workspace in session.scalars(select(Workspace)).all():
        month = Month.containing(now, workspace.timezone).previous
        span = month.window(workspace.timezone)
        assert span.end is not None
        done = select(MonthlyClose.client_id).where(
            MonthlyClose.workspace_id == workspace.id, MonthlyClose.month == str(month)
        )
        clients = session.scalars(
            select(Client).where(
                Client.workspace_id == workspace.id,
                Client.archived_at.is_(None),
                Client.created_at < span.end,
                Client.id.not_in(done),
            )
        ).all()
        for client in clients:
            if _claim(session, workspace.id, client.id, month):
                _close(session, workspace, client, month)
                closed += 1
    return closed


def _claim(session: DbSession, workspace_id: str, client_id: str, month: Month) -> bool:
    try:
        session.add(MonthlyClose(workspace_id=workspace_id, client_id=client_id, month=str(month)))
        session.commit()
    except IntegrityError:  # another process claimed it first
        session.rollback()
        return False
    return True


def _close(session: DbSession, workspace: Workspace, client: Client, month: Month) -> None:
    report = request_report(session, workspace, client, month)
    session.commit()
    try:
        make_invoice(session, workspace, client, month, ACTOR)
    except NoPlan:
        log.info("no billing plan for client %s in %s: no invoice draft", client.id, month)
    generate(session, report.id)
