"""A client's month in figures: the header, breakdowns by workflow and model, the daily series, lanes and
fallbacks. Every rendering (HTML, PDF, CSV, JSON) is made from the `Figures` this module computes."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .hints import Hint, ModelUsage, Repricer, hints_for

MICROS_PER_USD = Decimal(1_000_000)
PAYMENT_LABELS = {"metered": "Metered API", "flat": "Flat-fee plan", "byok": "Client's own provider account"}


@dataclass(frozen=True, slots=True)
class Aggregate:
    """Usage of one (project, model, lane, local day) of the month."""

    project: str | None
    model: str
    lane_id: str | None
    day: dt.date
    requests: int
    ok_requests: int
    input_tokens: int
    cached_input_tokens: int
    output_tokens: int
    value_micros: int
    cost_micros: int


@dataclass(frozen=True, slots=True)
class ReportInput:
    client_name: str
    agency_name: str
    year: int
    month: int
    price_table: str
    """The month naming the price table: "June 2026"."""
    treatment: str
    cap_status: str
    aggregates: list[Aggregate]
    lane_payments: dict[str, str]
    """lane id → metered | flat | byok."""
    first_lane_id: str | None
    """The first lane of the client's routing policy: traffic served by another lane fell back to it."""


def usd_whole(micros: int) -> str:
    """$612 (whole dollars, half-up)."""
    dollars = (Decimal(micros) / MICROS_PER_USD).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"${dollars:,}"


def usd_cents(micros: int) -> str:
    dollars = (Decimal(micros) / MICROS_PER_USD).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"${dollars:,}"


def month_label(year: int, month: int) -> str:
    return dt.date(year, month, 1).strftime("%B %Y")


def _days(year: int, month: int) -> list[dt.date]:
    first = dt.date(year, month, 1)
    nxt = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
    return [first + dt.timedelta(days=i) for i in range((nxt - first).days)]


def _rollup(rows: Iterable[Aggregate], key: Any) -> list[dict[str, Any]]:
    """Requests, tokens and value per key, largest value first."""
    sums: dict[Any, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for row in rows:
        entry = sums[key(row)]
        entry[0] += row.ok_requests
        entry[1] += row.input_tokens + row.output_tokens
        entry[2] += row.value_micros
        entry[3] += row.requests
    ordered = sorted(sums.items(), key=lambda item: (-item[1][2], str(item[0])))
    return [
        {"name": name, "requests": s[0], "tokens": s[1], "value_micros": s[2], "value": usd_cents(s[2])}
        for name, (s) in ordered
    ]


def compute(data: ReportInput, reprice: Repricer) -> dict[str, Any]:
    """The report's figures as plain JSON-able data (the one source of every format)."""
    rows = data.aggregates
    label = month_label(data.year, data.month)
    workflows = sorted({row.project for row in rows if row.project is not None and row.ok_requests})
    served = sum(row.ok_requests for row in rows)
    value = sum(row.value_micros for row in rows)
    header = [
        f"{data.client_name}: AI usage report, {label}",
        f"Prepared by: {data.agency_name}",
        f"Workflows: {', '.join(workflows) if workflows else 'none'}",
        f"Requests served: {served:,}",
        f"API-equivalent value: {usd_whole(value)} ({data.price_table} list prices)",
        f"Billing treatment: {data.treatment}",
        f"Cap status: {data.cap_status}",
    ]
    daily: dict[dt.date, list[int]] = {day: [0, 0] for day in _days(data.year, data.month)}
    for row in rows:
        if row.day in daily:
            daily[row.day][0] += row.ok_requests
            daily[row.day][1] += row.value_micros
    lanes = _rollup(rows, lambda r: PAYMENT_LABELS.get(data.lane_payments.get(r.lane_id or "", ""), "Reported usage"))
    fallbacks = sum(
        row.ok_requests
        for row in rows
        if data.first_lane_id is not None and row.lane_id is not None and row.lane_id != data.first_lane_id
    )
    models = [
        ModelUsage(
            m,
            sum(r.ok_requests for r in rows if r.model == m),
            sum(r.input_tokens for r in rows if r.model == m),
            sum(r.cached_input_tokens for r in rows if r.model == m),
            sum(r.output_tokens for r in rows if r.model == m),
            sum(r.value_micros for r in rows if r.model == m),
        )
        for m in sorted({r.model for r in rows})
    ]
    hints: list[Hint] = hints_for(models, reprice)
    return {
        "client": data.client_name,
        "agency": data.agency_name,
        "month": f"{data.year:04d}-{data.month:02d}",
        "month_label": label,
        "header": header,
        "workflows": workflows,
        "requests_served": served,
        "requests_total": sum(row.requests for row in rows),
        "value_micros": value,
        "cost_micros": sum(row.cost_micros for row in rows),
        "price_table": data.price_table,
        "billing_treatment": data.treatment,
        "cap_status": data.cap_status,
        "by_workflow": _rollup(rows, lambda r: r.project or "Other (no workflow)"),
        "by_model": _rollup(rows, lambda r: r.model),
        "daily": [
            {"day": day.isoformat(), "requests": req, "value_micros": val, "value": usd_cents(val)}
            for day, (req, val) in daily.items()
        ],
        "lanes": lanes,
        "fallbacks": fallbacks,
        "hints": [hint.to_json() for hint in hints],
        "estimated_monthly_saving_micros": sum(hint.saving_micros for hint in hints),
    }
