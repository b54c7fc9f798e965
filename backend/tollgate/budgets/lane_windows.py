"""Flat lanes' capacity windows: how many requests or tokens a plan lane may still serve, shared by every process
through the ledger store.

A window opens with the first request after the previous one ended and lasts `window_s` (how the plans count:
a 5-hour window starts with its first message). A request is admitted while `used + held < limit`; it holds one
request, or its token estimate (`ledger.tokens_estimate`: prompt bytes / 4 + the output it asks for at most),
and its settle replaces the hold with what it really used (nothing when the lane did not serve it). Requests in
flight block each other through their holds, so a token window ends at most `limit - 1` plus the last admitted
request's tokens, when estimates cover real use (a request that names its output cap); a request without one is
estimated from its prompt only, and its output comes on top. Measured in tests/test_lane_capacity.py.
A full window is not a refusal: the gateway skips the lane and tries the next one.

Holds live in this process until settled; if the process dies, its holds stay counted until the window ends
(the next window starts from zero), so a crash can only make a lane look fuller, never serve past its limit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from .store import LedgerStore, WindowState

log = logging.getLogger(__name__)

UNITS = ("requests", "tokens")
CAPACITY_FULL = "capacity_full"
CAPACITY_UNAVAILABLE = "capacity_unavailable"


@dataclass(frozen=True, slots=True)
class Capacity:
    """A flat lane's plan: `limit` requests or tokens per window of `window_s` seconds."""

    limit: int
    unit: str  # requests | tokens
    window_s: int

    @property
    def window_us(self) -> int:
        return self.window_s * 1_000_000


@dataclass(frozen=True, slots=True)
class CapacityStatus:
    """Where a lane's window stands now. `started_at`/`resets_at` None: no window is open (nothing used yet, or
    the last one ended: the next request opens one)."""

    limit: int
    unit: str
    window_s: int
    used: int
    held: int
    started_at: float | None
    resets_at: float | None
    """Unix seconds."""

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used - self.held, 0)


@dataclass(frozen=True, slots=True)
class Skip:
    """Why a lane's window did not admit the request; `resets_at` (Unix seconds) when known."""

    reason: str  # capacity_full | capacity_unavailable
    resets_at: float | None = None


@dataclass(frozen=True, slots=True)
class _Held:
    lane_id: str
    started_us: int
    amount: int
    unit: str


def status_of(capacity: Capacity, state: WindowState | None, now_s: float) -> CapacityStatus:
    """Pure: the store's window as of `now_s` (an ended window reads as empty)."""
    if state is None or state.started_us + capacity.window_us <= now_s * 1_000_000:
        return CapacityStatus(capacity.limit, capacity.unit, capacity.window_s, 0, 0, None, None)
    started = state.started_us / 1_000_000
    return CapacityStatus(
        capacity.limit, capacity.unit, capacity.window_s, state.used, state.held, started, started + capacity.window_s
    )


class LaneWindows:
    def __init__(self, store: LedgerStore, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock
        self._held: dict[str, _Held] = {}
        """Request id → the window hold it took (at most one at a time: a lane that fails gives its hold back
        before the next lane is tried)."""

    def take(self, lane_id: str, capacity: Capacity, request_id: str, tokens: Callable[[], int]) -> Skip | None:
        """Hold room in the lane's window for the request; None when admitted. `tokens` is called only for a
        token window. A store that cannot be reached skips the lane (fails closed, as the ledger does): the
        lanes after it serve."""
        amount = 1 if capacity.unit == "requests" else max(tokens(), 1)
        now_us = int(self._clock() * 1_000_000)
        try:
            taken = self._store.take_window(lane_id, amount, capacity.limit, capacity.window_us, now_us)
        except Exception:
            log.exception("lane window store failed; skipping lane %s for request %s", lane_id, request_id)
            return Skip(CAPACITY_UNAVAILABLE)
        if not taken.admitted:
            return Skip(CAPACITY_FULL, (taken.state.started_us + capacity.window_us) / 1_000_000)
        self._held[request_id] = _Held(lane_id, taken.state.started_us, amount, capacity.unit)
        return None

    def release(self, request_id: str) -> None:
        """The lane did not serve the request: give its hold back, counting nothing."""
        self._settle(request_id, lambda held: 0)

    def settle(self, request_id: str, answered: bool, used_tokens: int | None) -> None:
        """Count what the request really used: one request, or its tokens (the estimate when the upstream
        answered but its usage never arrived); nothing when no upstream answered it. Never raises."""
        if not self._held:  # the plain path: no request in this process holds window room
            return

        def used(held: _Held) -> int:
            if not answered:
                return 0
            if held.unit == "requests":
                return 1
            return held.amount if used_tokens is None else used_tokens

        self._settle(request_id, used)

    def _settle(self, request_id: str, used: Callable[[_Held], int]) -> None:
        held = self._held.pop(request_id, None)
        if held is None:
            return
        try:
            self._store.settle_window(held.lane_id, held.started_us, held.amount, used(held))
        except Exception:  # the hold stays counted until the window ends: the lane looks fuller, never emptier
            log.exception("lane window settle failed for request %s on lane %s", request_id, held.lane_id)

    def status(self, lane_id: str, capacity: Capacity) -> CapacityStatus:
        """For the admin API; raises when the store cannot be reached."""
        return status_of(capacity, self._store.read_window(lane_id), self._clock())

    @property
    def open_holds(self) -> int:
        return len(self._held)
