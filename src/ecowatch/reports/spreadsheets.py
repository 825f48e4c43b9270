"""Tables as CSV and XLSX files: the one writer of the web API's downloads and the command line's ``--out``.

- CSV keeps the JSON keys as its header (a program reads it as it reads the JSON) and starts with a
  UTF-8 byte-order mark, without which Excel on a Chinese Windows reads ``北京`` as GBK and garbles it.
- XLSX is for people: a concentration column is headed with its name and unit (``PM2.5 (µg/m³)``)
  and holds numbers shown at the standard's precision (``CO`` 3.3 as ``0.0``, the others as ``0``,
  [HJ633-2026]_ §4.2.2); ISO dates and times are Excel dates (times in their own zone, named in the
  header); sheet names are whole words within Excel's 31 characters, never cut mid-way.

Nested values are flattened first (:func:`flat_rows`): a list becomes ``a;b``, a mapping one column
per key (``iaqi.PM2.5``).

>>> frame = export_frame([{"date": "2016-01-01", "site": "1001A", "CO": 3.3, "PM2.5": 75}])
>>> xlsx_columns(frame)["CO"]
XlsxColumn(header='CO (mg/m³)', number_format='0.0')
>>> sheet_name("daily", "1001A", "2016-01-01", "2016-12-31")
'daily 1001A 2016-01-01'
>>> csv_bytes(frame)[:3]
b'\\xef\\xbb\\xbf'
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import polars as pl

from ecowatch.shapes.labels import pollutant_of
from ecowatch.standards.pollutants import INDEX_DECIMALS, PERCENT_DECIMALS

if TYPE_CHECKING:  # the type of write_excel's column_formats (a Mapping: its key type must match)
    from polars._typing import ColumnFormatDict

__all__ = [
    "MAX_SHEET_NAME",
    "XlsxColumn",
    "csv_bytes",
    "export_frame",
    "flat_rows",
    "sheet_name",
    "write_csv",
    "write_xlsx",
    "xlsx_bytes",
    "xlsx_columns",
]

#: Excel refuses longer sheet names ("Excel specifications and limits": sheet name, 31 characters).
MAX_SHEET_NAME = 31
#: Characters Excel refuses in a sheet name.
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:\d{2})$")
#: Columns of figures that are counts or indices: whole numbers.
_INTEGER_PREFIXES = ("IAQI_", "iaqi.")
_INTEGER_KEYS = frozenset({"AQI", "aqi", "level"})
#: Published precision of the figures that are not concentrations.
_DECIMALS_BY_KEY: Mapping[str, int] = {
    "good_ratio_pct": PERCENT_DECIMALS,
    "comprehensive_index": INDEX_DECIMALS,
}


def flat_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows with lists joined by ``;`` and mappings spread into ``key.sub`` columns."""
    out = []
    for row in rows:
        flat: dict[str, Any] = {}
        for key, value in row.items():
            if isinstance(value, Mapping):
                for sub, item in value.items():
                    flat[f"{key}.{sub}"] = item
            elif isinstance(value, list | tuple):
                flat[key] = ";".join(str(item) for item in value)
            else:
                flat[key] = value
        out.append(flat)
    return out


def export_frame(
    rows: Sequence[Mapping[str, Any]] | pl.DataFrame, columns: Sequence[str] = ()
) -> pl.DataFrame:
    """``rows`` (JSON-shaped mappings, flattened) as a frame; ``columns`` heads an empty table."""
    if isinstance(rows, pl.DataFrame):
        return rows
    flat = flat_rows(rows)
    if flat:
        return pl.DataFrame(flat, infer_schema_length=None)
    return pl.DataFrame({column: [] for column in columns}, schema=dict.fromkeys(columns, pl.String))


def csv_bytes(frame: pl.DataFrame, *, bom: bool = True) -> bytes:
    """``frame`` as UTF-8 CSV, with a byte-order mark unless ``bom`` is False (a pipe, not a file)."""
    return frame.write_csv(include_bom=bom).encode("utf-8")


def write_csv(frame: pl.DataFrame, target: str | Path | IO[bytes], *, bom: bool = True) -> None:
    """Write :func:`csv_bytes` to a path or a binary file."""
    content = csv_bytes(frame, bom=bom)
    if isinstance(target, str | Path):
        Path(target).write_bytes(content)
    else:
        target.write(content)


@dataclass(frozen=True, slots=True)
class XlsxColumn:
    """How a column appears in a spreadsheet: its heading and Excel number format (None: as it comes)."""

    header: str
    number_format: str | None


def _decimals_format(decimals: int) -> str:
    return "0" if decimals == 0 else "0." + "0" * decimals


def _offset(values: pl.Series) -> str | None:
    """The one UTC offset of a column of ISO date-times (``+08:00``), None when not such a column."""
    texts = values.drop_nulls()
    if values.dtype != pl.String or not texts.len():
        return None
    offsets = set()
    for text in texts.unique().to_list():
        match = _ISO_TIME.match(text)
        if match is None:
            return None
        offsets.add("+00:00" if match.group(2) == "Z" else match.group(2))
    return offsets.pop() if len(offsets) == 1 else None


