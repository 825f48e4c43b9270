"""Shared parts of the importers.

Everything here is vectorised with polars: a file is read once as strings, every check is a
column expression, and Python only loops over the (few) bad rows to build error messages.

The pipeline of every reader:

1. :func:`input_files` lists the files (a file, or the ``.csv``/``.csv.gz`` files of a directory);
   :func:`may_overlap` skips files whose name shows they are outside the date filter.
2. :func:`open_table` reads a file (gzip detected by content), checks the encoding and the number
   of fields on every line, and returns the data as strings with the line number of each row.
3. The reader checks timestamps (:func:`valid_date`), applies the date filter, and turns the
   table into *cells*: one row per (line, station, pollutant) value (:data:`CELL_SCHEMA`).
4. :func:`finish` parses the values, flags invalid and duplicate ones, and raises the first
   problem (strict mode) or collects them all as :class:`~ecowatch.errors.InputError` (lenient).
"""

from __future__ import annotations

import csv
import gzip
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl

from ecowatch.errors import InputError
from ecowatch.shapes.measurements import MEASUREMENT_SCHEMA, POLLUTANTS, ImportResult
from ecowatch.shapes.stations import Station, StationRegistry
from ecowatch.standards import IAQI_BREAKPOINTS, Pollutant

# Dtype instances, not classes: pl.Schema stores instances anyway, and mypy types a mix of both as `object`.
#: Internal: one row per value cell of the input, before validation.
CELL_SCHEMA = pl.Schema(
    {
        "src": pl.Int32(),  # index of the file in the list of sources
        "line": pl.Int64(),  # 1-based line number in the file (header = 1)
        "col": pl.Int32(),  # 0-based column of `field` (orders problems within a line)
        "field": pl.String(),  # header name reported in errors
        "station": pl.String(),  # station code
        "time": pl.Datetime("us"),
        "pollutant": pl.String(),
        "raw": pl.String(),  # the cell text
        "scale": pl.Int8(),  # value = raw * 10**scale (-3: µg -> mg, 3: mg -> µg)
        "pre_reason": pl.String(),  # a reason already known (e.g. unknown unit), else null
    }
)

#: Internal: one row per problem found.
PROBLEM_SCHEMA = pl.Schema(
    {"src": pl.Int32, "line": pl.Int64, "col": pl.Int32, "field": pl.String, "reason": pl.String}
)

_MISSING = ("", "NA", "na", "N/A")


# -- files ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One input file."""

    index: int
    path: Path

    @property
    def name(self) -> str:
        return self.path.name


def input_files(path: str | os.PathLike[str], *, pattern: re.Pattern[str] | None = None) -> list[Path]:
    """The file ``path``, or the ``.csv``/``.csv.gz`` files of directory ``path`` (sorted by name).

    With ``pattern``, only directory entries whose name matches it are taken.
    """
    p = Path(path)
    if p.is_file():
        return [p]
    if not p.exists():
        raise InputError("no such file or directory", file=str(p))
    if not p.is_dir():
        raise InputError("not a regular file or directory", file=str(p))
    files = sorted(
        f
        for f in p.iterdir()
        if f.is_file()
        and f.name.lower().endswith((".csv", ".csv.gz"))
        and (pattern is None or pattern.search(f.name))
    )
    if not files:
        raise InputError("no .csv or .csv.gz files in directory", file=str(p))
    return files


_RANGE_RE = re.compile(r"(?<!\d)(\d{8})-(\d{8})(?!\d)")
_DAY_RE = re.compile(r"(?<!\d)(\d{8})(?!\d)")
_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


def _ymd(text: str) -> date | None:
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def name_span(name: str) -> tuple[date, date] | None:
    """The dates a file covers according to its name, if the name tells.

    >>> name_span("PRSA_Data_Dongsi_20130301-20170228.csv.gz")
    (datetime.date(2013, 3, 1), datetime.date(2017, 2, 28))
    >>> name_span("beijing_all_2015.csv.gz")
    (datetime.date(2015, 1, 1), datetime.date(2015, 12, 31))
    >>> name_span("beijing_all_20150102.csv")
    (datetime.date(2015, 1, 2), datetime.date(2015, 1, 2))
    >>> name_span("measurements.csv") is None
    True
    """
    if m := _RANGE_RE.search(name):
        first, last = _ymd(m.group(1)), _ymd(m.group(2))
        if first and last and first <= last:
            return first, last
    if m := _DAY_RE.search(name):
        day = _ymd(m.group(1))
        if day:
            return day, day
    if m := _YEAR_RE.search(name):
        year = int(m.group(1))
        return date(year, 1, 1), date(year, 12, 31)
    return None


