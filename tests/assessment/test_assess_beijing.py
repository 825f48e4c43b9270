"""``ecowatch air assess`` on the real Beijing data (UCI PRSA, 12 national-control stations).

Skipped when ``../shared/data/beijing-prsa`` is not beside the repository. The PRSA set holds 12 of
the 35 stations of Beijing's municipal network, so the city figures are compared with the
officially published ones with a tolerance, while the city's PM2.5 is recomputed exactly here from
the raw files, independently of ``src/``.

Published Beijing 2015 figures (35-station network): Beijing Municipal Environmental Protection
Bureau, 2015 air-quality summary, as reported by China Radio International on 2016-01-04,
http://news.cri.cn/201614/ffdac740-63e3-345b-7c95-546d371c6d42.html (visited 2026-11-23):
"SO2 年平均浓度为 13.5 微克/立方米 … NO2 年均浓度为 50 微克/立方米 … PM10 年平均浓度为 101.5 微克/立方米 …
PM2.5 年平均浓度为 80.6 微克/立方米 … 2015 年空气质量达标天数 186 天".
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

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
PRSA = SHARED / "beijing-prsa"

pytestmark = pytest.mark.skipif(not PRSA.is_dir(), reason=f"Beijing PRSA data not found at {PRSA}")

# The 12 PRSA stations and their national codes; Dingling (定陵, 1002A) is the control point.
PRSA_CODES = {
    "Aotizhongxin": "1011A",
    "Changping": "1010A",
    "Dingling": "1002A",
    "Dongsi": "1003A",
    "Guanyuan": "1006A",
    "Gucheng": "1012A",
    "Huairou": "1009A",
    "Nongzhanguan": "1005A",
    "Shunyi": "1008A",
    "Tiantan": "1004A",
    "Wanliu": "1007A",
    "Wanshouxigong": "1001A",
}
ASSESSMENT = {code for name, code in PRSA_CODES.items() if name != "Dingling"}

PUBLISHED_2015 = {"PM2.5": 80.6, "PM10": 101.5, "SO2": 13.5, "NO2": 50.0}
GOOD_DAYS_2015 = 186


def run_assess(first: str, last: str) -> dict:
    result = CliRunner().invoke(
        app, ["air", "assess", str(PRSA), "--format", "prsa", "--from", first, "--to", last, "--json"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def year_2015() -> dict:
    return run_assess("2015-01-01", "2015-12-31")


def test_city_is_formed_from_the_11_assessment_stations(year_2015):
    assert set(year_2015["stations"]) == ASSESSMENT
    assert len(year_2015["stations"]) == 11
    assert "1002A" not in year_2015["stations"]
    assert set(year_2015["by_station"]) == set(PRSA_CODES.values())
    assert year_2015["period"]["standard"] == "2012"
    assert year_2015["period"]["limits"] == "2012"


def test_2015_city_near_the_published_figures(year_2015):
    city = year_2015["city"]
    # 11 of 35 stations: PM2.5 within 3 µg/m³ of 80.6, the others within a station-set margin.
    assert abs(city["PM2.5"]["value"] - PUBLISHED_2015["PM2.5"]) <= 3
    assert abs(city["PM10"]["value"] - PUBLISHED_2015["PM10"]) <= 8
    assert abs(city["SO2"]["value"] - PUBLISHED_2015["SO2"]) <= 3
    assert abs(city["NO2"]["value"] - PUBLISHED_2015["NO2"]) <= 5
    assert abs(city["good_days"] - GOOD_DAYS_2015) <= 10
    assert 355 <= city["valid_days"] <= 365
    assert sum(city["days_by_level"].values()) == city["valid_days"]
    assert city["good_days"] == city["days_by_level"]["1"] + city["days_by_level"]["2"]
    assert city["good_ratio_pct"] == float(
        Decimal(100 * city["good_days"] / city["valid_days"]).quantize(Decimal("0.1"), ROUND_HALF_EVEN)
    )
    # A polluted year: every annual PM figure above the 2012 grade-II limits (PM2.5 35, PM10 70).
    assert city["PM2.5"]["complies"] is False
    assert city["PM10"]["complies"] is False
    for station, figures in year_2015["by_station"].items():
        assert sum(figures["days_by_level"].values()) == figures["valid_days"], station
        assert 40 <= figures["PM2.5"]["value"] <= 120, station


def test_2015_city_pm25_recomputed_from_the_raw_files(year_2015):
    """Station day valid with >= 20 hours; city day = mean of the valid station days; year = mean of days."""
    frames = []
    for path in sorted(PRSA.glob("PRSA_Data_*_20130301-20170228.csv*")):
        station = re.match(r"PRSA_Data_(\w+?)_\d", path.name).group(1)
        if station == "Dingling":
            continue
        frames.append(
            pl.read_csv(
                path,
                columns=["year", "month", "day", "hour", "PM2.5"],
                null_values="NA",
                schema_overrides={"PM2.5": pl.Float64},
            )
            .filter(pl.col("year") == 2015)
            .with_columns(pl.lit(station).alias("station"))
        )
    assert len(frames) == 11
    station_days = (
        pl.concat(frames)
        .filter(pl.col("PM2.5").is_not_null())
        .group_by("station", "month", "day")
        .agg(pl.len().alias("hours"), pl.col("PM2.5").mean().alias("mean"))
        .filter(pl.col("hours") >= 20)
    )
    city_days = station_days.group_by("month", "day").agg(pl.col("mean").mean())
    annual = city_days["mean"].mean()
    pm = year_2015["city"]["PM2.5"]
    assert pm["days"] == city_days.height
    assert pm["value"] == int(Decimal(repr(annual)).quantize(Decimal(1), ROUND_HALF_EVEN))


def test_monthly_run():
    n_days = 31
    result = run_assess("2016-07-01", "2016-07-31")
    city = result["city"]
    assert result["period"]["days"] == n_days
    assert 0 < city["valid_days"] <= n_days
    assert sum(city["days_by_level"].values()) == city["valid_days"]
    assert city["good_days"] <= city["valid_days"]
    assert "annual_data_sufficient" not in city  # only a calendar year has it
    for figures in result["by_station"].values():
        assert figures["valid_days"] <= n_days
