"""The overview's arithmetic, pure (no Flask, no I/O): periods in the workspace's time zone, burn rate and the
month's projection, in integer micro-dollars."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Periods:
    day_start: dt.datetime
    month_start: dt.datetime
    now: dt.datetime
    days_left_in_month: int
    """Whole days after today to the month's end (today itself is counted as spent so far)."""


def periods(tz_name: str, now: dt.datetime) -> Periods:
    """Today and this month as the workspace's calendar has them, as UTC instants."""
    local = now.astimezone(ZoneInfo(tz_name))
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    month = day.replace(day=1)
    last = calendar.monthrange(local.year, local.month)[1]
    return Periods(day.astimezone(dt.UTC), month.astimezone(dt.UTC), now, last - local.day)


def projected_month_micros(month_so_far_micros: int, daily_burn_micros: int, days_left: int) -> int:
    """This month's spend if every remaining day costs the recent daily average."""
    return month_so_far_micros + daily_burn_micros * days_left


def cap_state_rank(state: str) -> int:
    """Order for 'near or over their caps': exceeded first, then warning, then ok."""
    return {"exceeded": 0, "warning": 1}.get(state, 2)
