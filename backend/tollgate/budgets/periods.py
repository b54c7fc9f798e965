"""Budget periods: calendar day, ISO week (Monday) and month in the workspace's timezone, or lifetime. Pure.

A period is identified by its start instant in UTC. Spend is stored per (budget, period start), so a new
period starts from nothing simply because its key is new: no row is ever reset to zero. Boundaries are local
midnights, so across a DST change a day lasts 23 or 25 hours and the week or month containing it is one hour
shorter or longer, as a human reading the calendar would expect.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

LIFETIME_START = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class Period(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    LIFETIME = "lifetime"


@dataclass(frozen=True, slots=True)
class Window:
    """One period: [start, end) in UTC; `end` is None for lifetime."""

    start: dt.datetime
    end: dt.datetime | None

    @property
    def key(self) -> int:
        """Stable integer key of the period: its start in Unix seconds."""
        return int(self.start.timestamp())

    def contains(self, moment: dt.datetime) -> bool:
        return self.start <= moment and (self.end is None or moment < self.end)


@functools.lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """The first instant of `day` in `tz`, in UTC (midnight exists in every zone Tollgate supports;
    where a DST jump skips it, fold=0 resolves to the instant after the gap)."""
    naive = dt.datetime(day.year, day.month, day.day)
    local = naive.replace(tzinfo=tz)
    # Round-trip through UTC normalises a non-existent local time (a gap) to a real instant.
    return local.astimezone(dt.UTC)


def _first_day(period: Period, local_day: dt.date) -> tuple[dt.date, dt.date]:
    if period is Period.DAILY:
        return local_day, local_day + dt.timedelta(days=1)
    if period is Period.WEEKLY:
        monday = local_day - dt.timedelta(days=local_day.weekday())
        return monday, monday + dt.timedelta(days=7)
    first = local_day.replace(day=1)
    nxt = first.replace(year=first.year + 1, month=1) if first.month == 12 else first.replace(month=first.month + 1)
    return first, nxt


def window(period: Period | str, moment: dt.datetime, tz_name: str = "UTC") -> Window:
    """The period containing `moment` (tz-aware) for a workspace in `tz_name`."""
    period = Period(period)
    if moment.tzinfo is None:
        raise ValueError("window() needs a timezone-aware moment")
    if period is Period.LIFETIME:
        return Window(LIFETIME_START, None)
    tz = zone(tz_name)
    start_day, end_day = _first_day(period, moment.astimezone(tz).date())
    return Window(_local_midnight(start_day, tz), _local_midnight(end_day, tz))


def previous(period: Period | str, current: Window, tz_name: str = "UTC") -> Window | None:
    """The period just before `current` (None for lifetime)."""
    if current.end is None:
        return None
    return window(period, current.start - dt.timedelta(seconds=1), tz_name)
