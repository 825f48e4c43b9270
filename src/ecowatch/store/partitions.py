"""Monthly partitions of ``measurement`` on PostgreSQL.

The parent table is ``PARTITION BY RANGE (time)`` (see the initial migration).  Each calendar
month of UTC time has its partition ``measurement_y2016m01`` = [2016-01-01 00:00Z, 2016-02-01
00:00Z), and ``measurement_default`` takes any row outside the months created, so no row is
ever rejected for want of a partition.

:func:`ensure_month_partitions` is idempotent and may be called at any time: if the default
partition already holds rows of a month being created, they are moved into the new partition
in the same transaction (PostgreSQL refuses to create a partition whose rows sit in the
default one).  On SQLite ``measurement`` is a plain table and the function does nothing.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import text
from sqlalchemy.orm import Session

__all__ = [
    "DEFAULT_PARTITION",
    "ensure_month_partitions",
    "is_partition_name",
    "month_partition_name",
    "months",
    "next_month",
]

PARENT = "measurement"
DEFAULT_PARTITION = "measurement_default"
_PARTITION_RE = re.compile(r"^measurement_(y\d{4}m\d{2}|default)$")
# One lock for every session creating partitions: two loaders creating the same month must not
# race between "does it exist?" and "create it".
_LOCK_KEY = 0x6563_6F77  # "ecow"


def month_partition_name(month: dt.date) -> str:
    """Name of the partition holding ``month`` (any day of it).

    >>> month_partition_name(dt.date(2016, 1, 31))
    'measurement_y2016m01'
    """
    return f"{PARENT}_y{month.year:04d}m{month.month:02d}"


def is_partition_name(name: str) -> bool:
    """True for the names of ``measurement``'s partitions (monthly or default).

    >>> is_partition_name("measurement_y2016m01"), is_partition_name("measurement")
    (True, False)
    """
    return bool(_PARTITION_RE.match(name))


def months(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first day of every month from ``first``'s to ``last``'s (inclusive).

    >>> months(dt.date(2016, 11, 15), dt.date(2017, 1, 1))
    [datetime.date(2016, 11, 1), datetime.date(2016, 12, 1), datetime.date(2017, 1, 1)]
    """
    if isinstance(first, dt.datetime):
        first = first.date()
    if isinstance(last, dt.datetime):
        last = last.date()
    out = []
    month = first.replace(day=1)
    while month <= last:
        out.append(month)
        month = next_month(month)
    return out


def next_month(month: dt.date) -> dt.date:
    """The first day of the month after ``month`` (a month's first day)."""
    return month.replace(year=month.year + 1, month=1) if month.month == 12 else month.replace(month=month.month + 1)


def _utc_literal(day: dt.date) -> str:
    return f"'{day.isoformat()} 00:00:00+00'"


def ensure_month_partitions(session: Session, first: dt.date, last: dt.date) -> list[str]:
    """Create the monthly partitions of ``measurement`` from ``first``'s month to ``last``'s (UTC).

    Also creates the default partition if missing.  Returns the names of the partitions created
    (empty when all existed, and always on SQLite).  Runs in the session's transaction.

    Creating a partition locks the parent table until the transaction ends, so a server should
    create the coming months ahead (a daily job), and bulk loads create theirs in a short
    transaction of their own before writing (:func:`ecowatch.store.loading.load_files` does).
    When every partition exists this only checks (no lock, no DDL).
    """
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return []
    wanted = [DEFAULT_PARTITION, *(month_partition_name(month) for month in months(first, last))]
    if all(_exists(connection, name) for name in wanted):
        return []  # the common case: no lock, no DDL
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    created = []
    if not _exists(connection, DEFAULT_PARTITION):
        connection.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {DEFAULT_PARTITION} PARTITION OF {PARENT} DEFAULT")
        created.append(DEFAULT_PARTITION)
    for month in months(first, last):
        name = month_partition_name(month)
        if _exists(connection, name):
            continue
        lo, hi = _utc_literal(month), _utc_literal(next_month(month))
        bounds = f"FOR VALUES FROM ({lo}) TO ({hi})"
        stranded = connection.execute(
            text(f"SELECT EXISTS (SELECT 1 FROM {DEFAULT_PARTITION} WHERE time >= {lo} AND time < {hi})")
        ).scalar_one()
        if not stranded:
            connection.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {PARENT} {bounds}")
        else:
            # Rows of this month already sit in the default partition: move them into a new table,
            # then attach it (the attach checks that the default partition holds none of them).
            connection.exec_driver_sql(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS)")
            connection.exec_driver_sql(
                f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE time >= {lo} AND time < {hi} RETURNING *) "
                f"INSERT INTO {name} SELECT * FROM moved"
            )
            connection.exec_driver_sql(f"ALTER TABLE {PARENT} ATTACH PARTITION {name} {bounds}")
        created.append(name)
    return created


def _exists(connection, name: str) -> bool:
    return connection.execute(text("SELECT to_regclass(:name) IS NOT NULL"), {"name": name}).scalar_one()