def may_overlap(path: Path, date_from: date | None, date_to: date | None) -> bool:
    """False only if the file name shows the file lies outside ``date_from..date_to``."""
    if date_from is None and date_to is None:
        return True
    span = name_span(path.name)
    if span is None:
        return True
    first, last = span
    return not ((date_to is not None and first > date_to) or (date_from is not None and last < date_from))


def check_dates(date_from: date | None, date_to: date | None) -> tuple[date | None, date | None]:
    """Normalise the date filter arguments (datetimes -> dates) and check their order."""
    if isinstance(date_from, datetime):
        date_from = date_from.date()
    if isinstance(date_to, datetime):
        date_to = date_to.date()
    if date_from is not None and date_to is not None and date_from > date_to:
        raise ValueError(f"date_from {date_from} is after date_to {date_to}")
    return date_from, date_to


def date_in_range(expr: pl.Expr, date_from: date | None, date_to: date | None) -> pl.Expr:
    """``expr`` (a Date) within the inclusive filter; true when there is no filter."""
    cond = pl.lit(True)
    if date_from is not None:
        cond = cond & (expr >= date_from)
    if date_to is not None:
        cond = cond & (expr <= date_to)
    return cond


@contextmanager
def progress_bar(total: int, description: str, enabled: bool) -> Iterator[Callable[[], None]]:
    """A transient rich progress bar on stderr (only if enabled and ``total`` > 1).

    Yields the function to call after each step.
    """
    if not enabled or total <= 1:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)


# -- reading a CSV file -----------------------------------------------------------------------


@dataclass
class Table:
    """A CSV file read into memory: the header and the UTF-8 bytes."""

    source: Source
    header: list[str]  # stripped column names
    data: bytes  # UTF-8 CSV text, header included
    bad_lines: pl.DataFrame  # PROBLEM_SCHEMA: lines with the wrong number of fields

    def require(self, required: Iterable[str], *, key=None) -> dict[str, int]:
        """Map each required name to its column index; InputError (line 1) naming a missing one.

        ``key`` normalises header names before matching (e.g. ``str.lower``).
        """
        names = [key(h) if key else h for h in self.header]
        found: dict[str, int] = {}
        for i, n in enumerate(names):
            found.setdefault(n, i)
        out = {}
        for name in required:
            if name not in found:
                raise InputError("missing required column", file=self.source.name, line=1, field=name)
            out[name] = found[name]
        return out

    def columns(self, wanted: Mapping[str, int]) -> pl.DataFrame:
        """The wanted columns (new name -> column index) as strings, with ``line`` (Int64) first.

        Lines with the wrong number of fields (see ``bad_lines``) are left out.
        """
        if not wanted:
            raise ValueError("no columns wanted")
        order = sorted(wanted.items(), key=lambda kv: kv[1])
        try:
            df = pl.read_csv(
                self.data,
                has_header=True,
                infer_schema=False,
                columns=[i for _, i in order],
                row_index_name="line",
                row_index_offset=2,
                truncate_ragged_lines=True,
                raise_if_empty=False,
                encoding="utf8",
            )
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise InputError(f"cannot read CSV: {exc}", file=self.source.name) from None
        df.columns = ["line", *[name for name, _ in order]]
        df = df.with_columns(pl.col("line").cast(pl.Int64))
        if self.bad_lines.height:
            df = df.filter(~pl.col("line").is_in(self.bad_lines["line"].implode()))
        return df


