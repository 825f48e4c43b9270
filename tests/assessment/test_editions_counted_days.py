"""Issue 13, "Editions mixed": the 2026 rule on incomplete days applies to 2026-edition days only.

HJ 633—2026 §5.3.1 publishes a day missing an indicator when the others put its AQI above 100, and
ecowatch counts such a day. HJ 633-2012 has no such clause, so a 2012 day missing an indicator is not
counted (docs/decisions.md row 6) unless ``--standard 2026`` puts the period under the 2026 rules.
Beijing 2014-03-01 had 15 hours of O3 at the city (O3 8-h: 10 valid windows).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecowatch.cli import app

PRSA = Path(__file__).resolve().parents[2] / "data" / "demo" / "beijing-prsa"

pytestmark = pytest.mark.skipif(not PRSA.is_dir(), reason=f"demo data not found at {PRSA}")


def run(command: str, *extra: str) -> str:
    args = [
        "air",
        command,
        str(PRSA),
        "--format",
        "prsa",
        "--from",
        "2014-03-01",
        "--to",
        "2014-03-01",
        *extra,
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.stdout


def city_row(*extra: str) -> dict[str, str]:
    return next(row for row in csv.DictReader(io.StringIO(run("daily", *extra))) if row["kind"] == "city")


def test_2014_03_01_missing_o3_does_not_count_under_2012() -> None:
    row = city_row()
    assert row["edition"] == "2012"
    assert (row["O3_8h"], row["O3_1h"]) == ("", "")  # 10 windows, 15 hours: both invalid
    # 2012 prints the maximum over the indicators present (PM2.5 75.4 -> 100.5 -> 101) ...
    assert (row["AQI"], row["category_zh"]) == ("101", "轻度污染")
    # ... but the day is not one of the period's counted days.
    assert row["counted"] == "false"
    city = json.loads(run("assess", "--json"))["city"]
    assert city["valid_days"] == 0
    assert city["days_by_level"]["3"] == 0


def test_2014_03_01_counts_when_standard_2026_is_forced() -> None:
    row = city_row("--standard", "2026")
    assert row["edition"] == "2026"
    # 2026: PM2.5 75.4 -> 75 (GB/T 8170) -> 100 + 15 x 50/55 = 113.6 -> 114 > 100, published and counted.
    assert (row["PM2.5"], row["IAQI_PM2.5"], row["AQI"], row["counted"]) == ("75", "114", "114", "true")
    city = json.loads(run("assess", "--json", "--standard", "2026"))["city"]
    assert city["valid_days"] == 1
    assert city["days_by_level"]["3"] == 1
