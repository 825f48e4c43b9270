"""Surface-water records from files: the national automatic stations' release, or a plain long CSV.

:func:`read_water_file` reads a file (``.csv`` or ``.csv.gz``, UTF-8 or GB 18030) or a folder of
them into one wide frame, a row per record (section and time), sections resolved through the
registry (:mod:`ecowatch.water.registry`). Two layouts, told apart by the header:

**CNEMC release** (国家地表水水质自动监测实时数据发布系统, as ``../shared/data/cn-surface-water``):
``province,basin,section,time_published,datetime,water_class,<parameters>,status`` and optionally
``snapshot_date,city,river`` and ``<parameter>_raw`` (the unrounded "原始值", used where given). Cells:
``--`` no valid value, ``*`` not monitored, empty: no value; ``ND`` / ``<DL`` below detection
(decision W-detection), and so is the release's half limit (:data:`RELEASE_HALF_LIMITS`: NH3-N
0.025 is ``<0.05``). ``water_class``: ``Ⅰ``..``Ⅴ``, ``劣Ⅴ``; ``-``, ``*`` or empty: none published.
A record without a measurement time (a station stopped or in maintenance shows ``*`` or ``--``) is
counted, not kept.

**Long CSV**: ``section,time,indicator,value[,unit][,status][,published_class]``, one value a line:
``section`` a registry code (``W310001``) or a name only one section has; ``time`` Beijing time
``YYYY-MM-DD HH:MM`` (or ``T`` between, seconds allowed); ``indicator`` one of
:class:`~ecowatch.standards.WaterIndicator` (``pH``, ``DO``, ``CODMn``, ``NH3-N``, ``TP``, ``TN`` …) or of
:data:`EXTRA_PARAMETERS` (``water_temp`` …); ``value`` a number, ``<DL`` or ``ND``; ``unit`` empty or
the parameter's unit (:data:`UNITS`; ``µg/L`` / ``ug/L`` for an mg/L indicator is converted);
``status`` empty or as in :data:`STATUSES`; ``published_class`` empty or a class (``III``, ``Ⅲ``).
Lines of one record may repeat ``status`` and ``published_class`` and must agree.

Strict (the default): the first problem raises :class:`~ecowatch.errors.InputError` naming the file,
line and field. Lenient: a bad cell is left without value and the record's ``invalid_reason`` says why;
a line whose section or time is bad is left out; every problem is in :attr:`WaterFileRead.issues`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import polars as pl

from ecowatch.errors import InputError
from ecowatch.importers.common import Source, input_files, open_table, progress_bar, sniff_header
from ecowatch.standards import BelowDetection, StandardsError, WaterClass, WaterIndicator
from ecowatch.standards.water import Value
from ecowatch.water.registry import SectionRegistry

__all__ = [
    "CNEMC_PARAMETERS",
    "EXTRA_PARAMETERS",
    "LONG_COLUMNS",
    "RECORD_SCHEMA",
    "RELEASE_HALF_LIMITS",
    "STATUSES",
    "UNITS",
    "WaterFileRead",
    "cell_value",
    "read_water_file",
    "record_values",
]

EXTRA_PARAMETERS: Mapping[str, tuple[str, str]] = {
    "water_temp": ("水温", "water temperature"),
    "conductivity": ("电导率", "conductivity"),
    "turbidity": ("浊度", "turbidity"),
    "chla": ("叶绿素a", "chlorophyll-a"),
    "algae": ("藻密度", "algal density"),
}
"""Parameters the automatic stations publish beside GB 3838-2002's: not classed, kept for display."""

UNITS: Mapping[str, str] = {
    **{str(item): "mg/L" for item in WaterIndicator},
    "pH": "",
    "fecal_coliform": "个/L",
    "water_temp": "°C",
    "conductivity": "µS/cm",
    "turbidity": "NTU",
    "chla": "mg/L",
    "algae": "cells/L",
}
"""The unit of each parameter's values (pH dimensionless)."""

PARAMETERS: tuple[str, ...] = (*(str(item) for item in WaterIndicator), *EXTRA_PARAMETERS)
"""Every parameter a frame may carry, in column order (GB 3838-2002 Table 1 order, then the extras)."""