def sniff_header(path: Path) -> list[str] | None:
    """The stripped header fields of a CSV file (gzip or not), or None if unreadable."""
    try:
        with path.open("rb") as fh:
            magic = fh.read(2)
        opener = gzip.open if magic == b"\x1f\x8b" else open
        with opener(path, "rb") as fh:
            first = fh.readline(1 << 16)
    except (OSError, EOFError):
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = first.decode(encoding).rstrip("\r\n")
            break
        except UnicodeDecodeError:
            continue
    else:
        return None
    return [h.strip() for h in next(csv.reader([text]), [])]


def _decompress(raw: bytes, name: str) -> bytes:
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise InputError(f"corrupt gzip data: {exc}", file=name) from None
    return raw


def _to_utf8(data: bytes, name: str) -> bytes:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        pass
    try:  # Chinese government downloads are often GB 18030 / GBK
        return data.decode("gb18030").encode("utf-8")
    except UnicodeDecodeError:
        raise InputError("file is neither UTF-8 nor GB18030 text", file=name) from None


def open_table(source: Source) -> Table:
    """Read ``source`` (gzip detected by content), parse the header and check field counts."""
    name = source.name
    try:
        raw = source.path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", file=name) from None
    data = _to_utf8(_decompress(raw, name), name)
    end = data.find(b"\n")
    first = (data if end < 0 else data[:end]).decode("utf-8").rstrip("\r")
    if not first.strip():
        raise InputError("empty file (no header line)", file=name, line=1)
    header = [h.strip() for h in next(csv.reader([first]))]
    seen: set[str] = set()
    for h in header:
        if h and h in seen:
            raise InputError(f"duplicate column name {h!r}", file=name, line=1, field=h)
        seen.add(h)
    bad = _bad_field_counts(data, len(header), source)
    return Table(source=source, header=header, data=data, bad_lines=bad)


def _bad_field_counts(data: bytes, n_fields: int, source: Source) -> pl.DataFrame:
    """Lines (not blank) whose number of fields differs from the header's."""
    lines = pl.read_csv(
        data,
        has_header=False,
        separator="\x00",
        quote_char=None,
        infer_schema=False,
        row_index_name="line",
        row_index_offset=1,
        raise_if_empty=False,
    )
    if lines.height <= 1:
        return pl.DataFrame(schema=PROBLEM_SCHEMA)
    text = lines.columns[1]
    suspects = lines.slice(1).filter(
        pl.col(text).is_not_null()
        & (pl.col(text).str.strip_chars() != "")
        & (pl.col(text).str.count_matches(",", literal=True) != n_fields - 1)
    )
    rows = []
    for line, content in suspects.iter_rows():  # only the suspect lines: quoted commas are re-checked
        n = len(next(csv.reader([content]), []))
        if n != n_fields:
            rows.append((source.index, line, 0, None, f"line has {n} fields, the header has {n_fields}"))
    return pl.DataFrame(rows, schema=PROBLEM_SCHEMA, orient="row")


# -- timestamps -------------------------------------------------------------------------------


def to_int(expr: pl.Expr) -> pl.Expr:
    """String -> Int64 (null where it is not an integer)."""
    return expr.str.strip_chars().cast(pl.Int64, strict=False)


def valid_date(y: pl.Expr, m: pl.Expr, d: pl.Expr) -> pl.Expr:
    """The Date y-m-d, or null when the parts are null or make an impossible date (e.g. 02-30)."""
    ok = y.is_between(1, 9999) & m.is_between(1, 12) & d.is_between(1, 31)
    first = pl.date(pl.when(ok).then(y), pl.when(ok).then(m), 1)
    day = first + pl.duration(days=d - 1)
    return pl.when(day.dt.month() == m).then(day)


def hour_time(day: pl.Expr, hour: pl.Expr) -> pl.Expr:
    """Datetime label ``day`` + ``hour`` h (hour already checked to be in 0..23)."""
    return day.cast(pl.Datetime("us")) + pl.duration(hours=hour)


def problems(frame: pl.DataFrame, src: int, col: int | pl.Expr, field: str | pl.Expr, reason: pl.Expr):
    """Problem rows (PROBLEM_SCHEMA) for every row of ``frame`` (which has a ``line`` column)."""
    return frame.select(
        pl.lit(src, pl.Int32).alias("src"),
        pl.col("line").cast(pl.Int64),
        (col if isinstance(col, pl.Expr) else pl.lit(col)).cast(pl.Int32).alias("col"),
        (field if isinstance(field, pl.Expr) else pl.lit(field)).cast(pl.String).alias("field"),
        reason.cast(pl.String).alias("reason"),
    )


