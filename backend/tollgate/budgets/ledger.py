"""The one place that decides "may this spend happen": admit (reserve the worst case against every budget and
draw from every rate bucket, atomically) and settle (release the reservation, record the real cost).

Every admit that returns a `Hold` is settled exactly once: the gateway calls `settle(record)` on the one exit
every request takes, and `settle` looks the hold up by request id. Rejections are values (`GatewayError`).
The ledger fails closed: when the store cannot be reached, a request that a budget or limit applies to is
refused with 503 rather than let through unchecked.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import astuple, dataclass
from typing import Any

import orjson

from ..gateway.context import KeyContext
from ..gateway.errors import GatewayError
from ..metering import prices
from ..metering.pricing_rows import record_value_picos
from ..metering.record import RequestRecord
from ..metering.usage import TokenUsage
from ..models.base import utcnow
from . import estimate, media_estimate, refusals
from .periods import Window, window
from .ratelimit import RateLine, headers, state_after
from .specs import BudgetSpec, Limits
from .status import CapStatus, cap_status
from .store import BudgetLine, HoldRef, LedgerStore, Refused

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
_KEEP_PERIOD_S = 40 * 86_400
"""A finished period's spend stays in Redis this long after its end (reports read SQL logs, not Redis)."""


@dataclass(slots=True)
class Hold:
    """What one admitted request holds until it is settled."""

    lines: tuple[BudgetLine, ...] = ()
    token_lines: tuple[RateLine, ...] = ()
    reserved_micros: int = 0
    headers: tuple[tuple[str, str], ...] = ()
    unpriced: bool = False

    @property
    def empty(self) -> bool:
        return not self.lines and not self.token_lines


@dataclass(frozen=True, slots=True)
class Ask:
    """What the gateway knows about a request before sending it."""

    endpoint: str
    model: str
    body: Mapping[str, Any]
    raw: bytes
    providers: tuple[str, ...] = ("openai",)
    project_id: str | None = None
    free: bool = False
    """The provider charges nothing for it (moderations, conversation and stored-response calls): nothing is
    reserved against budgets, rate limits still apply."""
    background: bool = False
    """A background response: its hold must outlive the call (settled when its usage is known)."""
    audio_ms: int | None = None
    """The uploaded audio's duration (transcriptions): what a per-minute model bills."""


def rates_for(
    model: str, providers: Sequence[str], limits: Limits, tier: str | None = prices.ANY_TIER
) -> prices.TokenRates | None:
    """Override first; otherwise the worst list rate among the providers that may serve the call, at the
    service tier it asks for (none or `auto`: the dearest tier it could be served at)."""
    override = limits.overrides.get(model)
    if override is not None:
        return prices.override_rates(override)
    found = [r for r in (prices.worst_case_rates(model, p, tier) for p in providers or ("openai",)) if r is not None]
    if not found:
        return None
    return prices.TokenRates(max(r.input_mtok_micros for r in found), max(r.output_mtok_micros for r in found))


def worst_case_tokens(ask: Ask) -> tuple[int, int]:
    """(input, output) tokens the call can be billed for at most, whichever of its providers serves it."""
    windows = [w for w in (prices.context_window(ask.model, p) for p in ask.providers) if w is not None]
    context = max(windows, default=estimate.DEFAULT_CONTEXT_WINDOW)
    prompt = estimate.prompt_tokens_upper(ask.raw, ask.body, ask.model, ask.endpoint, context)
    return prompt, estimate.output_tokens_upper(ask.body, ask.model, ask.endpoint)


