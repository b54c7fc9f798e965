"""The database side of monthly usage reports: a client's month read from the logs, the report job (claimed
once, run through rq when Redis is configured, else on a thread of this process), `report.ready` events, and
share links signed with itsdangerous."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from flask import Flask
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError

from .admin.usage_sql import UsageFilter, conditions, day_of, usage_rows
from .alerts.evaluate import enqueue
from .billing.plans import treatment
from .extensions import DbSession, db
from .ids import new_id
from .invoicing import Month, plan_in_effect, terms_of
from .metering import prices
from .metering.usage import TokenUsage
from .models import AlertEvent, Budget, Client, Lane, Project, Report, RouteEntry, Workspace
from .models.base import utcnow
from .reports.figures import Aggregate, ReportInput, compute
from .reports.pdf import pdf_bytes
from .reports.render import Brand, html

log = logging.getLogger(__name__)

_SHARE_SALT: Final = "report-share"
MAX_SHARE_DAYS: Final = 90
STALE_RUNNING: Final = dt.timedelta(minutes=15)
"""A report `running` for longer than this was left by a process that died: asking for it again re-queues it."""


def month_aggregates(session: DbSession, workspace: Workspace, client_id: str, month: Month) -> list[Aggregate]:
    """The client's usage per (project, model, lane, local day) in the month: gateway requests and ingested
    usage events. A request is served when it succeeded (an ingested event always did)."""
    span = month.window(workspace.timezone)
    assert span.end is not None
    where = UsageFilter(workspace.id, span.start, span.end, {"client_id": client_id}, workspace.timezone)
    rows = usage_rows(workspace.id)
    day = day_of(rows.c.created_at, session.get_bind().dialect.name, where).label("day")
    ok = case((rows.c.status_code.is_(None), 1), (rows.c.status_code < 400, 1), else_=0)
    sums = [func.coalesce(func.sum(rows.c[n]), 0).label(n) for n in _SUMS]
    groups = [rows.c.project_id, rows.c.model, rows.c.lane_id, day]
    query = (
        select(*groups, func.count().label("requests"), func.sum(ok).label("ok"), *sums)
        .where(*conditions(rows, where))
        .group_by(*groups)
    )
    names = dict(session.execute(select(Project.id, Project.name).where(Project.workspace_id == workspace.id)).all())
    return [
        Aggregate(
            project=names.get(row["project_id"], row["project_id"]) if row["project_id"] else None,
            model=row["model"] or "unknown",
            lane_id=row["lane_id"],
            day=dt.date.fromisoformat(row["day"]),
            requests=int(row["requests"]),
            ok_requests=int(row["ok"] or 0),
            **{n: int(row[n]) for n in _SUMS},
        )
        for row in session.execute(query).mappings()
    ]


_SUMS: Final = ("input_tokens", "cached_input_tokens", "output_tokens", "value_micros", "cost_micros")


def cap_status(session: DbSession, client_id: str, value_micros: int) -> str:
    """The client's month against its monthly client budget (the smallest, if several): "38% of monthly budget".
    Budgets count API-equivalent value, as the ledger does."""
    amount = session.scalar(
        select(func.min(Budget.amount_micros)).where(
            Budget.client_id == client_id,
            Budget.scope == "client",
            Budget.period == "monthly",
            Budget.archived_at.is_(None),
        )
    )
    if not amount:
        return "no cap"
    percent = (Decimal(value_micros) * 100 / amount).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{percent}% of monthly budget"


def _first_lane(session: DbSession, workspace_id: str, client_id: str) -> str | None:
    """The first lane of the client's routing policy, or of the workspace default when it has none."""
    for owner in (RouteEntry.client_id == client_id, RouteEntry.client_id.is_(None)):
        query = select(RouteEntry.lane_id).where(RouteEntry.workspace_id == workspace_id, owner)
        lane_id = session.scalar(query.order_by(RouteEntry.position).limit(1))
        if lane_id is not None:
            return str(lane_id)
    return None


def report_input(
    session: DbSession, workspace: Workspace, client: Client, month: Month, now: dt.datetime
) -> ReportInput:
    aggregates = month_aggregates(session, workspace, client.id, month)
    plan = plan_in_effect(session, client.id, month)
    payments = dict(session.execute(select(Lane.id, Lane.payment).where(Lane.workspace_id == workspace.id)).all())
    return ReportInput(
        client_name=client.name,
        agency_name=workspace.name,
        year=month.year,
        month=month.month,
        price_table=Month.containing(now, workspace.timezone).label,
        treatment=treatment(None if plan is None else terms_of(plan)),
        cap_status=cap_status(session, client.id, sum(a.value_micros for a in aggregates)),
        aggregates=aggregates,
        lane_payments={str(k): str(v) for k, v in payments.items()},
        first_lane_id=_first_lane(session, workspace.id, client.id),
    )


def reprice(model: str, input_tokens: int, cached_input_tokens: int, output_tokens: int) -> int | None:
    """List value of tokens on a model (for the hints' what-ifs)."""
    usage = TokenUsage(input_tokens=input_tokens, cached_input_tokens=cached_input_tokens, output_tokens=output_tokens)
    return prices.value_micros(usage, model, None)