CNEMC_PARAMETERS: Mapping[str, str] = {
    "water_temp_C": "water_temp",
    "pH": "pH",
    "DO_mg_L": "DO",
    "conductivity_uS_cm": "conductivity",
    "turbidity_NTU": "turbidity",
    "CODMn_mg_L": "CODMn",
    "NH3N_mg_L": "NH3-N",
    "TP_mg_L": "TP",
    "TN_mg_L": "TN",
    "chla_mg_L": "chla",
    "algae_cells_L": "algae",
}
"""The release's parameter columns -> ours."""

STATUSES: Mapping[str, tuple[str, str]] = {
    "normal": ("正常", "normal"),
    "maintenance": ("维护", "maintenance"),
    "fault": ("故障", "fault"),
    "stopped": ("停站", "stopped"),
    "inoperable": ("不具备运行条件", "not operable"),
    "commissioning": ("调试", "commissioning"),
}
"""Station status key -> (published Chinese, English). Only ``normal`` records are used for a class."""

_STATUS_OF_TEXT = {zh: key for key, (zh, _) in STATUSES.items()} | {key: key for key in STATUSES}

LONG_COLUMNS: tuple[str, ...] = ("section", "time", "indicator", "value", "unit", "status", "published_class")
"""The columns of the long layout (the first four required)."""

_CNEMC_KEYS = ("province", "basin", "section", "datetime", "water_class", "status")
_NO_VALUE = ("", "--", "*", "-")
_NO_CLASS = ("", "-", "*", "--")
_NOT_BELOW = ("pH", "DO", "water_temp")

RELEASE_HALF_LIMITS: Mapping[str, tuple[float, float]] = {"NH3-N": (0.025, 0.05), "TP": (0.005, 0.01)}
"""Parameter -> (the value the CNEMC release prints, the detection limit it stands for): the release
prints a result below detection as half the limit (decision W-detection: NH3-N 0.025 in 11,262 of
41,911 4-h records, TP 0.005 in 1,940), so a release record with that value is read as ``<limit``
(below detection, the limit stored): the same class and means (half the limit), and never shown as a
measured 0.025."""

RECORD_SCHEMA = pl.Schema(
    {
        "source": pl.String(),  # file name
        "line": pl.Int64(),  # the record's (first) line, header = 1
        "section": pl.String(),  # registry code
        "name": pl.String(),
        "basin": pl.String(),
        "province_code": pl.String(),
        "province": pl.String(),
        "city_code": pl.String(),
        "city": pl.String(),
        "waterbody": pl.String(),  # river | lake
        "time": pl.Datetime("us"),  # naive Beijing time, as published
        "published_class": pl.Int8(),  # WaterClass value 1..6, null when none was published
        "status": pl.String(),  # a key of STATUSES
        "usable": pl.Boolean(),  # status normal: the record may set a class
        "invalid_reason": pl.String(),  # lenient mode: why a cell of the record has no value
    }
)
"""The fixed columns of :attr:`WaterFileRead.samples`; then for each parameter present ``P`` (Float64:
the value, or the detection limit when below it) and ``P_below`` (Boolean: below the detection limit;
null when no value)."""


@dataclass
class WaterFileRead:
    """What :func:`read_water_file` read.

    ``samples``: :data:`RECORD_SCHEMA` and the parameter columns, sorted by section and time; one row per
    (section, time) (a record given twice: the last one). ``parameters``: the parameter columns present.
    Counts: ``lines`` data lines read, ``without_time`` records with no measurement time (not kept),
    ``repeated`` records of a section and time given again (the later kept), ``unknown_sections`` lines
    whose section is not in the registry (lenient), ``issues`` every problem (lenient).
    """

    samples: pl.DataFrame
    parameters: tuple[str, ...]
    sources: list[str] = field(default_factory=list)
    layout: str = "cnemc"
    lines: int = 0
    without_time: int = 0
    repeated: int = 0
    unknown_sections: int = 0
    issues: list[InputError] = field(default_factory=list)

    @property
    def records(self) -> int:
        return self.samples.height

    def counts(self) -> dict[str, int]:
        """The counts as a dict (for reports and JSON)."""
        usable = self.samples["usable"].sum() if self.samples.height else 0
        return {
            "files": len(self.sources),
            "lines": self.lines,
            "records": self.records,
            "usable": int(usable),
            "published_class": int(self.samples["published_class"].is_not_null().sum()),
            "without_time": self.without_time,
            "repeated": self.repeated,
            "unknown_sections": self.unknown_sections,
            "issues": len(self.issues),
        }

    def iter_values(self) -> Iterator[tuple[dict[str, Any], dict[WaterIndicator, Value]]]:
        """Each record (its row as a dict) with its GB 3838-2002 values (:func:`record_values`)."""
        for row in self.samples.iter_rows(named=True):
            yield row, record_values(row, self.parameters)


