"""LaneWindows without a server: what a hold counts when it settles, a store failure skipping the lane, the
status arithmetic the admin API shows, and the attempts a request records."""

from __future__ import annotations

from typing import Any

from tollgate.budgets.lane_windows import Capacity, LaneWindows, status_of
from tollgate.budgets.ledger import Ask
from tollgate.budgets.store import WindowState, WindowTake
from tollgate.gateway.attempts import Attempts, upstream_reason
from tollgate.gateway.context import LaneTarget

NOW_S = 1_800_000_000.0
TOKENS = Capacity(1000, "tokens", 60)
REQUESTS = Capacity(5, "requests", 60)


class FakeStore:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.settled: list[tuple[str, int, int, int]] = []

    def take_window(self, lane_id: str, amount: int, limit: int, window_us: int, now_us: int) -> WindowTake:
        if self.fail:
            raise ConnectionError("store down")
        return WindowTake(True, WindowState(now_us, 0, amount))

    def settle_window(self, lane_id: str, started_us: int, held: int, used: int) -> None:
        self.settled.append((lane_id, started_us, held, used))


def _windows(store: Any) -> LaneWindows:
    return LaneWindows(store, clock=lambda: NOW_S)


def test_settle_counts_one_request_or_the_real_tokens() -> None:
    store = FakeStore()
    windows = _windows(store)
    assert windows.take("lane_r", REQUESTS, "req_1", lambda: 999) is None
    assert windows.take("lane_t", TOKENS, "req_2", lambda: 300) is None
    assert windows.take("lane_t", TOKENS, "req_3", lambda: 300) is None
    assert windows.take("lane_t", TOKENS, "req_4", lambda: 300) is None
    windows.settle("req_1", answered=True, used_tokens=50)
    windows.settle("req_2", answered=True, used_tokens=120)
    windows.settle("req_3", answered=True, used_tokens=None)  # answered, usage lost: the estimate stays counted
    windows.settle("req_4", answered=False, used_tokens=None)  # no upstream answered: nothing counted
    started = int(NOW_S * 1_000_000)
    assert store.settled == [
        ("lane_r", started, 1, 1),
        ("lane_t", started, 300, 120),
        ("lane_t", started, 300, 300),
        ("lane_t", started, 300, 0),
    ]
    windows.settle("req_2", answered=True, used_tokens=120)  # settled once only
    assert len(store.settled) == 4 and windows.open_holds == 0


def test_the_plain_path_never_touches_the_store() -> None:
    windows = _windows(None)  # any store call would raise
    windows.settle("req_plain", answered=True, used_tokens=10)
    windows.release("req_plain")


def test_a_store_failure_skips_the_lane() -> None:
    skip = _windows(FakeStore(fail=True)).take("lane_t", TOKENS, "req_1", lambda: 1)
    assert skip is not None and skip.reason == "capacity_unavailable"


def test_status_of_an_open_and_an_ended_window() -> None:
    started_us = int((NOW_S - 10) * 1_000_000)
    open_ = status_of(TOKENS, WindowState(started_us, 700, 200), NOW_S)
    assert (open_.used, open_.held, open_.remaining) == (700, 200, 100)
    assert (open_.started_at, open_.resets_at) == (NOW_S - 10, NOW_S + 50)
    over = status_of(TOKENS, WindowState(started_us, 1100, 0), NOW_S)
    assert over.remaining == 0  # a token window may end past its limit: never negative
    ended = status_of(TOKENS, WindowState(started_us, 1000, 0), NOW_S + 50)
    assert (ended.used, ended.remaining, ended.resets_at) == (0, 1000, None)
    assert status_of(TOKENS, None, NOW_S).started_at is None


def _lane(lane_id: str, capacity: Capacity | None) -> LaneTarget:
    return LaneTarget(
        lane_id, lane_id, "openai", "http://mock", "k", "flat" if capacity else "metered", None, capacity=capacity
    )


def test_attempts_record_failures_and_release_holds() -> None:
    store = FakeStore()
    attempts = Attempts(_windows(store), "req_1", Ask("chat.completions", "gpt-4o-mini", {}, b"{}"))
    flat, metered = _lane("lane_flat", REQUESTS), _lane("lane_metered", None)
    assert attempts.admit(flat)
    attempts.failed(flat, upstream_reason(503), 503)
    assert store.settled == [("lane_flat", int(NOW_S * 1_000_000), 1, 0)]  # its hold given back, nothing counted
    assert attempts.admit(metered)
    attempts.failed(metered, upstream_reason(401), 401)
    assert attempts.log == [
        {"lane_id": "lane_flat", "reason": "upstream_5xx", "status": 503},
        {"lane_id": "lane_metered", "reason": "auth_failed", "status": 401},
    ]
    assert [upstream_reason(s) for s in (429, 403, 500, 307, 408, 409)] == [
        "upstream_429",
        "auth_failed",
        "upstream_5xx",
        "redirect",
        "upstream_408",
        "upstream_409",
    ]