# -- stations ---------------------------------------------------------------------------------


class StationResolver:
    """Names in the input -> station codes; unknown names become ad-hoc stations."""

    def __init__(self, registry: StationRegistry | None) -> None:
        self.registry = registry if registry is not None else StationRegistry.default()
        self.ad_hoc: dict[str, Station] = {}
        self._cache: dict[str, str] = {}

    def code(self, name: str) -> str:
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        station = self.registry.resolve(name)
        if station is None:
            station = self.ad_hoc.setdefault(name.strip(), self.registry.ad_hoc(name))
        self._cache[name] = station.code
        return station.code

    def codes(self, names: pl.Series) -> pl.Series:
        """Vectorised :meth:`code` (names are looked up once each)."""
        mapping = {n: self.code(n) for n in names.unique(maintain_order=True).drop_nulls().to_list()}
        return names.replace_strict(mapping, default=None, return_dtype=pl.String)

    def codes_seen(self) -> list[str]:
        """Every code handed out so far."""
        return list(set(self._cache.values()))

    def stations(self, codes: Iterable[str]) -> list[Station]:
        """The stations with these codes: registry order, then ad-hoc ones in order of appearance."""
        present = set(codes)
        out = [st for st in self.registry if st.code in present]
        out += [
            st for st in self.ad_hoc.values() if st.code in present and self.registry.get(st.code) is None
        ]
        return out


# -- the common end of every reader -----------------------------------------------------------


def empty_cells() -> pl.DataFrame:
    return pl.DataFrame(schema=CELL_SCHEMA)


ReadOne = Callable[
    [Source, "StationResolver", date | None, date | None], tuple[pl.DataFrame, list[pl.DataFrame]]
]
"""Reads one file into value cells and the problems found (the per-format part of a reader)."""


def read_files(
    files: Sequence[Path],
    read_one: ReadOne,
    registry: StationRegistry | None,
    *,
    description: str,
    lenient: bool,
    date_from: date | None,
    date_to: date | None,
    progress: bool,
    vocabulary: Sequence[str] = POLLUTANTS,
) -> ImportResult:
    """The loop every reader shares: skip files outside the dates, read each, then :func:`finish`."""
    resolver = StationResolver(registry)
    sources = [Source(i, f) for i, f in enumerate(f for f in files if may_overlap(f, date_from, date_to))]
    cells: list[pl.DataFrame] = []
    found: list[pl.DataFrame] = []
    with progress_bar(len(sources), description, progress) as advance:
        for src in sources:
            c, f = read_one(src, resolver, date_from, date_to)
            cells.append(c)
            found.extend(f)
            advance()
    return finish(cells, found, sources, resolver, lenient=lenient, vocabulary=vocabulary)


