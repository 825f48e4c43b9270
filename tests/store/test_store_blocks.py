"""Hourly blocks: the same frame as the rows, kept current by the database's triggers (both backends)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import delete, insert, select, update
from store_rows import SAMPLE_ROWS

from ecowatch.shapes.measurements import POLLUTANTS
from ecowatch.shapes.stations import StationRegistry
from ecowatch.store import read_measurements, sites_from_registry, write_measurements
from ecowatch.store.blocks import BlockRead, BlocksBuilt, build_hourly_blocks, read_blocks
from ecowatch.store.models import HourlyBlock, Measurement, MeasurementMonth

JAN, FEB, DEC = dt.date(2016, 1, 1), dt.date(2016, 2, 1), dt.date(2015, 12, 1)

# Beijing 2016-01-01 00:00 is 2015-12-31 16:00Z: the first rows are in December (UTC), the last in February.
ROWS = [
    *SAMPLE_ROWS,
    ("1003A", "2016-01-15 12:00", "O3", 80.0, None),
    ("1004A", "2016-02-29 23:00", "PM10", 152.5, None),
]


@pytest.fixture
def stored(engine, session, make_frame):
    sites = sites_from_registry(session=session, registry=StationRegistry.default(), actor="tester")
    frame = make_frame(ROWS)
    write_measurements(session=session, frame=frame, source="test", actor="tester", sites=sites)
    session.commit()
    return sites, frame


def read(session, first=dt.date(2015, 12, 31), last=dt.date(2016, 3, 1)):
    session.rollback()  # a fresh snapshot: the builder wrote in its own transactions
    return read_measurements(
        session=session, site_codes=["1003A", "1004A"], first_day=first, last_day=last, pollutants=POLLUTANTS
    )


def months(session, site_id: int) -> dict[dt.date, tuple[int, int | None, bool]]:
    session.rollback()
    rows = session.execute(
        select(
            MeasurementMonth.month,
            MeasurementMonth.version,
            MeasurementMonth.built_version,
            MeasurementMonth.blocked,
        ).where(MeasurementMonth.site_id == site_id)
    )
    return {month: (version, built, blocked) for month, version, built, blocked in rows}


def blocks_read(session, sites) -> BlockRead:
    session.rollback()
    start, end = dt.datetime(2015, 12, 1, tzinfo=dt.UTC), dt.datetime(2016, 3, 1, tzinfo=dt.UTC)
    return read_blocks(
        session.connection(), {sites[code].id: code for code in ("1003A", "1004A")}, start, end, POLLUTANTS
    )


def covered(session, sites) -> set:
    return blocks_read(session, sites).plain_months


def test_blocks_give_the_frame_the_rows_give(engine, session, stored):
    sites, frame = stored
    from_rows = read(session)
    assert_frame_equal(from_rows, frame)
    assert covered(session, sites) == set()
    done = build_hourly_blocks(engine)
    assert done == BlocksBuilt(months=5, not_fitting=0, skipped=0)  # 1003A Dec, Jan; 1004A Dec, Jan, Feb
    a, b = sites["1003A"].id, sites["1004A"].id
    assert covered(session, sites) == {(a, DEC), (a, JAN), (b, DEC), (b, JAN), (b, FEB)}
    # January holds an invalid value of each station: read from the rows; the other months need no row.
    assert blocks_read(session, sites).whole_months == {(a, DEC), (b, DEC), (b, FEB)}
    assert_frame_equal(read(session), frame)
    # Cut inside months, at Beijing days: the blocks are clipped as the rows are.
    inside = read(session, dt.date(2016, 1, 1), dt.date(2016, 1, 31))
    assert_frame_equal(
        inside,
        frame.filter((frame["time"] >= dt.datetime(2016, 1, 1)) & (frame["time"] < dt.datetime(2016, 2, 1))),
    )
    # Whole months only: the frame comes from the blocks alone, in order.
    last_hours = read(session, dt.date(2016, 2, 2), dt.date(2016, 2, 29))
    assert_frame_equal(last_hours, frame.filter(frame["time"] >= dt.datetime(2016, 2, 2)))
    # Built again: nothing is stale.
    assert build_hourly_blocks(engine) == BlocksBuilt(months=0, not_fitting=0, skipped=0)


def test_a_block_holds_the_month_hour_by_hour_and_nan_where_no_plain_value(engine, session, stored):
    sites, _ = stored
    build_hourly_blocks(engine)
    session.rollback()
    blob = session.scalar(
        select(HourlyBlock.hourly_values).where(
            HourlyBlock.site_id == sites["1004A"].id,
            HourlyBlock.month == FEB,
            HourlyBlock.pollutant == "PM10",
        )
    )
    hourly = np.frombuffer(blob, dtype="<f8")
    assert hourly.size == 29 * 24  # 2016 is a leap year
    # Beijing 2016-02-01 00:00 = 2016-01-31 16:00Z (January); Beijing 2016-02-29 23:00 = 15:00Z on the 29th.
    assert np.flatnonzero(~np.isnan(hourly)).tolist() == [28 * 24 + 15]
    assert hourly[28 * 24 + 15] == 152.5


def test_a_change_makes_only_its_month_stale_and_reads_follow_it(engine, session, stored, make_frame):
    sites, frame = stored
    build_hourly_blocks(engine)
    site = sites["1004A"].id
    before = months(session, site)
    write_measurements(
        session=session,
        frame=make_frame([("1004A", "2016-02-29 23:00", "PM10", 160.0, None)]),
        source="test",
        actor="tester",
    )
    session.commit()
    after = months(session, site)
    assert after[FEB][0] > before[FEB][0] and after[FEB][1:] == before[FEB][1:]  # version moved, blocks not
    assert {m: after[m] for m in (DEC, JAN)} == {m: before[m] for m in (DEC, JAN)}
    assert (site, FEB) not in covered(session, sites) and (site, JAN) in covered(session, sites)
    back = read(session)
    assert back.filter(back["time"] == dt.datetime(2016, 2, 29, 23))["value"].to_list() == [160.0]
    assert build_hourly_blocks(engine) == BlocksBuilt(months=1, not_fitting=0, skipped=0)
    assert_frame_equal(read(session), back)


@pytest.mark.parametrize("change", ["update", "delete", "insert"])
def test_any_writer_moves_the_version_even_plain_sql(engine, session, stored, change):
    sites, _ = stored
    build_hourly_blocks(engine)
    site = sites["1003A"].id
    version = months(session, site)[JAN][0]
    in_january = (Measurement.site_id == site, Measurement.pollutant == "O3")
    if change == "update":
        session.execute(update(Measurement).where(*in_january).values(value=81.0))
    elif change == "delete":
        session.execute(delete(Measurement).where(*in_january))
    else:
        session.execute(
            insert(Measurement).values(
                site_id=site,
                interval="1h",
                pollutant="O3",
                value=1.0,
                time=dt.datetime(2016, 1, 20, tzinfo=dt.UTC),
                source="sql",
            )
        )
    session.commit()
    assert months(session, site)[JAN][0] > version
    back = read(session)
    ozone = back.filter((back["pollutant"] == "O3") & (back["station"] == "1003A"))
    assert ozone["value"].to_list() == {"update": [81.0], "delete": [], "insert": [80.0, 1.0]}[change]


def test_other_intervals_have_no_months(engine, session, stored):
    sites, _ = stored
    site = sites["1003A"].id
    before = months(session, site)
    session.execute(
        insert(Measurement).values(
            site_id=site,
            interval="rtd",
            pollutant="SO2",
            value=1.0,
            time=dt.datetime(2016, 4, 1, 0, 0, 10, tzinfo=dt.UTC),
            source="gw",
        )
    )
    session.commit()
    assert months(session, site) == before


def test_a_month_with_a_plain_value_off_the_hour_stays_read_row_by_row(engine, session, stored):
    sites, frame = stored
    site = sites["1003A"].id
    session.execute(
        insert(Measurement).values(
            site_id=site,
            interval="1h",
            pollutant="SO2",
            value=4.5,
            time=dt.datetime(2016, 1, 10, 10, 30, tzinfo=dt.UTC),
            source="sql",
        )
    )
    session.commit()
    assert build_hourly_blocks(engine) == BlocksBuilt(months=5, not_fitting=1, skipped=0)
    assert months(session, site)[JAN][2] is False
    assert (site, JAN) not in covered(session, sites)
    back = read(session)
    assert back.height == frame.height + 1
    assert back.filter(back["time"] == dt.datetime(2016, 1, 10, 18, 30))["value"].to_list() == [4.5]


def test_values_flagged_normal_by_hj212_go_into_blocks_and_read_as_plain(engine, session, stored):
    sites, _ = stored
    site = sites["1003A"].id
    session.execute(
        insert(Measurement),
        [
            {
                "site_id": site,
                "interval": "1h",
                "pollutant": "SO2",
                "value": 6.0,
                "flag": "N",
                "source": "gw",
                "time": dt.datetime(2016, 1, 20, 2, tzinfo=dt.UTC),
            },
            {
                "site_id": site,
                "interval": "1h",
                "pollutant": "SO2",
                "value": 7.0,
                "flag": "D",
                "source": "gw",
                "time": dt.datetime(2016, 1, 20, 3, tzinfo=dt.UTC),
            },
        ],
    )
    session.commit()
    from_rows = read(session)
    build_hourly_blocks(engine)
    from_blocks = read(session)
    assert_frame_equal(from_blocks, from_rows)
    so2 = from_blocks.filter(
        (from_blocks["station"] == "1003A") & (from_blocks["time"] >= dt.datetime(2016, 1, 20))
    )
    assert so2.select("value", "invalid_reason").rows() == [(6.0, None), (None, "data flag D")]
    session.rollback()
    blob = session.scalar(
        select(HourlyBlock.hourly_values).where(
            HourlyBlock.site_id == site, HourlyBlock.month == JAN, HourlyBlock.pollutant == "SO2"
        )
    )
    assert np.frombuffer(blob, dtype="<f8")[19 * 24 + 2] == 6.0  # the N value is in the block, D is not
