"""Issue 13, "City days from hourly city means": a city's day is the mean of its stations' days.

On 2016-05-06 three of Beijing's assessment stations were down 00–03 h during a dust spike. Averaged
hour by hour, the city's PM10 came out 178 (AQI 115); formed from each station's day it is 136 (AQI
93). docs/decisions.md row 12. The expected values are recomputed here from the raw PRSA files with
the csv module, independently of ``src/``.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from pathlib import Path
from statistics import mean

import pytest
from typer.testing import CliRunner

from ecowatch.cli import app

PRSA = Path(__file__).resolve().parents[2] / "data" / "demo" / "beijing-prsa"

pytestmark = pytest.mark.skipif(not PRSA.is_dir(), reason=f"demo data not found at {PRSA}")


def station_hours(year: int, month: int, day: int, pollutant: str) -> dict[str, list[tuple[int, float]]]:
    """(hour, value) of ``pollutant`` per assessment station (Dingling, the control point, left out)."""
    result: dict[str, list[tuple[int, float]]] = {}
    for path in sorted(PRSA.glob("PRSA_Data_*.csv.gz")):
        station = re.match(r"PRSA_Data_(\w+?)_\d", path.name).group(1)
        if station == "Dingling":
            continue
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if (int(row["year"]), int(row["month"]), int(row["day"])) == (year, month, day) and row[
                    pollutant
                ] != "NA":
                    result.setdefault(station, []).append((int(row["hour"]), float(row[pollutant])))
    return result


def city_row(day: str) -> dict[str, str]:
    result = CliRunner().invoke(
        app, ["air", "daily", str(PRSA), "--format", "prsa", "--from", day, "--to", day]
    )
    assert result.exit_code == 0, result.output
    return next(row for row in csv.DictReader(io.StringIO(result.stdout)) if row["kind"] == "city")


def test_2016_05_06_pm10_is_the_mean_of_station_days() -> None:
    hours = station_hours(2016, 5, 6, "PM10")
    station_days = [mean(v for _, v in values) for values in hours.values() if len(values) >= 20]
    by_hour: dict[int, list[float]] = {}
    for values in hours.values():
        for hour, value in values:
            by_hour.setdefault(hour, []).append(value)
    hourly_city = mean(mean(values) for values in by_hour.values())
    assert len(station_days) == 9
    assert round(mean(station_days), 1) == 135.9
    assert round(hourly_city) == 178  # what the hour-by-hour mean gave (issue 13)
    row = city_row("2016-05-06")
    assert row["PM10"] == "135.9"
    # 2012 daily AQI: PM10 135.9 → 50 + (135.9 − 50) × 50/100 = 92.95 → 93; the day is 良, not 轻度污染.
    assert (row["IAQI_PM10"], row["AQI"], row["category_zh"], row["primary_pollutants"]) == (
        "93",
        "93",
        "良",
        "PM10",
    )


def test_2014_08_29_pm25_is_the_mean_of_station_days() -> None:
    hours = station_hours(2014, 8, 29, "PM2.5")
    station_days = [mean(v for _, v in values) for values in hours.values() if len(values) >= 20]
    assert round(mean(station_days), 1) == 75.0  # 75.0458…; the hour-by-hour city mean was 75.19
    row = city_row("2014-08-29")
    assert (row["PM2.5"], row["IAQI_PM2.5"], row["AQI"], row["category_zh"]) == ("75.0", "100", "100", "良")


def test_explain_tells_how_the_city_day_was_formed() -> None:
    args = ["air", "explain", str(PRSA), "--format", "prsa", "--date", "2016-05-06", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    account = json.loads(result.stdout)
    pm10 = account["items"]["PM10"]
    # 9 of the 11 assessment stations had a valid PM10 day (>= 20 hours); their mean is the city's.
    assert (pm10["value"], pm10["formed_from"], pm10["iaqi"]) == (135.9, 9, 93)
    assert "mean of its stations' valid days" in account["rules"]["daily_mean"]
