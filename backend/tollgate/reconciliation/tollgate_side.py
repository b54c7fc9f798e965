"""Tollgate's side: a lane's metered cost per UTC day and model, exact, from the request log.

Providers bucket their reports by UTC day, so the days here are UTC days whatever the workspace's time zone.
A metered lane compares its `cost` (what the agency pays, list price or the workspace's override); a BYOK lane
compares its `value` (Tollgate's list-price figure of what the client's provider bills them: the agency's
cost of a BYOK call is 0). The model is the one the upstream reported serving (else the one requested), as
providers report the model they served.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, not_, select

from ..admin.usage_sql import UsageFilter, day_of
from ..extensions import DbSession
from ..metering.prices import PICOS_PER_MICRO
from ..models import Lane, RequestLog
from .compare import TollgateLine


@dataclass(frozen=True, slots=True)
class TollgateSide:
    lines: list[TollgateLine]
    unpriced_requests: int
    """Requests of a model no price list knows: $0 on Tollgate's side, so a likely cause of a gap."""


def lane_costs(session: DbSession, lane: Lane, start: dt.date, end: dt.date) -> TollgateSide:
    """Per (UTC day, model) of `lane` over [start, end] (both days included)."""
    begin = dt.datetime.combine(start, dt.time(), dt.UTC)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC)
    where = UsageFilter(lane.workspace_id, begin, until, {}, "UTC")
    day = day_of(RequestLog.created_at, session.get_bind().dialect.name, where).label("day")
    model = func.coalesce(RequestLog.model_served, RequestLog.model_requested, "").label("model")
    byok = lane.payment == "byok"
    micros = RequestLog.value_micros if byok else RequestLog.cost_micros
    remainder = RequestLog.value_remainder_picos if byok else RequestLog.cost_remainder_picos
    query = (
        select(
            day,
            model,
            func.count().label("requests"),
            func.coalesce(func.sum(RequestLog.input_tokens), 0),
            func.coalesce(func.sum(RequestLog.output_tokens), 0),
            func.coalesce(func.sum(micros), 0),
            func.coalesce(func.sum(remainder), 0),
            func.coalesce(func.sum(case((not_(RequestLog.priced), 1), else_=0)), 0),
        )
        .where(
            RequestLog.workspace_id == lane.workspace_id,
            RequestLog.lane_id == lane.id,
            RequestLog.created_at >= begin,
            RequestLog.created_at < until,
        )
        .group_by(day, model)
    )
    lines, unpriced = [], 0
    for day_text, name, count, inputs, outputs, micros_sum, remainder_sum, unpriced_count in session.execute(query):
        picos = int(micros_sum) * PICOS_PER_MICRO + int(remainder_sum)
        on = dt.date.fromisoformat(str(day_text))
        lines.append(TollgateLine(on, str(name), picos, int(count), int(inputs), int(outputs)))
        unpriced += int(unpriced_count)
    return TollgateSide(lines, unpriced)
