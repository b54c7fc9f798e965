"""The lanes one request passed over, and why: kept in the log row (`request_logs.attempts`), so every fallback
can be explained afterwards. Also the one call through which a flat lane's capacity window is checked.

Reasons: `capacity_full` / `capacity_unavailable` (the plan's window, or its store), `cooldown` (the lane asked
for a pause and a later lane served), `cannot_serve` (its provider lacks the endpoint), `timeout`,
`unreachable`, `upstream_429`, `upstream_5xx`, `auth_failed` (401/403), `redirect` (3xx), `upstream_408` /
`upstream_409`. Nothing is recorded when the first lane tried serves: the plain path logs NULL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..budgets.lane_windows import LaneWindows, Skip
from ..budgets.ledger import Ask, tokens_estimate
from .context import LaneTarget


def upstream_reason(status: int) -> str:
    """Why a lane whose upstream answered `status` did not serve the request (see proxy._served)."""
    if status == 429:
        return "upstream_429"
    if status in (401, 403):
        return "auth_failed"
    if status >= 500:
        return "upstream_5xx"
    if 300 <= status < 400:
        return "redirect"
    return f"upstream_{status}"


class Attempts:
    """Made for every request, so it is kept small: the plain path (no flat lane with a window, first lane serves)
    costs its construction and an empty list (about 1 µs; docs/performance.md)."""

    __slots__ = ("_windows", "_request_id", "_ask", "log", "full_until")

    def __init__(self, windows: LaneWindows, request_id: str, ask: Ask) -> None:
        self._windows = windows
        self._request_id = request_id
        self._ask = ask
        self.log: list[dict[str, Any]] = []
        self.full_until: float | None = None
        """The earliest reset (Unix seconds) among lanes skipped as full, for a Retry-After when none served."""

    def admit(self, lane: LaneTarget) -> bool:
        """Whether the lane may be called now; a flat lane whose window is full is recorded and skipped."""
        if lane.capacity is None or self._ask.free:  # a retrieve or a moderation is not what the plan counts
            return True
        ask = self._ask
        skip: Skip | None = self._windows.take(lane.id, lane.capacity, self._request_id, lambda: tokens_estimate(ask))
        if skip is None:
            return True
        self.log.append({"lane_id": lane.id, "reason": skip.reason})
        if skip.resets_at is not None:
            self.full_until = min(self.full_until or skip.resets_at, skip.resets_at)
        return False

    def failed(self, lane: LaneTarget, reason: str, status: int | None = None) -> None:
        """The lane was called and did not serve: recorded, and its window hold (if any) given back."""
        entry: dict[str, Any] = {"lane_id": lane.id, "reason": reason}
        if status is not None:
            entry["status"] = status
        self.log.append(entry)
        if lane.capacity is not None:
            self._windows.release(self._request_id)

    def served(self, lane: LaneTarget, policy: Sequence[LaneTarget], cooling: Callable[[str], bool]) -> None:
        """`lane` served: lanes ahead of it in policy order that a cooldown moved behind it were passed over."""
        passed = [
            {"lane_id": other.id, "reason": "cooldown"}
            for other in policy[: policy.index(lane)]
            if cooling(other.id) and all(entry["lane_id"] != other.id for entry in self.log)
        ]
        self.log[:0] = passed
