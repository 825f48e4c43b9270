"""The demo's station registry: 35 stations with English names, each in its district (issue 13).

A district user (``chaoyang``, county 110105) must see Beijing's stations of 朝阳区 — 农展馆 (1005A)
and 奥体中心 (1011A) — which used to hang on the city 110100, so that ``/air/aqi/now`` was empty,
``/air/assessment`` 403 and ``/air/daily?city=110105`` 422.  The store here is loaded from two
days of the demo's own PRSA files (data/demo/beijing-prsa), through the same loader as ``ecowatch demo``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ecowatch.loading import load_files
from ecowatch.shapes.stations import StationRegistry
from ecowatch.store import make_engine, migrate, session_factory
from ecowatch.store.models import Region, Site
from ecowatch.store.sites import station_of
from ecowatch.store.users import create_user
from ecowatch.web.app import create_app

DEMO_PRSA = Path(__file__).resolve().parents[2] / "data" / "demo" / "beijing-prsa"
SECRET = b"ecowatch-demo-registry-test-key-32b"
#: GB/T 2260 districts of Beijing's 16 (2015 onwards: 密云区 110118, 延庆区 110119).
BEIJING_DISTRICTS = {
    "110101": "东城区",
    "110102": "西城区",
    "110105": "朝阳区",
    "110106": "丰台区",
    "110107": "石景山区",
    "110108": "海淀区",
    "110109": "门头沟区",
    "110111": "房山区",
    "110112": "通州区",
    "110113": "顺义区",
    "110114": "昌平区",
    "110115": "大兴区",
    "110116": "怀柔区",
    "110117": "平谷区",
    "110118": "密云区",
    "110119": "延庆区",
}
#: The stations of 朝阳区: the two national-control stations and the 东四环北路 traffic point.
CHAOYANG_STATIONS = {"1005A", "1011A", "BJ-东四环"}


def test_every_registry_station_has_an_english_name_and_a_beijing_district():
    stations = list(StationRegistry.default())
    assert len(stations) == 35
    assert [s.code for s in stations if not s.name_en] == []
    assert {s.county_code: s.county for s in stations} == BEIJING_DISTRICTS  # all 16 districts appear
    assert {s.code for s in stations if s.county_code == "110105"} == CHAOYANG_STATIONS
    registry = StationRegistry.default()
    assert (registry.resolve("Beibuxinqu").code, registry.resolve("Dongsihuan").code) == (
        "BJ-北部新区",
        "BJ-东四环",
    )
    assert registry.resolve("Dingling").county_code == "110114"  # 昌平定陵


@pytest.fixture
def demo_store(db_url) -> Iterator[str]:
    """The registry and two days (2017-02-27/28) of the demo's PRSA data, and a 朝阳区 user."""
    migrate.upgrade(db_url)
    load_files(
        url=db_url,
        path=DEMO_PRSA,
        format="prsa",
        actor="test",
        first_day=dt.date(2017, 2, 27),
        last_day=dt.date(2017, 2, 28),
    )
    engine = make_engine(db_url)
    try:
        with session_factory(engine).begin() as session:
            create_user(
                session=session,
                username="chaoyang",
                password="pw-chaoyang",
                role="county",
                region_code="110105",
                actor="test",
            )
    finally:
        engine.dispose()
    yield db_url


def test_the_stations_are_stored_in_their_districts_under_the_city(demo_store):
    engine = make_engine(demo_store)
    try:
        with session_factory(engine)() as session:
            sites = {site.code: site for site in session.scalars(select(Site))}
            assert len(sites) == 35
            for code in ("1005A", "1011A"):
                region = sites[code].region
                assert (region.code, region.name, region.level, region.parent.code) == (
                    "110105",
                    "朝阳区",
                    "county",
                    "110100",
                )
                # The registry's city code survives the round trip through the district.
                assert (station_of(sites[code]).city_code, station_of(sites[code]).county_code) == (
                    "110000",
                    "110105",
                )
            assert sites["BJ-北部新区"].name_en == "Beibuxinqu"
            # The store holds every national division (migration 0010): the stations use all 16 districts
            # of 110100, which are every county under it, with their official names.
            used = {site.region.code for site in sites.values() if site.region.level == "county"}
            city = session.scalars(select(Region).where(Region.code == "110100")).one()
            assert used == set(BEIJING_DISTRICTS)
            assert {c.code: c.name for c in city.children} == BEIJING_DISTRICTS
    finally:
        engine.dispose()


