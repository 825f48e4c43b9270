"""Issue 13, "Rows that contradict themselves": a daily row's IAQI follows from its printed concentration.

``ecowatch air daily`` once printed Beijing on 2014-08-29 as PM2.5 75 beside IAQI 101: the IAQI came
from the unrounded mean (75.19) and the row from the rounded one. Under HJ 633-2012 ecowatch now
takes the concentration at 0.1 µg/m³ (CO 0.01 mg/m³) into the IAQI, as Beijing's 2014–2015 releases
show their publisher did (docs/decisions.md row 2), and prints it at that precision. Every row of the
named days is re-checked here with HJ 633-2012 表1 written out again, independently of ``src/``.

Data: the CC BY 4.0 UCI PRSA copy in ``data/demo/beijing-prsa`` (see its PROVENANCE.md).
"""

from __future__ import annotations

import csv
import io
import math
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecowatch.cli import app

PRSA = Path(__file__).resolve().parents[2] / "data" / "demo" / "beijing-prsa"

pytestmark = pytest.mark.skipif(not PRSA.is_dir(), reason=f"demo data not found at {PRSA}")

AXIS = (0, 50, 100, 150, 200, 300, 400, 500)
# HJ 633-2012 表1, the daily report's columns (shared/reference/standards.md Part 2 §1.1).
HJ633_2012_DAILY = {
    "PM2.5": (0, 35, 75, 115, 150, 250, 350, 500),
    "PM10": (0, 50, 150, 250, 350, 420, 500, 600),
    "SO2": (0, 50, 150, 475, 800, 1600, 2100, 2620),
    "NO2": (0, 40, 80, 180, 280, 565, 750, 940),
    "CO": (0, 2, 4, 14, 24, 36, 48, 60),
    "O3_8h": (0, 100, 160, 215, 265, 800),
    "O3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
}
ASSESSMENT_AND_DINGLING = "1001A,1003A,1004A,1005A,1006A,1007A,1008A,1009A,1010A,1011A,1012A,1002A"


def hand_iaqi(printed: str, item: str) -> int:
    """式(1) on the printed decimal string, rounded up; 500 above the table (O3 8-h is not reached)."""
    value = Fraction(printed)
    breakpoints = HJ633_2012_DAILY[item]
    if value > breakpoints[-1]:
        return 500
    upper = next(i for i, bp in enumerate(breakpoints) if value <= bp)
    if upper == 0:
        return 0
    lo, hi = breakpoints[upper - 1], breakpoints[upper]
    return math.ceil(Fraction(AXIS[upper] - AXIS[upper - 1], hi - lo) * (value - lo) + AXIS[upper - 1])


def daily_rows(day: str, stations: str | None = None) -> list[dict[str, str]]:
    args = ["air", "daily", str(PRSA), "--format", "prsa", "--from", day, "--to", day]
    result = CliRunner().invoke(app, [*args, *(["--stations", stations] if stations else [])])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


NAMED_DAYS = [("2014-08-29", None), ("2014-03-01", None), ("2014-10-04", ASSESSMENT_AND_DINGLING)]


@pytest.mark.parametrize(("day", "stations"), NAMED_DAYS)
def test_printed_iaqi_follows_from_printed_concentration(day: str, stations: str | None) -> None:
    rows = daily_rows(day, stations)
    assert len(rows) == 13  # 12 stations and the city
    checked = 0
    for row in rows:
        assert row["edition"] == "2012"
        for item in HJ633_2012_DAILY:
            if row[item] and row[f"IAQI_{item}"]:
                assert int(row[f"IAQI_{item}"]) == hand_iaqi(row[item], item), (row["site"], item, row[item])
                checked += 1
        iaqis = [int(row[f"IAQI_{item}"]) for item in HJ633_2012_DAILY if row[f"IAQI_{item}"]]
        if row["AQI"]:
            assert int(row["AQI"]) == max(iaqis), row["site"]
    assert checked >= 12 * 5


def test_concentrations_are_printed_at_the_precision_the_index_takes() -> None:
    """2012 rows: one decimal (CO two), the precision of HJ 633-2012's input in Beijing's practice."""
    places = {item: 1 for item in HJ633_2012_DAILY} | {"CO": 2}
    seen = set()
    for row in daily_rows("2014-08-29"):
        for item, most in places.items():
            digits = row[item].partition(".")[2]
            assert len(digits) <= most, (row["site"], item, row[item])
            if digits.strip("0"):
                seen.add(len(digits))
    assert seen == {1, 2}  # tenths are printed (CO hundredths), not cut to integers
