"""Profitability per client and month, and for the book as a whole. Pure.

Revenue is what the client's plan bills for the month (the invoice draft's total). Cost to serve is the metered
cost logged, plus each flat-fee lane's monthly fee shared out among the clients it served in proportion to the
API-equivalent value each was served, plus nothing for BYOK traffic (the client pays its provider).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from .invoice import ProjectUsage, draft_invoice
from .money import MICROS_PER_USD
from .plans import PlanKind, PlanTerms

DOMINANT_SHARE: Final = Decimal("0.6")


@dataclass(frozen=True, slots=True)
class FlatLane:
    lane_id: str
    monthly_fee_micros: int
    value_served_micros: int
    """API-equivalent value the lane served that month, all clients together (what it would cost metered)."""


@dataclass(frozen=True, slots=True)
class ClientMonth:
    client_id: str
    client_name: str
    terms: PlanTerms | None
    projects: list[ProjectUsage]
    metered_cost_micros: int
    value_by_lane: dict[str, int] = field(default_factory=dict)
    """Value served per lane id (metered, flat and BYOK lanes alike)."""
    value_by_model: dict[str, int] = field(default_factory=dict)


def flat_fee_shares(flat_lanes: dict[str, FlatLane], value_by_client: dict[str, dict[str, int]]) -> dict[str, int]:
    """Each client's share of the flat lanes' fees, in proportion to the value each lane served it. Largest
    remainder per lane, so the shares of a lane that served anything add up to its fee to the micro-dollar."""
    shares: dict[str, int] = {client_id: 0 for client_id in value_by_client}
    for lane_id, lane in flat_lanes.items():
        weights = {c: v.get(lane_id, 0) for c, v in value_by_client.items() if v.get(lane_id, 0) > 0}
        whole = sum(weights.values())
        if whole <= 0:
            continue
        exact = {c: Decimal(lane.monthly_fee_micros) * w / whole for c, w in weights.items()}
        floors = {c: int(x) for c, x in exact.items()}
        left = lane.monthly_fee_micros - sum(floors.values())
        for c in sorted(exact, key=lambda c: (-(exact[c] - floors[c]), c))[:left]:
            floors[c] += 1
        for c, amount in floors.items():
            shares[c] += amount
    return shares


def _percent(part: int, whole: int) -> Decimal:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def client_profit(month: ClientMonth, flat_share: int, period: str) -> dict[str, Any]:
    """`flat_share`: the client's part of the flat lanes' fees (`flat_fee_shares`)."""
    revenue = 0
    if month.terms is not None:
        revenue = int(draft_invoice(month.terms, month.projects, period).total * MICROS_PER_USD)
    cost = month.metered_cost_micros + flat_share
    margin = revenue - cost
    return {
        "client_id": month.client_id,
        "client_name": month.client_name,
        "plan_kind": None if month.terms is None else month.terms.kind.value,
        "revenue_micros": revenue,
        "metered_cost_micros": month.metered_cost_micros,
        "flat_fee_share_micros": flat_share,
        "cost_micros": cost,
        "margin_micros": margin,
        "margin_percent": None if revenue <= 0 else f"{_percent(margin, revenue)}",
        "value_micros": sum(p.value_micros for p in month.projects),
        "tokens": sum(p.tokens for p in month.projects),
        "reasons": reasons(month, revenue, cost) if margin < 0 else [],
    }


def reasons(month: ClientMonth, revenue: int, cost: int) -> list[str]:
    """Why a client loses money this month, most specific first."""
    found: list[str] = []
    terms = month.terms
    tokens = sum(p.tokens for p in month.projects)
    if terms is None:
        found.append("no billing plan: its usage is not billed")
    elif terms.kind is PlanKind.RETAINER and terms.included_tokens is not None and tokens > terms.included_tokens:
        found.append(f"over the retainer's tokens: {tokens:,} used, {terms.included_tokens:,} included")
    elif terms.kind is PlanKind.FIXED:
        found.append("fixed retainer with usage included: the usage costs more than the fee")
    value = sum(month.value_by_model.values())
    if value > 0 and month.value_by_model:
        model, top = max(month.value_by_model.items(), key=lambda item: (item[1], item[0]))
        if len(month.value_by_model) == 1 or Decimal(top) / value >= DOMINANT_SHARE:
            found.append(f"model mix: {model} is {_percent(top, value)}% of the value served")
    project_value = sum(p.value_micros for p in month.projects)
    if project_value > 0 and len(month.projects) > 1:
        top_project = max(month.projects, key=lambda p: (p.value_micros, p.label))
        if Decimal(top_project.value_micros) / project_value >= DOMINANT_SHARE:
            share = _percent(top_project.value_micros, project_value)
            found.append(f"one runaway project: {top_project.label} is {share}% of the usage")
    if not found:
        found.append(f"usage costs more than the plan bills ({cost - revenue:,} micro-dollars short)")
    return found


def book(clients: list[dict[str, Any]], flat_lanes: dict[str, FlatLane], metered_value_on_flat: int) -> dict[str, Any]:
    """The whole book: totals, metered versus flat for the flat lanes' traffic, and what the next client costs."""
    revenue = sum(c["revenue_micros"] for c in clients)
    cost = sum(c["cost_micros"] for c in clients)
    fees = sum(lane.monthly_fee_micros for lane in flat_lanes.values())
    served = [c for c in clients if c["value_micros"] > 0]
    average_value = sum(c["value_micros"] for c in served) // len(served) if served else 0
    return {
        "clients": len(clients),
        "revenue_micros": revenue,
        "cost_micros": cost,
        "margin_micros": revenue - cost,
        "margin_percent": None if revenue <= 0 else f"{_percent(revenue - cost, revenue)}",
        "unprofitable_clients": sum(1 for c in clients if c["margin_micros"] < 0),
        "flat_fees_micros": fees,
        "flat_traffic_metered_micros": metered_value_on_flat,
        "flat_saving_micros": metered_value_on_flat - fees,
        "next_client_metered_micros": average_value,
        "summary": _summary(len(served), average_value, metered_value_on_flat, fees),
    }


def _summary(clients: int, average_value: int, metered: int, fees: int) -> str:
    def usd(micros: int) -> str:
        return f"${(Decimal(micros) / MICROS_PER_USD).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"

    return (
        f"{clients} clients × {usd(average_value)} = {usd(average_value * clients)} a month at metered prices; "
        f"the flat lanes' traffic would cost {usd(metered)} metered against {usd(fees)} in fees; "
        f"the next client like the average costs {usd(average_value)} a month metered, and no more fee on a flat "
        f"lane with room to spare."
    )
