"""SQL for usage queries: gateway request logs and ingested usage events as one row set (`source` tells them
apart), filters, grouping and totals. No Flask here; the usage views and CSV exports build on it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, String, Subquery, cast, func, literal, null, select, union_all

from ..models import RequestLog, UsageEvent

SOURCES: Final = ("gateway", "ingested")
GROUPS: Final = {
    "client": "client_id",
    "project": "project_id",
    "key": "key_id",
    "model": "model",
    "provider": "provider",
    "lane": "lane_id",
    "day": "day",
    "source": "source",
}
FILTERS: Final = ("client_id", "project_id", "key_id", "model", "provider", "lane_id", "source")
_SUMS: Final = (
    "input_tokens",
    "cached_input_tokens",
    "output_tokens",
    "reasoning_tokens",
    "cost_micros",
    "value_micros",
)


@dataclass(frozen=True)
class UsageFilter:
    workspace_id: str
    start: dt.datetime
    end: dt.datetime
    equals: dict[str, str]
    """Column → value, for the names in FILTERS."""


def usage_rows(workspace_id: str) -> Subquery:
    """Every metered event of a workspace: gateway requests and ingested usage, in one shape."""
    gateway = select(
        literal("gateway", String).label("source"),
        RequestLog.id.label("row_id"),
        RequestLog.request_id.label("ref"),
        RequestLog.created_at,
        RequestLog.client_id,
        RequestLog.project_id,
        RequestLog.key_id,
        func.coalesce(RequestLog.model_served, RequestLog.model_requested).label("model"),
        RequestLog.provider,
        RequestLog.lane_id,
        RequestLog.endpoint,
        RequestLog.status_code,
        RequestLog.latency_ms,
        *(getattr(RequestLog, name) for name in _SUMS),
        RequestLog.priced,
    ).where(RequestLog.workspace_id == workspace_id)
    ingested = select(
        literal("ingested", String).label("source"),
        UsageEvent.id.label("row_id"),
        UsageEvent.event_id.label("ref"),
        UsageEvent.created_at,
        UsageEvent.client_id,
        UsageEvent.project_id,
        cast(null(), String).label("key_id"),
        UsageEvent.model,
        UsageEvent.provider,
        cast(null(), String).label("lane_id"),
        cast(null(), String).label("endpoint"),
        cast(null(), RequestLog.status_code.type).label("status_code"),
        cast(null(), RequestLog.latency_ms.type).label("latency_ms"),
        *(getattr(UsageEvent, name) for name in _SUMS),
        UsageEvent.priced,
    ).where(UsageEvent.workspace_id == workspace_id)
    return union_all(gateway, ingested).subquery("usage")


def conditions(rows: Subquery, where: UsageFilter) -> list[ColumnElement[bool]]:
    found = [rows.c.created_at >= where.start, rows.c.created_at < where.end]
    found += [rows.c[name] == value for name, value in where.equals.items()]
    return found


def day_of(column: Any, dialect: str) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp, as YYYY-MM-DD text."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", column)


def _group_columns(rows: Subquery, group_by: list[str], dialect: str) -> list[ColumnElement[Any]]:
    columns: list[ColumnElement[Any]] = []
    for name in group_by:
        key = GROUPS[name]
        column = day_of(rows.c.created_at, dialect) if key == "day" else rows.c[key]
        columns.append(column.label(key))
    return columns


def _measures(rows: Subquery) -> list[ColumnElement[Any]]:
    return [func.count().label("requests")] + [func.coalesce(func.sum(rows.c[name]), 0).label(name) for name in _SUMS]


def grouped(where: UsageFilter, group_by: list[str], dialect: str) -> Select[Any]:
    """Totals per group, ordered by the group columns (stable for offset paging)."""
    rows = usage_rows(where.workspace_id)
    groups = _group_columns(rows, group_by, dialect)
    query = select(*groups, *_measures(rows)).where(*conditions(rows, where))
    if groups:
        query = query.group_by(*groups).order_by(*(g.asc() for g in groups))
    return query


def totals(where: UsageFilter) -> Select[Any]:
    rows = usage_rows(where.workspace_id)
    return select(*_measures(rows)).where(*conditions(rows, where))


def log_rows(where: UsageFilter) -> tuple[Select[Any], Subquery]:
    """Individual events, newest first (keyset order: created_at, source, row_id)."""
    rows = usage_rows(where.workspace_id)
    query = (
        select(rows)
        .where(*conditions(rows, where))
        .order_by(rows.c.created_at.desc(), rows.c.source.desc(), rows.c.row_id.desc())
    )
    return query, rows
