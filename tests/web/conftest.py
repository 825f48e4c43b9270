"""Fixtures of the web tests: a migrated store with regions, sites, users and measurements; the app.

Every fixture that touches the database runs on SQLite and, when ``ECOWATCH_TEST_POSTGRES_URL`` is
set, on PostgreSQL (a schema of its own, dropped afterwards), as ``tests/store/conftest.py`` does.

The store (:func:`build_store`)::

    110000 北京市 (province)                      130000 河北省
    └── 110100 北京 (city)      site BJ-A0         └── 130100 石家庄 (city)
        ├── 110105 朝阳区        BJ-CY-A1 (air), BJ-CY-W1 (water), BJ-CY-O1 (outlet of ENT_CY)
        └── 110108 海淀区        BJ-HD-A1 (air), BJ-HD-O1 (outlet of ENT_HD)
                                                      └── 130102 长安区  SJZ-A1 (air)

Air stations have hourly values of the six pollutants for Beijing days 2016-01-01..03 (SJZ-A1
stops at 2016-01-03 20:00); the outlets and the water section have a few values.  Users (password
``pw-<name>-2016``): admin, bj (province 110000), bjcity (city 110100), chaoyang (county 110105),
hebei (province 130000), ent_cy (enterprise ENT_CY).

``fresh_store_url`` is a new copy for tests that write; the others share one store per backend.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import polars as pl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from backends import BACKENDS, schema_url
from ecowatch.importers import MEASUREMENT_SCHEMA
from ecowatch.store import make_engine, migrate, session_factory
from ecowatch.store.audit import record
from ecowatch.store.measurements import write_measurements
from ecowatch.store.models import Device, Enterprise, Region, RegionLevel, Site, SiteKind
from ecowatch.store.sites import upsert_region
from ecowatch.store.users import create_user, password_fingerprint
from ecowatch.web.app import create_app
from ecowatch.web.tokens import issue_token

TEST_SECRET_KEY = b"ecowatch-web-tests-secret-key-32b!"
ENT_CY = "91110105MA00000001"
ENT_HD = "91110108MA00000002"
FIRST_DAY, LAST_DAY = dt.date(2016, 1, 1), dt.date(2016, 1, 3)

REGIONS = (  # code, name, level, parent
    ("110000", "北京市", RegionLevel.province, None),
    ("110100", "北京", RegionLevel.city, "110000"),
    ("110105", "朝阳区", RegionLevel.county, "110100"),
    ("110108", "海淀区", RegionLevel.county, "110100"),
    ("130000", "河北省", RegionLevel.province, None),
    ("130100", "石家庄", RegionLevel.city, "130000"),
    ("130102", "长安区", RegionLevel.county, "130100"),
)
SITES = (  # code, name, name_en, kind, category, region, enterprise, lon, lat
    ("BJ-A0", "北京城区", "Beijing centre", SiteKind.air_station, "urban", "110100", None, 116.40, 39.90),
    ("BJ-CY-A1", "朝阳农展馆", "Chaoyang", SiteKind.air_station, "urban", "110105", None, 116.46, 39.94),
    ("BJ-HD-A1", "海淀万柳", "Haidian", SiteKind.air_station, "urban", "110108", None, 116.29, 39.99),
    ("SJZ-A1", "长安职工医院", "Chang'an", SiteKind.air_station, "urban", "130102", None, 114.54, 38.05),
    ("BJ-CY-W1", "朝阳沙窝", "Shawo", SiteKind.water_section, "national", "110105", None, 116.50, 39.90),
    (
        "BJ-CY-O1",
        "热电厂1号排口",
        "Power plant outlet 1",
        SiteKind.outlet,
        "waste_gas",
        "110105",
        ENT_CY,
        116.48,
        39.92,
    ),
    (
        "BJ-HD-O1",
        "污水厂总排口",
        "Sewage plant outlet",
        SiteKind.outlet,
        "waste_water",
        "110108",
        ENT_HD,
        116.30,
        39.98,
    ),
)
USERS = (  # username, role, region, enterprise
    ("admin", "admin", None, None),
    ("bj", "province", "110000", None),
    ("bjcity", "city", "110100", None),
    ("chaoyang", "county", "110105", None),
    ("hebei", "province", "130000", None),
    ("ent_cy", "enterprise", None, ENT_CY),
)
ALL_SITES = frozenset(code for code, *_ in SITES)
BEIJING_SITES = frozenset(code for code, *_ in SITES if code.startswith("BJ"))
#: The sites each user may see.
VISIBLE_SITES = {
    "admin": ALL_SITES,
    "bj": BEIJING_SITES,
    "bjcity": BEIJING_SITES,
    "chaoyang": frozenset({"BJ-CY-A1", "BJ-CY-W1", "BJ-CY-O1"}),
    "hebei": frozenset({"SJZ-A1"}),
    "ent_cy": frozenset({"BJ-CY-O1"}),
}
#: The last hour of each site's values (Beijing time).
LAST_HOUR = {
    "BJ-A0": dt.datetime(2016, 1, 3, 23),
    "BJ-CY-A1": dt.datetime(2016, 1, 3, 23),
    "BJ-HD-A1": dt.datetime(2016, 1, 3, 23),
    "SJZ-A1": dt.datetime(2016, 1, 3, 20),
    "BJ-CY-W1": dt.datetime(2016, 1, 1, 12),
    "BJ-CY-O1": dt.datetime(2016, 1, 3, 22),
    "BJ-HD-O1": dt.datetime(2016, 1, 3, 23),
}


def password_of(username: str) -> str:
    return f"pw-{username}-2016"


def air_value(station_index: int, pollutant: str, time: dt.datetime) -> float:
    """The value the fixture stores for an air station's pollutant and hour [µg/m³; CO mg/m³]."""
    hour = time.hour + 24 * (time.day - 1)
    return {
        "PM2.5": 30.0 + 5 * (hour % 12) + 10 * station_index,
        "PM10": 60.0 + 7 * (hour % 12) + 10 * station_index,
        "SO2": 8.0 + station_index,
        "NO2": 30.0 + hour % 24,
        "CO": 0.8 + 0.1 * station_index,
        "O3": 20.0 + 3 * (hour % 24),
    }[pollutant]