def _is_iso_date(values: pl.Series) -> bool:
    texts = values.drop_nulls()
    return (
        values.dtype == pl.String and bool(texts.len()) and all(_ISO_DATE.match(t) for t in texts.to_list())
    )


def xlsx_columns(frame: pl.DataFrame) -> dict[str, XlsxColumn]:
    """Heading and number format of each column: concentrations with their unit and published
    precision ([HJ633-2026]_ §4.2.2, the same in [HJ663-2013]_), index figures as whole numbers,
    ratios to 0.1 %, the comprehensive index to 0.01 ([RANKING-2018]_)."""
    out: dict[str, XlsxColumn] = {}
    for name in frame.columns:
        series = frame[name]
        pollutant = pollutant_of(name)
        if pollutant is not None and series.dtype.is_numeric():
            out[name] = XlsxColumn(f"{name} ({pollutant.unit})", _decimals_format(pollutant.decimals))
        elif series.dtype.is_numeric() and (name in _INTEGER_KEYS or name.startswith(_INTEGER_PREFIXES)):
            out[name] = XlsxColumn(name, "0")
        elif name in _DECIMALS_BY_KEY and series.dtype.is_numeric():
            out[name] = XlsxColumn(name, _decimals_format(_DECIMALS_BY_KEY[name]))
        elif (offset := _offset(series)) is not None:
            out[name] = XlsxColumn(f"{name} (UTC{offset})", "yyyy-mm-dd hh:mm:ss")
        elif series.dtype == pl.Date or _is_iso_date(series):
            out[name] = XlsxColumn(name, "yyyy-mm-dd")
        elif series.dtype.is_float():
            out[name] = XlsxColumn(name, "General")  # the value as stored, not polars' 3 fixed decimals
        else:
            out[name] = XlsxColumn(name, None)
    return out


def _typed(frame: pl.DataFrame, columns: Mapping[str, XlsxColumn]) -> pl.DataFrame:
    """ISO text as dates and (local, naive) date-times, so that Excel holds dates, not text."""
    conversions = []
    for name, column in columns.items():
        if frame[name].dtype != pl.String:
            continue
        if column.number_format == "yyyy-mm-dd":
            conversions.append(pl.col(name).str.to_date("%Y-%m-%d"))
        elif column.number_format == "yyyy-mm-dd hh:mm:ss":
            # The wall-clock time of the zone the header names: drop the offset, keep the digits.
            local = pl.col(name).str.replace(r"(Z|[+-]\d{2}:\d{2})$", "")
            conversions.append(local.str.to_datetime(time_unit="us", strict=True))
    return frame.with_columns(conversions) if conversions else frame


def sheet_name(*parts: str) -> str:
    """A sheet name of the leading ``parts`` (joined by spaces) that fit in 31 characters, whole.

    Excel refuses longer names and the characters ``[]:*?/\\``; a part that does not fit is left
    out rather than cut, so the name still says what it names (the file name says the rest).
    A first part longer than 31 characters alone is an error of the caller.
    """
    cleaned = [_SHEET_FORBIDDEN.sub("-", part).strip("'") for part in parts if part]
    if not cleaned or len(cleaned[0]) > MAX_SHEET_NAME:
        raise ValueError(
            f"sheet_name: {parts[0] if parts else ''!r} is empty or longer than Excel's "
            f"{MAX_SHEET_NAME} characters"
        )
    name = cleaned[0]
    for part in cleaned[1:]:
        if len(name) + 1 + len(part) > MAX_SHEET_NAME:
            break
        name = f"{name} {part}"
    return name


def write_xlsx(frame: pl.DataFrame, target: str | Path | IO[bytes], *, sheet: str) -> None:
    """Write ``frame`` as a one-sheet workbook (see the module docstring for what a person gets)."""
    if len(sheet) > MAX_SHEET_NAME or _SHEET_FORBIDDEN.search(sheet):
        raise ValueError(f"write_xlsx: sheet name {sheet!r} is not one Excel takes (use sheet_name())")
    columns = xlsx_columns(frame)
    typed = _typed(frame, columns).rename({name: column.header for name, column in columns.items()})
    formats: ColumnFormatDict = {
        column.header: column.number_format for column in columns.values() if column.number_format
    }
    target = str(target) if isinstance(target, Path) else target
    typed.write_excel(
        target,
        worksheet=sheet,
        column_formats=formats,
        autofit=True,
        freeze_panes=(1, 0),
        table_style=None,
        autofilter=True,
    )


def xlsx_bytes(frame: pl.DataFrame, *, sheet: str) -> bytes:
    """:func:`write_xlsx` into memory."""
    buffer = io.BytesIO()
    write_xlsx(frame, buffer, sheet=sheet)
    return buffer.getvalue()