def test_a_district_user_sees_the_air_of_the_district(demo_store):
    with TestClient(create_app(demo_store, secret_key=SECRET)) as client:
        token = client.post("/api/v1/auth/token", json={"username": "chaoyang", "password": "pw-chaoyang"})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        now = client.get("/api/v1/air/aqi/now", headers=headers)
        assert now.status_code == 200
        stations = {row["code"]: row for row in now.json()["stations"]}
        assert set(stations) == CHAOYANG_STATIONS
        # PRSA ends 2017-02-28 23:00 (Beijing): both national stations report then; 东四环 has no data.
        assert stations["1005A"]["time"] == stations["1011A"]["time"] == "2017-02-28T23:00:00+08:00"
        assert stations["BJ-东四环"]["time"] is None and stations["BJ-东四环"]["aqi"] is None

        assessment = client.get("/api/v1/air/assessment?from=2017-02-28&to=2017-02-28", headers=headers)
        assert assessment.status_code == 200, assessment.text
        assert "1005A" in assessment.text and "1011A" in assessment.text

        daily = client.get("/api/v1/air/daily?from=2017-02-28&to=2017-02-28&city=110105", headers=headers)
        assert daily.status_code == 200, daily.text
        assert [row["date"] for row in daily.json()["rows"]] == ["2017-02-28"]
        # Another district is out of scope for this user: answered as an unknown one.
        assert (
            client.get(
                "/api/v1/air/daily?from=2017-02-28&to=2017-02-28&city=110101", headers=headers
            ).status_code
            == 404
        )


def test_seed_demo_moves_the_stations_of_an_older_store_into_their_districts(db_url, tmp_path, monkeypatch):
    """A store seeded before the registry named districts had every station on the city 110100; seeding
    again (``ecowatch demo``) puts them in their districts without reloading any value."""
    import gzip

    from ecowatch.demo import seed_demo
    from ecowatch.store.sites import sites_from_stations

    monkeypatch.setenv("ECOWATCH_DATA_DIR", str(tmp_path))  # the demo devices' SM4 key is sealed here
    source = DEMO_PRSA / "PRSA_Data_Nongzhanguan_20130301-20170228.csv.gz"
    prsa = tmp_path / "prsa"
    prsa.mkdir()
    with gzip.open(source, "rt", encoding="utf-8") as whole:
        head = [next(whole) for _ in range(49)]  # the header and 2013-03-01/02, 48 hours
    with gzip.open(prsa / source.name, "wt", encoding="utf-8") as part:
        part.writelines(head)
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with session_factory(engine).begin() as session:  # the old placement: on the city
            old = [
                station.__class__(
                    **{
                        **{f: getattr(station, f) for f in station.__dataclass_fields__},
                        "county_code": "",
                        "county": "",
                    }
                )
                for station in StationRegistry.default()
            ]
            sites_from_stations(session=session, stations=old, actor="test")
        summary = seed_demo(db_url, prsa)
        # Every present value of the six pollutants in those 48 rows (the file writes a gap as NA).
        present = sum(cell != "NA" for line in head[1:] for cell in line.split(",")[5:11])
        assert summary.loaded_values == present > 0
        with session_factory(engine)() as session:
            placed = {
                site.code: site.region.code
                for site in session.scalars(select(Site))
                if site.kind == "air_station"
            }
        assert len(placed) == 35
        assert (placed["1005A"], placed["1011A"], placed["1003A"], placed["BJ-延庆"]) == (
            "110105",
            "110105",
            "110101",
            "110119",
        )
    finally:
        engine.dispose()