def measurement_frame() -> pl.DataFrame:
    rows = []
    for index, code in enumerate(("BJ-A0", "BJ-CY-A1", "BJ-HD-A1", "SJZ-A1")):
        time = dt.datetime.combine(FIRST_DAY, dt.time())
        while time <= LAST_HOUR[code]:
            for pollutant in ("SO2", "NO2", "CO", "O3", "PM10", "PM2.5"):
                rows.append((code, time, pollutant, air_value(index, pollutant, time), None))
            time += dt.timedelta(hours=1)
    # One value an importer rejected: kept, null, with its reason.
    rows = [
        (s, t, p, None, "negative value")
        if (s, t, p) == ("BJ-CY-A1", dt.datetime(2016, 1, 2, 5), "NO2")
        else (s, t, p, v, r)
        for s, t, p, v, r in rows
    ]
    for hour in range(12):
        rows.append(
            ("BJ-CY-O1", LAST_HOUR["BJ-CY-O1"] - dt.timedelta(hours=hour), "a21026", 35.0 + hour, None)
        )
        rows.append(
            ("BJ-HD-O1", LAST_HOUR["BJ-HD-O1"] - dt.timedelta(hours=hour), "w01018", 20.0 + hour, None)
        )
    rows.append(("BJ-CY-W1", LAST_HOUR["BJ-CY-W1"], "w01001", 7.6, None))
    return pl.DataFrame(rows, schema=MEASUREMENT_SCHEMA, orient="row").sort(["station", "time", "pollutant"])