def record_values(row: Mapping[str, Any], parameters: tuple[str, ...]) -> dict[WaterIndicator, Value]:
    """The GB 3838-2002 indicators of one record as exact values (:func:`cell_value`)."""
    out: dict[WaterIndicator, Value] = {}
    for name in parameters:
        if name in EXTRA_PARAMETERS or row[f"{name}_below"] is None:
            continue
        out[WaterIndicator(name)] = cell_value(row[name], row[f"{name}_below"])
    return out


def cell_value(number: float | None, below: bool) -> Value:
    """A frame's ``P`` and ``P_below`` as the standards take them: the exact decimal the float was read
    from (its shortest repr, which is the published text), or :class:`~ecowatch.standards.BelowDetection`
    of that limit (None: ND).

    >>> cell_value(0.065, False), cell_value(0.01, True), cell_value(None, True)
    (Fraction(13, 200), BelowDetection(limit=Fraction(1, 100)), BelowDetection(limit=None))
    """
    if below:
        return BelowDetection(None if number is None else _exact(number))
    if number is None:
        raise ValueError("a value that is not below detection needs a number")
    return _exact(number)


@functools.lru_cache(maxsize=1 << 16)
def _exact(number: float) -> Fraction:
    """The float as the decimal it was read from (its shortest repr), exactly."""
    return Fraction(Decimal(repr(number)))


# -- reading ---------------------------------------------------------------------------------------


@dataclass
class _Found:
    """Problems as (file index, line, column, field, reason)."""

    rows: list[tuple[int, int, int, str | None, str]] = field(default_factory=list)

    def add_frame(self, frame: pl.DataFrame, src: int, col: int, field_name: str, reason: pl.Expr) -> None:
        for line, text in frame.select("line", reason.alias("_r")).iter_rows():
            self.rows.append((src, line, col, field_name, text))


def read_water_file(
    path: str | os.PathLike[str],
    *,
    lenient: bool = False,
    registry: SectionRegistry | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    progress: bool = False,
) -> WaterFileRead:
    """Read a CNEMC release file or a long CSV (or a folder of them): see the module docstring.

    ``registry``: the sections (the packaged registry by default; the loader passes the store's, with
    the users' corrections). ``date_from`` / ``date_to``: keep only records of these days (inclusive);
    a record of another day is dropped as soon as its time is read, its values neither parsed nor checked.
    ``progress``: a progress bar on stderr over the files of a folder.
    """
    registry = registry if registry is not None else SectionRegistry.default()
    files = input_files(path)
    if Path(path).is_dir():  # a folder may hold other CSVs (the release's section list): only ours
        files = [f for f in files if _layout(sniff_header(f) or []) is not None]
        if not files:
            raise InputError("no file with a CNEMC water release or long water CSV header", file=str(path))
    sources = [Source(index, file) for index, file in enumerate(files)]
    found = _Found()
    frames: list[pl.DataFrame] = []
    layouts: set[str] = set()
    counts = {"lines": 0, "without_time": 0, "unknown_sections": 0}
    with progress_bar(len(sources), "Reading water files", progress) as advance:
        for src in sources:
            table = open_table(src)
            for line, _col, _f, reason in table.bad_lines.select(
                "line", "col", "field", "reason"
            ).iter_rows():
                found.rows.append((src.index, line, 0, None, reason))
            layout = _layout(table.header)
            if layout == "cnemc":
                frame = _read_cnemc(table, src, registry, found, counts, (date_from, date_to))
            elif layout == "long":
                frame = _read_long(table, src, registry, found, counts, (date_from, date_to))
            else:
                raise InputError(
                    "neither the CNEMC release header (province,basin,section,…,datetime,water_class,…,"
                    "status) nor the long one (section,time,indicator,value[,unit])",
                    file=src.name,
                    line=1,
                )
            layouts.add(layout)
            frames.append(frame)
            advance()
    issues = _issues(found, sources)
    if issues and not lenient:
        raise issues[0]
    frame = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame(schema=RECORD_SCHEMA)
    if date_from is not None:
        frame = frame.filter(pl.col("time").dt.date() >= date_from)
    if date_to is not None:
        frame = frame.filter(pl.col("time").dt.date() <= date_to)
    parameters = tuple(p for p in PARAMETERS if p in frame.columns)
    frame = frame.select(*RECORD_SCHEMA.names(), *(c for p in parameters for c in (p, f"{p}_below"))).cast(
        RECORD_SCHEMA
    )  # type: ignore[arg-type]
    before = frame.height
    frame = frame.unique(["section", "time"], keep="last", maintain_order=True).sort(
        ["section", "time"], maintain_order=True
    )
    return WaterFileRead(
        samples=frame,
        parameters=parameters,
        sources=[str(s.path) for s in sources],
        layout="+".join(sorted(layouts)),
        lines=counts["lines"],
        without_time=counts["without_time"],
        repeated=before - frame.height,
        unknown_sections=counts["unknown_sections"],
        issues=issues,
    )


