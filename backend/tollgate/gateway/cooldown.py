"""Per-lane cooldowns: a lane whose upstream answered 429 or 503 with `Retry-After` is tried last until then.

Per process, in memory: a cooldown only saves the round trip to an upstream that already said "not now",
so sharing it between workers is not worth a network hop. A cooling lane is still tried when every lane
before it fails, so a cooldown can never turn a request away on its own. Pure apart from the clock.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Sequence
from email.utils import parsedate_to_datetime
from typing import TypeVar

from .context import LaneTarget

MAX_COOLDOWN_S = 300.0
_BACK_OFF_STATUSES = frozenset({429, 503})
_Lane = TypeVar("_Lane", bound=LaneTarget)


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """`Retry-After` as seconds from now (delta-seconds or an HTTP date), capped; None when absent or invalid."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - (now or dt.datetime.now(dt.UTC))).total_seconds()
    if seconds != seconds or seconds <= 0:  # NaN or already past
        return None
    return min(seconds, MAX_COOLDOWN_S)


class LaneCooldowns:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def observe(self, lane_id: str, status: int, retry_after: str | None) -> None:
        """Record an upstream failure; only a 429/503 that names a wait starts a cooldown."""
        if status not in _BACK_OFF_STATUSES:
            return
        seconds = retry_after_seconds(retry_after)
        if seconds is not None:
            with self._lock:
                self._until[lane_id] = self._clock() + seconds

    def cooling(self, lane_id: str) -> bool:
        until = self._until.get(lane_id)
        return until is not None and until > self._clock()

    def order(self, lanes: Sequence[_Lane]) -> list[_Lane]:
        """Policy order, with cooling lanes moved to the end (still in policy order among themselves)."""
        if not self._until:
            return list(lanes)
        ready = [lane for lane in lanes if not self.cooling(lane.id)]
        return ready + [lane for lane in lanes if self.cooling(lane.id)]
