"""Reader for the UCI "Beijing Multi-Site Air-Quality Data" (PRSA) files.

One file per station, ``PRSA_Data_<Station>_20130301-20170228.csv`` (or ``.csv.gz``), R
``write.csv`` style: quoted header, columns ``No,year,month,day,hour,PM2.5,PM10,SO2,NO2,CO,O3,
TEMP,PRES,DEWP,RAIN,wd,WSPM,station``, ``NA`` for missing values, Beijing time, hour 0-23.

Only the six pollutant columns are read (the weather columns are ignored).  **CO is given in
µg/m³ in these files** and is divided by 1000 to give mg/m³.  The ``station`` column (pinyin,
e.g. ``Dongsi``) is resolved through the station registry (``Dongsi`` -> ``1003A``).
"""

from __future__ import annotations

import os
from datetime import date

import polars as pl

from ecowatch.assessment.stations import StationRegistry
from ecowatch.importers.common import (
    ImportResult,
    Source,
    StationResolver,
    check_dates,
    date_in_range,
    hour_time,
    input_files,
    open_table,
    problems,
    read_files,
    to_int,
    valid_date,
)
from ecowatch.standards import Pollutant

__all__ = ["PRSA_POLLUTANT_COLUMNS", "read_prsa"]

#: Pollutant columns of a PRSA file -> (pollutant, scale exponent to the measurement unit).
PRSA_POLLUTANT_COLUMNS: dict[str, tuple[str, int]] = {
    "PM2.5": (Pollutant.PM2_5.value, 0),
    "PM10": (Pollutant.PM10.value, 0),
    "SO2": (Pollutant.SO2.value, 0),
    "NO2": (Pollutant.NO2.value, 0),
    "CO": (Pollutant.CO.value, -3),  # µg/m³ in the file -> mg/m³
    "O3": (Pollutant.O3.value, 0),
}
_TIME_COLUMNS = ("year", "month", "day", "hour")


def read_prsa(
    path: str | os.PathLike[str],
    registry: StationRegistry | None = None,
    *,
    lenient: bool = False,
    date_from: date | None = None,
    date_to: date | None = None,
    progress: bool = True,
) -> ImportResult:
    """Read one PRSA file, or every ``.csv``/``.csv.gz`` file of a directory.

    ``date_from``/``date_to`` (inclusive) filter on the date of the hour label; files whose name
    shows they are out of range are not opened.  Strict mode (default) raises
    :class:`~ecowatch.errors.InputError` at the first bad value; ``lenient=True`` keeps invalid
    values as null with a reason and lists every problem in ``issues``.
    """
    date_from, date_to = check_dates(date_from, date_to)
    return read_files(input_files(path), _read_one, registry, description="Reading PRSA files", lenient=lenient,
                      date_from=date_from, date_to=date_to, progress=progress)


def _read_one(
    src: Source, resolver: StationResolver, date_from: date | None, date_to: date | None
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    table = open_table(src)
    index = table.require([*_TIME_COLUMNS, *PRSA_POLLUTANT_COLUMNS, "station"])
    df = table.columns(index)
    found = [table.bad_lines]

    y, m, d, h = (pl.col(f"_{c}") for c in _TIME_COLUMNS)
    df = df.with_columns(to_int(pl.col(c)).alias(f"_{c}") for c in _TIME_COLUMNS)
    df = df.with_columns(_date=valid_date(y, m, d))
    df = df.filter(pl.col("_date").is_null() | date_in_range(pl.col("_date"), date_from, date_to))

    hour_ok = h.is_between(0, 23).fill_null(False)
    bad_time = df.filter(pl.col("_date").is_null() | ~hour_ok)
    if bad_time.height:
        field, reason = _time_problem()
        found.append(
            problems(bad_time.with_columns(_field=field), src.index, _col(index), pl.col("_field"), reason)
        )

    station = pl.col("station").str.strip_chars()
    no_station = df.filter(station.is_null() | (station == ""))
    if no_station.height:
        found.append(
            problems(no_station, src.index, index["station"], "station", pl.lit("missing station name"))
        )

    good = df.filter(pl.col("_date").is_not_null() & hour_ok & station.is_not_null() & (station != ""))
    good = good.with_columns(
        station=resolver.codes(good["station"].str.strip_chars()),
        time=hour_time(pl.col("_date"), h),
    )
    cells = good.unpivot(
        index=["line", "station", "time"],
        on=list(PRSA_POLLUTANT_COLUMNS),
        variable_name="field",
        value_name="raw",
    )
    cells = cells.with_columns(
        src=pl.lit(src.index, pl.Int32),
        col=pl.col("field").replace_strict(
            {c: index[c] for c in PRSA_POLLUTANT_COLUMNS}, return_dtype=pl.Int32
        ),
        pollutant=pl.col("field").replace_strict({c: p for c, (p, _) in PRSA_POLLUTANT_COLUMNS.items()}),
        scale=pl.col("field").replace_strict(
            {c: s for c, (_, s) in PRSA_POLLUTANT_COLUMNS.items()}, return_dtype=pl.Int8
        ),
        pre_reason=pl.lit(None, pl.String),
    )
    return cells, found


def _col(index: dict[str, int]) -> pl.Expr:
    return pl.col("_field").replace_strict(index, return_dtype=pl.Int32)


def _time_problem() -> tuple[pl.Expr, pl.Expr]:
    """(field, reason) for a row whose year/month/day/hour do not make a valid hour label."""
    y, m, d, h = (pl.col(f"_{c}") for c in _TIME_COLUMNS)

    def text(c: str) -> pl.Expr:
        return pl.col(c).fill_null("")

    impossible = pl.format(
        "bad timestamp: impossible date {}-{}-{}", text("year"), text("month"), text("day")
    )
    field = (
        pl.when(y.is_null())
        .then(pl.lit("year"))
        .when(m.is_null())
        .then(pl.lit("month"))
        .when(d.is_null())
        .then(pl.lit("day"))
        .when(~y.is_between(1, 9999))
        .then(pl.lit("year"))
        .when(~m.is_between(1, 12))
        .then(pl.lit("month"))
        .when(pl.col("_date").is_null())
        .then(pl.lit("day"))
        .otherwise(pl.lit("hour"))
    )
    reason = (
        pl.when(y.is_null())
        .then(pl.format("bad timestamp: non-numeric year '{}'", text("year")))
        .when(m.is_null())
        .then(pl.format("bad timestamp: non-numeric month '{}'", text("month")))
        .when(d.is_null())
        .then(pl.format("bad timestamp: non-numeric day '{}'", text("day")))
        .when(pl.col("_date").is_null())
        .then(impossible)
        .when(h.is_null())
        .then(pl.format("bad timestamp: non-numeric hour '{}'", text("hour")))
        .otherwise(pl.format("bad timestamp: hour {} outside 0..23", h))
    )
    return field, reason
