"""The scheduler's jobs (ecowatch.jobs) on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select, update

from ecowatch.jobs import DAILY_FIGURE_KIND, build_blocks, compute_daily_figures, ensure_partitions_ahead
from ecowatch.loading import load_files
from ecowatch.store import session_factory
from ecowatch.store.blocks import BlocksBuilt
from ecowatch.store.models import FigureCache, Measurement, Site

DEMO_PRSA = Path(__file__).resolve().parents[2] / "data" / "demo" / "beijing-prsa"
DAY = dt.date(2016, 3, 5)


#: 2016-03-05 (a dust day) worked out by hand from the PRSA hourly files, not by ecowatch: 24-h means of
#: the 24 hours, O3 max of the 17 8-h windows inside the day, concentrations to 0.1 (CO 0.01) and the
#: IAQI of HJ 633-2012 Table 1 rounded up. (code, PM10 mean, IAQI of PM10, AQI, level, primary)
HAND_WORKED_2016_03_05 = [
    ("1003A", 356.2, 209, 209, 5, "PM10"),  # 东四 Dongsi: PM2.5 59.3 -> 81, O3 8-h 84.2 -> 43
    ("1004A", 350.4, 201, 201, 5, "PM10"),  # 天坛 Tiantan: PM2.5 66.6 -> 90
    ("1006A", 325.3, 188, 188, 4, "PM10"),  # 官园 Guanyuan: PM2.5 65.4 -> 88
]


def test_daily_figures_of_a_day_match_hand_worked_values_and_are_idempotent(engine, db_url):
    load_files(url=db_url, path=DEMO_PRSA, format="prsa", actor="test", first_day=DAY, last_day=DAY)

    done = compute_daily_figures(db_url, DAY)
    again = compute_daily_figures(db_url, DAY)

    assert done.sites == again.sites == 12
    assert done.with_aqi == 12  # every station had its 24 hours
    with session_factory(engine)() as session:
        rows = session.execute(
            select(Site.code, FigureCache.payload, FigureCache.standard)
            .join(Site, Site.id == FigureCache.site_id)
            .where(FigureCache.kind == DAILY_FIGURE_KIND)
        ).all()
    assert len(rows) == 12  # once per site, however often the job ran
    assert {standard for _, _, standard in rows} == {"2012"}
    stored = {code: payload for code, payload, _ in rows}
    for code, pm10, iaqi_pm10, aqi, level, primary in HAND_WORKED_2016_03_05:
        payload = stored[code]
        assert (
            payload["date"],
            payload["PM10"],
            payload["IAQI_PM10"],
            payload["AQI"],
            payload["level"],
            payload["primary_pollutants"],
        ) == (DAY.isoformat(), pm10, iaqi_pm10, aqi, level, primary)


def test_daily_figures_of_an_empty_day(engine, db_url):
    done = compute_daily_figures(db_url, dt.date(2026, 11, 22))
    assert (done.sites, done.with_aqi) == (0, 0)


def test_partitions_ahead(engine, db_url):
    created = ensure_partitions_ahead(db_url, dt.date(2026, 11, 23))
    if db_url.startswith("sqlite"):
        assert created == []
    else:
        assert created == ["measurement_y2026m11", "measurement_y2026m12", "measurement_y2027m01"]
        assert ensure_partitions_ahead(db_url, dt.date(2026, 11, 23)) == []


@pytest.mark.parametrize(
    "now, day",
    [
        (dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC), dt.date(2026, 11, 23)),
        (dt.datetime(2026, 11, 23, 15, 59, tzinfo=dt.UTC), dt.date(2026, 11, 22)),
    ],
)
def test_previous_beijing_day(now, day):
    from ecowatch.jobs import previous_beijing_day

    assert previous_beijing_day(now) == day


def test_the_blocks_job_builds_what_changed_since_the_last_run(engine, db_url):
    load_files(url=db_url, path=DEMO_PRSA, format="prsa", actor="test", first_day=DAY, last_day=DAY)
    assert build_blocks(db_url) == BlocksBuilt(months=0, not_fitting=0, skipped=0)  # the load built them
    with session_factory(engine).begin() as session:
        session.execute(
            update(Measurement).where(Measurement.pollutant == "SO2").values(value=Measurement.value + 1)
        )
    # Beijing 2016-03-05 is 2016-03-04 16:00Z .. 2016-03-05 16:00Z: March (UTC) of the 12 stations.
    assert build_blocks(db_url) == BlocksBuilt(months=12, not_fitting=0, skipped=0)
    assert build_blocks(db_url) == BlocksBuilt(months=0, not_fitting=0, skipped=0)
