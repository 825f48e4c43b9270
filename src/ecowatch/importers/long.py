"""Reader for a plain long CSV: ``station,time,pollutant,value`` (+ optional ``unit``).

- ``station``: a registry code or any name the registry knows; other names become ad-hoc
  stations, so arbitrary station names work.
- ``time``: ISO 8601 ``YYYY-MM-DD HH:MM[:SS]`` (or with ``T``), optionally with a UTC offset
  (``+08:00``, ``+0800``, ``Z``...).  Times with an offset are converted to Beijing time
  (UTC+8); times without one are taken as Beijing time.  Minutes and seconds must be 00: the
  time is the hour label of a 1-h mean.
- ``pollutant``: SO2, NO2, CO, O3, PM10, PM2.5, case-insensitive, with ``PM25`` / ``PM2_5``
  accepted for PM2.5.
- ``value``: a number; empty or ``NA`` = missing (no row).
- ``unit`` (optional column): ``ug/m3``, ``µg/m³``, ``μg/m3``, ``mg/m3``, ``mg/m³``...;
  values are converted so that CO is in mg/m³ and the others in µg/m³.  An empty unit cell
  means the default unit (CO mg/m³, others µg/m³).

Header names are matched case-insensitively; extra columns are ignored.
"""

from __future__ import annotations

import os
from datetime import date

import polars as pl

from ecowatch.importers.common import (
    Source,
    StationResolver,
    check_dates,
    date_in_range,
    input_files,
    open_table,
    problems,
    read_files,
    valid_date,
)
from ecowatch.shapes.measurements import ImportResult
from ecowatch.shapes.stations import StationRegistry
from ecowatch.standards import Pollutant

__all__ = ["POLLUTANT_ALIASES", "read_long"]

#: Pollutant names after upper-casing and removing spaces, ``_``, ``.`` and ``-``.
POLLUTANT_ALIASES: dict[str, str] = {
    "SO2": Pollutant.SO2.value,
    "NO2": Pollutant.NO2.value,
    "CO": Pollutant.CO.value,
    "O3": Pollutant.O3.value,
    "PM10": Pollutant.PM10.value,
    "PM25": Pollutant.PM2_5.value,
}

_REQUIRED = ("station", "time", "pollutant", "value")

_TIME_RE = (
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)
_TIME_FORMAT = "expected 'YYYY-MM-DD HH:MM[:SS][+08:00]'"


def read_long(
    path: str | os.PathLike[str],
    registry: StationRegistry | None = None,
    *,
    lenient: bool = False,
    date_from: date | None = None,
    date_to: date | None = None,
    progress: bool = True,
) -> ImportResult:
    """Read one long CSV file, or every ``.csv``/``.csv.gz`` file of a directory.

    ``date_from``/``date_to`` (inclusive) apply to the date of the Beijing-time hour label.
    Strict mode (default) raises :class:`~ecowatch.errors.InputError` at the first problem;
    ``lenient=True`` keeps invalid values (null, with a reason), drops lines whose time,
    station or pollutant is unusable, and lists every problem in ``issues``.
    """
    date_from, date_to = check_dates(date_from, date_to)
    return read_files(
        input_files(path),
        _read_one,
        registry,
        description="Reading files",
        lenient=lenient,
        date_from=date_from,
        date_to=date_to,
        progress=progress,
    )


