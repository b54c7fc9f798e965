"""/usage, /usage/burn-rate and /request-logs: what was used, by whom, at what cost. Gateway traffic and
ingested usage events appear side by side, told apart by `source`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, or_, select

from ...budgets.periods import zone
from ...extensions import db
from ...models import Client, Workspace
from ..auth import actor, requires
from ..blueprint import admin_blueprint
from ..pagination import decode_cursor, encode_cursor, offset_page, unknown_cursor
from ..schemas.common import usd
from ..schemas.usage import (
    BurnRateArgs,
    BurnRatePageSchema,
    RequestLogArgs,
    RequestLogPageSchema,
    UsageQueryArgs,
    UsageReportSchema,
)
from ..scope import forced_client_id
from ..usage_sql import FILTERS, SOURCES, UsageFilter, data_span, exact_money, grouped, log_rows, narrowed, totals

bp = admin_blueprint("usage", __name__, "Usage: totals, time series, burn rate and the request log.")


def usage_filter(args: dict[str, Any]) -> UsageFilter:
    """The caller's filters; a client token is always limited to its own client."""
    equals = {name: args[name] for name in FILTERS if args.get(name)}
    client_id = forced_client_id(args.get("client_id"))
    if client_id:
        equals["client_id"] = client_id
    return UsageFilter(actor().workspace_id, args["start"], args["end"], equals, workspace_timezone())


def workspace_timezone() -> str:
    """The caller's workspace time zone (IANA name): its calendar days are the `day` groups, its months the
    monthly export's."""
    workspace = db.session.get(Workspace, actor().workspace_id)
    return workspace.timezone if workspace is not None and workspace.timezone else "UTC"


def with_money(row: Any) -> dict[str, Any]:
    data = exact_money(row)
    data["cost_usd"] = usd(int(data["cost_micros"]))
    data["value_usd"] = usd(int(data["value_micros"]))
    if "input_tokens" in data:
        data["total_tokens"] = int(data["input_tokens"]) + int(data["output_tokens"])
    return data


def dialect() -> str:
    return str(db.engine.dialect.name)


@bp.route("/usage", methods=["GET"])
@requires("read", client=True)
@bp.arguments(UsageQueryArgs, location="query")
@bp.response(200, UsageReportSchema)
def usage(args: dict[str, Any]) -> dict[str, Any]:
    """Totals for a time range, grouped by any of client, project, key, model, provider, lane, day, source."""
    where = usage_filter(args)
    grouping = where
    if "day" in args["group_by"] and dialect() != "postgresql":  # see usage_sql.day_of
        grouping = narrowed(where, *db.session.execute(data_span(where)).one())
    rows, next_cursor = offset_page(grouped(grouping, args["group_by"], dialect()), args)
    total = db.session.execute(totals(where)).mappings().one()
    return {
        "start": where.start,
        "end": where.end,
        "group_by": args["group_by"],
        "data": [with_money(r) for r in rows],
        "totals": with_money(total),
        "next_cursor": next_cursor,
    }


@bp.route("/usage/burn-rate", methods=["GET"])
@requires("read", client=True)
@bp.arguments(BurnRateArgs, location="query")
@bp.response(200, BurnRatePageSchema)
def burn_rate(args: dict[str, Any]) -> dict[str, Any]:
    """Average cost per day of each client over the last `days` days, highest first."""
    where = usage_filter(burn_window(args["days"], workspace_timezone()) | args)
    per_client = grouped(where, ["client"], dialect()).subquery()
    query = (
        select(per_client, Client.name.label("client_name"))
        .join(Client, Client.id == per_client.c.client_id, isouter=True)
        .order_by(per_client.c.cost_micros.desc(), per_client.c.client_id)
    )
    rows, next_cursor = offset_page(query, args)
    days = args["days"]
    data = [d | {"days": days, "daily_cost_micros": int(d["cost_micros"]) // days} for d in map(with_money, rows)]
    return {"data": [d | {"daily_cost_usd": usd(d["daily_cost_micros"])} for d in data], "next_cursor": next_cursor}


def burn_window(days: int, tz_name: str, now: dt.datetime | None = None) -> dict[str, dt.datetime]:
    """The last `days` calendar days of the workspace up to now: from the same wall-clock time `days` local days
    ago, so a window across a DST change holds 24 × days ± 1 hours, exactly `days` of the workspace's days."""
    end = now or dt.datetime.now(dt.UTC)
    local = end.astimezone(zone(tz_name))
    start = (local.replace(tzinfo=None) - dt.timedelta(days=days)).replace(tzinfo=local.tzinfo)
    return {"start": start.astimezone(dt.UTC), "end": end}


@bp.route("/request-logs", methods=["GET"])
@requires("read", client=True)
@bp.arguments(RequestLogArgs, location="query")
@bp.response(200, RequestLogPageSchema)
def request_logs(args: dict[str, Any]) -> dict[str, Any]:
    """Individual requests and ingested events, newest first, with filters. Never message content."""
    rows, next_cursor = log_page(args, int(args["limit"]), args.get("cursor"))
    return {"data": [with_money(r) for r in rows], "next_cursor": next_cursor}


def log_page(
    args: dict[str, Any], limit: int, cursor: str | None, where: UsageFilter | None = None
) -> tuple[list[Any], str | None]:
    """One keyset page of the request log (used by the listing and, chunk by chunk, by the CSV export, which
    passes the filter it checked before streaming)."""
    query, rows = log_rows(where or usage_filter(args))
    if args.get("status") == "error":
        query = query.where(rows.c.status_code >= 400)
    elif args.get("status") == "ok":
        query = query.where(or_(rows.c.status_code.is_(None), rows.c.status_code < 400))
    if cursor:
        at, source, row_id = _log_cursor(cursor)
        query = query.where(
            or_(
                rows.c.created_at < at,
                and_(
                    rows.c.created_at == at,
                    or_(rows.c.source < source, and_(rows.c.source == source, rows.c.row_id < row_id)),
                ),
            )
        )
    found = list(db.session.execute(query.limit(limit + 1)).mappings())
    if len(found) <= limit:
        return found, None
    last = found[limit - 1]
    return found[:limit], encode_cursor("log", [last["created_at"].isoformat(), last["source"]], last["row_id"])


def _log_cursor(cursor: str) -> tuple[dt.datetime, str, int]:
    """(created_at, source, row_id) of a request-log cursor; anything else is a 404 (a forged value of the wrong
    type would otherwise reach SQL, where PostgreSQL refuses to compare it)."""
    try:
        (moment, source), row_id = decode_cursor(cursor, "log")
        at = dt.datetime.fromisoformat(moment)
        if at.tzinfo is not None and source in SOURCES and type(row_id) is int:
            return at, source, row_id
    except (TypeError, ValueError):
        pass
    unknown_cursor()
