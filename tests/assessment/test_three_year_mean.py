"""Issue 13: HJ 663—2026's three-year moving mean, printed by ``air assess`` where it applies.

It applies to a calendar year judged by the 2026 edition (docs/decisions.md row 18); the PRSA data
(2013-03-01 .. 2017-02-28) are put under it with ``--standard 2026``. The expected city PM2.5 is
recomputed from the raw files here (station day: >= 20 hours; city day: mean of the valid station
days; year: mean of the city days), independently of ``src/``.
"""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from ecowatch.cli import app

PRSA = Path(__file__).resolve().parents[2] / "data" / "demo" / "beijing-prsa"

pytestmark = pytest.mark.skipif(not PRSA.is_dir(), reason=f"demo data not found at {PRSA}")


def assess(first: str, last: str, *extra: str) -> dict:
    args = ["air", "assess", str(PRSA), "--format", "prsa", "--from", first, "--to", last, "--json", *extra]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def city_annual_pm25(year: int) -> float:
    frames = []
    for path in sorted(PRSA.glob("PRSA_Data_*.csv.gz")):
        station = re.match(r"PRSA_Data_(\w+?)_\d", path.name).group(1)
        if station == "Dingling":  # the control point is not in the city
            continue
        frames.append(
            pl.read_csv(
                path,
                columns=["year", "month", "day", "PM2.5"],
                null_values="NA",
                schema_overrides={"PM2.5": pl.Float64},
            )
            .filter((pl.col("year") == year) & pl.col("PM2.5").is_not_null())
            .with_columns(pl.lit(station).alias("station"))
        )
    station_days = (
        pl.concat(frames)
        .group_by("station", "month", "day")
        .agg(pl.len().alias("hours"), pl.col("PM2.5").mean())
        .filter(pl.col("hours") >= 20)
    )
    return station_days.group_by("month", "day").agg(pl.col("PM2.5").mean())["PM2.5"].mean()


def test_2016_under_2026_prints_the_2014_2016_moving_mean() -> None:
    result = assess("2016-01-01", "2016-12-31", "--standard", "2026")
    assert result["period"]["three_year_moving_mean"]["years"] == [2014, 2015, 2016]
    moving = result["city"]["three_year_moving_mean"]
    expected = (city_annual_pm25(2014) + city_annual_pm25(2015) + city_annual_pm25(2016)) / 3
    assert moving["PM2.5"]["mean"] == int(Decimal(repr(expected)).quantize(Decimal(1), ROUND_HALF_EVEN))
    assert 70 <= moving["PM2.5"]["mean"] <= 90  # a plausible Beijing level for 2014-2016
    # The period's own figures are 2016's alone.
    assert result["period"]["from"] == "2016-01-01" and result["period"]["days"] == 366
    assert result["city"]["PM2.5"]["value"] == int(
        Decimal(repr(city_annual_pm25(2016))).quantize(Decimal(1), ROUND_HALF_EVEN)
    )
    for code, figures in result["by_station"].items():
        assert set(figures["three_year_moving_mean"]) == {"PM2.5", "PM10", "SO2", "NO2", "CO", "O3"}, code
        assert "three_year_moving_mean" in figures["excluding_dust"]


def test_no_moving_mean_without_two_full_previous_years() -> None:
    # 2015 under 2026 needs 2013, whose data start on 2013-03-01: too few days for an annual figure.
    result = assess("2015-01-01", "2015-12-31", "--standard", "2026")
    assert result["city"]["three_year_moving_mean"]["PM2.5"]["mean"] is None


def test_no_moving_mean_under_2012_or_for_part_of_a_year() -> None:
    year_2012 = assess("2016-01-01", "2016-12-31")
    assert "three_year_moving_mean" not in year_2012["period"]
    assert "three_year_moving_mean" not in year_2012["city"]
    half = assess("2016-01-01", "2016-06-30", "--standard", "2026")
    assert "three_year_moving_mean" not in half["city"]
