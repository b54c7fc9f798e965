"""List prices for models, from `genai-prices` (pydantic's maintained, offline price data) plus workspace overrides.

One module answers "what is this usage worth at list price": the gateway's log writer, usage-event ingestion
and reports all call `value_micros`. Money is integer micro-dollars, rounded half-to-even once per request so
that rounding does not drift in one direction over millions of rows.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from importlib.metadata import version
from typing import Any

import genai_prices
from genai_prices import data_snapshot

from .usage import TokenUsage

MICROS_PER_USD = Decimal(1_000_000)
_MTOK = Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class OverridePrice:
    """A workspace's own rate, micro-dollars per million tokens."""

    input_mtok_micros: int
    output_mtok_micros: int
    cached_input_mtok_micros: int | None = None

    def value_usd(self, usage: TokenUsage) -> Decimal:
        cached = min(usage.cached_input_tokens, usage.input_tokens)
        cached_rate = (
            self.cached_input_mtok_micros if self.cached_input_mtok_micros is not None else self.input_mtok_micros
        )
        micros = (
            Decimal(usage.input_tokens - cached) * self.input_mtok_micros
            + Decimal(cached) * cached_rate
            + Decimal(usage.output_tokens) * self.output_mtok_micros
        ) / _MTOK
        return micros / MICROS_PER_USD


def usd_string(micros: int) -> str:
    """Integer micro-dollars as an exact decimal string for APIs and CSVs: 1234567 → "1.234567"."""
    return f"{(Decimal(micros) / MICROS_PER_USD).quantize(Decimal('0.000001')):f}"


def to_micros(amount_usd: Decimal) -> int:
    return int((amount_usd * MICROS_PER_USD).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


@functools.lru_cache(maxsize=4096)
def _find_model(model: str, provider: str | None) -> tuple[Any, Any] | None:
    snapshot = data_snapshot.get_snapshot()
    try:
        found = snapshot.find_provider_model(model, None, provider, None)
    except LookupError:
        return None
    return found if found and found[1] is not None else None


def is_listed(model: str, provider: str | None = "openai") -> bool:
    return _find_model(model, provider) is not None


def list_value_usd(usage: TokenUsage, model: str, provider: str | None = "openai") -> Decimal | None:
    """Value of `usage` at list price, or None when the price table does not know the model."""
    if _find_model(model, provider) is None:
        return None
    calc = genai_prices.calc_price(
        genai_prices.Usage(
            input_tokens=usage.input_tokens,
            cache_read_tokens=min(usage.cached_input_tokens, usage.input_tokens),
            output_tokens=usage.output_tokens,
        ),
        model,
        provider_id=provider,
    )
    return Decimal(calc.total_price)


def value_micros(
    usage: TokenUsage,
    model: str,
    provider: str | None = "openai",
    override: OverridePrice | None = None,
) -> int | None:
    """API-equivalent value in micro-dollars; an override wins over the list price. None: unpriced."""
    if override is not None:
        return to_micros(override.value_usd(usage))
    amount = list_value_usd(usage, model, provider)
    return None if amount is None else to_micros(amount)


def price_table_version() -> str:
    """Which price table is in force, for logs, reports and the README ("genai-prices 0.2.3")."""
    return f"genai-prices {version('genai-prices')}"


@dataclass(frozen=True, slots=True)
class TokenRates:
    """Worst-case list rates of a model, micro-dollars per million tokens, for reserving before a call."""

    input_mtok_micros: int
    output_mtok_micros: int


def _max_rate(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    tiers = getattr(value, "tiers", None)
    if tiers is not None:  # TieredPrices: the highest tier is the worst case
        return max([Decimal(value.base), *(Decimal(t.price) for t in tiers)])
    return Decimal(0)


def _model_prices(info: Any) -> list[Any]:
    base = info.prices if isinstance(info.prices, list) else [info.prices]
    # ConditionalPrice wraps a ModelPrice. Variants (batch, priority service tier) are left out: the log
    # writer prices every call at the default tier, and a reservation only has to cover what will be recorded.
    return [getattr(p, "prices", p) for p in base]


@functools.lru_cache(maxsize=4096)
def worst_case_rates(model: str, provider: str | None = "openai") -> TokenRates | None:
    """The highest per-token list rates of `model` over every tier and time-bounded price, or None
    when the model is not listed. Input covers cache writes (dearer than plain input at some providers)."""
    found = _find_model(model, provider)
    if found is None:
        return None
    rate_in = rate_out = Decimal(0)
    for price in _model_prices(found[1]):
        for name, value in vars(price).items():
            if not name.endswith("_mtok") or value is None:
                continue
            if "output" in name:
                rate_out = max(rate_out, _max_rate(value))
            else:
                rate_in = max(rate_in, _max_rate(value))
    return TokenRates(to_micros(rate_in), to_micros(rate_out))


def override_rates(override: OverridePrice) -> TokenRates:
    cached = override.cached_input_mtok_micros or 0
    return TokenRates(max(override.input_mtok_micros, cached), override.output_mtok_micros)
