"""Period math in the workspace's timezone, across day, week, month, year and DST boundaries. Pure."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tollgate.budgets.periods import LIFETIME_START, Period, previous, window

UTC = dt.UTC
BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"


def at(tz: str, *args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZoneInfo(tz)).astimezone(UTC)  # type: ignore[misc]


def test_daily_window_is_the_local_calendar_day() -> None:
    moment = at(BERLIN, 2026, 11, 23, 0, 30)  # 23:30 UTC the day before
    period = window(Period.DAILY, moment, BERLIN)
    assert period.start == at(BERLIN, 2026, 11, 23) == dt.datetime(2026, 11, 22, 23, tzinfo=UTC)
    assert period.end == at(BERLIN, 2026, 11, 24)
    assert window("daily", moment, "UTC").start == dt.datetime(2026, 11, 22, tzinfo=UTC)


def test_one_microsecond_before_midnight_and_at_midnight() -> None:
    midnight = at(BERLIN, 2026, 11, 24)
    before = window(Period.DAILY, midnight - dt.timedelta(microseconds=1), BERLIN)
    after = window(Period.DAILY, midnight, BERLIN)
    assert before.end == after.start == midnight
    assert before.key != after.key
    assert previous(Period.DAILY, after, BERLIN) == before


def test_week_starts_monday_local() -> None:
    sunday_night = at(NEW_YORK, 2026, 11, 29, 23, 59)
    monday = at(NEW_YORK, 2026, 11, 30, 0, 0)
    assert window(Period.WEEKLY, sunday_night, NEW_YORK).start == at(NEW_YORK, 2026, 11, 23)
    assert window(Period.WEEKLY, monday, NEW_YORK).start == monday
    assert window(Period.WEEKLY, monday, NEW_YORK).end == at(NEW_YORK, 2026, 12, 7)


def test_month_and_year_rollover() -> None:
    december = window(Period.MONTHLY, at(BERLIN, 2026, 12, 31, 23, 59), BERLIN)
    assert (december.start, december.end) == (at(BERLIN, 2026, 12, 1), at(BERLIN, 2027, 1, 1))
    february = window(Period.MONTHLY, at(BERLIN, 2028, 2, 29, 12), BERLIN)  # leap year
    assert february.end == at(BERLIN, 2028, 3, 1)


@pytest.mark.parametrize(
    ("day", "hours"),
    [((2026, 3, 29), 23), ((2026, 10, 25), 25), ((2026, 3, 28), 24)],
)
def test_dst_days_last_23_or_25_hours(day: tuple[int, int, int], hours: int) -> None:
    period = window(Period.DAILY, at(BERLIN, *day, 12), BERLIN)
    assert period.end is not None
    assert period.end - period.start == dt.timedelta(hours=hours)


def test_month_containing_dst_change_is_an_hour_short() -> None:
    march = window(Period.MONTHLY, at(NEW_YORK, 2026, 3, 20), NEW_YORK)
    assert march.end is not None
    assert march.end - march.start == dt.timedelta(days=31, hours=-1)


def test_midnight_skipped_by_dst_resolves_to_a_real_instant() -> None:
    # America/Santiago springs forward at local midnight: 2026-09-06 00:00 does not exist.
    period = window(Period.DAILY, dt.datetime(2026, 9, 6, 12, tzinfo=UTC), "America/Santiago")
    assert period.start.astimezone(ZoneInfo("America/Santiago")).hour in (0, 1)
    assert period.contains(dt.datetime(2026, 9, 6, 12, tzinfo=UTC))


def test_lifetime_never_ends() -> None:
    period = window(Period.LIFETIME, dt.datetime(2030, 1, 1, tzinfo=UTC), BERLIN)
    assert (period.start, period.end, period.key) == (LIFETIME_START, None, 0)
    assert previous(Period.LIFETIME, period) is None


def test_naive_moment_is_rejected() -> None:
    with pytest.raises(ValueError):
        window(Period.DAILY, dt.datetime(2026, 1, 1), BERLIN)
