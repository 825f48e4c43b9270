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
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import polars as pl

from ecowatch.importers.common import _MISSING as MISSING_MARKERS
from ecowatch.importers.common import (
    PLAUSIBLE_MAXIMUM,
    Source,
    StationResolver,
    check_dates,
    date_in_range,
    hour_time,
    input_files,
    mark_implausible,
    may_overlap,
    open_table,
    problems,
    read_files,
    to_int,
    valid_date,
)
from ecowatch.shapes.measurements import MEASUREMENT_SCHEMA, ImportResult
from ecowatch.shapes.stations import StationRegistry
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
    files = input_files(path)
    fast = _read_clean(files, registry, date_from, date_to)
    if fast is not None:
        return fast
    return read_files(
        files,
        _read_one,
        registry,
        description="Reading PRSA files",
        lenient=lenient,
        date_from=date_from,
        date_to=date_to,
        progress=progress,
    )


def _read_clean(
    files: list[Path], registry: StationRegistry | None, date_from: date | None, date_to: date | None
) -> ImportResult | None:
    """The result of a set of well-formed PRSA files, parsed straight to numbers; None otherwise.

    The general path reads every cell as text so that it can name the line and field of any bad
    value; for the UCI files as published, which have none, that costs most of an assessment's time
    (the four Beijing years: 2.5 million values). This path parses the numbers directly and checks
    what the general path would report — unparsable or negative or non-finite values, short or
    blank lines (the station, the last column, is then empty), impossible dates or hours, a file
    holding more than one station or hours out of order, two files of one station — and hands any
    file set with one of them to the general path, so the problems are reported exactly as before.
    The measurements are the same rows in the same order (station, time, pollutant).
    """
    order = sorted(PRSA_POLLUTANT_COLUMNS, key=lambda c: PRSA_POLLUTANT_COLUMNS[c][0])
    resolver = StationResolver(registry)
    sources = [f for f in files if may_overlap(f, date_from, date_to)]
    parts: dict[str, pl.DataFrame] = {}
    implausible = False
    # Decompressing and parsing release the GIL: files are parsed side by side.
    with ThreadPoolExecutor(max_workers=min(len(sources), os.cpu_count() or 1) or 1) as pool:
        parsed = list(pool.map(_parse_numbers, sources))
    for frame in parsed:
        if frame is None:
            return None
        h = pl.col("hour")
        checks = frame.select(
            bad_time=(pl.col("_date").is_null() | ~h.is_between(0, 23).fill_null(False)).any(),
            bad_station=(pl.col("station").is_null() | (pl.col("station").str.strip_chars() == "")).any(),
            stations=pl.col("station").n_unique(),
            bad_value=pl.any_horizontal(
                (pl.col(c) < 0) | ~pl.col(c).is_finite() for c in PRSA_POLLUTANT_COLUMNS
            ).any(),
        ).row(0, named=True)
        if checks["bad_time"] or checks["bad_station"] or checks["bad_value"] or checks["stations"] > 1:
            return None
        frame = frame.filter(date_in_range(pl.col("_date"), date_from, date_to))
        if not frame.height:
            continue
        frame = frame.with_columns(time=hour_time(pl.col("_date"), h))
        steps = frame["time"].diff().drop_nulls().dt.total_seconds()
        if (steps <= 0).any():
            return None  # hours out of order or repeated: the general path names the duplicates
        code = resolver.code(frame["station"][0].strip())
        if code in parts:
            return None
        for column in order:
            exponent = PRSA_POLLUTANT_COLUMNS[column][1]
            if exponent:
                # Divide in NumPy: polars would turn `x / 1000` into `x * 0.001`, which is not
                # correctly rounded (2300 * 0.001 = 2.3000000000000003); the general path divides too.
                scaled = (
                    frame[column].to_numpy() / 10.0**-exponent
                    if exponent < 0
                    else frame[column].to_numpy() * 10.0**exponent
                )
                frame = frame.with_columns(pl.Series(column, scaled).fill_nan(None))
        implausible = implausible or any(
            (frame[column] > PLAUSIBLE_MAXIMUM[PRSA_POLLUTANT_COLUMNS[column][0]]).any() for column in order
        )
        parts[code] = (
            frame.select(pl.col("time"), *(pl.col(c).alias(PRSA_POLLUTANT_COLUMNS[c][0]) for c in order))
            .unpivot(index="time", variable_name="pollutant", value_name="value")
            .sort("time", maintain_order=True)
            .filter(pl.col("value").is_not_null())
            .select(
                pl.lit(code).alias("station"),
                "time",
                "pollutant",
                "value",
                pl.lit(None, pl.String).alias("invalid_reason"),
            )
        )
    frames = [parts[code] for code in sorted(parts)]
    measurements = pl.concat(frames) if frames else pl.DataFrame(schema=MEASUREMENT_SCHEMA)
    measurements = measurements.cast(MEASUREMENT_SCHEMA)
    if implausible:  # otherwise marking would change nothing, and it costs a pass over every row
        measurements = mark_implausible(measurements)
    return ImportResult(
        measurements=measurements,
        stations=resolver.stations(sorted(parts)),
        issues=[],
        sources=[str(f) for f in sources],
    )


def _parse_numbers(path: Path) -> pl.DataFrame | None:
    """One PRSA file's time, pollutant and station columns, typed, with its dates; None if unparsable.

    Polars decompresses gzip data itself (faster than Python's gzip module)."""
    try:
        frame = pl.read_csv(
            path.read_bytes(),
            columns=[*_TIME_COLUMNS, *PRSA_POLLUTANT_COLUMNS, "station"],
            null_values=list(MISSING_MARKERS),
            schema_overrides={
                **{c: pl.Int64 for c in _TIME_COLUMNS},
                **{c: pl.Float64 for c in PRSA_POLLUTANT_COLUMNS},
                "station": pl.String,
            },
        )
    except (pl.exceptions.PolarsError, OSError, ValueError):
        return None
    y, m, d, _ = (pl.col(c) for c in _TIME_COLUMNS)
    return frame.with_columns(_date=valid_date(y, m, d))


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
