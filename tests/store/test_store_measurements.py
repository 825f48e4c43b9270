"""Measurements in and out of the store: round trip, idempotence, versions, audit (both backends)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import DateTime, func, insert, select
from sqlalchemy.exc import IntegrityError
from store_rows import SAMPLE_ROWS

from ecowatch.shapes.stations import StationRegistry
from ecowatch.store import (
    StoreError,
    cached_figure,
    import_result_from_store,
    make_engine,
    read_measurements,
    save_figure,
    sites_from_registry,
    sites_from_stations,
    station_of,
    write_measurements,
)
from ecowatch.store.audit import entries
from ecowatch.store.measurements import SQLITE_TIME_FORMAT
from ecowatch.store.models import Measurement, Region, Site

REGISTRY = StationRegistry.default()

ROWS = SAMPLE_ROWS


@pytest.fixture
def registry_sites(session):
    sites = sites_from_registry(session=session, registry=REGISTRY, actor="tester")
    session.commit()
    return sites


def stored_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Measurement))


def versions(session) -> dict[str, int]:
    session.expire_all()
    return dict(
        session.execute(select(Site.code, Site.data_version).where(Site.data_version > 0)).tuples().all()
    )


def test_registry_becomes_regions_and_sites_and_comes_back_as_the_same_stations(session, registry_sites):
    province, city = (
        session.scalars(select(Region).where(Region.code == code)).one() for code in ("110000", "110100")
    )
    assert (province.level, province.name, province.parent) == ("province", "北京市", None)
    # The national divisions' official name (migration 0010), not the registry's 北京.
    assert (city.level, city.name, city.parent) == ("city", "北京市", province)
    assert list(registry_sites) == [s.code for s in REGISTRY]
    # Each station hangs on its district (the registry's county code), below the city.
    districts = {site.code: site.region for site in registry_sites.values()}
    assert {(d.level, d.parent) for d in districts.values()} == {("county", city)}
    assert (districts["1003A"].code, districts["1003A"].name) == ("110101", "东城区")
    assert (districts["1005A"].code, districts["1005A"].name) == ("110105", "朝阳区")  # 农展馆
    assert [station_of(site) for site in registry_sites.values()] == list(REGISTRY)
    assert station_of(registry_sites["1003A"]).aliases == REGISTRY.get("1003A").aliases
    # Again: nothing created, nothing changed, one more audit entry.
    sites_from_registry(session=session, registry=REGISTRY, actor="tester")
    session.commit()
    audit = entries(session=session, entity="site")
    assert [len(e.detail["created"]) for e in audit] == [len(REGISTRY), 0]
    assert audit[-1].detail == {"created": [], "updated": [], "unchanged": len(REGISTRY)}


def test_write_then_read_gives_back_the_input_frame_exactly(session, registry_sites, make_frame):
    data = make_frame(ROWS)
    assert write_measurements(session=session, frame=data, source="test", actor="tester") == len(ROWS)
    session.commit()
    back = read_measurements(
        session=session,
        site_codes=["1003A", "1004A"],
        first_day=dt.date(2015, 12, 31),
        last_day=dt.date(2016, 2, 1),
    )
    assert_frame_equal(back, data)
    assert back.schema == data.schema


def test_times_are_stored_in_utc_and_days_are_beijing_days(session, registry_sites, make_frame):
    write_measurements(session=session, frame=make_frame(ROWS), source="test", actor="tester")
    session.commit()
    stored = session.scalars(
        select(Measurement.time)
        .join(Site)
        .where(Site.code == "1003A", Measurement.pollutant == "PM2.5")
        .order_by(Measurement.time)
    ).all()
    as_utc = [t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC) for t in stored]
    assert as_utc == [
        dt.datetime(2015, 12, 31, 16, tzinfo=dt.UTC),
        dt.datetime(2015, 12, 31, 23, tzinfo=dt.UTC),
        dt.datetime(2016, 1, 1, 0, tzinfo=dt.UTC),
    ]
    # Beijing day 2016-01-01 = 2015-12-31 16:00Z .. 2016-01-01 16:00Z: hours 00..23 of that day only.
    day = read_measurements(
        session=session, site_codes=None, first_day=dt.date(2016, 1, 1), last_day=dt.date(2016, 1, 1)
    )
    assert day["time"].dt.date().unique().to_list() == [dt.date(2016, 1, 1)]
    assert day.height == 6


def test_invalid_values_are_stored_null_with_flag_and_reason(session, registry_sites, make_frame):
    write_measurements(session=session, frame=make_frame(ROWS), source="test", actor="tester")
    session.commit()
    rows = session.execute(
        select(Measurement.value, Measurement.flag, Measurement.note, Measurement.source).where(
            Measurement.flag.is_not(None)
        )
    ).all()
    assert sorted(rows, key=str) == sorted(
        [
            (None, "invalid", "non-numeric value 'abc'", "test"),
            (None, "invalid", "above the plausible maximum 12000 (instrument or transmission fault)", "test"),
        ],
        key=str,
    )


def test_writing_the_same_frame_again_changes_nothing(session, registry_sites, make_frame):
    data = make_frame(ROWS)
    write_measurements(session=session, frame=data, source="test", actor="tester")
    session.commit()
    assert versions(session) == {"1003A": 1, "1004A": 1}
    assert write_measurements(session=session, frame=data, source="test", actor="tester") == 0
    session.commit()
    assert stored_count(session) == len(ROWS)
    assert versions(session) == {"1003A": 1, "1004A": 1}


def test_a_changed_value_is_updated_and_bumps_only_its_site(session, registry_sites, make_frame):
    write_measurements(session=session, frame=make_frame(ROWS), source="test", actor="tester")
    session.commit()
    changed = make_frame(
        [("1004A", "2016-01-31 23:00", "PM10", 160.0, None), ("1003A", "2016-01-01 23:00", "SO2", 0.0, None)]
    )  # the second is unchanged
    assert write_measurements(session=session, frame=changed, source="test", actor="tester") == 1
    session.commit()
    assert stored_count(session) == len(ROWS)
    assert versions(session) == {"1003A": 1, "1004A": 2}
    back = read_measurements(
        session=session, site_codes=["1004A"], first_day=dt.date(2016, 1, 31), last_day=dt.date(2016, 1, 31)
    )
    assert back["value"].to_list() == [160.0]
    # A value turned invalid is a change too.
    invalid = make_frame([("1004A", "2016-01-31 23:00", "PM10", None, "negative value '-1'")])
    assert write_measurements(session=session, frame=invalid, source="test", actor="tester") == 1
    session.commit()
    assert versions(session)["1004A"] == 3


def test_one_audit_entry_per_write_call(session, registry_sites, make_frame):
    write_measurements(session=session, frame=make_frame(ROWS), source="prsa", actor="alice")
    write_measurements(session=session, frame=make_frame(ROWS), source="prsa", actor="bob")
    session.commit()
    audit = entries(session=session, entity="measurement")
    assert [(e.actor, e.action, e.entity_id) for e in audit] == [
        ("alice", "write", "prsa"),
        ("bob", "write", "prsa"),
    ]
    assert audit[0].detail["rows"] == len(ROWS)
    assert audit[0].detail["inserted_or_changed"] == len(ROWS)
    assert audit[0].detail["changed_by_site"] == {"1003A": 6, "1004A": 4}
    assert audit[0].detail["first_utc"] == "2015-12-31T15:00:00Z"
    assert audit[1].detail["inserted_or_changed"] == 0


def test_an_unknown_station_is_refused_before_anything_is_written(session, registry_sites, make_frame):
    data = make_frame([*ROWS, ("Nowhere", "2016-01-01 00:00", "SO2", 1.0, None)])
    with pytest.raises(
        StoreError, match="no site in the store for station.s. Nowhere: load the stations first"
    ):
        write_measurements(session=session, frame=data, source="test", actor="tester")
    session.rollback()
    assert stored_count(session) == 0


def test_a_value_given_twice_is_refused(session, registry_sites, make_frame):
    data = make_frame([*ROWS, ROWS[0]])
    with pytest.raises(StoreError, match="gives 1003A 2016-01-01 00:00 PM2.5 more than once"):
        write_measurements(session=session, frame=data, source="test", actor="tester")


def test_a_failed_write_leaves_no_row_behind(session, registry_sites, make_frame):
    # A site mapping pointing at a site the database does not have: the foreign key refuses the
    # second site's rows after the first site's were sent; the rollback removes them all.
    ghost = Site(code="1004A", name="ghost", kind="air_station", category="urban")
    ghost.id = 10_000
    sites = {"1003A": registry_sites["1003A"], "1004A": ghost}
    with pytest.raises(IntegrityError):
        write_measurements(
            session=session, frame=make_frame(ROWS), source="test", actor="tester", sites=sites
        )
    session.rollback()
    assert stored_count(session) == 0
    assert versions(session) == {}
    assert entries(session=session, entity="measurement") == []


def test_an_empty_frame_writes_nothing(session, registry_sites, make_frame):
    assert write_measurements(session=session, frame=make_frame([]), source="test", actor="tester") == 0
    assert len(entries(session=session, entity="measurement")) == 1


def test_hj212_flags_other_than_normal_read_back_as_invalid(session, registry_sites):
    site = registry_sites["1003A"]
    utc = dt.datetime(2016, 1, 1, 0, tzinfo=dt.UTC)  # 08:00 Beijing
    session.execute(
        insert(Measurement),
        [
            {
                "site_id": site.id,
                "interval": "1h",
                "time": utc,
                "pollutant": "SO2",
                "value": 5.0,
                "flag": "N",
                "source": "gateway",
            },
            {
                "site_id": site.id,
                "interval": "1h",
                "time": utc,
                "pollutant": "NO2",
                "value": 7.0,
                "flag": "D",
                "source": "gateway",
            },
        ],
    )
    back = read_measurements(
        session=session, site_codes=["1003A"], first_day=dt.date(2016, 1, 1), last_day=dt.date(2016, 1, 1)
    )
    assert back.rows() == [
        ("1003A", dt.datetime(2016, 1, 1, 8), "NO2", None, "data flag D"),
        ("1003A", dt.datetime(2016, 1, 1, 8), "SO2", 5.0, None),
    ]


def test_import_result_lists_stations_with_values_in_registry_order(session, registry_sites, make_frame):
    write_measurements(session=session, frame=make_frame(ROWS), source="test", actor="tester")
    session.commit()
    result = import_result_from_store(
        session=session, first_day=dt.date(2016, 1, 1), last_day=dt.date(2016, 1, 31)
    )
    assert [s.code for s in result.stations] == ["1003A", "1004A"]  # registry order
    assert result.stations == [REGISTRY.get("1003A"), REGISTRY.get("1004A")]
    assert result.issues == []
    only = import_result_from_store(
        session=session, first_day=dt.date(2016, 1, 1), last_day=dt.date(2016, 1, 31), stations=["Tiantan"]
    )
    assert [s.code for s in only.stations] == ["1004A"]
    assert set(only.measurements["station"]) == {"1004A"}
    with pytest.raises(StoreError, match="no air station 'Atlantis' in the store"):
        import_result_from_store(
            session=session,
            first_day=dt.date(2016, 1, 1),
            last_day=dt.date(2016, 1, 1),
            stations=["Atlantis"],
        )


def test_ad_hoc_stations_have_no_region_and_no_city(session, make_frame):
    station = StationRegistry.ad_hoc("my station")
    sites = sites_from_stations(session=session, stations=[station], actor="tester")
    assert sites["my station"].region is None
    write_measurements(
        session=session,
        frame=make_frame([("my station", "2016-01-01 00:00", "SO2", 3.0, None)]),
        source="long",
        actor="tester",
    )
    result = import_result_from_store(
        session=session, first_day=dt.date(2016, 1, 1), last_day=dt.date(2016, 1, 1)
    )
    assert result.stations == [station]


def test_cached_figures_are_fresh_until_the_site_data_change(session, registry_sites, make_frame):
    write_measurements(session=session, frame=make_frame(ROWS), source="test", actor="tester")
    site = registry_sites["1004A"]
    key = {
        "site": site,
        "kind": "air_daily",
        "period_start": dt.date(2016, 1, 1),
        "period_end": dt.date(2016, 1, 31),
        "standard": "2012",
    }
    assert cached_figure(session=session, **key) is None
    save_figure(session=session, payload={"PM10": 150}, actor="tester", **key)
    assert cached_figure(session=session, **key) == {"PM10": 150}
    write_measurements(session=session, frame=make_frame(ROWS), source="test", actor="tester")  # unchanged
    assert cached_figure(session=session, **key) == {"PM10": 150}
    write_measurements(
        session=session,
        frame=make_frame([("1004A", "2016-01-31 23:00", "PM10", 1.0, None)]),
        source="test",
        actor="tester",
    )
    assert cached_figure(session=session, **key) is None
    save_figure(session=session, payload={"PM10": 149}, actor="tester", **key)
    assert cached_figure(session=session, **key) == {"PM10": 149}


def test_sqlite_bulk_path_writes_time_as_sqlalchemy_does():
    dialect = make_engine("sqlite://").dialect
    moment = dt.datetime(2016, 1, 1, 16, 0, 0, 5)
    processor = DateTime(timezone=True).dialect_impl(dialect).bind_processor(dialect)
    assert processor(moment) == pl.Series([moment]).dt.strftime(SQLITE_TIME_FORMAT)[0]
