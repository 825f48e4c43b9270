"""AQI of a table of cases: ``id,averaging,SO2,NO2,PM10,PM2.5,CO,O3_1h,O3_8h``.

``averaging`` is ``hour`` (real-time report: 1-h values, PM on the 24-h breakpoints) or ``day``
(daily report: 24-h means and the O3 daily maxima). Empty = missing. Units µg/m³, CO mg/m³.
Values are taken exactly as written (decimal strings), so a case on a breakpoint stays on it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

from ecowatch.errors import InputError
from ecowatch.standards import AqiItem, AqiResult, Edition, Report, aqi_record

CASE_COLUMNS = ("id", "averaging", *(item.value for item in AqiItem))
_ITEMS_IN_FILE_ORDER = (
    AqiItem.SO2,
    AqiItem.NO2,
    AqiItem.PM10,
    AqiItem.PM2_5,
    AqiItem.CO,
    AqiItem.O3_1H,
    AqiItem.O3_8H,
)


@dataclass(frozen=True, slots=True)
class AqiCase:
    id: str
    report: Report
    concentrations: dict[AqiItem, Decimal]
    line: int


def read_cases(path: Path) -> list[AqiCase]:
    """Parse a cases file; any bad cell is an :class:`InputError` naming line and field."""
    name = str(path)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        fields = reader.fieldnames or []
        missing = [c for c in CASE_COLUMNS if c not in fields]
        if missing:
            raise InputError(f"missing column(s) {', '.join(missing)}", file=name, line=1, field=missing[0])
        cases = []
        for line, row in enumerate(reader, start=2):
            averaging = (row["averaging"] or "").strip().lower()
            if averaging not in ("hour", "day"):
                raise InputError(
                    f"averaging must be 'hour' or 'day', not {averaging!r}",
                    file=name,
                    line=line,
                    field="averaging",
                )
            concentrations = {}
            for item in _ITEMS_IN_FILE_ORDER:
                text = (row[item.value] or "").strip()
                if not text:
                    continue
                try:
                    value = Decimal(text)
                except InvalidOperation:
                    raise InputError(
                        f"non-numeric value {text!r}", file=name, line=line, field=item.value
                    ) from None
                if not value.is_finite() or value < 0:
                    raise InputError(
                        f"concentration must be a finite number >= 0, not {text!r}",
                        file=name,
                        line=line,
                        field=item.value,
                    )
                concentrations[item] = value
            cases.append(
                AqiCase(
                    id=(row["id"] or "").strip(),
                    report=Report(averaging),
                    concentrations=concentrations,
                    line=line,
                )
            )
    return cases


def case_result(case: AqiCase, edition: Edition) -> AqiResult:
    # Fraction(Decimal) is exact: the same rational the standards make of the Decimal itself.
    return aqi_record(
        {item: Fraction(value) for item, value in case.concentrations.items()}, edition, case.report
    )


def result_json(case_id: str, result: AqiResult) -> dict[str, Any]:
    """The object ``ecowatch air aqi --json`` prints for one case."""
    return {
        "id": case_id,
        "aqi": result.aqi,
        "level": result.level.number if result.level else None,
        "category_en": result.level.category_en if result.level else None,
        "category_zh": result.level.category_zh if result.level else None,
        "colour": result.level.colour_hex if result.level else None,
        "primary_pollutants": [item.value for item in result.primary_pollutants],
        "exceeding_pollutants": (
            None
            if result.exceeding_pollutants is None
            else [item.value for item in result.exceeding_pollutants]
        ),
        "iaqi": {item.value: value for item, value in result.iaqi.items()},
        "missing": [item.value for item in result.missing],
        "standard": result.edition.value,
    }
