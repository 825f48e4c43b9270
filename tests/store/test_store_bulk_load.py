"""Bulk loads (``ecowatch db load``): the fast path for months that hold nothing stores what the upsert
stores, keeps the triggers' versions and builds the months' hourly blocks (both backends)."""

from __future__ import annotations

import datetime as dt

import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import IntegrityError
from store_rows import SAMPLE_ROWS

from ecowatch.assessment.air import assess_air
from ecowatch.assessment.publish import assessment_json
from ecowatch.importers import read
from ecowatch.loading import load_files
from ecowatch.shapes.measurements import POLLUTANTS
from ecowatch.shapes.stations import StationRegistry
from ecowatch.store import import_result_from_store, read_measurements, session_factory, sites_from_registry
from ecowatch.store import write_measurements as write
from ecowatch.store.blocks import BlocksBuilt, build_hourly_blocks, read_blocks
from ecowatch.store.models import Measurement, MeasurementMonth

DEC, JAN = dt.date(2015, 12, 1), dt.date(2016, 1, 1)


@pytest.fixture
def sites(session):
    sites = sites_from_registry(session=session, registry=StationRegistry.default(), actor="tester")
    session.commit()
    return sites


def month_rows(session) -> dict[tuple[str, dt.date], tuple[int, int | None, bool, int | None]]:
    session.rollback()
    codes = {site_id: code for code, site_id in _ids(session).items()}
    rows = session.execute(
        select(
            MeasurementMonth.site_id,
            MeasurementMonth.month,
            MeasurementMonth.version,
            MeasurementMonth.built_version,
            MeasurementMonth.blocked,
            MeasurementMonth.other_rows,
        )
    )
    return {
        (codes[site_id], month): (version, built, blocked, other)
        for site_id, month, version, built, blocked, other in rows
    }


def _ids(session) -> dict[str, int]:
    from ecowatch.store.models import Site

    return dict(session.execute(select(Site.code, Site.id)).tuples().all())


def read_back(session):
    session.rollback()
    return read_measurements(
        session=session,
        site_codes=["1003A", "1004A"],
        first_day=dt.date(2015, 12, 31),
        last_day=dt.date(2016, 2, 1),
        pollutants=POLLUTANTS,
    )


def test_a_bulk_load_into_empty_months_stores_the_frame_and_builds_its_blocks(
    engine, session, sites, make_frame
):
    frame = make_frame(SAMPLE_ROWS)
    assert write(session=session, frame=frame, source="test", actor="tester", sites=sites, bulk=True) == 10
    session.commit()
    assert_frame_equal(read_back(session), frame)
    # Beijing 2016-01-01 00:00 is 2015-12-31 16:00Z. Every month built at its version; January of each
    # station holds one invalid value (not in the blocks, counted apart).
    months = month_rows(session)
    assert {
        key: (built == version, blocked, other) for key, (version, built, blocked, other) in months.items()
    } == {
        ("1003A", DEC): (True, True, 0),
        ("1003A", JAN): (True, True, 1),
        ("1004A", DEC): (True, True, 0),
        ("1004A", JAN): (True, True, 1),
    }
    assert build_hourly_blocks(engine) == BlocksBuilt(
        months=0, not_fitting=0, skipped=0
    )  # nothing left stale
    ids = _ids(session)
    start, end = dt.datetime(2015, 12, 1, tzinfo=dt.UTC), dt.datetime(2016, 3, 1, tzinfo=dt.UTC)
    blocks = read_blocks(
        session.connection(), {ids["1003A"]: "1003A", ids["1004A"]: "1004A"}, start, end, POLLUTANTS
    )
    assert blocks.frame.height == 8  # the 8 valid values of SAMPLE_ROWS
    assert sorted(blocks.frame["value"].to_list()) == sorted(v for *_, v, r in SAMPLE_ROWS if r is None)


def test_a_bulk_load_again_changes_nothing_and_a_change_makes_only_its_month_stale(
    engine, session, sites, make_frame
):
    frame = make_frame(SAMPLE_ROWS)
    write(session=session, frame=frame, source="test", actor="tester", sites=sites, bulk=True)
    session.commit()
    before = month_rows(session)
    assert write(session=session, frame=frame, source="test", actor="tester", sites=sites, bulk=True) == 0
    session.commit()
    assert month_rows(session) == before
    changed = make_frame([("1004A", "2016-02-01 00:00", "PM10", 160.0, None)])  # 2016-01-31 16:00Z: January
    assert write(session=session, frame=changed, source="test", actor="tester", sites=sites, bulk=True) == 1
    session.commit()
    after = month_rows(session)
    assert {key for key in before if after[key] != before[key]} == {("1004A", JAN)}
    version, built, _, _ = after[("1004A", JAN)]
    assert version > built  # stale: the triggers saw the upsert
    assert read_back(session).filter(time=dt.datetime(2016, 2, 1))["value"].to_list() == [160.0]