def brand_of(workspace: Workspace) -> Brand:
    return Brand(
        workspace.name, workspace.logo_url, workspace.primary_color, workspace.accent_color, workspace.report_footer
    )


def request_report(session: DbSession, workspace: Workspace, client: Client, month: Month) -> Report:
    """Queue the client's report for the month: a new row, or the existing one queued again (unless it is being
    made right now, and not for longer than `STALE_RUNNING`). Flushes; the caller commits and then dispatches."""
    found = _find(session, workspace.id, client.id, month)
    if found is None:
        found = Report(id=new_id("rpt"), workspace_id=workspace.id, client_id=client.id, month=str(month))
        try:
            with session.begin_nested():
                found.status, found.requested_at = "queued", utcnow()
                session.add(found)
            return found
        except IntegrityError:  # another process queued it first
            found = _find(session, workspace.id, client.id, month)
            assert found is not None
            return found
    now = utcnow()
    if found.status != "running" or found.requested_at < now - STALE_RUNNING:
        found.status, found.error, found.requested_at = "queued", None, now
        session.flush()
    return found


def _find(session: DbSession, workspace_id: str, client_id: str, month: Month) -> Report | None:
    return session.scalars(
        select(Report).where(
            Report.workspace_id == workspace_id, Report.client_id == client_id, Report.month == str(month)
        )
    ).first()


def generate(session: DbSession, report_id: str) -> bool:
    """Make a queued report: claim it (one process wins), compute, render, store, fire `report.ready`. Returns
    whether this call made it. A failure is stored on the report, not raised."""
    claimed = session.execute(
        update(Report).where(Report.id == report_id, Report.status == "queued").values(status="running")
    )
    session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    report = session.get(Report, report_id)
    assert report is not None
    try:
        workspace = session.get(Workspace, report.workspace_id)
        client = session.get(Client, report.client_id)
        assert workspace is not None and client is not None
        figures = compute(report_input(session, workspace, client, Month.parse(report.month), utcnow()), reprice)
        page = html(figures, brand_of(workspace))
        report.figures, report.html, report.pdf = figures, page, pdf_bytes(page)
        report.status, report.error, report.finished_at = "ready", None, utcnow()
        _fire_ready(session, report)
        session.commit()
    except Exception as exc:  # stored for the API to show; the job itself must not die silently
        log.exception("report %s failed", report_id)
        session.rollback()
        report = session.get(Report, report_id)
        assert report is not None
        report.status, report.error, report.finished_at = "failed", f"{type(exc).__name__}: {exc}"[:500], utcnow()
        session.commit()
    return True


def _fire_ready(session: DbSession, report: Report) -> None:
    now = utcnow()
    event = AlertEvent(
        id=new_id("evt"),
        workspace_id=report.workspace_id,
        type="report.ready",
        client_id=report.client_id,
        dedupe_key=f"report.ready:{report.id}:{now.timestamp():.6f}",
        payload={"report_id": report.id, "client_id": report.client_id, "month": report.month},
        created_at=now,
    )
    session.add(event)
    session.flush()
    enqueue(session, event)


def dispatch(app: Flask, report_ids: list[str]) -> None:
    """Run the reports' jobs: on the rq queue when jobs go through Redis, else on a thread of this process."""
    from .services import services

    settings = services(app).settings
    if settings.jobs_through_rq:
        from redis import Redis

        from .jobs.schedule import queue

        target = queue(Redis.from_url(settings.redis_url))
        for report_id in report_ids:
            target.enqueue("tollgate.jobs.tasks.generate_report", report_id, job_timeout=600, failure_ttl=86_400)
        return

    def run() -> None:
        with app.app_context():
            for report_id in report_ids:
                generate(db.session, report_id)

    threading.Thread(target=run, name="tollgate-reports", daemon=True).start()


def share_token(key: bytes, report: Report, expires_at: dt.datetime) -> str:
    """A link token for the report: its id, its current share nonce and the expiry, signed."""
    assert report.share_nonce is not None
    serializer = URLSafeSerializer(key, salt=_SHARE_SALT)
    return str(serializer.dumps({"r": report.id, "n": report.share_nonce, "e": int(expires_at.timestamp())}))


def new_share(report: Report, days: int, now: dt.datetime) -> dt.datetime:
    """Issue a new share nonce (links issued before stop working) and its expiry."""
    report.share_nonce = secrets.token_urlsafe(16)
    report.share_expires_at = now + dt.timedelta(days=days)
    return report.share_expires_at


def shared_report(session: DbSession, key: bytes, token: str, now: dt.datetime) -> Report | None:
    """The report a share token opens, or None when the token is forged, expired or revoked."""
    try:
        data: Any = URLSafeSerializer(key, salt=_SHARE_SALT).loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("e"), int) or data["e"] <= now.timestamp():
        return None
    report = session.get(Report, str(data.get("r")))
    if (
        report is None
        or report.share_nonce is None
        or not secrets.compare_digest(report.share_nonce, str(data.get("n")))
    ):
        return None
    return report if report.status == "ready" else None