def _layout(header: list[str]) -> str | None:
    """``cnemc`` or ``long`` by the header's columns, or None."""
    if set(_CNEMC_KEYS) <= set(header):
        return "cnemc"
    if {"section", "time", "indicator", "value"} <= set(header):
        return "long"
    return None


def _issues(found: _Found, sources: list[Source]) -> list[InputError]:
    names = {s.index: s.name for s in sources}
    return [
        InputError(reason, file=names[src], line=line, field=name)
        for src, line, _col, name, reason in sorted(found.rows, key=lambda r: (r[0], r[1], r[2]))
    ]


_ND = ("ND", "nd", "Nd", "nD", "未检出")

#: Problem codes of a value cell and their messages ('{}' the cell text, then the parameter).
_PROBLEMS: Mapping[int, str] = {
    1: "not a number, '<detection limit' or 'ND': '{}'",
    2: "'{}': {} is measured, never below detection",
    3: "negative value '{}'",
    4: "a detection limit must be positive: '{}'",
    5: "pH {} is outside 0–14",
}


def _parse_values(
    df: pl.DataFrame,
    texts: Mapping[str, pl.Expr],
    *,
    never_below: Mapping[str, pl.Expr],
    is_ph: Mapping[str, pl.Expr],
    may_be_negative: Mapping[str, pl.Expr],
) -> pl.DataFrame:
    """For each ``P`` of ``texts`` (its cell text): ``P`` (the number, or the detection limit), ``P_below``
    and ``_c_P`` (a key of :data:`_PROBLEMS`, 0 when fine). Cheap column steps, so that a million rows
    take seconds: a message is only written for a bad cell (:func:`_problem_text`)."""
    df = df.with_columns(texts[p].str.strip_chars().alias(f"_t_{p}") for p in texts)
    df = df.with_columns(
        (
            pl.when(pl.col(f"_t_{p}").str.starts_with("<"))
            .then(pl.col(f"_t_{p}").str.slice(1).str.strip_chars())
            .otherwise(pl.col(f"_t_{p}"))
            .cast(pl.Float64, strict=False)
        ).alias(f"_n_{p}")
        for p in texts
    )
    codes = []
    for p in texts:
        t, n = pl.col(f"_t_{p}"), pl.col(f"_n_{p}")
        missing = t.is_null() | t.is_in(_NO_VALUE)
        nd = t.is_in(_ND)
        lt = t.str.starts_with("<")
        codes.append(
            pl.when(missing)
            .then(0)
            .when(nd)
            .then(pl.when(never_below[p]).then(2).otherwise(0))
            .when(n.is_null() | n.is_nan() | n.is_infinite())
            .then(1)
            .when(lt & never_below[p])
            .then(2)
            .when((n < 0) & ~may_be_negative[p])
            .then(3)
            .when(lt & (n == 0))
            .then(4)
            .when(is_ph[p] & (n > 14))
            .then(5)
            .otherwise(0)
            .cast(pl.Int8)
            .alias(f"_c_{p}")
        )
    df = df.with_columns(codes)
    out = []
    for p in texts:
        t, n, c = pl.col(f"_t_{p}"), pl.col(f"_n_{p}"), pl.col(f"_c_{p}")
        missing = t.is_null() | t.is_in(_NO_VALUE)
        nd = t.is_in(_ND)
        out += [
            pl.when((c == 0) & ~missing & ~nd).then(n).alias(p),
            pl.when((c != 0) | missing).then(None).otherwise(nd | t.str.starts_with("<")).alias(f"{p}_below"),
        ]
    return df.with_columns(out)