def worst_case_micros(ask: Ask, limits: Limits) -> int | None:
    """The most the call can cost (whole micro-dollars, rounded up); None: nothing prices it."""
    if ask.endpoint in media_estimate.MEDIA_ENDPOINTS:
        override = limits.overrides.get(ask.model)
        picos = media_estimate.worst_case_picos(
            ask.endpoint, ask.model, ask.providers, ask.body, ask.audio_ms, override
        )
        return None if picos is None else -(-picos // prices.PICOS_PER_MICRO)
    rates = rates_for(ask.model, ask.providers, limits, prices.requested_tier(ask.body.get("service_tier")))
    if rates is None:
        return None
    prompt, output = worst_case_tokens(ask)
    return estimate.cost_micros(prompt, output, rates)


def estimated_usage(ask: Ask, output_seen: int) -> TokenUsage:
    """Usage of a call the upstream answered whose usage never reached us (the caller left mid-stream, the
    stream broke, the provider sent none): the prompt at its bound from the body (the provider bills all of it;
    without a tokenizer we cannot know less), the output as counted while relaying (capped at what the request
    allowed), at the requested service tier. Settle and the log row both price exactly this."""
    prompt, output = worst_case_tokens(ask)
    tier = prices.requested_tier(ask.body.get("service_tier"))
    return TokenUsage(input_tokens=prompt, output_tokens=min(output_seen, output), service_tier=tier)


def tokens_estimate(ask: Ask) -> int:
    """Tokens a request is charged against tokens-per-minute when admitted (trued up when settled)."""
    return -(-len(ask.raw) // 4) + (estimate.requested_output_cap(ask.body) or 0)


DEFAULT_HOLD_TTL_S = 900.0
DEFAULT_BACKGROUND_TTL_S = 6 * 3600.0


class Ledger:
    def __init__(
        self,
        store: LedgerStore,
        clock: Clock = utcnow,
        hold_ttl_s: float = DEFAULT_HOLD_TTL_S,
        background_ttl_s: float = DEFAULT_BACKGROUND_TTL_S,
    ) -> None:
        self.store = store
        self.clock = clock
        self.hold_ttl_s = hold_ttl_s
        """A reservation not settled this long after admission is presumed leaked (its process died) and is
        released by `sweep`. It must outlast the longest request, fallback through lanes and streams included."""
        self.background_ttl_s = max(background_ttl_s, hold_ttl_s)
        """The same for a background response, which is settled when its usage is known (a poll or the sweep)."""
        self._holds: dict[str, Hold] = {}
        self._refusals_recorded: set[tuple[str, int]] = set()
        """(budget, period) whose refusal this process has recorded in the store: later refusals write nothing."""

    def admit(self, ctx: KeyContext, ask: Ask, request_id: str) -> Hold | GatewayError:
        limits = ctx.limits
        if not limits.enforces_anything:
            return Hold()
        budgets = () if ask.free else limits.budgets_for(ctx.key_id, ctx.client_id, ask.project_id)
        worst = None if ask.free else worst_case_micros(ask, limits)
        if worst is None and not ask.free and any(b.hard for b in budgets):
            return refusals.unpriced_model(ask.model)
        amount = worst or 0
        now = self.clock()
        windows = [window(b.period, now, limits.timezone) for b in budgets]
        lines = tuple(budget_line(b, w, amount) for b, w in zip(budgets, windows, strict=True))
        rate_lines = _rate_lines(limits, tokens_estimate(ask))
        now_us = refusals.now_us(now)
        try:
            ttl = self.background_ttl_s if ask.background else self.hold_ttl_s
            expires = int(now.timestamp() + ttl) + 1
            outcome = self.store.reserve(lines, rate_lines, now_us, HoldRef(request_id, expires))
        except Exception:
            log.exception("ledger store failed; refusing request %s (fails closed)", request_id)
            return refusals.ledger_unavailable()
        if isinstance(outcome, Refused):
            if outcome.kind == "budget":
                self._record_refusal(lines[outcome.index], now)
            return _refusal(outcome, budgets, windows, rate_lines, amount, limits, now_us)
        states = [state_after(r, tat, now_us) for r, tat in zip(rate_lines, outcome.tats_us, strict=True)]
        hold = Hold(
            lines=lines,
            token_lines=tuple(r for r in rate_lines if r.kind == "tokens"),
            reserved_micros=amount,
            headers=headers(states),
            unpriced=worst is None and not ask.free,
        )
        if not hold.empty:
            self._holds[request_id] = hold
        return hold

    def _record_refusal(self, line: BudgetLine, now: dt.datetime) -> None:
        """The first refusal of a (budget, period) in this process is written to the store once (the store keeps
        the first of all processes), so the alert evaluation can fire `cap.exceeded` for it: under a hard budget
        spend stops below 100 % and no threshold would. Later refusals cost a set lookup, no write."""
        seen = (line.budget_id, line.period_key)
        if seen in self._refusals_recorded:
            return
        try:
            self.store.mark_refused(line, int(now.timestamp()))
        except Exception:  # the refusal stands; the next one tries to record it again
            log.exception("could not record the refusal by budget %s", line.budget_id)
            return
        if len(self._refusals_recorded) >= 10_000:  # past periods' entries; one write each to re-learn is cheap
            self._refusals_recorded.clear()
        self._refusals_recorded.add(seen)

    def settle(self, record: RequestRecord) -> None:
        """Release what `record`'s request reserved and record its real cost. Idempotent; never raises."""
        hold = self._holds.pop(record.request_id, None)
        if hold is not None:
            self._settle(hold, record)

    def defer(self, request_id: str) -> str | None:
        """Take `request_id`'s hold out of this process, as JSON: a background response is settled when its
        usage is known, maybe by another process, with `settle_deferred`. None: the request holds nothing."""
        hold = self._holds.pop(request_id, None)
        if hold is None or hold.empty:
            return None
        return orjson.dumps(
            {
                "lines": [astuple(line) for line in hold.lines],
                "tokens": [astuple(line) for line in hold.token_lines],
                "reserved": hold.reserved_micros,
            }
        ).decode()

    def settle_deferred(self, deferred: str | None, record: RequestRecord) -> None:
        """Settle a hold `defer` took, against the record that now carries the usage. Never raises."""
        if deferred is None:
            return
        try:
            data = orjson.loads(deferred)
            hold = Hold(
                lines=tuple(BudgetLine(*line) for line in data["lines"]),
                token_lines=tuple(RateLine(*line) for line in data["tokens"]),
                reserved_micros=data["reserved"],
            )
        except (orjson.JSONDecodeError, KeyError, TypeError):
            log.exception("unreadable deferred hold of request %s; the sweep will release it", record.request_id)
            return
        self._settle(hold, record)

    def _settle(self, hold: Hold, record: RequestRecord) -> None:
        actual, remainder = prices.split_picos(settled_picos(hold, record))
        charged = hold.token_lines[0].cost if hold.token_lines else 0
        used_tokens = record.usage.total_tokens if record.usage is not None else (charged if _answered(record) else 0)
        shifts = [(line.bucket, (used_tokens - line.cost) * line.interval_us) for line in hold.token_lines]
        try:
            self.store.settle(hold.lines, actual, shifts, record.request_id, remainder)
        except Exception:
            # The reservation stays held (the budget errs on the safe side) and the failure is visible.
            log.exception("ledger settle failed for request %s; %d micros stay reserved", record.request_id, actual)

    def sweep(self) -> int:
        """Release reservations whose hold expired (their process died between admit and settle); returns how
        many. Safe to run in several processes at once and concurrently with settles."""
        released = 0
        now_s = int(self.clock().timestamp())
        while (batch := self.store.release_expired(now_s)) > 0:
            released += batch
            if batch < 500:
                break
        if released:
            log.warning("released %d expired budget reservation(s) left by a stopped process", released)
        return released

    @property
    def open_holds(self) -> int:
        return len(self._holds)

    def statuses(self, budgets: Sequence[BudgetSpec], tz_name: str) -> list[CapStatus]:
        """Where each budget stands in its current period, read from the store admission uses."""
        now = self.clock()
        keys = [(b.id, window(b.period, now, tz_name).key) for b in budgets]
        usage = self.store.read(keys)
        return [cap_status(b, usage[key], now, tz_name) for b, key in zip(budgets, keys, strict=True)]


def _answered(record: RequestRecord) -> bool:
    """The upstream accepted the call: tokens may have been billed even if usage never reached us."""
    return record.lane_id is not None and record.status_code == 200


def settled_picos(hold: Hold, record: RequestRecord) -> int:
    """Cost (exact, pico-dollars) of the record's usage, real or estimated (the gateway estimates a call the
    upstream answered whose usage was lost: `estimated_usage`); nothing when no upstream call went through. A
    record of an answered call without any usage (no caller should send one) is charged the whole reservation.
    Pure."""
    usage = record.usage
    if usage is not None and usage.total_tokens > 0 or record.media is not None:
        return record_value_picos(record) or 0
    return hold.reserved_micros * prices.PICOS_PER_MICRO if _answered(record) and usage is None else 0


def budget_line(budget: BudgetSpec, period: Window, amount: int) -> BudgetLine:
    """`amount` against `budget` in `period`, capped if the budget is hard; the store may forget a finished
    period's row a while after its end."""
    expires = None if period.end is None else int(period.end.timestamp()) + _KEEP_PERIOD_S
    return BudgetLine(budget.id, period.key, amount, budget.amount_micros if budget.hard else None, expires)


def _rate_lines(limits: Limits, tokens: int) -> tuple[RateLine, ...]:
    lines: list[RateLine] = []
    for spec in limits.rates:
        if spec.requests_per_min:
            lines.append(RateLine(f"{spec.id}:r", "requests", spec.requests_per_min, 1))
        if spec.tokens_per_min:
            lines.append(RateLine(f"{spec.id}:t", "tokens", spec.tokens_per_min, max(tokens, 1)))
    return tuple(lines)


def _refusal(
    refused: Refused,
    budgets: Sequence[BudgetSpec],
    windows: Sequence[Window],
    rate_lines: Sequence[RateLine],
    amount: int,
    limits: Limits,
    now_us: int,
) -> GatewayError:
    if refused.kind == "budget":
        index = refused.index
        return refusals.budget_exceeded(budgets[index], windows[index], refused.used_micros, amount, limits.timezone)
    line = rate_lines[refused.index]
    scope = next((s.scope for s in limits.rates if line.bucket.startswith(s.id + ":")), "key")
    return refusals.rate_limited(line, "API key" if scope == "key" else "client", refused.tat_us, now_us)
