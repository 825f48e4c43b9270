"""Ranking by the comprehensive index and by its change on the same period a year before."""

import datetime as dt
from decimal import Decimal

import numpy as np

from ecowatch.assessment.air import assess_cube
from ecowatch.assessment.cube import POLLUTANT_INDEX, HourlyCube, Site
from ecowatch.assessment.ranking import rank_sites, same_period_a_year_before
from ecowatch.standards import Edition, Pollutant

FIRST = dt.date(2015, 1, 1)
DAYS = (dt.date(2016, 12, 31) - FIRST).days + 1
# Every statistic equal to its grade-II limit gives single indices of 1: index 6.00.
AT_LIMIT = {
    Pollutant.SO2: 60,
    Pollutant.NO2: 40,
    Pollutant.PM10: 70,
    Pollutant.PM2_5: 35,
    Pollutant.CO: 4,
    Pollutant.O3: 160,
}


def cube_with(pm25_by_station_and_year: dict[str, tuple[float, float]]) -> HourlyCube:
    codes = list(pm25_by_station_and_year)
    values = np.empty((len(codes), 6, DAYS, 24))
    for pollutant, value in AT_LIMIT.items():
        values[:, POLLUTANT_INDEX[pollutant]] = value
    first_2016 = (dt.date(2016, 1, 1) - FIRST).days
    for i, (pm_2015, pm_2016) in enumerate(pm25_by_station_and_year.values()):
        values[i, POLLUTANT_INDEX[Pollutant.PM2_5], :first_2016] = pm_2015
        values[i, POLLUTANT_INDEX[Pollutant.PM2_5], first_2016:] = pm_2016
    sites = tuple(Site(code, code, "station", "X", category="urban") for code in codes)
    return HourlyCube(sites=sites, first_day=FIRST, values=values)


def test_index_ranks_share_ties_and_change_rates_compare_with_a_year_before():
    # 2016 PM2.5: S1 35 (index 6.00), S2 70 (index 7.00: PM2.5 70/35 = 2), S3 35 (6.00).
    # 2015 PM2.5: S1 70 (7.00), S2 70 (7.00), S3 35 (6.00).
    cube = cube_with({"S1": (70, 35), "S2": (70, 70), "S3": (35, 35)})
    assessment = assess_cube(cube, {"X": ("S1", "S2", "S3")}, edition=Edition.E2012)
    rows = {
        row.site: row
        for row in rank_sites(assessment, dt.date(2016, 1, 1), dt.date(2016, 12, 31), kind="station")
    }
    assert {s: (r.index, r.index_rank) for s, r in rows.items()} == {
        "S1": (Decimal("6.00"), 1),
        "S2": (Decimal("7.00"), 3),
        "S3": (Decimal("6.00"), 1),
    }
    # (6.00 − 7.00) / 7.00 = −14.2857 % → −14.3; the unchanged stations 0.0 share rank 2.
    assert {s: (r.change_pct, r.change_rank) for s, r in rows.items()} == {
        "S1": (Decimal("-14.3"), 1),
        "S2": (Decimal("0.0"), 2),
        "S3": (Decimal("0.0"), 2),
    }
    assert rows["S1"].previous_index == Decimal("7.00")
    # The city (mean of the three stations) is ranked separately.
    city = rank_sites(assessment, dt.date(2016, 1, 1), dt.date(2016, 12, 31), kind="city")
    assert [(row.site, row.pm2_5) for row in city] == [("X", 47)]  # (35 + 70 + 35) / 3 = 46.67


def test_without_the_year_before_there_is_no_change_rate():
    cube = cube_with({"S1": (35, 35)})
    assessment = assess_cube(cube, {"X": ("S1",)}, edition=Edition.E2012)
    [row] = rank_sites(assessment, dt.date(2015, 1, 1), dt.date(2015, 12, 31), kind="station")
    assert (row.index, row.change_pct, row.change_rank) == (Decimal("6.00"), None, None)


def test_same_period_a_year_before_handles_29_february():
    assert same_period_a_year_before(dt.date(2016, 2, 1), dt.date(2016, 2, 29)) == (
        dt.date(2015, 2, 1),
        dt.date(2015, 2, 28),
    )


def test_rank_command_on_beijing_stations():
    import json
    from pathlib import Path

    import pytest
    from typer.testing import CliRunner

    from ecowatch.cli import app

    prsa = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "beijing-prsa"
    if not prsa.is_dir():
        pytest.skip(f"{prsa} not found")
    result = CliRunner().invoke(
        app,
        [
            "air",
            "rank",
            str(prsa),
            "--format",
            "prsa",
            "--from",
            "2016-01-01",
            "--to",
            "2016-12-31",
            "--by",
            "station",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 12
    indices = [row["index"] for row in rows]
    assert indices == sorted(indices)
    for row in rows:
        # Competition ranking: 1 + the number of stations with a smaller index.
        assert row["index_rank"] == 1 + sum(other < row["index"] for other in indices)
        expected = round((row["index"] - row["previous_index"]) / row["previous_index"] * 100, 1)
        assert abs(row["change_pct"] - expected) <= 0.05 + 1e-9