def _problem_text(code: int, text: str | None, name: str) -> str:
    return _PROBLEMS[code].format(text or "", name)


def _value_problems(df: pl.DataFrame, p: str, name: pl.Expr | str) -> list[tuple[int, str, str]]:
    """(line, parameter, message) of the bad cells of ``P`` (``_c_P`` != 0)."""
    bad = df.filter(pl.col(f"_c_{p}") != 0)
    if not bad.height:
        return []
    names = bad.select(name if isinstance(name, pl.Expr) else pl.lit(name)).to_series().to_list()
    return [
        (line, parameter, _problem_text(code, text, parameter))
        for (line, code, text), parameter in zip(
            bad.select("line", f"_c_{p}", f"_t_{p}").iter_rows(), names, strict=True
        )
    ]


def _class_of(texts: list[str]) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for text in texts:
        word = text.strip()
        if word in _NO_CLASS:
            out[text] = None
            continue
        try:
            out[text] = int(WaterClass.from_published(word))
        except StandardsError:
            out[text] = -1
    return out


def _known_sections(
    df: pl.DataFrame, src: Source, col: int, found: _Found, counts: dict[str, int], reason: pl.Expr
) -> pl.DataFrame:
    """The rows whose section resolved (``_code``); the others counted and reported with ``reason``."""
    unknown = df.filter(pl.col("_code").is_null())
    if unknown.height:
        counts["unknown_sections"] += unknown.height
        found.add_frame(unknown, src.index, col, "section", reason)
    return df.filter(pl.col("_code").is_not_null())


def _sections_frame(registry: SectionRegistry) -> pl.DataFrame:
    rows = [
        (
            s.code,
            s.name,
            s.basin,
            s.province_code,
            s.province,
            s.city_code,
            s.city,
            s.waterbody.value,
        )
        for s in registry
    ]
    return pl.DataFrame(
        rows,
        schema=["section", "name", "basin", "province_code", "province", "city_code", "city", "waterbody"],
        orient="row",
    )


def _in_days(df: pl.DataFrame, days: tuple[date | None, date | None]) -> pl.DataFrame:
    """The records of ``df`` (its ``_time``) on the days ``days`` (first, last; inclusive; None: open),
    kept before the values are parsed: the demo's one day of a five-day file parses a fifth of it."""
    first, last = days
    if first is not None:
        df = df.filter(pl.col("_time").dt.date() >= first)
    if last is not None:
        df = df.filter(pl.col("_time").dt.date() <= last)
    return df


def _read_cnemc(
    table,
    src: Source,
    registry: SectionRegistry,
    found: _Found,
    counts: dict[str, int],
    days: tuple[date | None, date | None] = (None, None),
) -> pl.DataFrame:
    header = table.header
    index = {name: i for i, name in enumerate(header)}
    params = {column: ours for column, ours in CNEMC_PARAMETERS.items() if column in index}
    wanted = {name: index[name] for name in _CNEMC_KEYS}
    for column in params:
        wanted[column] = index[column]
        if f"{column}_raw" in index:
            wanted[f"{column}_raw"] = index[f"{column}_raw"]
    df = table.columns(wanted)
    counts["lines"] += df.height

    # Sections: (province, name) through the registry, once per distinct pair.
    pairs = df.select("province", "section").unique().drop_nulls()
    codes = {}
    for province, name in pairs.iter_rows():
        section = registry.find(province, name)
        codes[(province, name)] = None if section is None else section.code
    pair = pl.concat_str(pl.col("province").fill_null(""), pl.col("section").fill_null(""), separator="\x1f")
    df = df.with_columns(
        _code=pair.replace_strict(
            {f"{p}\x1f{n}": c for (p, n), c in codes.items()}, default=None, return_dtype=pl.String
        )
    )
    df = _known_sections(
        df,
        src,
        index["section"],
        found,
        counts,
        pl.format(
            "section '{}' of {} is not in the registry (add it: ecowatch water sections import)",
            pl.col("section").fill_null(""),
            pl.col("province").fill_null("?"),
        ),
    )

    # Time: the ISO `datetime` column; none = a record without a measurement time.
    time_text = pl.col("datetime").str.strip_chars()
    no_time = time_text.is_null() | time_text.is_in(list(_NO_VALUE))
    counts["without_time"] += df.filter(no_time).height
    df = df.filter(~no_time).with_columns(
        _time=time_text.str.replace("T", " ").str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M", strict=False)
    )
    bad_time = df.filter(pl.col("_time").is_null())
    if bad_time.height:
        found.add_frame(
            bad_time,
            src.index,
            index["datetime"],
            "datetime",
            pl.format("bad time '{}' (expected YYYY-MM-DDTHH:MM)", pl.col("datetime")),
        )
    df = _in_days(df.filter(pl.col("_time").is_not_null()), days)
    return _finish(
        df,
        src,
        registry,
        found,
        class_column="water_class",
        status_column="status",
        cells={
            ours: (column, f"{column}_raw" if f"{column}_raw" in index else None)
            for column, ours in params.items()
        },
        index=index,
    )


