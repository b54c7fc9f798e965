"""The comparison itself, pure: Tollgate's metered cost and a provider's reported cost per UTC day and model,
their difference in exact decimals, and which days (and whether the whole range) disagree by more than the
tolerance. No I/O here; the run (`runs.py`) feeds it and stores what it returns.

Sign: a difference is provider − Tollgate, so a positive one means the provider billed more than Tollgate
metered (under-metering: the dangerous direction for an agency's margins).

Gap rule (docs/decisions.md): a day is a gap when its total over all models differs by more than
`TOLERANCE_PERCENT` of the provider's figure *and* by at least `FLOOR_MICROS` (a cent: a $0.004 day 30% off
is rounding, not a finding). The whole range is a gap when its total does the same. Per-model differences are
shown but never alert on their own: a provider may name a model differently (a dated snapshot) and move cost
between rows of the same day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from ..metering.prices import PICOS_PER_USD, to_micros

TOLERANCE_PERCENT = Decimal(1)
FLOOR_MICROS = 10_000
"""$0.01: smaller differences never make a gap, whatever their percentage."""
PERCENT_PLACES = Decimal("0.0001")
_Key = tuple[dt.date, str]


@dataclass(frozen=True, slots=True)
class ProviderLine:
    """One amount from a provider's report (an API result or a CSV line), in USD, exact."""

    day: dt.date
    model: str
    amount_usd: Decimal


@dataclass(frozen=True, slots=True)
class TollgateLine:
    """Tollgate's metered cost of one lane, UTC day and model, exact in pico-dollars."""

    day: dt.date
    model: str
    cost_picos: int
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Tokens:
    input_tokens: int = 0
    output_tokens: int = 0

    def __add__(self, other: Tokens) -> Tokens:
        return Tokens(self.input_tokens + other.input_tokens, self.output_tokens + other.output_tokens)


@dataclass(frozen=True, slots=True)
class Compared:
    """Both sides of one cell and their difference."""

    tollgate_usd: Decimal
    provider_usd: Decimal

    @property
    def difference_usd(self) -> Decimal:
        return self.provider_usd - self.tollgate_usd

    @property
    def tollgate_micros(self) -> int:
        return to_micros(self.tollgate_usd)

    @property
    def provider_micros(self) -> int:
        return to_micros(self.provider_usd)

    @property
    def difference_micros(self) -> int:
        return to_micros(self.difference_usd)

    @property
    def difference_percent(self) -> Decimal | None:
        """(provider − Tollgate) / provider × 100, to 4 places; None when the provider reports 0 and Tollgate
        does not (no percentage of nothing), 0 when both are 0."""
        if self.provider_usd == 0:
            return Decimal(0) if self.tollgate_usd == 0 else None
        return (self.difference_usd * 100 / self.provider_usd).quantize(PERCENT_PLACES, rounding=ROUND_HALF_EVEN)

    def is_gap(self, tolerance_percent: Decimal = TOLERANCE_PERCENT, floor_micros: int = FLOOR_MICROS) -> bool:
        """More than `tolerance_percent` of the provider's figure apart, and at least the floor: compared by
        multiplication, so no rounded percentage decides a borderline case."""
        gap = abs(self.difference_usd)
        if to_micros(gap) < floor_micros:
            return False
        return gap * 100 > tolerance_percent * abs(self.provider_usd)


@dataclass(frozen=True, slots=True)
class Row:
    day: dt.date
    model: str
    requests: int
    money: Compared
    tokens: Tokens = Tokens()
    provider_tokens: Tokens | None = None
    """None: the provider's token counts were not fetched (a CSV import)."""


@dataclass(frozen=True, slots=True)
class Comparison:
    rows: list[Row]
    days: dict[dt.date, Compared]
    total: Compared

    def gap_days(
        self, tolerance_percent: Decimal = TOLERANCE_PERCENT, floor_micros: int = FLOOR_MICROS
    ) -> list[dt.date]:
        return [day for day, money in sorted(self.days.items()) if money.is_gap(tolerance_percent, floor_micros)]

    def has_gap(self, tolerance_percent: Decimal = TOLERANCE_PERCENT, floor_micros: int = FLOOR_MICROS) -> bool:
        return self.total.is_gap(tolerance_percent, floor_micros) or bool(
            self.gap_days(tolerance_percent, floor_micros)
        )


def compare(
    tollgate: Iterable[TollgateLine],
    provider: Iterable[ProviderLine],
    provider_tokens: Iterable[tuple[dt.date, str, Tokens]] | None = None,
) -> Comparison:
    """Join both sides on (day, model); a cell only one side has compares against zero. Token counts ride
    along (they explain a gap: same tokens and other money is a price question, other tokens a metering one)
    and never decide one."""
    ours: dict[_Key, Decimal] = defaultdict(Decimal)
    counts: dict[_Key, int] = defaultdict(int)
    our_tokens: dict[_Key, Tokens] = defaultdict(Tokens)
    theirs: dict[_Key, Decimal] = defaultdict(Decimal)
    their_tokens: dict[_Key, Tokens] | None = None
    for line in tollgate:
        key = (line.day, line.model)
        ours[key] += Decimal(line.cost_picos) / PICOS_PER_USD
        counts[key] += line.requests
        our_tokens[key] += Tokens(line.input_tokens, line.output_tokens)
    for item in provider:
        theirs[(item.day, item.model)] += item.amount_usd
    if provider_tokens is not None:
        their_tokens = defaultdict(Tokens)
        for day, model, tokens in provider_tokens:
            their_tokens[(day, model)] += tokens
    keys = set(ours) | set(theirs) | set(their_tokens or ())
    rows = [
        Row(
            day,
            model,
            counts.get((day, model), 0),
            Compared(ours.get((day, model), Decimal(0)), theirs.get((day, model), Decimal(0))),
            our_tokens.get((day, model), Tokens()),
            None if their_tokens is None else their_tokens.get((day, model), Tokens()),
        )
        for day, model in sorted(keys)
    ]
    days: dict[dt.date, Compared] = {}
    for row in rows:
        before = days.get(row.day, Compared(Decimal(0), Decimal(0)))
        days[row.day] = Compared(
            before.tollgate_usd + row.money.tollgate_usd, before.provider_usd + row.money.provider_usd
        )
    total = Compared(
        sum((r.money.tollgate_usd for r in rows), Decimal(0)), sum((r.money.provider_usd for r in rows), Decimal(0))
    )
    return Comparison(rows, days, total)


def decimal_text(amount: Decimal) -> str:
    """An exact decimal as plain text (no exponent): Decimal('1E-7') → '0.0000001'."""
    text = f"{amount:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
