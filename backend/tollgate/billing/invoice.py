"""Invoice drafts: a client's month of usage per project, priced by its billing plan, to the cent.

Every line has quantity 1 and its amount as its rate, so an accounting package that checks
quantity × rate = amount on import finds them equal; the quantities that matter (tokens, overage tokens)
are in the line's description. The rounding rule is `money`'s: each printed amount is rounded half-up to
the cent once, and totals are sums of printed amounts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .money import micros_to_cents, overage, percent_of
from .plans import PlanKind, PlanTerms, UsageBasis

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class ProjectUsage:
    """One project's month (`name` is None for traffic not attributed to a project)."""

    name: str | None
    cost_micros: int
    value_micros: int
    tokens: int
    """Input plus output tokens."""
    requests: int = 0

    @property
    def label(self) -> str:
        return self.name or "Other usage (no project)"


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    item: str
    """Product/service name, the same on every invoice (accountants map it to an income account once)."""
    description: str
    amount: Decimal
    quantity: Decimal = Decimal(1)

    @property
    def unit_amount(self) -> Decimal:
        return self.amount

    def to_json(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "description": self.description,
            "quantity": f"{self.quantity:f}",
            "unit_amount": f"{self.unit_amount:f}",
            "amount": f"{self.amount:f}",
        }


@dataclass(frozen=True, slots=True)
class InvoiceDraft:
    lines: list[InvoiceLine]
    usage_subtotal: Decimal
    """The sum of the usage lines per project (what a markup is a percentage of)."""
    total: Decimal
    tokens: int
    overage_tokens: int = 0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "lines": [line.to_json() for line in self.lines],
            "usage_subtotal": f"{self.usage_subtotal:f}",
            "total": f"{self.total:f}",
            "tokens": self.tokens,
            "overage_tokens": self.overage_tokens,
        }


USAGE_ITEM = "AI usage"
MARKUP_ITEM = "AI usage markup"
RETAINER_ITEM = "AI retainer"
OVERAGE_ITEM = "AI usage overage"
SERVICE_ITEM = "AI service fee"


def draft_invoice(terms: PlanTerms, projects: list[ProjectUsage], period: str) -> InvoiceDraft:
    """The invoice for one client and month under `terms`. `period` names the month ("May 2026")."""
    projects = sorted(projects, key=lambda p: (p.name is None, p.label))
    tokens = sum(p.tokens for p in projects)
    if terms.kind in (PlanKind.PASS_THROUGH, PlanKind.COST_PLUS):
        return _metered(terms, projects, period, tokens)
    fee = terms.monthly_fee if terms.monthly_fee is not None else ZERO
    fee_item = SERVICE_ITEM if terms.kind is PlanKind.BYOK else RETAINER_ITEM
    lines = [InvoiceLine(fee_item, f"{terms.title}, {period}", fee)]
    included_note = {
        PlanKind.BYOK: "billed to your own provider account",
        PlanKind.FIXED: "included in retainer",
        PlanKind.RETAINER: "included in retainer",
    }[terms.kind]
    lines += [
        InvoiceLine(USAGE_ITEM, f"{p.label}: {p.tokens:,} tokens, {period} ({included_note})", ZERO) for p in projects
    ]
    over = 0
    if terms.kind is PlanKind.RETAINER:
        included = terms.included_tokens or 0
        rate = terms.overage_per_mtok if terms.overage_per_mtok is not None else ZERO
        over = max(0, tokens - included)
        if over:
            text = f"Overage: {over:,} tokens over {included:,} included, at ${rate:,.2f} per 1M tokens"
            lines.append(InvoiceLine(OVERAGE_ITEM, text, overage(over, rate)))
    total = sum((line.amount for line in lines), ZERO)
    return InvoiceDraft(lines, ZERO, total, tokens, over)


def _metered(terms: PlanTerms, projects: list[ProjectUsage], period: str, tokens: int) -> InvoiceDraft:
    by_value = terms.usage_basis is UsageBasis.VALUE
    lines = [
        InvoiceLine(
            USAGE_ITEM,
            f"{p.label}: AI usage, {period} ({p.tokens:,} tokens)",
            micros_to_cents(p.value_micros if by_value else p.cost_micros),
        )
        for p in projects
    ]
    subtotal = sum((line.amount for line in lines), ZERO)
    if terms.kind is PlanKind.COST_PLUS:
        percent = terms.markup_percent if terms.markup_percent is not None else Decimal(0)
        markup = percent_of(subtotal, percent)
        lines.append(InvoiceLine(MARKUP_ITEM, f"Markup {percent.normalize():f}% on ${subtotal:,.2f}", markup))
    total = sum((line.amount for line in lines), ZERO)
    return InvoiceDraft(lines, subtotal, total, tokens)
