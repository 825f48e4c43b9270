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
    "attach_month_table",
    "create_month_table",
    "ensure_month_partitions",
    "is_partition_name",
    "month_partition_name",
    "months",
    "months_to_attach",
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
    return (
        month.replace(year=month.year + 1, month=1)
        if month.month == 12
        else month.replace(month=month.month + 1)
    )


def _utc_literal(day: dt.date) -> str:
    return f"'{day.isoformat()} 00:00:00+00'"


def ensure_month_partitions(
    session: Session, first: dt.date, last: dt.date, *, only_stranded: bool = False
) -> list[str]:
    """Create the monthly partitions of ``measurement`` from ``first``'s month to ``last``'s (UTC).

    Also creates the default partition if missing.  Returns the names of the partitions created
    (empty when all existed, and always on SQLite).  Runs in the session's transaction.

    Creating a partition locks the parent table until the transaction ends, so a server should
    create the coming months ahead (a daily job), and bulk loads create theirs in a short
    transaction of their own before writing (:func:`ecowatch.loading.load_files` does).
    When every partition exists this only checks (no lock, no DDL).

    ``only_stranded``: create only the months whose rows sit in the default partition (and the default
    partition): a bulk load leaves the empty ones to :func:`create_month_table` and
    :func:`attach_month_table`, which fill a month before it is attached.
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
        connection.exec_driver_sql(
            f"CREATE TABLE IF NOT EXISTS {DEFAULT_PARTITION} PARTITION OF {PARENT} DEFAULT"
        )
        created.append(DEFAULT_PARTITION)
    for month in months(first, last):
        name = month_partition_name(month)
        if _exists(connection, name):
            continue
        lo, hi = _utc_literal(month), _utc_literal(next_month(month))
        bounds = f"FOR VALUES FROM ({lo}) TO ({hi})"
        stranded = _stranded(connection, month)
        if not stranded and only_stranded:
            continue
        if not stranded:
            connection.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {PARENT} {bounds}")
        else:
            # Rows of this month already sit in the default partition: move them into a new table,
            # then attach it (the attach checks that the default partition holds none of them).
            connection.exec_driver_sql(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS)")
            connection.exec_driver_sql(
                f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} "
                f"WHERE time >= {lo} AND time < {hi} RETURNING *) "
                f"INSERT INTO {name} SELECT * FROM moved"
            )
            connection.exec_driver_sql(f"ALTER TABLE {PARENT} ATTACH PARTITION {name} {bounds}")
        created.append(name)
    return created


def _stranded(connection, month: dt.date) -> bool:
    """Whether the default partition holds rows of ``month``."""
    lo, hi = _utc_literal(month), _utc_literal(next_month(month))
    return connection.execute(
        text(f"SELECT EXISTS (SELECT 1 FROM {DEFAULT_PARTITION} WHERE time >= {lo} AND time < {hi})")
    ).scalar_one()


def months_to_attach(session: Session, first: dt.date, last: dt.date) -> list[dt.date]:
    """The months from ``first``'s to ``last``'s with no partition and no row in the default partition: a
    bulk load may fill a table of its own for each and attach it (:func:`create_month_table`,
    :func:`attach_month_table`).  Takes the partition lock for the rest of the transaction, so no
    other session creates those months meanwhile.  Empty on SQLite.
    """
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return []
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    has_default = _exists(connection, DEFAULT_PARTITION)
    return [
        month
        for month in months(first, last)
        if not _exists(connection, month_partition_name(month))
        and not (has_default and _stranded(connection, month))
    ]


def create_month_table(connection, month: dt.date) -> str:
    """Create the table that will be ``month``'s partition, not attached yet (columns and defaults of
    ``measurement``; no key, no index: rows go in faster without); its name."""
    name = month_partition_name(month)
    connection.exec_driver_sql(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS)")
    return name


def attach_month_table(connection, month: dt.date) -> None:
    """Give the table of :func:`create_month_table` its primary key and attach it as ``month``'s partition.

    PostgreSQL builds the key in one sort, adopts it as the partition's part of the parent's key,
    clones the parent's foreign keys and checks them with one query each, and checks that every row
    is inside the month (and that the default partition holds none of the month's rows)
    (PostgreSQL 15 documentation, ALTER TABLE ... ATTACH PARTITION).  Inserting through the parent
    checks the foreign keys row by row instead.
    """
    name = month_partition_name(month)
    lo, hi = _utc_literal(month), _utc_literal(next_month(month))
    key = (
        connection.execute(
            text(
                "SELECT pg_get_indexdef(indexrelid, k, true) "
                "FROM pg_index, generate_series(1, indnkeyatts) AS k "
                "WHERE indrelid = to_regclass(:parent) AND indisprimary ORDER BY k"
            ),
            {"parent": PARENT},
        )
        .scalars()
        .all()
    )
    connection.exec_driver_sql(
        f"ALTER TABLE {name} ADD CONSTRAINT {name}_pkey PRIMARY KEY ({', '.join(key)})"
    )
    connection.exec_driver_sql(
        f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES FROM ({lo}) TO ({hi})"
    )


def _exists(connection, name: str) -> bool:
    return connection.execute(text("SELECT to_regclass(:name) IS NOT NULL"), {"name": name}).scalar_one()