def finish(
    cells: list[pl.DataFrame],
    found: list[pl.DataFrame],
    sources: list[Source],
    resolver: StationResolver,
    *,
    lenient: bool,
    vocabulary: Sequence[str] = POLLUTANTS,
) -> ImportResult:
    """Validate the cells, detect duplicates, and build the result (or raise the first problem).

    ``vocabulary`` lists every value the ``pollutant`` column of the cells may hold.
    """
    parts = [c.lazy().select(CELL_SCHEMA.names()).cast(CELL_SCHEMA) for c in cells if c.height]
    lf = pl.concat(parts) if parts else empty_cells().lazy()
    lf = lf.with_columns(raw=pl.col("raw").str.strip_chars())
    lf = lf.filter(pl.col("raw").is_not_null() & ~pl.col("raw").is_in(_MISSING))

    num = pl.col("num")
    reason = (
        pl.when(pl.col("pre_reason").is_not_null())
        .then(pl.col("pre_reason"))
        .when(num.is_null() | num.is_nan() | num.is_infinite())
        .then(pl.format("non-numeric value '{}'", pl.col("raw")))
        .when(num < 0)
        .then(pl.format("negative value '{}'", pl.col("raw")))
    )
    scale = pl.col("scale")
    # Divide by a column, not a literal: polars turns `x / 1000` into `x * 0.001`, which is not
    # correctly rounded (2300 * 0.001 = 2.3000000000000003).
    divisor = pl.when(scale == -3).then(pl.lit(1000.0)).otherwise(pl.lit(1.0))
    value = pl.when(scale == 3).then(num * 1000).otherwise(num / divisor)

    # Only integers and the values travel through the sort (gathering strings is the slow part):
    # station, hour and pollutant are packed into one Int64 key and unpacked afterwards.
    codes = sorted(set(resolver.codes_seen()))
    words = sorted(set(vocabulary))
    lf = lf.with_columns(num=pl.col("raw").cast(pl.Float64, strict=False))
    lf = lf.with_columns(invalid_reason=reason, key=_pack_key(codes, words))
    lf = lf.select(
        "key",
        "src",
        "line",
        "col",
        pl.when(pl.col("invalid_reason").is_null()).then(value).alias("value"),
        "invalid_reason",
    )
    # A stable sort: equal keys stay in input order (file order, then line order).
    lf = lf.sort("key", maintain_order=True)
    frame = lf.with_columns(dup=(pl.col("key") == pl.col("key").shift(1)).fill_null(False)).collect()
    frame = frame.with_columns(_unpack_key(codes, words))

    found = list(found)
    fields = _field_names(cells)
    if frame["dup"].any():
        found.append(_duplicates(frame, sources, fields))
        frame = frame.filter(~pl.col("dup"))

    invalid = frame.filter(pl.col("invalid_reason").is_not_null())
    if invalid.height:
        found.append(
            invalid.join(fields, on=["src", "col"], how="left")
            .select("src", "line", "col", "field", pl.col("invalid_reason").alias("reason"))
            .cast(PROBLEM_SCHEMA)
        )

    issues = _issues(found, sources, limit=None if lenient else 1)
    if issues and not lenient:
        raise issues[0]

    measurements = mark_implausible(frame.select(MEASUREMENT_SCHEMA.names()).cast(MEASUREMENT_SCHEMA))
    stations = resolver.stations(measurements["station"].unique().to_list())
    return ImportResult(
        measurements=measurements,
        stations=stations,
        issues=issues,
        sources=[str(s.path) for s in sources],
    )


PLAUSIBLE_FACTOR = 20
"""How many times the top of HJ 633's index table a value may reach before it is implausible."""

PLAUSIBLE_MAXIMUM: Mapping[str, float] = {
    pollutant.value: float(
        PLAUSIBLE_FACTOR
        * max(
            table[column][-1]
            for table in IAQI_BREAKPOINTS.values()
            for column in table
            if column.pollutant is pollutant
        )
    )
    for pollutant in Pollutant
}
"""Twenty times the top of HJ 633's index table for each pollutant, its highest column in either
edition (SO2 24-h 2620, NO2 1-h 3840, CO 1-h 150, O3 1-h 1200, PM10 600, PM2.5 500) [µg/m³; CO mg/m³]:
no ambient air comes near (severe dust storms bring PM10 to a few thousand), so a value above is a
fault of the instrument or the transmission — 门头沟 reported PM2.5 = 519,961 µg/m³ on 2014-01-16.
Such a value is kept, marked invalid with its reason, and counted in the validity report; it is not
an input error (the file is well formed), so strict mode does not stop on it."""


def mark_implausible(measurements: pl.DataFrame) -> pl.DataFrame:
    """Mark values above :data:`PLAUSIBLE_MAXIMUM` invalid, with the reason."""
    maximum = pl.col("pollutant").replace_strict(PLAUSIBLE_MAXIMUM, default=None, return_dtype=pl.Float64)
    above = pl.col("value") > maximum
    return measurements.with_columns(
        invalid_reason=pl.when(above)
        .then(
            pl.format(
                "above the plausible maximum {} (instrument or transmission fault)", maximum.cast(pl.Int64)
            )
        )
        .otherwise(pl.col("invalid_reason")),
        value=pl.when(above).then(None).otherwise(pl.col("value")),
    )


_HOUR_BITS = 34  # hour number since 1970 + 2**33
_WORD_BITS = 4  # up to 16 pollutant / type names
_HOUR_BIAS = 1 << 33


