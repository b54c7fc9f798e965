"""Lane cooldowns after a 429/503 with Retry-After: pure rules, then through the gateway."""

from __future__ import annotations

import datetime as dt

import pytest

from tollgate.gateway.context import LaneTarget
from tollgate.gateway.cooldown import MAX_COOLDOWN_S, LaneCooldowns, retry_after_seconds

NOW = dt.datetime(2026, 6, 1, 12, 0, 0, tzinfo=dt.UTC)


def lane(lane_id: str) -> LaneTarget:
    return LaneTarget(lane_id, lane_id, "openai", "http://x/v1", None, "metered", None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        (" 1.5 ", 1.5),
        ("Mon, 01 Jun 2026 12:00:30 GMT", 30.0),
        ("100000", MAX_COOLDOWN_S),
        ("0", None),
        ("-3", None),
        ("Mon, 01 Jun 2026 11:00:00 GMT", None),
        ("soon", None),
        ("nan", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert retry_after_seconds(value, NOW) == expected


def test_only_a_named_wait_on_429_or_503_cools_a_lane() -> None:
    clock = [100.0]
    cooldowns = LaneCooldowns(clock=lambda: clock[0])
    a, b, c = lane("a"), lane("b"), lane("c")
    cooldowns.observe("a", 500, "30")
    cooldowns.observe("a", 429, None)
    assert cooldowns.order([a, b, c]) == [a, b, c]
    cooldowns.observe("a", 429, "30")
    cooldowns.observe("b", 503, "10")
    assert cooldowns.cooling("a") and cooldowns.cooling("b") and not cooldowns.cooling("c")
    assert cooldowns.order([a, b, c]) == [c, a, b]  # cooling lanes last, still in policy order
    clock[0] += 10.5
    assert cooldowns.order([a, b, c]) == [b, c, a]
    clock[0] += 30
    assert cooldowns.order([a, b, c]) == [a, b, c]
