"""Token-bucket arithmetic and OpenAI-style headers. Pure."""

from __future__ import annotations

from tollgate.budgets.ratelimit import (
    MINUTE_US,
    RateLine,
    RateState,
    fits,
    format_duration,
    headers,
    next_tat,
    retry_after_s,
    state_after,
)

NOW = 10**15


def test_exactly_limit_requests_fit_even_when_the_interval_rounds() -> None:
    line = RateLine("b", "requests", 7, 1)  # 60 s / 7 does not divide evenly
    tat = 0
    for _ in range(7):
        assert fits(line, tat, NOW)
        tat = next_tat(line, tat, NOW)
    assert not fits(line, tat, NOW)
    assert state_after(line, tat, NOW).remaining == 0


def test_remaining_and_reset() -> None:
    line = RateLine("b", "tokens", 1000, 250)
    tat = next_tat(line, 0, NOW)
    state = state_after(line, tat, NOW)
    assert (state.limit, state.remaining) == (1000, 750)
    assert state.reset_us == 250 * line.interval_us == MINUTE_US // 4
    assert state_after(line, tat, NOW + MINUTE_US).remaining == 1000  # refilled


def test_retry_after_rounds_up_and_is_none_for_impossible_requests() -> None:
    line = RateLine("b", "requests", 60, 1)
    full = NOW + MINUTE_US
    assert retry_after_s(line, full, NOW) == 1
    assert retry_after_s(RateLine("b", "tokens", 10, 11), NOW, NOW) is None


def test_duration_format_matches_openai() -> None:
    assert format_duration(20_000) == "20ms"
    assert format_duration(1_000_000) == "1s"
    assert format_duration(6 * MINUTE_US) == "6m0s"
    assert format_duration(90_500_000) == "1m30.5s"


def test_headers_report_the_tightest_bucket_per_kind() -> None:
    states = [
        RateState("requests", 100, 40, 1_000_000),
        RateState("requests", 10, 3, 2_000_000),
        RateState("tokens", 5000, 4000, 500_000),
    ]
    assert dict(headers(states)) == {
        "x-ratelimit-limit-requests": "10",
        "x-ratelimit-remaining-requests": "3",
        "x-ratelimit-reset-requests": "2s",
        "x-ratelimit-limit-tokens": "5000",
        "x-ratelimit-remaining-tokens": "4000",
        "x-ratelimit-reset-tokens": "500ms",
    }