def test_a_bulk_load_beside_stored_months_upserts_those_and_loads_the_new_ones(
    engine, session, sites, make_frame
):
    first = make_frame([("1003A", "2016-01-10 00:00", "SO2", 5.0, None)])
    write(session=session, frame=first, source="test", actor="tester", sites=sites)
    session.commit()
    frame = make_frame(SAMPLE_ROWS)
    assert write(session=session, frame=frame, source="test", actor="tester", sites=sites, bulk=True) == 10
    session.commit()
    back = read_back(session)
    assert back.height == 11
    assert back.filter(station="1003A", pollutant="SO2")["value"].to_list() == [0.0, 5.0]
    # Written by the upsert, so stale until the builder runs: on SQLite the site-month that held a row; on
    # PostgreSQL the whole UTC month that had a partition already (new months are attached whole).
    stale = {key for key, (version, built, _, _) in month_rows(session).items() if built != version}
    if session.get_bind().dialect.name == "sqlite":
        assert stale == {("1003A", JAN)}
    else:
        assert stale == {("1003A", JAN), ("1004A", JAN)}


def test_the_triggers_still_keep_the_versions_after_a_bulk_load(engine, session, sites, make_frame):
    write(
        session=session, frame=make_frame(SAMPLE_ROWS), source="test", actor="tester", sites=sites, bulk=True
    )
    session.commit()
    version, built, _, _ = month_rows(session)[("1003A", DEC)]
    assert built == version
    session.execute(
        update(Measurement)
        .where(Measurement.site_id == sites["1003A"].id, Measurement.time < dt.datetime(2016, 1, 1))
        .values(value=7.0)
    )
    session.commit()
    moved, still_built, _, _ = month_rows(session)[("1003A", DEC)]
    assert (moved > version, still_built) == (True, built)  # stale: the blocks no longer stand for the month


def test_a_failed_bulk_load_leaves_neither_rows_nor_a_change_of_schema(engine, session, sites, make_frame):
    def schema():
        session.rollback()
        if session.get_bind().dialect.name == "sqlite":
            return session.execute(text("SELECT type, name, sql FROM sqlite_master ORDER BY name")).all()
        return session.execute(
            text(
                "SELECT c.relname, t.tgname FROM pg_class c LEFT JOIN pg_trigger t ON t.tgrelid = c.oid "
                "AND NOT t.tgisinternal WHERE c.relnamespace = current_schema()::regnamespace ORDER BY 1, 2"
            )
        ).all()

    before = schema()
    write(
        session=session, frame=make_frame(SAMPLE_ROWS), source="test", actor="tester", sites=sites, bulk=True
    )
    session.rollback()
    assert schema() == before
    assert read_back(session).height == 0


def test_new_postgresql_months_are_attached_with_their_key_and_the_site_foreign_key(
    pg_engine, pg_session, make_frame
):
    session = pg_session
    sites = sites_from_registry(session=session, registry=StationRegistry.default(), actor="tester")
    write(
        session=session, frame=make_frame(SAMPLE_ROWS), source="test", actor="tester", sites=sites, bulk=True
    )
    session.commit()
    attached = (
        session.execute(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = to_regclass('measurement') ORDER BY 1"
            )
        )
        .scalars()
        .all()
    )
    assert attached == ["measurement_default", "measurement_y2015m12", "measurement_y2016m01"]
    row = {
        "site_id": sites["1003A"].id,
        "interval": "1h",
        "time": dt.datetime(2015, 12, 31, 16, tzinfo=dt.UTC),
        "pollutant": "PM2.5",
        "value": 1.0,
        "source": "test",
    }
    with pytest.raises(IntegrityError, match="pk"):  # the key of the partition
        session.execute(insert(Measurement).values(row))
    session.rollback()
    with pytest.raises(IntegrityError, match="fk_measurement_site_id_site"):
        session.execute(insert(Measurement).values({**row, "site_id": 99_999}))
    session.rollback()


def test_beijing_loaded_into_sqlite_and_postgresql_gives_the_same_rows_and_figures(
    tmp_path, pg_url, prsa_folder
):
    first, last = dt.date(2016, 2, 1), dt.date(2016, 3, 31)
    files = read(prsa_folder, "prsa", StationRegistry.default(), date_from=first, date_to=last)
    expected = assessment_json(assess_air(files, first, last))
    for url in (f"sqlite:///{tmp_path / 'store.db'}", pg_url):
        from ecowatch.store import make_engine, migrate

        migrate.upgrade(url)
        summary = load_files(
            url=url, path=prsa_folder, format="prsa", actor="test", first_day=first, last_day=last
        )
        assert summary.written == files.measurements.height > 100_000
        engine = make_engine(url)
        try:
            assert build_hourly_blocks(engine) == BlocksBuilt(months=0, not_fitting=0, skipped=0)
            with session_factory(engine)() as session:
                stored = import_result_from_store(session=session, first_day=first, last_day=last)
            assert_frame_equal(stored.measurements, files.measurements)
            assert assessment_json(assess_air(stored, first, last)) == expected
        finally:
            engine.dispose()
    assert expected["city"]["PM2.5"]["value"] is not None


def test_a_load_of_files_read_already_does_not_read_them_again(tmp_path, db_url, make_frame):
    from ecowatch.importers import ImportResult
    from ecowatch.store import make_engine, migrate

    migrate.upgrade(db_url)
    frame = make_frame(SAMPLE_ROWS)
    registry = StationRegistry.default()
    imported = ImportResult(
        measurements=frame, stations=[registry.get("1003A"), registry.get("1004A")], sources=["read before"]
    )
    summary = load_files(
        url=db_url, path=tmp_path / "not-there", format="long", actor="test", imported=imported
    )
    assert (summary.values, summary.written, summary.read_seconds) == (10, 10, 0)
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            assert_frame_equal(read_back(session), frame)
    finally:
        engine.dispose()
