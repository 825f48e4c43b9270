"""Hourly values in columnar blocks: a month of one site and pollutant as one array.

A year of a city's air stations is 0.6 million hourly rows; turning them into Python objects is
what a cold period assessment spends its time on (about a second on either database).  The same
values as :class:`~ecowatch.store.models.HourlyBlock`\\ s are a few hundred rows of bytes.

Blocks are a derived copy and never the record: :class:`~ecowatch.store.models.Measurement`
stays the one place values are written, and a block stands for its month only while it was built
from the month's current ``version`` (``measurement_month.built_version = version``), which the
database's own triggers move on at every change of an hourly row, in the writer's transaction
(migration 0003).  A month that changed since is read row by row until it is built again.  Only
*plain* values go into blocks (a usable value, no note, on the hour); the others are few and
are always read from ``measurement``.

Building a month reads its version **before** its rows.  On PostgreSQL (read committed) a
writer committing in between can then only make the block newer than the version it is
labelled with — which is never served — and never older; a writer that commits after the
build moves the version past ``built_version``.  On SQLite the build's reads and writes are
one transaction, which SQLite serialises with every writer.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from rich.progress import track
from sqlalchemy import (
    Connection,
    Engine,
    String,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ecowatch.store.db import session_factory
from ecowatch.store.models import HourlyBlock, Measurement, MeasurementMonth, table_of
from ecowatch.store.partitions import months, next_month

__all__ = [
    "HOURLY",
    "VALID_FLAGS",
    "BlockRead",
    "BlocksBuilt",
    "MonthSpan",
    "build_blocks_from_rows",
    "build_hourly_blocks",
    "per_pollutant_max",
    "plain_value",
    "read_blocks",
    "uncovered_spans",
    "utc_time_text",
]

log = logging.getLogger("ecowatch.store.blocks")

#: The interval that has blocks (migration 0003's triggers watch only it).
HOURLY = "1h"
HOUR_US = 3_600_000_000
#: Site-months built per transaction: few enough that a writer waits well under a second.
MONTHS_PER_TRANSACTION = 12
BLOCK_DTYPE = np.dtype("<f8")


#: Flags that mean a usable value: none (importers) or HJ 212 ``N`` (instrument working normally,
#: HJ 212-2017 §6.6.4 表 8; HJ/T 212-2005 the same letter).
VALID_FLAGS = ("N",)


def plain_value():
    """SQL: the row holds a usable value as it is (no flag or a normal one, no note), read exactly as a
    value with no flag would be, so it may go into a block."""
    return (
        Measurement.value.is_not(None)
        & Measurement.note.is_(None)
        & or_(Measurement.flag.is_(None), Measurement.flag.in_(VALID_FLAGS))
    )


def utc_time_text(connection: Connection):
    """SQL: ``measurement.time`` as UTC text ``YYYY-MM-DD HH:MM:SS.ffffff``.

    Parsed by polars, text is much faster than datetimes built row by row.  SQLite keeps that
    text already (SQLAlchemy's DateTime storage format).
    """
    if connection.dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", Measurement.time), "YYYY-MM-DD HH24:MI:SS.US")
    return type_coerce(Measurement.time, String)


def parse_utc_text(column: str = "time") -> pl.Expr:
    """:func:`utc_time_text`'s text as naive ``Datetime('us')`` (UTC)."""
    return pl.col(column).str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us", strict=True)


def _utc(month: dt.date) -> dt.datetime:
    return dt.datetime.combine(month, dt.time(), tzinfo=dt.UTC)


def _epoch_us(moment: dt.datetime) -> int:
    return (moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)


def _months_of(start: dt.datetime, end: dt.datetime) -> list[dt.date]:
    """The UTC months overlapping ``[start, end)``."""
    return months(
        start.astimezone(dt.UTC).date(), (end - dt.timedelta(microseconds=1)).astimezone(dt.UTC).date()
    )


# --- building ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlocksBuilt:
    """What one :func:`build_hourly_blocks` run did."""

    months: int
    """Site-months built (their blocks now stand for them, or they are marked as not fitting)."""
    not_fitting: int
    """Of those, months holding a plain value off the hour or NaN: they stay read row by row."""
    skipped: int
    """Months a concurrent writer or builder held: left for the next run."""


def build_hourly_blocks(engine: Engine, *, limit: int | None = None, progress: bool = False) -> BlocksBuilt:
    """Build the blocks of every site-month whose hourly values changed since its blocks were built.

    Short transactions of :data:`MONTHS_PER_TRANSACTION` site-months, taken in key order (as the
    triggers lock them), so writers (the gateway) wait little and never deadlock with the builder.
    Safe to run at any time and from several processes: a month another transaction changes
    meanwhile is skipped or left stale, never wrongly marked current.
    """
    with session_factory(engine)() as session:
        stale = session.execute(
            select(MeasurementMonth.site_id, MeasurementMonth.month)
            .where(
                MeasurementMonth.interval == HOURLY,
                or_(
                    MeasurementMonth.built_version.is_(None),
                    MeasurementMonth.built_version != MeasurementMonth.version,
                ),
            )
            .order_by(MeasurementMonth.site_id, MeasurementMonth.month)
            .limit(limit)
        ).all()
    built = not_fitting = skipped = 0
    batches = [stale[i : i + MONTHS_PER_TRANSACTION] for i in range(0, len(stale), MONTHS_PER_TRANSACTION)]
    steps = (
        track(batches, description="Building hourly blocks", transient=True)
        if progress and stale
        else batches
    )
    for batch in steps:
        try:
            with session_factory(engine).begin() as session:
                results = [_build_month(session, site_id, month) for site_id, month in batch]
        except (OperationalError, IntegrityError) as error:  # locked, or built by another process
            log.info("hourly blocks of %d site-months left for later: %s", len(batch), error.orig)
            skipped += len(batch)
            continue
        built += sum(fits is not None for fits in results)
        not_fitting += sum(fits is False for fits in results)
    return BlocksBuilt(months=built, not_fitting=not_fitting, skipped=skipped)


def build_blocks_from_rows(connection: Connection, rows: pl.DataFrame) -> BlocksBuilt:
    """Build the blocks of whole site-months from the rows just written, in the writer's transaction.

    ``rows`` are ``measurement`` rows (``site_id``, ``interval`` ``1h``, ``time`` naive UTC, ``pollutant``,
    ``value``, ``flag``, ``note``) that are *all* the site-months' rows: a bulk load writes them into
    months that held none (:func:`ecowatch.store.measurements.write_measurements`), so the rows need
    not be read back.  Each month is labelled with its ``version`` as it stands in this transaction,
    which holds the month's ``measurement_month`` row locked (PostgreSQL) or the database (SQLite)
    until it commits: a later writer moves the version past it.  A month with a NaN value is left
    for :func:`build_hourly_blocks` (SQLite stores NaN as NULL, so only the stored rows tell).
    """
    if not rows.height:
        return BlocksBuilt(months=0, not_fitting=0, skipped=0)
    if (rows["interval"] != HOURLY).any():
        raise ValueError(f"hourly blocks are built from {HOURLY!r} rows only")
    plain = (
        pl.col("value").is_not_null()
        & pl.col("note").is_null()
        & (pl.col("flag").is_null() | pl.col("flag").is_in(VALID_FLAGS))
    )
    marked = rows.select(
        "site_id",
        "pollutant",
        "value",
        pl.col("time").dt.truncate("1mo").dt.date().alias("month"),
        (pl.col("time") - pl.col("time").dt.truncate("1mo")).dt.total_microseconds().alias("offset"),
        plain.alias("plain"),
    )
    per_month = (
        marked.group_by("site_id", "month")
        .agg(
            other_rows=(~pl.col("plain")).sum(),
            fits=(pl.col("plain").not_() | (pl.col("offset") % HOUR_US == 0)).all(),
            nan=pl.col("value").is_nan().any(),
        )
        .filter(~pl.col("nan"))
        .sort("site_id", "month")
    )
    table = table_of(MeasurementMonth)
    sites = per_month["site_id"].unique().to_list()
    months_wanted = per_month["month"].unique().to_list()
    versions = {
        (site_id, month): version
        for site_id, month, version in connection.execute(
            select(table.c.site_id, table.c.month, table.c.version).where(
                table.c.site_id.in_(sites), table.c.interval == HOURLY, table.c.month.in_(months_wanted)
            )
        )
    }
    done = [
        (int(site_id), month, int(other), bool(fits))
        for site_id, month, other, fits, _ in per_month.iter_rows()
        if (site_id, month) in versions
    ]
    fitting = {(site_id, month) for site_id, month, _, fits in done if fits}
    blocks = []
    grouped = (
        marked.filter(pl.col("plain"))
        .group_by("site_id", "month", "pollutant")
        .agg((pl.col("offset") // HOUR_US).alias("hour"), pl.col("value"))
    )
    for site_id, month, pollutant, hour, values in grouped.iter_rows():
        if (site_id, month) not in fitting:
            continue
        hours = (_utc(next_month(month)) - _utc(month)) // dt.timedelta(hours=1)
        block = np.full(hours, np.nan, dtype=BLOCK_DTYPE)
        block[np.asarray(hour, dtype=np.int64)] = values
        blocks.append(
            {
                "site_id": site_id,
                "interval": HOURLY,
                "month": month,
                "pollutant": pollutant,
                "hourly_values": block.tobytes(),
            }
        )
    blocks.sort(key=lambda block: (block["site_id"], block["month"], block["pollutant"]))
    for site_id in sorted({site_id for site_id, *_ in done}):
        connection.execute(
            delete(HourlyBlock).where(
                HourlyBlock.site_id == site_id,
                HourlyBlock.interval == HOURLY,
                HourlyBlock.month.in_([month for site, month, *_ in done if site == site_id]),
            )
        )
    if blocks:
        connection.execute(table_of(HourlyBlock).insert(), blocks)
    if done:
        connection.execute(
            table.update()
            .where(
                table.c.site_id == bindparam("b_site"),
                table.c.interval == HOURLY,
                table.c.month == bindparam("b_month"),
            )
            .values(
                built_version=bindparam("b_version"),
                blocked=bindparam("b_blocked"),
                other_rows=bindparam("b_other"),
            ),
            [
                {
                    "b_site": site_id,
                    "b_month": month,
                    "b_version": versions[(site_id, month)],
                    "b_blocked": fits,
                    "b_other": other,
                }
                for site_id, month, other, fits in done
            ],
        )
    return BlocksBuilt(
        months=len(done), not_fitting=len(done) - len(fitting), skipped=per_month.height - len(done)
    )


def per_pollutant_max(pollutants: Sequence[str]) -> list:
    """SQL aggregates, one per pollutant: its value in a group of one site and time (one row per
    hour instead of one per value: building Python rows is what reading costs)."""
    return [func.max(Measurement.value).filter(Measurement.pollutant == p) for p in pollutants]


def _build_month(session: Session, site_id: int, month: dt.date) -> bool | None:
    """(Re)build one site-month's blocks; whether its plain values fit (None: the month is gone)."""
    key = (
        MeasurementMonth.site_id == site_id,
        MeasurementMonth.interval == HOURLY,
        MeasurementMonth.month == month,
    )
    version = session.scalar(
        select(MeasurementMonth.version).where(*key)
    )  # before the rows: module docstring
    if version is None:
        return None
    start, end = _utc(month), _utc(next_month(month))
    connection = session.connection()
    in_month = (
        Measurement.site_id == site_id,
        Measurement.interval == HOURLY,
        Measurement.time >= start,
        Measurement.time < end,
    )
    of_month = (*in_month, plain_value())
    pollutants = sorted(session.scalars(select(Measurement.pollutant).where(*of_month).distinct()))
    time = utc_time_text(connection)
    rows = connection.execute(
        select(time, *per_pollutant_max(pollutants)).where(*of_month).group_by(time)
    ).all()
    frame = pl.DataFrame(
        rows, schema={"time": pl.String, **dict.fromkeys(pollutants, pl.Float64)}, orient="row"
    )
    offset = (frame.select(parse_utc_text()).to_series() - start.replace(tzinfo=None)).dt.total_microseconds()
    fits = bool(((offset % HOUR_US) == 0).all()) and not any(frame[p].is_nan().any() for p in pollutants)
    session.execute(
        delete(HourlyBlock).where(
            HourlyBlock.site_id == site_id, HourlyBlock.interval == HOURLY, HourlyBlock.month == month
        )
    )
    if fits and pollutants:
        hours = (end - start) // dt.timedelta(hours=1)
        hour = (offset // HOUR_US).to_numpy()
        blocks = []
        for pollutant in pollutants:
            values = np.full(hours, np.nan, dtype=BLOCK_DTYPE)
            values[hour] = frame[pollutant].fill_null(np.nan).to_numpy()
            blocks.append(
                {
                    "site_id": site_id,
                    "interval": HOURLY,
                    "month": month,
                    "pollutant": pollutant,
                    "hourly_values": values.tobytes(),
                }
            )
        session.execute(table_of(HourlyBlock).insert(), blocks)
    other_rows = session.scalar(
        select(func.count()).select_from(Measurement).where(*in_month, ~plain_value())
    )
    session.execute(
        update(MeasurementMonth)
        .where(*key)
        .values(built_version=version, blocked=fits, other_rows=other_rows)
    )
    return fits


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlockRead:
    """What the current blocks give for a read (:func:`read_blocks`)."""

    frame: pl.DataFrame
    """Their plain values in the read: ``station``, ``time`` (naive UTC ``Datetime('us')``),
    ``pollutant``, ``value``, sorted by station, time, pollutant."""
    plain_months: set[tuple[int, dt.date]]
    """(site id, UTC month) pairs whose plain values are all in ``frame``."""
    whole_months: set[tuple[int, dt.date]]
    """Of those, the ones with no other row either (nothing flagged, annotated or missing): nothing
    of them needs reading from ``measurement``."""


def read_blocks(
    connection: Connection,
    codes: Mapping[int, str],
    start: dt.datetime,
    end: dt.datetime,
    pollutants: Sequence[str],
) -> BlockRead:
    """The current blocks of the sites ``codes`` (id -> station code) in ``[start, end)``."""
    join = and_(
        HourlyBlock.site_id == MeasurementMonth.site_id,
        HourlyBlock.interval == MeasurementMonth.interval,
        HourlyBlock.month == MeasurementMonth.month,
        HourlyBlock.pollutant.in_(list(pollutants)),
    )
    rows = connection.execute(
        select(
            MeasurementMonth.site_id,
            MeasurementMonth.month,
            MeasurementMonth.other_rows,
            HourlyBlock.pollutant,
            HourlyBlock.hourly_values,
        )
        .select_from(MeasurementMonth)
        .outerjoin(HourlyBlock, join)
        .where(
            MeasurementMonth.site_id.in_(list(codes)),
            MeasurementMonth.interval == HOURLY,
            MeasurementMonth.month.in_(_months_of(start, end)),
            MeasurementMonth.built_version == MeasurementMonth.version,
            MeasurementMonth.blocked,
        )
    ).all()
    plain_months = {(site_id, month) for site_id, month, *_ in rows}
    whole_months = {(site_id, month) for site_id, month, other_rows, *_ in rows if other_rows == 0}
    order = sorted(pollutants)
    column = {pollutant: index for index, pollutant in enumerate(order)}
    by_month: dict[tuple[str, dt.date], list[tuple[int, bytes]]] = {}
    for site_id, month, _, pollutant, blob in rows:
        if blob is not None:
            by_month.setdefault((codes[site_id], month), []).append((column[pollutant], blob))
    start_us, end_us = _epoch_us(start), _epoch_us(end)
    station_order = sorted(set(codes.values()))
    station_index = {station: index for index, station in enumerate(station_order)}
    stations: list[np.ndarray] = []
    times: list[np.ndarray] = []
    kinds: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for (station, month), blocks in sorted(by_month.items()):  # station, then month: the frame's order
        first_us = _epoch_us(_utc(month))
        hours = len(blocks[0][1]) // BLOCK_DTYPE.itemsize
        low = max(0, -(-(start_us - first_us) // HOUR_US))
        high = min(hours, -(-(end_us - first_us) // HOUR_US))
        if high <= low:
            continue
        # Hours down, pollutants across: read row by row it is time, then pollutant order.
        grid = np.full((high - low, len(order)), np.nan)
        for index, blob in blocks:
            grid[:, index] = np.frombuffer(blob, dtype=BLOCK_DTYPE)[low:high]
        hour, kind = np.nonzero(~np.isnan(grid))
        stations.append(np.full(hour.size, station_index[station], dtype=np.int32))
        times.append(first_us + (hour + low).astype(np.int64) * HOUR_US)
        kinds.append(kind.astype(np.int8))
        values.append(grid[hour, kind])
    if not values:
        stations, times, kinds, values = (
            [np.empty(0, dtype)] for dtype in (np.int32, np.int64, np.int8, np.float64)
        )
    frame = pl.DataFrame(
        {
            "station": pl.Series(np.concatenate(stations)).replace_strict(
                dict(enumerate(station_order)), return_dtype=pl.String
            ),
            "time": pl.Series(np.concatenate(times)).cast(pl.Datetime("us")),
            "pollutant": pl.Series(np.concatenate(kinds)).replace_strict(
                dict(enumerate(order)), return_dtype=pl.String
            ),
            "value": np.concatenate(values),
        }
    )
    return BlockRead(frame=frame, plain_months=plain_months, whole_months=whole_months)


@dataclass(frozen=True)
class MonthSpan:
    """A stretch ``[start, end)`` of whole UTC months (cut to the read) and the sites lacking blocks there."""

    start: dt.datetime
    end: dt.datetime
    site_ids: tuple[int, ...]


def uncovered_spans(
    site_ids: Sequence[int], covered: set[tuple[int, dt.date]], start: dt.datetime, end: dt.datetime
) -> Iterator[MonthSpan]:
    """The parts of ``[start, end)`` and the sites whose values are not in blocks, consecutive months
    with the same sites merged (no block at all: one span, the whole read).

    >>> utc = lambda *a: dt.datetime(*a, tzinfo=dt.UTC)
    >>> spans = uncovered_spans([1, 2], {(1, dt.date(2016, 2, 1))}, utc(2016, 1, 15), utc(2016, 3, 10))
    >>> for s in spans:
    ...     print(s.start.date().isoformat(), s.end.date().isoformat(), s.site_ids)
    2016-01-15 2016-02-01 (1, 2)
    2016-02-01 2016-03-01 (2,)
    2016-03-01 2016-03-10 (1, 2)
    """
    ordered = sorted(set(site_ids))
    current: MonthSpan | None = None
    for month in _months_of(start, end):
        lacking = tuple(site for site in ordered if (site, month) not in covered)
        low, high = max(start, _utc(month)), min(end, _utc(next_month(month)))
        if current is not None and current.site_ids == lacking and current.end == low:
            current = MonthSpan(current.start, high, lacking)
            continue
        if current is not None and current.site_ids:
            yield current
        current = MonthSpan(low, high, lacking)
    if current is not None and current.site_ids:
        yield current
