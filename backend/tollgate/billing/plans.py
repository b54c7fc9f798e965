"""Billing plans: how a client's month of AI usage becomes an invoice.

Five kinds: usage passed through at cost; cost plus a markup percentage; a retainer with included tokens and
an overage rate per million tokens (three presets); BYOK (the client pays its provider directly) with a
monthly service fee; and a fixed retainer with all usage included.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final


class PlanKind(StrEnum):
    PASS_THROUGH = "pass_through"
    COST_PLUS = "cost_plus"
    RETAINER = "retainer"
    BYOK = "byok"
    FIXED = "fixed"


class UsageBasis(StrEnum):
    """What a client's usage is billed at under pass-through and cost-plus plans."""

    COST = "cost"
    """What the usage cost the agency, as logged (metered lanes; flat-fee and BYOK traffic log no cost)."""
    VALUE = "value"
    """Its API-equivalent value at list prices (for agencies serving clients from flat-fee lanes)."""


@dataclass(frozen=True, slots=True)
class Preset:
    name: str
    label: str
    monthly_fee: Decimal
    included_tokens: int
    overage_per_mtok: Decimal


OVERAGE_PER_MTOK: Final = Decimal("60.00")
PRESETS: Final[dict[str, Preset]] = {
    "starter": Preset("starter", "Starter", Decimal("500.00"), 2_000_000, OVERAGE_PER_MTOK),
    "growth": Preset("growth", "Growth", Decimal("1200.00"), 5_000_000, OVERAGE_PER_MTOK),
    "pro": Preset("pro", "Pro", Decimal("2500.00"), 12_000_000, OVERAGE_PER_MTOK),
}


@dataclass(frozen=True, slots=True)
class PlanTerms:
    """One plan's terms. Amounts are dollars with at most two decimals; unused fields are None."""

    kind: PlanKind
    usage_basis: UsageBasis = UsageBasis.COST
    markup_percent: Decimal | None = None
    """cost_plus: e.g. Decimal("30") for 30%."""
    monthly_fee: Decimal | None = None
    """retainer and fixed: the retainer; byok: the service fee."""
    included_tokens: int | None = None
    """retainer: tokens included each month (input + output)."""
    overage_per_mtok: Decimal | None = None
    """retainer: price of each million tokens over the included ones, charged pro rata."""
    label: str | None = None
    """How the plan is named on the invoice ("Growth retainer"); a default per kind otherwise."""

    @classmethod
    def from_preset(cls, name: str) -> PlanTerms:
        preset = PRESETS[name]
        return cls(
            PlanKind.RETAINER,
            monthly_fee=preset.monthly_fee,
            included_tokens=preset.included_tokens,
            overage_per_mtok=preset.overage_per_mtok,
            label=f"{preset.label} retainer",
        )

    def problems(self) -> dict[str, str]:
        """Field → what is wrong, for terms that cannot make an invoice (empty when they can)."""
        needed: dict[PlanKind, tuple[str, ...]] = {
            PlanKind.PASS_THROUGH: (),
            PlanKind.COST_PLUS: ("markup_percent",),
            PlanKind.RETAINER: ("monthly_fee", "included_tokens", "overage_per_mtok"),
            PlanKind.BYOK: ("monthly_fee",),
            PlanKind.FIXED: ("monthly_fee",),
        }
        return {
            name: f"Required for a {self.kind.value} plan." for name in needed[self.kind] if getattr(self, name) is None
        }

    @property
    def title(self) -> str:
        if self.label:
            return self.label
        return {
            PlanKind.PASS_THROUGH: "AI usage at cost",
            PlanKind.COST_PLUS: "AI usage",
            PlanKind.RETAINER: "Monthly retainer",
            PlanKind.BYOK: "Service fee",
            PlanKind.FIXED: "Monthly retainer",
        }[self.kind]


def treatment(terms: PlanTerms | None) -> str:
    """The report header's "Billing treatment" wording."""
    if terms is None:
        return "no billing plan"
    if terms.kind is PlanKind.COST_PLUS:
        return f"cost plus {_percent(terms.markup_percent or Decimal(0))}%"
    return {
        PlanKind.PASS_THROUGH: "passed through at cost",
        PlanKind.RETAINER: "included in retainer",
        PlanKind.FIXED: "included in retainer",
        PlanKind.BYOK: "billed to the client's own provider account",
    }[terms.kind]


def _percent(value: Decimal) -> str:
    """30 → "30", 12.50 → "12.5"."""
    text = f"{value.normalize():f}"
    return text
