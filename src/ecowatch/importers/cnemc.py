"""Reader for the wide real-time publishing layout ``date,hour,type,<station columns...>``.

This is the layout of the daily files of the quotsoft.net mirror of the Chinese real-time
air-quality release (``beijing_all_YYYYMMDD.csv``, ``beijing_extra_YYYYMMDD.csv``, and their
yearly concatenations ``beijing_all_YYYY.csv.gz``): ``date`` is YYYYMMDD, ``hour`` 0-23 (Beijing
time, the hour label as published), ``type`` says what the row holds, and each further column is
a station (named in Chinese).  Empty cell = missing.

``type`` values: ``X`` = 1-h mean of pollutant X, ``X_24h`` = published 24-h running mean,
``AQI`` = published hourly AQI, for X in SO2, NO2, CO, O3, PM10, PM2.5 (CO in mg/m³, the
others in µg/m³).  ``O3_8h`` and ``O3_8h_24h`` (national feed) are known and ignored too.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Collection
from datetime import date
from pathlib import Path

import polars as pl

from ecowatch.errors import InputError
from ecowatch.importers.common import (
    Source,
    StationResolver,
    check_dates,
    hour_time,
    input_files,
    open_table,
    problems,
    read_files,
    sniff_header,
    to_int,
    valid_date,
)
from ecowatch.shapes.measurements import POLLUTANTS, ImportResult
from ecowatch.shapes.stations import StationRegistry

__all__ = ["KNOWN_TYPES", "PUBLISHED_TYPES", "read_cnemc", "read_cnemc_published"]

#: Published (not measured) types: AQI, 24-h running means, and the national feed's 8-h O3.
PUBLISHED_TYPES: tuple[str, ...] = ("AQI", *(f"{p}_24h" for p in POLLUTANTS), "O3_8h", "O3_8h_24h")
#: Every ``type`` the reader accepts; any other is an error.
KNOWN_TYPES: frozenset[str] = frozenset(POLLUTANTS) | frozenset(PUBLISHED_TYPES)

_KEY_COLUMNS = ("date", "hour", "type")


def read_cnemc(
    path: str | os.PathLike[str],
    registry: StationRegistry | None = None,
    *,
    lenient: bool = False,
    date_from: date | None = None,
    date_to: date | None = None,
    progress: bool = True,
) -> ImportResult:
    """Read the 1-h pollutant rows (SO2, NO2, CO, O3, PM10, PM2.5) of one file or a directory.

    A directory: every ``.csv``/``.csv.gz`` file in it (e.g. ``beijing_all_2015.csv.gz`` and
    ``beijing_extra_2015.csv.gz``) whose header starts with ``date,hour,type`` (other CSV files,
    such as a station list, are passed over); with a date filter, files whose name shows a year or day
    outside the range are skipped.  Rows of type ``X_24h`` and ``AQI`` are not measurements and
    are left out (see :func:`read_cnemc_published`).  Station columns are resolved through the
    registry; an unknown station name becomes an ad-hoc station.
    """
    return _read(path, registry, POLLUTANTS, lenient, date_from, date_to, progress)


def read_cnemc_published(
    path: str | os.PathLike[str],
    registry: StationRegistry | None = None,
    *,
    lenient: bool = False,
    date_from: date | None = None,
    date_to: date | None = None,
    progress: bool = True,
    types: Collection[str] = ("AQI", "PM2.5_24h", "PM10_24h"),
) -> pl.DataFrame:
    """The published rows of the given ``types`` as a long frame ``station, time, type, value``.

    Used to compare the AQI we compute with the published one.  Sorted by station, time, type;
    missing cells have no row.  Strict mode raises at the first bad value; in lenient mode an
    invalid value is null (use :func:`read_cnemc` for the list of problems).
    """
    unknown = sorted(set(types) - KNOWN_TYPES)
    if unknown:
        raise ValueError(f"unknown published type(s) {unknown}; known: {sorted(KNOWN_TYPES)}")
    result = _read(path, registry, tuple(types), lenient, date_from, date_to, progress)
    return result.measurements.select("station", "time", pl.col("pollutant").alias("type"), "value")


def _read(
    path: str | os.PathLike[str],
    registry: StationRegistry | None,
    keep: tuple[str, ...],
    lenient: bool,
    date_from: date | None,
    date_to: date | None,
    progress: bool,
) -> ImportResult:
    date_from, date_to = check_dates(date_from, date_to)
    files = input_files(path)
    if Path(path).is_dir():
        # Only the files of this layout: a directory may hold other CSVs (e.g. a station list).
        files = [f for f in files if (sniff_header(f) or [])[:3] == list(_KEY_COLUMNS)]
        if not files:
            raise InputError("no file with a 'date,hour,type,...' header in directory", file=str(path))
    return read_files(
        files,
        functools.partial(_read_kept, keep=keep),
        registry,
        description="Reading real-time files",
        lenient=lenient,
        date_from=date_from,
        date_to=date_to,
        progress=progress,
        vocabulary=keep,
    )


def _read_kept(
    src: Source,
    resolver: StationResolver,
    date_from: date | None,
    date_to: date | None,
    *,
    keep: tuple[str, ...],
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    return _read_one(src, resolver, keep, date_from, date_to)


def _read_one(
    src: Source,
    resolver: StationResolver,
    keep: tuple[str, ...],
    date_from: date | None,
    date_to: date | None,
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    table = open_table(src)
    index = table.require(_KEY_COLUMNS)
    stations = {h: i for i, h in enumerate(table.header) if h and h not in index}
    if not stations:
        raise InputError("no station columns after date,hour,type", file=src.name, line=1)
    df = table.columns({**index, **stations})
    found = [table.bad_lines]

    # Date filter first, on the text (YYYYMMDD sorts like the date); unparseable dates are kept
    # so that they are reported.
    day_text = pl.col("date").str.strip_chars()
    well_formed = day_text.str.contains(r"^\d{8}$")
    if date_from is not None or date_to is not None:
        in_range = pl.lit(True)
        if date_from is not None:
            in_range = in_range & (day_text >= date_from.strftime("%Y%m%d"))
        if date_to is not None:
            in_range = in_range & (day_text <= date_to.strftime("%Y%m%d"))
        df = df.filter(~well_formed.fill_null(False) | in_range)

    type_text = pl.col("type").str.strip_chars()
    df = df.with_columns(
        _type=type_text,
        _date=pl.when(well_formed).then(
            valid_date(
                to_int(day_text.str.slice(0, 4)),
                to_int(day_text.str.slice(4, 2)),
                to_int(day_text.str.slice(6, 2)),
            )
        ),
        _hour=to_int(pl.col("hour")),
    )
    hour_ok = pl.col("_hour").is_between(0, 23).fill_null(False)
    time_ok = pl.col("_date").is_not_null() & hour_ok
    type_ok = pl.col("_type").is_in(sorted(KNOWN_TYPES)).fill_null(False)

    bad = df.filter(~time_ok | ~type_ok)
    if bad.height:
        date_reason = (
            pl.when(well_formed.fill_null(False))
            .then(pl.format("bad timestamp: impossible date '{}'", pl.col("date")))
            .otherwise(
                pl.format(
                    "bad timestamp: unparseable date '{}' (expected YYYYMMDD)", pl.col("date").fill_null("")
                )
            )
        )
        hour_reason = (
            pl.when(pl.col("_hour").is_null())
            .then(pl.format("bad timestamp: unparseable hour '{}'", pl.col("hour").fill_null("")))
            .otherwise(pl.format("bad timestamp: hour {} outside 0..23", pl.col("_hour")))
        )
        bad_time = bad.filter(~time_ok)
        found.append(
            problems(
                bad_time,
                src.index,
                pl.when(pl.col("_date").is_null()).then(index["date"]).otherwise(index["hour"]),
                pl.when(pl.col("_date").is_null()).then(pl.lit("date")).otherwise(pl.lit("hour")),
                pl.when(pl.col("_date").is_null()).then(date_reason).otherwise(hour_reason),
            )
        )
        bad_type = bad.filter(~type_ok)
        found.append(
            problems(
                bad_type,
                src.index,
                index["type"],
                "type",
                pl.format("unknown pollutant/type '{}'", pl.col("type").fill_null("")),
            )
        )

    good = df.filter(time_ok & pl.col("_type").is_in(list(keep)))
    good = good.select(
        "line",
        hour_time(pl.col("_date"), pl.col("_hour")).alias("time"),
        pl.col("_type").alias("pollutant"),
        *stations,
    )
    cells = good.unpivot(
        index=["line", "time", "pollutant"], on=list(stations), variable_name="field", value_name="raw"
    )
    codes = {name: resolver.code(name) for name in stations}
    cells = cells.with_columns(
        src=pl.lit(src.index, pl.Int32),
        col=pl.col("field").replace_strict(stations, return_dtype=pl.Int32),
        station=pl.col("field").replace_strict(codes, return_dtype=pl.String),
        scale=pl.lit(0, pl.Int8),
        pre_reason=pl.lit(None, pl.String),
    )
    return cells, found
