"""Requests- and tokens-per-minute limits as token buckets (GCRA). Pure arithmetic; the stores keep one
number per bucket, the "theoretical arrival time" (TAT, Unix microseconds) at which the bucket is full again.

A bucket of `limit` units refills evenly over a minute: each unit costs `interval = 60 s / limit`. A request
costing `n` units fits when `max(tat, now) + n·interval − now ≤ limit·interval`, i.e. when the bucket still
holds n units. The headers follow OpenAI's: limit, remaining, and the time until the bucket is full ("6m0s").
"""

from __future__ import annotations

from dataclasses import dataclass

MINUTE_US = 60_000_000


@dataclass(frozen=True, slots=True)
class RateLine:
    """One bucket a request draws from: `cost` units of a `limit`-per-minute bucket."""

    bucket: str
    kind: str  # requests | tokens
    limit: int
    cost: int

    @property
    def interval_us(self) -> int:
        return -(-MINUTE_US // self.limit)

    @property
    def increment_us(self) -> int:
        return self.cost * self.interval_us

    @property
    def capacity_us(self) -> int:
        return self.limit * self.interval_us


def fits(line: RateLine, tat_us: int, now_us: int) -> bool:
    return max(tat_us, now_us) + line.increment_us - now_us <= line.capacity_us


def next_tat(line: RateLine, tat_us: int, now_us: int) -> int:
    return max(tat_us, now_us) + line.increment_us


@dataclass(frozen=True, slots=True)
class RateState:
    kind: str
    limit: int
    remaining: int
    reset_us: int


def reset_us(line: RateLine, tat_us: int, now_us: int) -> int:
    """Time until the bucket is full again (OpenAI's x-ratelimit-reset-*)."""
    return max(tat_us - now_us, 0)


def state_after(line: RateLine, tat_us: int, now_us: int) -> RateState:
    """What the headers say once the bucket's TAT is `tat_us`."""
    used_us = reset_us(line, tat_us, now_us)
    remaining = max((line.capacity_us - used_us) // line.interval_us, 0)
    return RateState(line.kind, line.limit, min(remaining, line.limit), used_us)


def retry_after_s(line: RateLine, tat_us: int, now_us: int) -> int | None:
    """Whole seconds until the request would fit; None when it never can (it costs more than the limit)."""
    if line.cost > line.limit:
        return None
    wait_us = max(tat_us, now_us) + line.increment_us - line.capacity_us - now_us
    return max(-(-wait_us // 1_000_000), 1)


def format_duration(us: int) -> str:
    """OpenAI's reset format: "20ms", "1s", "6m0s", "1m30.5s"."""
    if us < 1_000_000:
        return f"{max(us // 1000, 0)}ms"
    seconds = us / 1_000_000
    minutes, rest = divmod(seconds, 60)
    text = f"{rest:.3f}".rstrip("0").rstrip(".")
    return f"{int(minutes)}m{text}s" if minutes else f"{text}s"


def headers(states: list[RateState]) -> tuple[tuple[str, str], ...]:
    """x-ratelimit-* for the tightest bucket of each kind (a key limit and its client's may both apply)."""
    out: list[tuple[str, str]] = []
    for kind in ("requests", "tokens"):
        mine = [s for s in states if s.kind == kind]
        if not mine:
            continue
        tight = min(mine, key=lambda s: (s.remaining, -s.reset_us))
        out += [
            (f"x-ratelimit-limit-{kind}", str(tight.limit)),
            (f"x-ratelimit-remaining-{kind}", str(tight.remaining)),
            (f"x-ratelimit-reset-{kind}", format_duration(tight.reset_us)),
        ]
    return tuple(out)