def _read_one(
    src: Source, resolver: StationResolver, date_from: date | None, date_to: date | None
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    table = open_table(src)
    index = table.require(_REQUIRED, key=str.lower)
    lowered = [h.lower() for h in table.header]
    wanted = dict(index)
    if "unit" in lowered:
        wanted["unit"] = lowered.index("unit")
    df = table.columns(wanted)
    if "unit" not in df.columns:
        df = df.with_columns(unit=pl.lit(None, pl.String))
    found = [table.bad_lines]

    df = df.with_columns(_time_parts(pl.col("time").str.strip_chars()))
    df = df.with_columns(_day=pl.col("_time").dt.date())
    df = df.filter(pl.col("_time").is_null() | date_in_range(pl.col("_day"), date_from, date_to))

    station = pl.col("station").str.strip_chars()
    pollutant_key = pl.col("pollutant").str.to_uppercase().str.replace_all(r"[\s_.\-]", "")
    df = df.with_columns(
        _station=station,
        _pollutant=pollutant_key.replace_strict(POLLUTANT_ALIASES, default=None, return_dtype=pl.String),
    )

    bad_time = df.filter(pl.col("_time").is_null())
    found.append(problems(bad_time, src.index, index["time"], "time", pl.col("_time_problem")))
    no_station = df.filter(pl.col("_station").is_null() | (pl.col("_station") == ""))
    found.append(problems(no_station, src.index, index["station"], "station", pl.lit("missing station name")))
    bad_pollutant = df.filter(pl.col("_pollutant").is_null())
    found.append(
        problems(
            bad_pollutant,
            src.index,
            index["pollutant"],
            "pollutant",
            pl.format("unknown pollutant '{}'", pl.col("pollutant").fill_null("")),
        )
    )

    good = df.filter(
        pl.col("_time").is_not_null()
        & pl.col("_pollutant").is_not_null()
        & pl.col("_station").is_not_null()
        & (pl.col("_station") != "")
    )
    unit_key = (
        pl.col("unit")
        .str.strip_chars()
        .str.to_lowercase()
        .str.replace_many(["µ", "μ", "³", " "], ["u", "u", "3", ""])
        .fill_null("")
    )
    is_co = pl.col("_pollutant") == Pollutant.CO.value
    scale = (
        pl.when(unit_key == "")
        .then(0)
        .when(unit_key == "ug/m3")
        .then(pl.when(is_co).then(-3).otherwise(0))
        .when(unit_key == "mg/m3")
        .then(pl.when(is_co).then(0).otherwise(3))
    )
    unit_col = wanted.get("unit", index["value"])
    cells = good.select(
        pl.lit(src.index, pl.Int32).alias("src"),
        "line",
        pl.when(scale.is_null()).then(unit_col).otherwise(index["value"]).cast(pl.Int32).alias("col"),
        pl.when(scale.is_null()).then(pl.lit("unit")).otherwise(pl.lit("value")).alias("field"),
        pl.lit(resolver.codes(good["_station"])).alias("station"),
        pl.col("_time").alias("time"),
        pl.col("_pollutant").alias("pollutant"),
        pl.col("value").alias("raw"),
        scale.fill_null(0).cast(pl.Int8).alias("scale"),
        pl.when(scale.is_null()).then(pl.format("unknown unit '{}'", pl.col("unit"))).alias("pre_reason"),
    )
    return cells, found


def _time_parts(text: pl.Expr) -> list[pl.Expr]:
    """``_time`` (Beijing-time Datetime, null if bad) and ``_time_problem`` (the reason, if bad)."""
    parts = text.str.extract_groups(_TIME_RE)
    y, mo, d, h, mi, s = (parts.struct.field(str(i)).cast(pl.Int64) for i in range(1, 7))
    frac = parts.struct.field("7")
    tz = parts.struct.field("8")
    matched = parts.struct.field("1").is_not_null()

    day = valid_date(y, mo, d)
    on_hour = (mi == 0) & (s.fill_null(0) == 0) & ~frac.fill_null("").str.contains("[1-9]")
    tz_digits = tz.str.replace_all(r"[+\-:]", "")
    tz_minutes = (
        pl.when(tz.is_null())
        .then(8 * 60)  # no offset: Beijing time already
        .when(tz.str.to_uppercase() == "Z")
        .then(0)
        .otherwise(
            pl.when(tz.str.starts_with("-")).then(-1).otherwise(1)
            * (
                tz_digits.str.slice(0, 2).cast(pl.Int64, strict=False) * 60
                + tz_digits.str.slice(2, 2).cast(pl.Int64, strict=False).fill_null(0)
            )
        )
    )
    tz_ok = (tz_minutes % 60 == 0) & tz_minutes.is_between(-14 * 60, 14 * 60)

    def why(detail: str) -> pl.Expr:
        return pl.format("bad timestamp '{}': " + detail, text.fill_null(""))

    problem = (
        pl.when(text.is_null() | (text == ""))
        .then(pl.lit("missing time"))
        .when(~matched)
        .then(why(_TIME_FORMAT))
        .when(day.is_null())
        .then(why("impossible date"))
        .when(~h.is_between(0, 23))
        .then(why("hour outside 0..23"))
        .when(~on_hour)
        .then(why("minutes and seconds must be 00 (hour label)"))
        .when(~tz_ok)
        .then(why("UTC offset is not a whole number of hours"))
    )
    local = day.cast(pl.Datetime("us")) + pl.duration(hours=h) + pl.duration(minutes=8 * 60 - tz_minutes)
    return [
        pl.when(problem.is_null()).then(local).alias("_time"),
        problem.alias("_time_problem"),
    ]