def _finish(
    df: pl.DataFrame,
    src: Source,
    registry: SectionRegistry,
    found: _Found,
    *,
    class_column: str | None,
    status_column: str | None,
    cells: Mapping[str, tuple[str, str | None]],
    index: Mapping[str, int],
) -> pl.DataFrame:
    """Classes, statuses and values of a frame with ``line``, ``_code``, ``_time`` and the text cells."""
    cell_texts = {
        ours: (
            pl.col(column)
            if raw is None
            else pl.coalesce(pl.when(pl.col(raw).str.strip_chars() != "").then(pl.col(raw)), pl.col(column))
        )
        for ours, (column, raw) in cells.items()
    }
    df = _parse_values(
        df,
        cell_texts,
        never_below={p: pl.lit(p in _NOT_BELOW) for p in cell_texts},
        is_ph={p: pl.lit(p == "pH") for p in cell_texts},
        may_be_negative={p: pl.lit(p == "water_temp") for p in cell_texts},
    )
    halves = [(p, half, limit) for p, (half, limit) in RELEASE_HALF_LIMITS.items() if p in cell_texts]
    if halves:
        df = df.with_columns(
            column
            for p, half, limit in halves
            for column in (
                pl.when(pl.col(p) == half).then(pl.lit(limit)).otherwise(pl.col(p)).alias(p),
                pl.when(pl.col(p) == half)
                .then(pl.lit(True))
                .otherwise(pl.col(f"{p}_below"))
                .alias(f"{p}_below"),
            )
        )
    reasons: dict[int, list[str]] = {}
    for ours, (column, _raw) in cells.items():
        for line, parameter, message in _value_problems(df, ours, ours):
            found.rows.append((src.index, line, index[column], column, message))
            reasons.setdefault(line, []).append(f"{parameter}: {message}")

    if class_column is not None:
        texts = df[class_column].fill_null("").unique().to_list()
        classes = _class_of(texts)
        df = df.with_columns(
            published_class=pl.col(class_column).fill_null("").replace_strict(classes, return_dtype=pl.Int8)
        )
        bad = df.filter(pl.col("published_class") == -1)
        if bad.height:
            found.add_frame(
                bad,
                src.index,
                index[class_column],
                class_column,
                pl.format(
                    "not a GB 3838-2002 class: '{}' (Ⅰ..Ⅴ, 劣Ⅴ, I..V, worse than V)", pl.col(class_column)
                ),
            )
            df = df.with_columns(
                published_class=pl.when(pl.col("published_class") > 0).then("published_class")
            )
    else:
        df = df.with_columns(published_class=pl.lit(None, pl.Int8))

    if status_column is not None:
        status_text = pl.col(status_column).str.strip_chars().fill_null("")
        df = df.with_columns(
            status=pl.when(status_text == "")
            .then(pl.lit("normal"))
            .otherwise(status_text.replace_strict(_STATUS_OF_TEXT, default=None, return_dtype=pl.String))
        )
        bad = df.filter(pl.col("status").is_null())
        if bad.height:
            known = ", ".join(zh for zh, _ in STATUSES.values())
            found.add_frame(
                bad,
                src.index,
                index[status_column],
                status_column,
                pl.format("unknown station status '{}' (known: {})", pl.col(status_column), pl.lit(known)),
            )
    else:
        df = df.with_columns(status=pl.lit("normal"))

    df = df.with_columns(
        source=pl.lit(src.name),
        section=pl.col("_code"),
        time=pl.col("_time"),
        usable=(pl.col("status") == "normal").fill_null(False),
        invalid_reason=pl.col("line").replace_strict(
            {line: "; ".join(messages) for line, messages in reasons.items()},
            default=None,
            return_dtype=pl.String,
        )
        if reasons
        else pl.lit(None, pl.String),
    )
    keep = ["source", "line", "section", "time", "published_class", "status", "usable", "invalid_reason"]
    keep += [c for ours in cells for c in (ours, f"{ours}_below")]
    return df.select(keep).join(_sections_frame(registry), on="section", how="left")


