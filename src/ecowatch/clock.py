"""The platform's clock, and Beijing time.

Every "now" of the platform (commands, the server, the scheduler) comes from :func:`now`, never from
``datetime.now()`` inside a rule, so that a test, a replay or an acceptance check can set it:
``ECOWATCH_NOW`` (ISO 8601 with an offset, e.g. ``2026-03-01T08:00:00+08:00``), when set, is now.

The standards count hours and days in Beijing time (UTC+8 all year: China has kept no daylight
saving time since 1991), so :data:`BEIJING` is a fixed offset, not a zone database lookup.

>>> import os
>>> os.environ["ECOWATCH_NOW"] = "2026-02-28T23:30:00+00:00"
>>> today_beijing()
datetime.date(2026, 3, 1)
>>> del os.environ["ECOWATCH_NOW"]
"""

from __future__ import annotations

import datetime as dt
import os

from ecowatch.errors import InputError

__all__ = ["BEIJING", "BEIJING_OFFSET", "NOW_VARIABLE", "now", "today_beijing"]

#: Offset of Beijing time from UTC, the clock of the standards' hours and days.
BEIJING_OFFSET = dt.timedelta(hours=8)
#: Beijing time as a tzinfo.
BEIJING = dt.timezone(BEIJING_OFFSET, "Asia/Shanghai")
#: The environment variable that, when set, is "now".
NOW_VARIABLE = "ECOWATCH_NOW"


def now() -> dt.datetime:
    """The current time, aware: ``ECOWATCH_NOW`` when set, else the system clock (UTC)."""
    text = os.environ.get(NOW_VARIABLE, "").strip()
    if not text:
        return dt.datetime.now(dt.UTC)
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"not an ISO 8601 time: {text!r}", field=NOW_VARIABLE) from None
    if value.tzinfo is None:
        raise InputError(f"{text!r} has no UTC offset (write e.g. {text}+08:00)", field=NOW_VARIABLE)
    return value


def as_utc(time: dt.datetime) -> dt.datetime:
    """A stored time as aware UTC: SQLite gives it back naive, holding UTC; PostgreSQL gives it aware."""
    return time.replace(tzinfo=dt.UTC) if time.tzinfo is None else time.astimezone(dt.UTC)


def today_beijing() -> dt.date:
    """Today's date in Beijing time (the standards' day)."""
    return now().astimezone(BEIJING).date()
