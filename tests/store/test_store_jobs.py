"""The scheduler's jobs (ecowatch.jobs) on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select, update

from ecowatch.assessment.air import assess_air
from ecowatch.assessment.publish import daily_table
from ecowatch.importers import read
from ecowatch.jobs import DAILY_FIGURE_KIND, build_blocks, compute_daily_figures, ensure_partitions_ahead
from ecowatch.loading import load_files
from ecowatch.store import session_factory
from ecowatch.store.blocks import BlocksBuilt
from ecowatch.store.models import FigureCache, Measurement, Site

DEMO_PRSA = Path(__file__).resolve().parents[2] / "data" / "demo" / "beijing-prsa"
DAY = dt.date(2016, 3, 5)


def test_daily_figures_are_the_files_daily_table_and_idempotent(engine, db_url):
    load_files(url=db_url, path=DEMO_PRSA, format="prsa", actor="test", first_day=DAY, last_day=DAY)

    done = compute_daily_figures(db_url, DAY)
    again = compute_daily_figures(db_url, DAY)

    expected = {row["site"]: row for row in daily_table(assess_air(read(DEMO_PRSA, "prsa", date_from=DAY,
                                                                         date_to=DAY), DAY, DAY)).iter_rows(named=True)}
    assert done.sites == again.sites == 12
    assert done.with_aqi == sum(1 for code, row in expected.items() if row["kind"] == "station" and row["AQI"] is not None)
    with session_factory(engine)() as session:
        rows = session.execute(select(Site.code, FigureCache.payload, FigureCache.standard)
                               .join(Site, Site.id == FigureCache.site_id)
                               .where(FigureCache.kind == DAILY_FIGURE_KIND)).all()
    assert len(rows) == 12
    for code, payload, standard in rows:
        assert standard == "2012"
        assert payload == {**expected[code], "date": DAY.isoformat()}


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


@pytest.mark.parametrize("now, day", [
    (dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC), dt.date(2026, 11, 23)),
    (dt.datetime(2026, 11, 23, 15, 59, tzinfo=dt.UTC), dt.date(2026, 11, 22)),
])
def test_previous_beijing_day(now, day):
    from ecowatch.jobs import previous_beijing_day

    assert previous_beijing_day(now) == day


def test_the_blocks_job_builds_what_changed_since_the_last_run(engine, db_url):
    load_files(url=db_url, path=DEMO_PRSA, format="prsa", actor="test", first_day=DAY, last_day=DAY)
    assert build_blocks(db_url) == BlocksBuilt(months=0, not_fitting=0, skipped=0)  # the load built them
    with session_factory(engine).begin() as session:
        session.execute(update(Measurement).where(Measurement.pollutant == "SO2").values(value=Measurement.value + 1))
    # Beijing 2016-03-05 is 2016-03-04 16:00Z .. 2016-03-05 16:00Z: March (UTC) of the 12 stations.
    assert build_blocks(db_url) == BlocksBuilt(months=12, not_fitting=0, skipped=0)
    assert build_blocks(db_url) == BlocksBuilt(months=0, not_fitting=0, skipped=0)
