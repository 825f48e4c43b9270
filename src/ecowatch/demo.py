"""The demo platform: Beijing's real air data plus a small, clearly fictional registry around it.

``ecowatch demo`` calls :func:`seed_demo`, ``ecowatch serve --simulate`` :func:`run_demo_devices`.

What is real: the hourly data of Beijing's 12 national-control stations 2013-03 .. 2017-02 (UCI
"Beijing Multi-Site Air-Quality Data", CC BY 4.0, ``data/demo/PROVENANCE.md``), and the registry of
the city's 35 stations, each in its district (the other 23 have no data in the demo and the map
says so; the data end 2017-02-28 23:00 and the map shows them at that time, not as now).  What is invented:
three enterprises ("示范" = demonstration) with one outlet and one online monitor each, one per HJ 212
edition, and the demo users.  Their names say so, so that no screenshot can pass them off as real.

Surface water (real too): one day, 2021-04-05, of the national automatic stations' 4-hourly release
(:data:`DEMO_WATER_FILE` in ``../shared/data/cn-surface-water``, every section that reported that day),
loaded through ``ecowatch db load --format cnemc-water``'s own path, so the map's water layer is not
empty.  The file states no licence: it is read from the shared folder beside the checkout (or
``ECOWATCH_DATA``), never copied into the project, and the demo goes on without it when absent.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecowatch import clock
from ecowatch.cases.demo_data import seed_demo_cases
from ecowatch.importers import ImportResult
from ecowatch.shapes.stations import StationRegistry
from ecowatch.store import make_engine, migrate, session_factory
from ecowatch.store.audit import record
from ecowatch.store.models import Enterprise, Measurement, Region, RegionLevel, Site, SiteKind
from ecowatch.store.sites import sites_from_registry, upsert_region
from ecowatch.store.users import create_user, get_user
from ecowatch.water.models import WaterSample

__all__ = [
    "DEMO_ACTOR",
    "DEMO_DEVICES",
    "DEMO_ENTERPRISES",
    "DEMO_USERS",
    "DEMO_WATER_DAY",
    "DEMO_WATER_FILE",
    "DemoDevice",
    "DemoEnterprise",
    "DemoUser",
    "SeedSummary",
    "run_demo_devices",
    "seed_demo",
    "seed_water",
    "water_data_file",
]

DEMO_ACTOR = "demo"
#: The surface-water release file the demo loads from, and its day: the file's last (all 1,698
#: sections 4-hourly 2021-04-01..05): one day of every section, so the map is national and the demo
#: stays short.
DEMO_WATER_FILE = Path("cn-surface-water") / "auto_stations_4h_2021-04-01_05.csv.gz"
DEMO_WATER_DAY = dt.date(2021, 4, 5)


@dataclass(frozen=True)
class DemoEnterprise:
    code: str  # 统一社会信用代码 format (18 characters); fictional
    name: str
    county_code: str  # GB/T 2260 district of Beijing
    county_name: str
    outlet_code: str
    outlet_name: str
    outlet_category: str  # waste_gas | waste_water
    lon: float
    lat: float


DEMO_ENTERPRISES: tuple[DemoEnterprise, ...] = (
    DemoEnterprise(
        "91110105DEMO00001X",
        "北京示范热电有限公司 (demo)",
        "110105",
        "朝阳区",
        "DEMO-GAS-01",
        "示范热电 1号锅炉烟囱",
        "waste_gas",
        116.5532,
        39.9213,
    ),
    DemoEnterprise(
        "91110112DEMO00002X",
        "北京示范污水处理厂 (demo)",
        "110112",
        "通州区",
        "DEMO-WATER-01",
        "示范污水厂 总排口",
        "waste_water",
        116.7287,
        39.8654,
    ),
    DemoEnterprise(
        "91110111DEMO00003X",
        "北京示范水泥有限公司 (demo)",
        "110111",
        "房山区",
        "DEMO-GAS-02",
        "示范水泥 窑尾烟囱",
        "waste_gas",
        115.9721,
        39.7062,
    ),
)


@dataclass(frozen=True)
class DemoDevice:
    mn: str
    password: str
    site: str  # outlet code
    version: str  # HJ 212 edition the device speaks
    sm4_key_hex: str | None = None


DEMO_DEVICES: tuple[DemoDevice, ...] = (
    DemoDevice("DEMO0000000000000001", "demo-pw-1", "DEMO-GAS-01", "2017"),
    DemoDevice(
        "DEMO0000000000000002", "demo-pw-2", "DEMO-WATER-01", "2025", "00112233445566778899aabbccddeeff"
    ),
    DemoDevice("DEMO0000000000000003", "demo-pw-3", "DEMO-GAS-02", "2005"),
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    region: str | None = None
    enterprise: str | None = None
    what: str = ""


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "ecowatch-demo", "admin", what="everything, and user management"),
    DemoUser("beijing", "ecowatch-demo", "city", region="110100", what="Beijing city and its districts"),
    DemoUser("chaoyang", "ecowatch-demo", "county", region="110105", what="朝阳区 only"),
    DemoUser(
        "thermal",
        "ecowatch-demo",
        "enterprise",
        enterprise="91110105DEMO00001X",
        what="the demo thermal power plant's outlet only",
    ),
)


@dataclass(frozen=True)
class SeedSummary:
    loaded_values: int
    enterprises: int
    devices: int
    users_created: list[str]
    water_samples: int = 0
    cases: int = 0  # the demo cases added (ecowatch.cases.demo_data), 0 when there already


def _has_prsa(session: Session) -> bool:
    count = select(func.count()).select_from(Measurement).where(Measurement.source == "prsa")
    return session.execute(count).scalar_one() > 0


def _registry(session: Session) -> int:
    # The 35 stations of the registry, each in its district (a store seeded before the registry named
    # the districts had them all on the city, where a district user saw none).
    sites_from_registry(session=session, registry=StationRegistry.default(), actor=DEMO_ACTOR)
    city = session.scalars(select(Region).where(Region.code == "110100")).one()
    for spec in DEMO_ENTERPRISES:
        county = upsert_region(
            session=session,
            code=spec.county_code,
            name=spec.county_name,
            level=RegionLevel.county,
            parent=city,
            actor=DEMO_ACTOR,
        )
        enterprise = session.scalars(select(Enterprise).where(Enterprise.code == spec.code)).one_or_none()
        if enterprise is None:
            enterprise = Enterprise(code=spec.code, name=spec.name, region_id=county.id)
            session.add(enterprise)
            session.flush()
            record(
                session=session,
                actor=DEMO_ACTOR,
                action="create",
                entity="enterprise",
                entity_id=spec.code,
                detail={"name": spec.name, "region": spec.county_code},
            )
        outlet = session.scalars(select(Site).where(Site.code == spec.outlet_code)).one_or_none()
        if outlet is None:
            session.add(
                Site(
                    code=spec.outlet_code,
                    name=spec.outlet_name,
                    name_en=spec.outlet_code,
                    kind=SiteKind.outlet.value,
                    category=spec.outlet_category,
                    region_id=county.id,
                    enterprise_id=enterprise.id,
                    lon=spec.lon,
                    lat=spec.lat,
                    aliases=[],
                )
            )
            session.flush()
            record(
                session=session,
                actor=DEMO_ACTOR,
                action="create",
                entity="site",
                entity_id=spec.outlet_code,
                detail={"kind": "outlet", "enterprise": spec.code},
            )
    return len(DEMO_ENTERPRISES)


def _users(session: Session) -> list[str]:
    created = []
    for user in DEMO_USERS:
        if get_user(session=session, username=user.username) is None:
            create_user(
                session=session,
                username=user.username,
                password=user.password,
                role=user.role,
                region_code=user.region,
                enterprise_code=user.enterprise,
                actor=DEMO_ACTOR,
            )
            created.append(user.username)
    return created


def _devices(session: Session) -> int:
    from ecowatch.store.devices import register_device

    for device in DEMO_DEVICES:
        register_device(
            session=session,
            mn=device.mn,
            password=device.password,
            site=device.site,
            version=device.version,
            sm4_key_hex=device.sm4_key_hex,
            actor=DEMO_ACTOR,
        )
    return len(DEMO_DEVICES)


def water_data_file(demo_prsa: Path | None = None) -> Path | None:
    """The demo's surface-water file: beside the PRSA folder's data folder, in ``ECOWATCH_DATA``, or in
    a ``shared/data`` beside the checkout or the working directory; None when none has it."""
    folders = [demo_prsa.parent] if demo_prsa is not None else []
    if "ECOWATCH_DATA" in os.environ:
        folders.append(Path(os.environ["ECOWATCH_DATA"]))
    here = Path(__file__).resolve()
    folders += [parent / "shared" / "data" for parent in here.parents]
    folders += [parent.parent / "shared" / "data" for parent in (Path.cwd(), *Path.cwd().parents)]
    for folder in folders:
        if (folder / DEMO_WATER_FILE).is_file():
            return folder / DEMO_WATER_FILE
    return None


def _has_water(session: Session) -> bool:
    return session.execute(select(func.count()).select_from(WaterSample)).scalar_one() > 0


def seed_demo(
    url: str,
    demo_prsa: Path,
    *,
    progress: bool = False,
    say: Callable[[str], None] = lambda _: None,
    imported: ImportResult | None = None,
    water: Path | None | bool = True,
) -> SeedSummary:
    """Put the demo into the store at ``url`` (idempotent: a second run changes nothing).

    Loads the Beijing PRSA files (only when the store has none of them yet; ``imported``: the files as
    read already, so they are not read twice), then the fictional enterprises, outlets, devices and users,
    the fictional batch of cases (:mod:`ecowatch.cases.demo_data`, dated from :func:`ecowatch.clock.now`),
    then (``water``: the file, True to look for :data:`DEMO_WATER_FILE`, False not to) the surface-water
    sections' day :data:`DEMO_WATER_DAY`, when the store has no water samples yet.
    """
    from ecowatch.loading import load_files

    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            loaded = _has_prsa(session)
        values = 0
        if not loaded:
            say(f"loading the Beijing stations from {demo_prsa} into the store …")
            values = load_files(
                url=url, path=demo_prsa, format="prsa", actor=DEMO_ACTOR, progress=progress, imported=imported
            ).values
        with session_factory(engine).begin() as session:
            enterprises = _registry(session)
            devices = _devices(session)
            created = _users(session)
        with session_factory(engine).begin() as session:
            cases = seed_demo_cases(session=session, now=clock.now(), actor=DEMO_ACTOR).cases
        samples = seed_water(url, water, demo_prsa=demo_prsa, progress=progress, say=say)
        return SeedSummary(
            loaded_values=values,
            enterprises=enterprises,
            devices=devices,
            users_created=created,
            water_samples=samples,
            cases=cases,
        )
    finally:
        engine.dispose()


def seed_water(
    url: str,
    water: Path | None | bool = True,
    *,
    demo_prsa: Path | None = None,
    progress: bool = False,
    say: Callable[[str], None] = lambda _: None,
) -> int:
    """Load the demo's day of surface water (:data:`DEMO_WATER_DAY`) into the migrated store at ``url``
    unless it has water samples already; ``water``: the file, True to look for it
    (:func:`water_data_file`), False or None not to.  Returns the samples written."""
    from ecowatch.water.service import load_water

    path = water_data_file(demo_prsa) if water is True else (water or None)
    if path is None:
        if water is True:
            say(
                f"surface water: {DEMO_WATER_FILE} not found (set ECOWATCH_DATA); the water layer stays empty"
            )
        return 0
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            if _has_water(session):
                return 0
    finally:
        engine.dispose()
    say(f"loading the surface-water sections of {DEMO_WATER_DAY} from {path} into the store …")
    summary = load_water(
        url=url,
        path=path,
        actor=DEMO_ACTOR,
        progress=progress,
        first_day=DEMO_WATER_DAY,
        last_day=DEMO_WATER_DAY,
    )
    return summary.written


async def run_demo_devices(url: str, host: str, port: int, *, interval_s: float = 10.0) -> None:
    """Run the demo's monitors against the gateway until cancelled: each sends its real-time data
    (CN 2011) every ``interval_s`` seconds in its own edition and checks the platform's replies."""
    from ecowatch.gateway.simulator import run_devices

    await run_devices(
        host=host,
        port=port,
        devices=[(d.mn, d.password, d.version, d.sm4_key_hex) for d in DEMO_DEVICES],
        interval_s=interval_s,
        now=lambda: dt.datetime.now(dt.UTC),
    )
