"""SQL for usage queries: gateway request logs and ingested usage events as one row set (`source` tells them
apart), filters, grouping and totals. No Flask here; the usage views and CSV exports build on it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Select,
    String,
    Subquery,
    case,
    cast,
    func,
    literal,
    not_,
    null,
    select,
    union_all,
)

from ..budgets.periods import zone
from ..metering.prices import exact_micros
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
    "cost_remainder_picos",
    "value_remainder_picos",
)
"""Summed per group. A money total is `prices.exact_micros(Σ *_micros, Σ *_remainder_picos)` (`exact_money`)."""
MEDIA: Final = ("images", "audio_ms")
"""Media counts, summed per group too: images generated and audio milliseconds transcribed (gateway requests
only; an ingested event carries tokens, so its counts are 0)."""


@dataclass(frozen=True)
class UsageFilter:
    workspace_id: str
    start: dt.datetime
    end: dt.datetime
    equals: dict[str, str]
    """Column → value, for the names in FILTERS."""
    timezone: str = "UTC"
    """The workspace's IANA time zone: `day` groups are its calendar days."""


def exact_money(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A grouped row with its cost/value sums exact to the micro-dollar: the remainders (each request's value
    below a micro-dollar) are added up and carried in, then dropped."""
    data = dict(row)
    for money in ("cost", "value"):
        remainder = data.pop(f"{money}_remainder_picos", None)
        if remainder is not None:
            data[f"{money}_micros"] = exact_micros(int(data[f"{money}_micros"]), int(remainder))
    return data


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
        *(getattr(RequestLog, name) for name in MEDIA),
        RequestLog.priced,
        RequestLog.usage_estimated,
        RequestLog.model_requested,
        RequestLog.error_code,
        RequestLog.ttfb_ms,
        RequestLog.end_user,
        RequestLog.metadata_.label("metadata"),
        RequestLog.attempts,
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
        *(literal(0).label(name) for name in MEDIA),
        UsageEvent.priced,
        literal(False, Boolean).label("usage_estimated"),
        cast(null(), String).label("model_requested"),
        cast(null(), String).label("error_code"),
        cast(null(), RequestLog.ttfb_ms.type).label("ttfb_ms"),
        cast(null(), String).label("end_user"),
        UsageEvent.metadata_.label("metadata"),
        cast(null(), RequestLog.attempts.type).label("attempts"),
    ).where(UsageEvent.workspace_id == workspace_id)
    return union_all(gateway, ingested).subquery("usage")


def conditions(rows: Subquery, where: UsageFilter) -> list[ColumnElement[bool]]:
    found = [rows.c.created_at >= where.start, rows.c.created_at < where.end]
    found += [rows.c[name] == value for name, value in where.equals.items()]
    return found


def data_span(where: UsageFilter) -> Select[Any]:
    """(first, last) `created_at` of the rows `where` selects, (None, None) if none."""
    rows = usage_rows(where.workspace_id)
    return select(func.min(rows.c.created_at), func.max(rows.c.created_at)).where(*conditions(rows, where))


def narrowed(where: UsageFilter, first: dt.datetime | None, last: dt.datetime | None) -> UsageFilter:
    """The same rows, over the span they really cover (`data_span`): any range the API accepts (years 2000 to
    8999) costs SQLite's `day` grouping only the offset changes between the first and the last row."""
    if first is None or last is None:
        return replace(where, end=where.start)  # no rows: an empty range
    return replace(where, start=max(where.start, first), end=min(where.end, last + dt.timedelta(microseconds=1)))


def day_of(column: Any, dialect: str, where: UsageFilter) -> ColumnElement[Any]:
    """The calendar day of a timestamp in the workspace's time zone, as YYYY-MM-DD text.

    PostgreSQL converts with its own time zone database: `timezone(zone, timestamptz)` is the local wall time,
    DST included, whatever the session's TimeZone. SQLite has no time zones, so the UTC offset is worked out
    here: the queried range is cut at each change of the zone's offset (`offset_pieces`: DST transitions, two a
    year at most, over the span the rows cover: `narrowed`), and within a piece the local day is
    the UTC time shifted by that piece's constant offset. Unlike one offset for the whole range, this is right
    on both sides of every transition (and days of 23 or 25 hours hold exactly their own rows); unlike a CASE
    per day it stays small.
    """
    if dialect == "postgresql":
        return func.to_char(func.timezone(where.timezone, column), "YYYY-MM-DD")
    pieces = offset_pieces(where.timezone, where.start, where.end)

    def local_day(offset: int) -> ColumnElement[Any]:
        return func.strftime("%Y-%m-%d", column, f"{offset:+d} seconds")

    if len(pieces) == 1:
        return local_day(pieces[0][1])
    whens = [(column < until, local_day(offset)) for until, offset in pieces[:-1]]
    return case(*whens, else_=local_day(pieces[-1][1]))


def offset_pieces(tz_name: str, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, int]]:
    """[(until, UTC offset in seconds)] covering [start, end): each offset holds for instants before its
    `until` (and from the previous piece's `until` on); the last piece's `until` is `end`. Transitions are found
    by comparing offsets a day apart, then bisecting to the second (zones change offset on whole seconds)."""
    tz = zone(tz_name)

    def offset(at: int) -> int:
        delta = dt.datetime.fromtimestamp(at, tz).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    first, last = int(start.timestamp()), int(end.timestamp()) + 1
    pieces: list[tuple[dt.datetime, int]] = []
    current, probe = offset(first), first
    while probe < last:
        step = min(probe + 86_400, last)
        if offset(step) != current:
            low, high = probe, step  # offset(low) == current != offset(high)
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(middle) == current else (low, middle)
            pieces.append((dt.datetime.fromtimestamp(high, dt.UTC), current))
            current = offset(high)
            probe = high
        else:
            probe = step
    pieces.append((end, current))
    return pieces


def _group_columns(rows: Subquery, group_by: list[str], dialect: str, where: UsageFilter) -> list[ColumnElement[Any]]:
    columns: list[ColumnElement[Any]] = []
    for name in group_by:
        key = GROUPS[name]
        column = day_of(rows.c.created_at, dialect, where) if key == "day" else rows.c[key]
        columns.append(column.label(key))
    return columns


def _measures(rows: Subquery) -> list[ColumnElement[Any]]:
    """Counts and sums. Unpriced rows (a model with no known price) add $0 to the money sums, so their requests
    and tokens are also counted apart: a total is never silently short."""
    unpriced = not_(rows.c.priced)
    return [
        func.count().label("requests"),
        *(func.coalesce(func.sum(rows.c[name]), 0).label(name) for name in (*_SUMS, *MEDIA)),
        func.coalesce(func.sum(case((unpriced, 1), else_=0)), 0).label("unpriced_requests"),
        func.coalesce(func.sum(case((unpriced, rows.c.input_tokens + rows.c.output_tokens), else_=0)), 0).label(
            "unpriced_tokens"
        ),
    ]


def grouped(where: UsageFilter, group_by: list[str], dialect: str) -> Select[Any]:
    """Totals per group, ordered by the group columns (stable for offset paging)."""
    rows = usage_rows(where.workspace_id)
    groups = _group_columns(rows, group_by, dialect, where)
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
