"""The whole path of an outlet registered from the command line: ``sources enterprise add`` ->
``sources outlet add`` -> ``devices add`` / ``devices import`` -> a frame over TCP is stored for that
outlet (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json

from gateway_helpers import MN, PW, Device
from sqlalchemy import select
from test_gateway_server import ACK_2061, UPLOAD_2061
from typer.testing import CliRunner

from ecowatch.cli import app
from ecowatch.store import make_engine, migrate, session_factory
from ecowatch.store.models import Device as DeviceRow
from ecowatch.store.models import Hj212Frame, Measurement, RegionLevel, Site
from ecowatch.store.sites import upsert_region

ENTERPRISE = "91110105MA01TEXT1J"  # fictional; check character from GB 32100-2015 Annex B by hand
OUTLET = "91110105MA01TEXT1J-DW001"
runner = CliRunner()


def invoke(*args: object) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return " ".join(result.stdout.split())


def regions(url: str) -> None:
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with session_factory(engine).begin() as session:
            province = upsert_region(
                session=session, code="110000", name="北京市", level=RegionLevel.province, actor="test"
            )
            city = upsert_region(
                session=session,
                code="110100",
                name="北京",
                level=RegionLevel.city,
                parent=province,
                actor="test",
            )
            upsert_region(
                session=session,
                code="110105",
                name="朝阳区",
                level=RegionLevel.county,
                parent=city,
                actor="test",
            )
    finally:
        engine.dispose()


def test_outlet_registered_from_the_cli_receives_a_devices_frame_over_tcp(db_url, start_gateway, tmp_path):
    regions(db_url)
    assert invoke(
        "sources",
        "enterprise",
        "add",
        "--code",
        ENTERPRISE,
        "--name",
        "朝阳水务有限公司",
        "--region",
        "110105",
        "--industry",
        "4620",
        "--lists",
        "water",
        "--db",
        db_url,
    ) == (f"enterprise {ENTERPRISE}: added (朝阳水务有限公司, region 110105)")
    assert invoke(
        "sources",
        "outlet",
        "add",
        "--code",
        OUTLET,
        "--name",
        "总排口",
        "--enterprise",
        ENTERPRISE,
        "--medium",
        "water",
        "--kind",
        "main",
        "--lon",
        "116.50",
        "--lat",
        "39.90",
        "--limit",
        "w01018=50,unit=mg/L",
        "--limit",
        "w01001=9,lower=6",
        "--db",
        db_url,
    ) == (f"outlet {OUTLET}: added (water, enterprise {ENTERPRISE}, 2 limits)")
    assert (
        invoke(
            "devices",
            "add",
            "--mn",
            MN,
            "--password",
            PW,
            "--site",
            OUTLET,
            "--version",
            "2017",
            "--db",
            db_url,
        )
        == f"device {MN}: added (site {OUTLET})"
    )
    devices_csv = tmp_path / "devices.csv"
    devices_csv.write_text(
        f"mn,password,site,kind,version\n88888880000001,pw2005,{OUTLET},waste_water,2005\n", encoding="utf-8"
    )
    assert "1 devices: 1 added, 0 updated, 0 unchanged" in invoke(
        "devices", "import", devices_csv, "--db", db_url
    )
    [listed] = json.loads(invoke("sources", "outlet", "list", "--json", "--db", db_url))
    assert (listed["code"], listed["devices"]) == (OUTLET, ["010000A8900016F000169DC0", "88888880000001"])

    gateway = start_gateway(db_url)
    device = Device(gateway.port)
    device.send(UPLOAD_2061)
    assert device.raw_replies(10, size=len(ACK_2061)) == ACK_2061
    device.close()
    gateway.stop()

    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            outlet = session.scalars(select(Site).where(Site.code == OUTLET)).one()
            assert session.scalars(select(DeviceRow.site_id).where(DeviceRow.mn == MN)).one() == outlet.id
            assert session.execute(select(Hj212Frame.mn, Hj212Frame.site_id)).all() == [(MN, outlet.id)]
            cod = session.execute(
                select(Measurement.time, Measurement.value).where(
                    Measurement.site_id == outlet.id, Measurement.pollutant == "w01018"
                )
            ).one()
    finally:
        engine.dispose()
    # DataTime 2016-08-01 08:00 Beijing time is 00:00 UTC; the frame's w01018-Avg is 40.1
    # (HJ 212-2017 Annex C).
    assert (cod.time.replace(tzinfo=None), cod.value) == (dt.datetime(2016, 8, 1, 0, 0), 40.1)
