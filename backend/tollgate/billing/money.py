"""Cents: the one rounding rule of every invoice.

Usage is logged in integer micro-dollars; an invoice is in cents. Each amount that reaches an invoice is
rounded to the cent once, half-up (0.005 → 0.01), at the place where it is printed: a project line from its
summed micro-dollars, the subtotal as the sum of the printed lines (so the invoice adds up as read), a
markup as a percentage of that printed subtotal, an overage as its tokens times its rate. Half-up, not the
metering's half-to-even, because an invoice is read by people and accountants expect it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
MICROS_PER_USD = Decimal(1_000_000)
TOKENS_PER_MTOK = Decimal(1_000_000)


def cents(amount: Decimal) -> Decimal:
    """`amount` (dollars) rounded half-up to the cent."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def micros_to_cents(micros: int) -> Decimal:
    """Integer micro-dollars as dollars rounded half-up to the cent: 12_344_999 → 12.34, 12_345_000 → 12.35."""
    return cents(Decimal(micros) / MICROS_PER_USD)


def micros_to_usd(micros: int) -> Decimal:
    """Integer micro-dollars as exact dollars (no rounding)."""
    return Decimal(micros) / MICROS_PER_USD


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    """`percent`% of a dollar amount, rounded half-up to the cent: 25.31 × 30% = 7.593 → 7.59."""
    return cents(amount * percent / 100)


def overage(tokens: int, rate_per_mtok: Decimal) -> Decimal:
    """Tokens over an allowance at a rate per million tokens, pro rata, rounded half-up to the cent."""
    return cents(Decimal(tokens) * rate_per_mtok / TOKENS_PER_MTOK)
