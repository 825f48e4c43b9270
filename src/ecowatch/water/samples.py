"""Water samples from a CSV file (``id,waterbody,pH,DO,…``) and their GB 3838-2002 classes.

The file: a header naming ``id``, ``waterbody`` (``river`` or ``lake``) and any of the indicator
columns of :class:`~ecowatch.standards.WaterIndicator` (mg/L; pH dimensionless; fecal coliform 个/L);
one sample a line. A cell is a number, ``<DL`` (below the detection limit DL), ``ND`` (not detected,
limit unknown) or empty (not measured). Every problem is an :class:`~ecowatch.errors.InputError`
naming the file, the line (header = line 1) and the field.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from ecowatch.errors import InputError
from ecowatch.standards import (
    BelowDetection,
    StandardsError,
    Waterbody,
    WaterClassResult,
    WaterIndicator,
    parse_water_value,
    water_class,
)
from ecowatch.standards.water import Value

__all__ = ["SAMPLE_COLUMNS", "WaterSample", "classify", "read_samples", "result_json"]

SAMPLE_COLUMNS: tuple[str, ...] = ("id", "waterbody", *(str(item) for item in WaterIndicator))
"""Every column a sample file may have, in the order the command line documents them."""

PH_MAX = Fraction(14)
"""pH is a number on 0–14; a larger one is a wrong column or unit, not a bad river."""


@dataclass(frozen=True, slots=True)
class WaterSample:
    """One sample: its id, waterbody, results and the line it came from."""

    id: str
    waterbody: Waterbody
    values: Mapping[WaterIndicator, Value]
    line: int


def read_samples(path: Path | str) -> list[WaterSample]:
    """Every sample of a CSV file, or :class:`InputError` at the first problem (file, line, field).

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
    ...     _ = f.write("id,waterbody,DO,TP\\nA,river,7.5,0.1\\nB,lake,8,<0.01\\n")
    >>> [(s.id, s.waterbody.value, s.line, s.values[WaterIndicator.TP]) for s in read_samples(f.name)]
    [('A', 'river', 2, Fraction(1, 10)), ('B', 'lake', 3, BelowDetection(limit=Fraction(1, 100)))]
    >>> os.unlink(f.name)
    """
    name = str(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except OSError as error:
        raise InputError(f"cannot read the file ({error.strerror or error})", file=name) from None
    except UnicodeDecodeError as error:
        raise InputError(f"not UTF-8 text ({error.reason} at byte {error.start})", file=name) from None
    except csv.Error as error:
        raise InputError(f"not a CSV file ({error})", file=name) from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise InputError("empty file: expected a header id,waterbody,<indicators>", file=name)
    header = [cell.strip() for cell in rows[0]]
    indicators = _check_header(header, name)
    samples = [
        _sample(row, header, indicators, name, number)
        for number, row in enumerate(rows[1:], start=2)
        if any(cell.strip() for cell in row)
    ]
    if not samples:
        raise InputError("no samples after the header", file=name)
    return samples


def _check_header(header: list[str], name: str) -> dict[str, WaterIndicator]:
    known = {column.lower(): column for column in SAMPLE_COLUMNS}
    seen: set[str] = set()
    for column in header:
        canonical = known.get(column.lower())
        if canonical is None:
            raise InputError(
                f"unknown column (known: {', '.join(SAMPLE_COLUMNS)})",
                file=name,
                line=1,
                field=column or "''",
            )
        if canonical in seen:
            raise InputError("column given twice", file=name, line=1, field=column)
        seen.add(canonical)
    for required in ("id", "waterbody"):
        if required not in seen:
            raise InputError(f"missing column {required!r}", file=name, line=1)
    if len(seen) == 2:
        raise InputError("no indicator column (pH, DO, CODMn, NH3-N, TP, …)", file=name, line=1)
    return {
        column: WaterIndicator(known[column.lower()])
        for column in header
        if known[column.lower()] not in ("id", "waterbody")
    }


def _sample(
    row: list[str], header: list[str], indicators: dict[str, WaterIndicator], name: str, line: int
) -> WaterSample:
    if len(row) != len(header):
        raise InputError(f"{len(row)} fields where the header has {len(header)}", file=name, line=line)
    cells = {column.lower(): (column, cell.strip()) for column, cell in zip(header, row, strict=True)}
    id_column, sample_id = cells["id"]
    if not sample_id:
        raise InputError("empty id", file=name, line=line, field=id_column)
    waterbody_column, waterbody = cells["waterbody"]
    try:
        body = Waterbody(waterbody.lower())
    except ValueError:
        raise InputError(
            f"waterbody {waterbody!r} is neither 'river' nor 'lake'",
            file=name,
            line=line,
            field=waterbody_column,
        ) from None
    values: dict[WaterIndicator, Value] = {}
    for column, item in indicators.items():
        text = cells[column.lower()][1]
        if not text:
            continue
        try:
            value = parse_water_value(text)
        except StandardsError as error:
            raise InputError(str(error), file=name, line=line, field=column) from None
        if item in (WaterIndicator.PH, WaterIndicator.DO) and isinstance(value, BelowDetection):
            raise InputError(
                f"{text!r}: {item} is measured, never below detection", file=name, line=line, field=column
            )
        if item is WaterIndicator.PH and isinstance(value, Fraction) and value > PH_MAX:
            raise InputError(f"pH {text} is outside 0–14", file=name, line=line, field=column)
        values[item] = value
    if not any(item not in (WaterIndicator.TN, WaterIndicator.FECAL_COLIFORM) for item in values):
        raise InputError(
            "no value of an indicator that sets the class (TN and fecal_coliform do not, 2011 method)",
            file=name,
            line=line,
        )
    return WaterSample(id=sample_id, waterbody=body, values=values, line=line)


def classify(samples: Iterable[WaterSample]) -> list[tuple[WaterSample, WaterClassResult]]:
    """Each sample with its single-factor class (GB 3838-2002, 2011 method)."""
    return [(sample, water_class(sample.values, sample.waterbody)) for sample in samples]


def result_json(sample: WaterSample, result: WaterClassResult) -> dict[str, Any]:
    """The object ``ecowatch water classify --json`` prints for one sample.

    Keys: ``id``, ``class`` ("I".."V", "worse than V"), ``exceeding`` (indicator -> multiple over
    Class Ⅲ, one decimal), ``main_pollutants`` (worst first), ``determining`` (Table 1 order).
    """
    return {
        "id": sample.id,
        "class": result.water_class.label,
        "exceeding": {str(item): float(multiple) for item, multiple in result.exceeding.items()},
        "main_pollutants": [str(item) for item in result.main_pollutants],
        "determining": [str(item) for item in result.determining],
    }
