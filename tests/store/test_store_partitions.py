"""Monthly partitions of ``measurement`` on PostgreSQL (and their absence on SQLite)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, text

from ecowatch.shapes.stations import StationRegistry
from ecowatch.store import ensure_month_partitions, sites_from_registry, write_measurements
from ecowatch.store.models import Measurement
from ecowatch.store.partitions import month_partition_name, months


def placement(session) -> dict[str, list[str]]:
    """Partition -> the UTC times (ISO) of the rows it holds."""
    rows = session.execute(
        text(
            "SELECT tableoid::regclass::text, to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') "
            "FROM measurement ORDER BY 1, 2"
        )
    ).all()
    out: dict[str, list[str]] = {}
    for partition, time in rows:
        out.setdefault(partition, []).append(time)
    return out


def partitions(session) -> list[str]:
    return session.scalars(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'measurement'::regclass ORDER BY 1"
        )
    ).all()


def test_rows_land_in_the_partition_of_their_utc_month(pg_session, make_frame):
    sites_from_registry(session=pg_session, registry=StationRegistry.default(), actor="t")
    data = make_frame(
        [
            ("1003A", "2016-01-01 07:00", "SO2", 1.0, None),  # 2015-12-31 23:00Z
            ("1003A", "2016-01-01 08:00", "SO2", 2.0, None),  # 2016-01-01 00:00Z
            ("1003A", "2016-02-01 07:00", "SO2", 3.0, None),  # 2016-01-31 23:00Z
            ("1003A", "2016-02-01 08:00", "SO2", 4.0, None),  # 2016-02-01 00:00Z
        ]
    )
    write_measurements(session=pg_session, frame=data, source="test", actor="t")
    pg_session.commit()
    assert placement(pg_session) == {
        "measurement_y2015m12": ["2015-12-31 23:00"],
        "measurement_y2016m01": ["2016-01-01 00:00", "2016-01-31 23:00"],
        "measurement_y2016m02": ["2016-02-01 00:00"],
    }
    assert partitions(pg_session) == [
        "measurement_default",
        "measurement_y2015m12",
        "measurement_y2016m01",
        "measurement_y2016m02",
    ]


def test_a_row_outside_the_months_created_lands_in_the_default_partition_and_moves_later(pg_session):
    sites = sites_from_registry(session=pg_session, registry=StationRegistry.default(), actor="t")
    ensure_month_partitions(pg_session, dt.date(2016, 1, 1), dt.date(2016, 1, 31))
    pg_session.execute(
        insert(Measurement),
        [
            {
                "site_id": sites["1003A"].id,
                "interval": "1h",
                "time": time,
                "pollutant": "SO2",
                "value": 1.0,
                "source": "test",
            }
            for time in (dt.datetime(2016, 1, 15, tzinfo=dt.UTC), dt.datetime(2030, 6, 1, tzinfo=dt.UTC))
        ],
    )
    pg_session.commit()
    assert placement(pg_session) == {
        "measurement_default": ["2030-06-01 00:00"],
        "measurement_y2016m01": ["2016-01-15 00:00"],
    }
    # Creating June 2030 later moves the row out of the default partition.
    assert ensure_month_partitions(pg_session, dt.date(2030, 6, 1), dt.date(2030, 6, 30)) == [
        "measurement_y2030m06"
    ]
    pg_session.commit()
    assert placement(pg_session) == {
        "measurement_y2016m01": ["2016-01-15 00:00"],
        "measurement_y2030m06": ["2030-06-01 00:00"],
    }
    # Idempotent.
    first, last = dt.date(2016, 1, 1), dt.date(2016, 3, 31)
    assert ensure_month_partitions(pg_session, first, last) == [
        "measurement_y2016m02",
        "measurement_y2016m03",
    ]
    assert ensure_month_partitions(pg_session, first, last) == []
    pg_session.commit()
    assert partitions(pg_session) == [
        "measurement_default",
        "measurement_y2016m01",
        "measurement_y2016m02",
        "measurement_y2016m03",
        "measurement_y2030m06",
    ]


def test_sqlite_has_no_partitions(tmp_path):
    from ecowatch.store import make_engine, migrate, session_factory

    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    migrate.upgrade(engine)
    with session_factory(engine)() as session:
        assert ensure_month_partitions(session, dt.date(2016, 1, 1), dt.date(2016, 12, 31)) == []
    engine.dispose()


def test_partition_names():
    assert month_partition_name(dt.date(2016, 12, 31)) == "measurement_y2016m12"
    assert months(dt.date(2016, 12, 31), dt.date(2016, 12, 1)) == [dt.date(2016, 12, 1)]
    assert months(dt.date(2017, 1, 5), dt.date(2016, 12, 31)) == []


def test_a_bulk_load_attaches_empty_months_and_upserts_a_month_whose_rows_sit_in_the_default(
    pg_session, make_frame
):
    sites = sites_from_registry(session=pg_session, registry=StationRegistry.default(), actor="t")
    # No partition yet: a row of January 2016 (UTC) lands in the default partition.
    pg_session.execute(
        insert(Measurement).values(
            site_id=sites["1004A"].id,
            interval="1h",
            time=dt.datetime(2016, 1, 20, tzinfo=dt.UTC),
            pollutant="SO2",
            value=2.0,
            source="test",
        )
    )
    pg_session.commit()
    assert placement(pg_session) == {"measurement_default": ["2016-01-20 00:00"]}
    # Beijing 2016-01-01 00:00 and 2016-03-01 12:00 are 2015-12-31 16:00Z and 2016-03-01 04:00Z.
    frame = make_frame(
        [
            ("1003A", "2016-01-01 00:00", "SO2", 1.0, None),
            ("1003A", "2016-01-10 08:00", "SO2", 3.0, None),
            ("1003A", "2016-03-01 12:00", "SO2", 4.0, None),
        ]
    )
    written = write_measurements(
        session=pg_session, frame=frame, source="test", actor="t", sites=sites, bulk=True
    )
    assert written == 3
    pg_session.commit()
    # December and March were empty: attached whole. January held a row: created (the row moved), upserted.
    assert placement(pg_session) == {
        "measurement_y2015m12": ["2015-12-31 16:00"],
        "measurement_y2016m01": ["2016-01-10 00:00", "2016-01-20 00:00"],
        "measurement_y2016m03": ["2016-03-01 04:00"],
    }
    assert partitions(pg_session) == [
        "measurement_default",
        "measurement_y2015m12",
        "measurement_y2016m01",
        "measurement_y2016m03",
    ]
