"""List prices for models, from `genai-prices` (pydantic's maintained, offline price data) plus workspace overrides.

One module answers "what is this usage worth at list price": the gateway's log writer, usage-event ingestion
and the ledger all call `value_picos`. A value is exact in integer pico-dollars (10⁻¹² USD: a token count times
a rate in micro-dollars per million tokens is always a whole number of them); it is stored as whole
micro-dollars plus a remainder (`split_picos`), so that a month of requests each worth a fraction of a
micro-dollar still adds up to the right total.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from importlib.metadata import version
from typing import Any

import genai_prices
from genai_prices import data_snapshot

from .usage import TokenUsage

MICROS_PER_USD = Decimal(1_000_000)
PICOS_PER_USD = Decimal(1_000_000_000_000)
PICOS_PER_MICRO = 1_000_000
HALF_MICRO_PICOS = 500_000
SERVICE_TIER = "service_tier"
ANY_TIER = None
"""A request that names no tier (or `auto`) may be served at any tier its project allows."""


@dataclass(frozen=True, slots=True)
class OverridePrice:
    """A workspace's own rate, micro-dollars per million tokens; for image and transcription models also (or
    instead) micro-dollars per image or per minute of audio, which then win over the token rates."""

    input_mtok_micros: int
    output_mtok_micros: int
    cached_input_mtok_micros: int | None = None
    image_micros: int | None = None
    audio_minute_micros: int | None = None

    def value_picos(self, usage: TokenUsage) -> int:
        """Exact: tokens × micro-dollars per million tokens = pico-dollars. Cache writes are billed at the input
        rate: an override has no rate of its own for them."""
        cached = min(usage.cached_input_tokens, usage.input_tokens)
        cached_rate = (
            self.cached_input_mtok_micros if self.cached_input_mtok_micros is not None else self.input_mtok_micros
        )
        return (
            (usage.input_tokens - cached) * self.input_mtok_micros
            + cached * cached_rate
            + usage.output_tokens * self.output_mtok_micros
        )


def usd_string(micros: int) -> str:
    """Integer micro-dollars as an exact decimal string for APIs and CSVs: 1234567 → "1.234567"."""
    return f"{(Decimal(micros) / MICROS_PER_USD).quantize(Decimal('0.000001')):f}"


def to_micros(amount_usd: Decimal) -> int:
    return int((amount_usd * MICROS_PER_USD).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def to_picos(amount_usd: Decimal) -> int:
    return int((amount_usd * PICOS_PER_USD).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def split_picos(picos: int) -> tuple[int, int]:
    """(micro-dollars, remainder in pico-dollars) with micros × 10⁶ + remainder == picos exactly: micros rounded
    half up, the remainder in [-500,000, 500,000). Rows and budget periods keep both; a total is the sum of the
    micros plus `split_picos` of the summed remainders, exact to the micro-dollar whatever the number of rows."""
    micros = (picos + HALF_MICRO_PICOS) // PICOS_PER_MICRO
    return micros, picos - micros * PICOS_PER_MICRO


def exact_micros(micros: int, remainder_picos: int) -> int:
    """A sum of split values (Σ micros, Σ remainders) as whole micro-dollars, rounded half up."""
    return micros + split_picos(remainder_picos)[0]


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


def context_window(model: str, provider: str | None = "openai") -> int | None:
    """The most input tokens `model` takes in one call, when the price table says."""
    found = _find_model(model, provider)
    window = getattr(found[1], "context_window", None) if found is not None else None
    return window if isinstance(window, int) and window > 0 else None


def listed_prices(model: str, provider: str | None = "openai") -> Any | None:
    """The model's current standard price entry in genai-prices (its rates by usage kind), or None."""
    found = _find_model(model, provider)
    return None if found is None else _model_prices(found[1])[-1]


def list_value_usd(
    usage: TokenUsage, model: str, provider: str | None = "openai", media_tokens: dict[str, int] | None = None
) -> Decimal | None:
    """Value of `usage` at list price, or None when the price table does not know the model. `media_tokens`:
    the image or audio tokens among the input tokens (`input_image_tokens`, `input_audio_tokens`), which
    image and transcription models bill at their own rate."""
    if _find_model(model, provider) is None:
        return None
    calc = genai_prices.calc_price(
        genai_prices.Usage(
            input_tokens=usage.input_tokens,
            cache_read_tokens=min(usage.cached_input_tokens, usage.input_tokens),
            cache_write_tokens=min(usage.cache_write_tokens, max(usage.input_tokens - usage.cached_input_tokens, 0)),
            output_tokens=usage.output_tokens,
            **(media_tokens or {}),
        ),
        model,
        provider_id=provider,
        # The tier the response reports selects genai-prices' variant (priority, flex, …); none: standard.
        price_context={SERVICE_TIER: usage.service_tier} if usage.service_tier else None,
    )
    return Decimal(calc.total_price)


