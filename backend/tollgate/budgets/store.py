"""The ledger's storage interface. Two stores implement it and pass the same tests: SQL (a conditional upsert
per row in one transaction; SQLite or PostgreSQL) and Redis (one Lua script). Both are all-or-nothing: a request
either reserves against every budget and draws from every rate bucket, or changes nothing.

A reservation made for a request id is also recorded as a *hold* that expires: if the process that admitted the
request dies before settling it, `release_expired` (run by the background sweep) gives the room back. Settling a
hold the sweep already released records the spend but releases nothing twice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from .ratelimit import RateLine


@dataclass(frozen=True, slots=True)
class BudgetLine:
    """Reserve `amount_micros` against one budget's period. `cap_micros` None: a soft budget, no check."""

    budget_id: str
    period_key: int
    amount_micros: int
    cap_micros: int | None
    expires_at: int | None = None
    """Unix seconds after which the store may forget the period (Redis keys); None: keep for ever."""


@dataclass(frozen=True, slots=True)
class Reserved:
    tats_us: tuple[int, ...]
    """Each rate line's bucket state after the draw, in the order given."""


@dataclass(frozen=True, slots=True)
class Refused:
    kind: str  # budget | rate
    index: int
    """Which budget line or rate line did not fit."""
    used_micros: int = 0
    """budget: spent + reserved in the period right now."""
    tat_us: int = 0
    """rate: the bucket's state right now."""


@dataclass(frozen=True, slots=True)
class Usage:
    spent_micros: int
    reserved_micros: int
    refused_at: int | None = None
    """Unix seconds of the period's first recorded refusal (a hard budget turned a request away); None: none."""


@dataclass(frozen=True, slots=True)
class HoldRef:
    """Names a reservation so it can be settled once, or released by the sweep after `expires_at`."""

    request_id: str
    expires_at: int
    """Unix seconds; after this the sweep releases the reservation (its process is presumed dead)."""


@dataclass(frozen=True, slots=True)
class WindowState:
    """A flat lane's capacity window as the store holds it (see budgets/lane_windows.py)."""

    started_us: int
    """Unix microseconds at which the window opened."""
    used: int
    """Requests or tokens settled in the window."""
    held: int
    """Requests or estimated tokens admitted and not settled yet."""


@dataclass(frozen=True, slots=True)
class WindowTake:
    admitted: bool
    state: WindowState
    """After the take when admitted; as it stands (full) when not."""


class LedgerStore(Protocol):
    def reserve(
        self, budgets: Sequence[BudgetLine], rates: Sequence[RateLine], now_us: int, hold: HoldRef | None = None
    ) -> Reserved | Refused:
        """Atomically: if every line fits, apply them all (and record `hold` when there are budget lines);
        otherwise apply none and say which failed."""

    def settle(
        self,
        budgets: Sequence[BudgetLine],
        actual_micros: int,
        token_adjust_us: Sequence[tuple[str, int]],
        hold_id: str | None = None,
        actual_remainder_picos: int = 0,
    ) -> None:
        """Record `actual_micros` (+ `actual_remainder_picos`, carried into whole micro-dollars as the period's
        remainders add up: see `prices.split_picos`) as spent; release each line's reservation unless the sweep
        already released hold `hold_id` (None: the reservation was made without a hold, always release); shift
        token buckets."""

    def add_spend(self, budgets: Sequence[BudgetLine], remainders_picos: Sequence[int] = ()) -> None:
        """Record each line's `amount_micros` (+ `remainders_picos[i]`, carried as settle carries it) as spent
        outright, without a reservation or a cap check: usage reported after the fact (ingested usage events)
        has happened already."""

    def mark_refused(self, budget: BudgetLine, at_s: int) -> None:
        """Record that `budget` refused a request in its period at `at_s`, unless a refusal is recorded already
        (the first one stays). The alert evaluation turns it into a `cap.exceeded` event."""

    def release_expired(self, now_s: int, limit: int = 500) -> int:
        """Release up to `limit` holds that expired at or before `now_s`; returns how many were released."""

    def read(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], Usage]:
        """Spent, reserved and first refusal per (budget id, period key); missing periods read as zero."""

    def take_window(self, lane_id: str, amount: int, limit: int, window_us: int, now_us: int) -> WindowTake:
        """Atomically: open a new window at `now_us` if the lane has none or its window ended (`started_us +
        window_us <= now_us`); then admit if `used + held < limit`, adding `amount` to `held`."""

    def settle_window(self, lane_id: str, started_us: int, held: int, used: int) -> None:
        """Give back `held` and count `used`, if the lane's window is still the one opened at `started_us` (a window
        that ended meanwhile was reset, holds and all)."""

    def read_window(self, lane_id: str) -> WindowState | None:
        """The lane's window as stored (maybe ended: the caller compares it with the clock); None: never used."""