def build_store(url: str) -> None:
    """Migrate the database at ``url`` and fill it as the module docstring says."""
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        with session_factory(engine).begin() as session:
            regions: dict[str, Region] = {}
            for code, name, level, parent in REGIONS:
                regions[code] = upsert_region(
                    session=session,
                    code=code,
                    name=name,
                    level=level,
                    parent=regions.get(parent) if parent else None,
                    actor="test",
                )
            enterprises = {
                ENT_CY: Enterprise(code=ENT_CY, name="朝阳热电有限公司", region=regions["110105"]),
                ENT_HD: Enterprise(code=ENT_HD, name="海淀水务有限公司", region=regions["110108"]),
            }
            session.add_all(enterprises.values())
            sites = {}
            for code, name, name_en, kind, category, region, enterprise, lon, lat in SITES:
                sites[code] = Site(
                    code=code,
                    name=name,
                    name_en=name_en,
                    kind=kind.value,
                    category=category,
                    region=regions[region],
                    enterprise=enterprises.get(enterprise),
                    lon=lon,
                    lat=lat,
                )
            session.add_all(sites.values())
            session.add(
                Device(
                    mn="BJCYO1000000000000000001",
                    password_hash="not-a-real-hash",
                    site=sites["BJ-CY-O1"],
                    protocol_version="2017",
                )
            )
            session.add(
                Device(
                    mn="BJHDO1000000000000000001",
                    password_hash="not-a-real-hash",
                    site=sites["BJ-HD-O1"],
                    protocol_version="2005",
                )
            )
            session.flush()
            record(session=session, actor="test", action="create", entity="site", detail={"fixture": True})
            write_measurements(
                session=session, frame=measurement_frame(), source="test", actor="test", sites=sites
            )
            for username, role, region, enterprise in USERS:
                create_user(
                    session=session,
                    username=username,
                    password=password_of(username),
                    role=role,
                    region_code=region,
                    enterprise_code=enterprise,
                    actor="test",
                )
    finally:
        engine.dispose()


def _empty_url(request, folder) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{folder / 'web.db'}"
    else:
        yield from schema_url(request.getfixturevalue("pg_admin"))


@pytest.fixture(scope="session", params=BACKENDS)
def store_url(request, tmp_path_factory) -> Iterator[str]:
    """The URL of the shared fixture store (read-only for the tests: write to ``fresh_store_url``)."""
    for url in _empty_url(request, tmp_path_factory.mktemp("web-store")):
        build_store(url)
        yield url


@pytest.fixture(params=BACKENDS)
def fresh_store_url(request, tmp_path) -> Iterator[str]:
    """A store of its own, filled like ``store_url``, for a test that writes."""
    for url in _empty_url(request, tmp_path):
        build_store(url)
        yield url


@pytest.fixture(scope="session")
def app(store_url) -> FastAPI:
    return create_app(store_url, secret_key=TEST_SECRET_KEY)


@pytest.fixture(scope="session")
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def _token_headers(app: FastAPI, username: str, now: dt.datetime | None = None) -> dict[str, str]:
    web = app.state.ecowatch
    from ecowatch.store.users import get_user

    with web.sessions() as session:
        user = get_user(session=session, username=username)
        if user is None:
            raise LookupError(f"no user {username!r} in the fixture store")
        token, _ = issue_token(
            key=web.secret_key, user_id=user.id, fingerprint=password_fingerprint(user), now=now or web.now()
        )
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def auth(app) -> Callable[..., dict[str, str]]:
    """``auth("chaoyang")`` -> the Authorization header of a fresh token of that user;
    ``auth("chaoyang", now=...)`` one issued at another moment (an expired one, say)."""
    return lambda username, now=None: _token_headers(app, username, now)


@pytest.fixture(scope="session", params=BACKENDS)
def scratch_store_url(request, tmp_path_factory) -> Iterator[str]:
    """A second store filled like ``store_url``, shared by tests that write but assert no totals
    (the schemathesis run)."""
    for url in _empty_url(request, tmp_path_factory.mktemp("web-scratch")):
        build_store(url)
        yield url


@pytest.fixture(scope="session")
def scratch_app(scratch_store_url) -> FastAPI:
    return create_app(scratch_store_url, secret_key=TEST_SECRET_KEY)


@pytest.fixture
def fresh_app(fresh_store_url) -> FastAPI:
    return create_app(fresh_store_url, secret_key=TEST_SECRET_KEY)


@pytest.fixture
def fresh_client(fresh_app) -> Iterator[TestClient]:
    with TestClient(fresh_app) as test_client:
        yield test_client


@pytest.fixture
def fresh_auth(fresh_app) -> Callable[..., dict[str, str]]:
    return lambda username, now=None: _token_headers(fresh_app, username, now)


@pytest.fixture(scope="session")
def web_fixture_data() -> dict:
    """The fixture store's expected contents, for assertions: visible sites per user, last hours..."""
    return {
        "visible_sites": VISIBLE_SITES,
        "last_hour": LAST_HOUR,
        "users": USERS,
        "sites": SITES,
        "regions": REGIONS,
        "password_of": password_of,
        "air_value": air_value,
        "enterprises": (ENT_CY, ENT_HD),
    }