def value_picos(
    usage: TokenUsage,
    model: str,
    provider: str | None = "openai",
    override: OverridePrice | None = None,
) -> int | None:
    """API-equivalent value in pico-dollars; an override wins over the list price. None: unpriced."""
    if override is not None:
        return override.value_picos(usage)
    amount = list_value_usd(usage, model, provider)
    return None if amount is None else to_picos(amount)


def value_micros(
    usage: TokenUsage,
    model: str,
    provider: str | None = "openai",
    override: OverridePrice | None = None,
) -> int | None:
    """`value_picos` in whole micro-dollars (rounded half up). None: unpriced."""
    picos = value_picos(usage, model, provider, override)
    return None if picos is None else split_picos(picos)[0]


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
    """Every standard price of the model (a time-bounded list or one price). ConditionalPrice wraps a ModelPrice."""
    base = info.prices if isinstance(info.prices, list) else [info.prices]
    return [getattr(p, "prices", p) for p in base]


def _tier_variants(info: Any, tier: str | None, day: dt.date) -> list[Any]:
    """The service-tier variants that may price a call served at `tier` (None: at any tier) on `day`. Other
    variants (batch processing, routes) do not apply to a synchronous gateway call."""
    at = dt.datetime.combine(day, dt.time(23, 59, 59), dt.UTC)  # a variant starting later today counts already
    found = []
    for variant in info.price_variants or ():
        if set(variant.when) != {SERVICE_TIER}:
            continue
        if tier is not None and variant.when[SERVICE_TIER] != tier:
            continue
        if variant.constraint is None or variant.constraint.active(at):
            found.append(variant.prices)
    return found


def _with_variant(price: Any, variant: Any) -> Any:
    """`price` with the rates `variant` sets replacing the standard ones (genai-prices' own rule)."""
    resolved = copy.copy(price)
    resolved.__dict__.update({k: v for k, v in vars(variant).items() if v is not None})
    return resolved


@functools.lru_cache(maxsize=4096)
def _worst_case_rates(model: str, provider: str | None, tier: str | None, day: dt.date) -> TokenRates | None:
    found = _find_model(model, provider)
    if found is None:
        return None
    standard = _model_prices(found[1])
    variants = _tier_variants(found[1], tier, day)
    if tier is None:  # any tier: the standard prices and every tier's
        candidates = standard + [_with_variant(p, v) for p in standard for v in variants]
    else:  # the tier asked for; a tier without its own prices is billed at the standard ones
        candidates = [_with_variant(p, v) for p in standard for v in variants] or standard
    rate_in = rate_out = Decimal(0)
    for price in candidates:
        for name, value in vars(price).items():
            if not name.endswith("_mtok") or value is None:
                continue
            if "output" in name:
                rate_out = max(rate_out, _max_rate(value))
            else:
                rate_in = max(rate_in, _max_rate(value))
    return TokenRates(to_micros(rate_in), to_micros(rate_out))


def worst_case_rates(model: str, provider: str | None = "openai", tier: str | None = ANY_TIER) -> TokenRates | None:
    """The highest per-token list rates of `model` over every time-bounded price and token tier, at service
    tier `tier` (None: the dearest tier it could be served at), or None when the model is not listed. Input
    covers cache writes (dearer than plain input at some providers)."""
    return _worst_case_rates(model, provider, tier, dt.datetime.now(dt.UTC).date())


def requested_tier(value: Any) -> str | None:
    """The service tier a request body asks for; None when it leaves it to the project (`auto`, absent)."""
    return value if isinstance(value, str) and value and value != "auto" else ANY_TIER


def override_rates(override: OverridePrice) -> TokenRates:
    cached = override.cached_input_mtok_micros or 0
    return TokenRates(max(override.input_mtok_micros, cached), override.output_mtok_micros)