def _read_long(
    table,
    src: Source,
    registry: SectionRegistry,
    found: _Found,
    counts: dict[str, int],
    days: tuple[date | None, date | None] = (None, None),
) -> pl.DataFrame:
    index = {name: i for i, name in enumerate(table.header)}
    df = table.columns({name: index[name] for name in LONG_COLUMNS if name in index})
    counts["lines"] += df.height
    for optional in ("unit", "status", "published_class"):
        if optional not in df.columns:
            df = df.with_columns(pl.lit(None, pl.String).alias(optional))
    # Sections
    texts = df["section"].fill_null("").unique().to_list()
    codes = {}
    for text in texts:
        section = registry.resolve(text)
        codes[text] = None if section is None else section.code
    df = df.with_columns(_code=pl.col("section").fill_null("").replace_strict(codes, return_dtype=pl.String))
    df = _known_sections(
        df,
        src,
        index["section"],
        found,
        counts,
        pl.format(
            "'{}' is neither a section code nor the name of one section of the registry",
            pl.col("section").fill_null(""),
        ),
    )
    # Time
    time_text = pl.col("time").str.strip_chars().str.replace("T", " ")
    df = df.with_columns(
        _time=pl.coalesce(
            time_text.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False),
            time_text.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M", strict=False),
        )
    )
    bad = df.filter(pl.col("_time").is_null())
    if bad.height:
        found.add_frame(
            bad,
            src.index,
            index["time"],
            "time",
            pl.format(
                "bad time '{}' (expected YYYY-MM-DD HH:MM, Beijing time)", pl.col("time").fill_null("")
            ),
        )
    df = _in_days(df.filter(pl.col("_time").is_not_null()), days)
    # Indicator and unit
    lookup = {p.lower(): p for p in PARAMETERS}
    df = df.with_columns(
        _ind=pl.col("indicator").str.strip_chars().str.to_lowercase().replace_strict(lookup, default=None)
    )
    bad = df.filter(pl.col("_ind").is_null())
    if bad.height:
        found.add_frame(
            bad,
            src.index,
            index["indicator"],
            "indicator",
            pl.format(
                "unknown indicator '{}' (known: {})",
                pl.col("indicator").fill_null(""),
                pl.lit(", ".join(PARAMETERS)),
            ),
        )
    df = df.filter(pl.col("_ind").is_not_null())
    unit = pl.col("unit").str.strip_chars().fill_null("")
    canonical = pl.col("_ind").replace_strict(dict(UNITS), return_dtype=pl.String)
    micro = unit.is_in(["µg/L", "μg/L", "ug/L"]) & (canonical == "mg/L")
    unit_ok = (
        (unit == "") | (unit == canonical) | micro | ((pl.col("_ind") == "pH") & unit.is_in(["-", "无量纲"]))
    )
    bad = df.filter(~unit_ok)
    if bad.height:
        found.add_frame(
            bad,
            src.index,
            index.get("unit", 0),
            "unit",
            pl.format("unit '{}' is not that of {} ({})", pl.col("unit"), pl.col("_ind"), canonical),
        )
    df = df.filter(unit_ok).with_columns(_micro=micro)
    # One value per section, time and indicator
    key = ["_code", "_time", "_ind"]
    twice = df.filter(pl.struct(key).is_duplicated() & ~pl.struct(key).is_first_distinct())
    if twice.height:
        found.add_frame(
            twice,
            src.index,
            index["indicator"],
            "indicator",
            pl.lit("a value of this section, time and indicator given before"),
        )
    df = df.filter(pl.struct(key).is_first_distinct())
    ind = {"v": pl.col("_ind")}
    df = _parse_values(
        df,
        {"v": pl.col("value")},
        never_below={"v": ind["v"].is_in(list(_NOT_BELOW))},
        is_ph={"v": ind["v"] == "pH"},
        may_be_negative={"v": ind["v"] == "water_temp"},
    )
    problems = _value_problems(df, "v", pl.col("_ind"))
    for line, _parameter, message in problems:
        found.rows.append((src.index, line, index["value"], "value", message))
    bad_lines = {line: message for line, _parameter, message in problems}
    df = df.with_columns(
        _v=pl.when(pl.col("_micro")).then(pl.col("v") / pl.lit(1000.0)).otherwise(pl.col("v")),
        _b=pl.col("v_below"),
        _p=pl.col("line").replace_strict(bad_lines, default=None, return_dtype=pl.String)
        if bad_lines
        else pl.lit(None, pl.String),
    )
    # Records: status and class must agree within one; first line of the record is its line.
    rec = ["_code", "_time"]
    status_text = pl.col("status").str.strip_chars().fill_null("")
    classes = _class_of(df["published_class"].fill_null("").unique().to_list())
    df = df.with_columns(
        _status=pl.when(status_text == "")
        .then(None)
        .otherwise(status_text.replace_strict(_STATUS_OF_TEXT, default="?", return_dtype=pl.String)),
        _class=pl.col("published_class").fill_null("").replace_strict(classes, return_dtype=pl.Int8),
    )
    for column, name, what in (
        ("_status", "status", "station status"),
        ("_class", "published_class", "class"),
    ):
        if name not in index:
            continue
        bad = df.filter(pl.col(column).cast(pl.String).is_in(["?", "-1"]))
        if bad.height:
            found.add_frame(
                bad, src.index, index[name], name, pl.format("unknown {} '{}'", pl.lit(what), pl.col(name))
            )
        first = pl.col(column).drop_nulls().first().over(rec)
        clash = df.filter(pl.col(column).is_not_null() & (pl.col(column) != first))
        if clash.height:
            found.add_frame(
                clash,
                src.index,
                index[name],
                name,
                pl.format("{} differs from an earlier line of the same section and time", pl.lit(what)),
            )
    records = df.group_by(rec, maintain_order=True).agg(
        pl.col("line").min(),
        pl.col("_status").drop_nulls().first().alias("status_text"),
        pl.col("_class").drop_nulls().first().alias("published_class"),
        pl.when(pl.col("_p").is_not_null())
        .then(pl.format("{}: {}", pl.col("_ind"), pl.col("_p")))
        .drop_nulls()
        .str.join("; ")
        .alias("_reason"),
    )
    present = [p for p in PARAMETERS if p in set(df["_ind"].unique().to_list())]
    if present:
        wide = df.filter(pl.col("_p").is_null()).pivot(
            on="_ind", index=rec, values=["_v", "_b"], aggregate_function="first"
        )
        renames = {}
        for p in present:
            for prefix, suffix in (("_v", ""), ("_b", "_below")):
                for candidate in (f"{prefix}_{p}", f"{prefix}_indicator_{p}"):
                    if candidate in wide.columns:
                        renames[candidate] = f"{p}{suffix}"
        wide = wide.rename(renames)
        records = records.join(wide, on=rec, how="left")
    for p in present:
        for c, dtype in ((p, pl.Float64), (f"{p}_below", pl.Boolean)):
            if c not in records.columns:
                records = records.with_columns(pl.lit(None, dtype).alias(c))
    records = records.with_columns(
        source=pl.lit(src.name),
        section=pl.col("_code"),
        time=pl.col("_time"),
        status=pl.col("status_text").fill_null("normal").replace("?", None),
        invalid_reason=pl.when(pl.col("_reason") != "").then(pl.col("_reason")),
    ).with_columns(usable=(pl.col("status") == "normal").fill_null(False))
    keep = ["source", "line", "section", "time", "published_class", "status", "usable", "invalid_reason"]
    keep += [c for p in present for c in (p, f"{p}_below")]
    return records.select(keep).join(_sections_frame(registry), on="section", how="left")