def _pack_key(codes: list[str], words: list[str]) -> pl.Expr:
    """One Int64 that sorts like (station, time, pollutant) as strings (codes, words sorted).

    Every time label is a whole hour (the readers guarantee it).
    """
    if len(codes) >= 1 << (63 - _HOUR_BITS - _WORD_BITS) or len(words) > 1 << _WORD_BITS:
        raise ValueError("too many stations or pollutant names for the sort key")
    hours = pl.col("time").dt.epoch("s") // 3600 + _HOUR_BIAS
    station = _rank(pl.col("station"), codes)
    word = _rank(pl.col("pollutant"), words)
    return station * (1 << (_HOUR_BITS + _WORD_BITS)) + hours * (1 << _WORD_BITS) + word


def _rank(expr: pl.Expr, ordered: list[str]) -> pl.Expr:
    if not ordered:  # no data at all (replace_strict with an empty mapping keeps the String type)
        return pl.lit(0, pl.Int64)
    return expr.replace_strict({v: i for i, v in enumerate(ordered)}, return_dtype=pl.Int64)


def _unpack_key(codes: list[str], words: list[str]) -> list[pl.Expr]:
    key = pl.col("key")
    station = key // (1 << (_HOUR_BITS + _WORD_BITS))
    hours = (key // (1 << _WORD_BITS)) % (1 << _HOUR_BITS) - _HOUR_BIAS
    word = key % (1 << _WORD_BITS)
    return [
        pl.lit(pl.Series(codes, dtype=pl.String)).gather(station).alias("station"),
        (hours * 3_600_000_000).cast(pl.Datetime("us")).alias("time"),
        pl.lit(pl.Series(words, dtype=pl.String)).gather(word).alias("pollutant"),
    ]


def _field_names(cells: list[pl.DataFrame]) -> pl.DataFrame:
    """(src, col) -> field name, from the cells."""
    parts = [
        c.select(pl.col("src").cast(pl.Int32), pl.col("col").cast(pl.Int32), "field").unique() for c in cells
    ]
    if not parts:
        return pl.DataFrame(schema={"src": pl.Int32, "col": pl.Int32, "field": pl.String})
    return pl.concat(parts).unique(["src", "col"], keep="first")


def _duplicates(frame: pl.DataFrame, sources: list[Source], fields: pl.DataFrame) -> pl.DataFrame:
    """Problems for the rows flagged ``dup`` (the first occurrence is the last unflagged row)."""
    frame = frame.with_columns(
        first_src=pl.when(~pl.col("dup")).then(pl.col("src")).forward_fill(),
        first_line=pl.when(~pl.col("dup")).then(pl.col("line")).forward_fill(),
    )
    names = {s.index: s.name for s in sources}
    dups = frame.filter(pl.col("dup")).join(fields, on=["src", "col"], how="left")
    where = (
        pl.when(pl.col("first_src") == pl.col("src"))
        .then(pl.format("line {}", pl.col("first_line")))
        .otherwise(
            pl.format(
                "{} line {}",
                pl.col("first_src").replace_strict(names, return_dtype=pl.String),
                pl.col("first_line"),
            )
        )
    )
    text = pl.format(
        "duplicate {} {} {}, first given on {}",
        pl.col("station"),
        pl.col("time").dt.strftime("%Y-%m-%d %H:%M"),
        pl.col("pollutant"),
        where,
    )
    return dups.select("src", "line", "col", "field", text.alias("reason")).cast(PROBLEM_SCHEMA)


def _issues(found: list[pl.DataFrame], sources: list[Source], limit: int | None = None) -> list[InputError]:
    """The problems as InputErrors in file, line, column order (only the first ``limit``)."""
    found = [f.cast(PROBLEM_SCHEMA) for f in found if f.height]
    if not found:
        return []
    names = {s.index: s.name for s in sources}
    allp = pl.concat(found).sort(["src", "line", "col"], nulls_last=True, maintain_order=True)
    if limit is not None:
        allp = allp.head(limit)
    return [
        InputError(reason, file=names.get(src), line=line, field=field)
        for src, line, _col, field, reason in allp.iter_rows()
    ]
