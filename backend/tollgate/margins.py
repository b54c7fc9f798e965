"""The database side of profitability: each active client's month (plan, usage per project, lane and model)
and the flat-fee lanes' fees and traffic, handed to `billing.profitability`."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select

from .admin.usage_sql import UsageFilter, conditions, usage_rows
from .billing.profitability import ClientMonth, FlatLane, book, client_profit, flat_fee_shares
from .extensions import DbSession
from .invoicing import Month, plan_in_effect, project_usage, terms_of
from .models import Client, Lane, Workspace


def profitability(session: DbSession, workspace: Workspace, month: Month) -> dict[str, Any]:
    span = month.window(workspace.timezone)
    assert span.end is not None
    rows = usage_rows(workspace.id)
    where = UsageFilter(workspace.id, span.start, span.end, {}, workspace.timezone)
    per_lane: dict[str, dict[str, int]] = defaultdict(dict)
    per_model: dict[str, dict[str, int]] = defaultdict(dict)
    metered: dict[str, int] = defaultdict(int)
    lanes = {lane.id: lane for lane in session.scalars(select(Lane).where(Lane.workspace_id == workspace.id))}
    query = (
        select(
            rows.c.client_id,
            rows.c.lane_id,
            rows.c.model,
            func.coalesce(func.sum(rows.c.value_micros), 0).label("value"),
            func.coalesce(func.sum(rows.c.cost_micros), 0).label("cost"),
        )
        .where(*conditions(rows, where))
        .group_by(rows.c.client_id, rows.c.lane_id, rows.c.model)
    )
    for row in session.execute(query).mappings():
        client_id, lane_id, value = row["client_id"], row["lane_id"] or "", int(row["value"])
        per_lane[client_id][lane_id] = per_lane[client_id].get(lane_id, 0) + value
        model = row["model"] or "unknown"
        per_model[client_id][model] = per_model[client_id].get(model, 0) + value
        metered[client_id] += int(row["cost"])
    flat = {
        lane.id: FlatLane(lane.id, lane.monthly_fee_micros or 0, sum(v.get(lane.id, 0) for v in per_lane.values()))
        for lane in lanes.values()
        if lane.payment == "flat"
    }
    clients = session.scalars(
        select(Client).where(Client.workspace_id == workspace.id, Client.archived_at.is_(None)).order_by(Client.name)
    ).all()
    shares = flat_fee_shares(flat, {client.id: per_lane[client.id] for client in clients})
    results = []
    for client in clients:
        plan = plan_in_effect(session, client.id, month)
        data = ClientMonth(
            client.id,
            client.name,
            None if plan is None else terms_of(plan),
            project_usage(session, workspace, client.id, month),
            metered[client.id],
            per_lane[client.id],
            per_model[client.id],
        )
        results.append(client_profit(data, shares[client.id], month.label))
    metered_on_flat = sum(lane.value_served_micros for lane in flat.values())
    return {
        "month": str(month),
        "clients": results,
        "unprofitable": [
            {"client_id": c["client_id"], "client_name": c["client_name"], "reasons": c["reasons"]}
            for c in sorted(results, key=lambda c: c["margin_micros"])
            if c["margin_micros"] < 0
        ],
        "book": book(results, flat, metered_on_flat),
    }
