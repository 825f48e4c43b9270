"""``ecowatch devices remove`` and ``hj212 simulate`` removing what it registered (issue 13: the README's
``hj212 simulate --devices 100`` left 100 sites without coordinates in the demo store for good)."""

from __future__ import annotations

import json

import pytest
from gateway_helpers import register
from sqlalchemy import func, select
from typer.testing import CliRunner

from ecowatch.cli import app
from ecowatch.store import make_engine, session_factory
from ecowatch.store.device_removal import remove_devices
from ecowatch.store.errors import StoreError
from ecowatch.store.models import AuditEntry, Device, Hj212Frame, Site

runner = CliRunner()


def _count(url: str, model, *where) -> int:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return session.scalar(select(func.count()).select_from(model).where(*where))
    finally:
        engine.dispose()


def test_remove_devices_and_their_site_on_both_backends(db_url):
    register(
        db_url, ("RM-A", "pw-a", "2017", None), ("RM-B", "pw-b", "2025", "00112233445566778899aabbccddeeff")
    )
    engine = make_engine(db_url)
    try:
        with session_factory(engine).begin() as session, pytest.raises(StoreError) as refused:
            remove_devices(session=session, mns=["RM-A"], actor="test", with_sites=True)
        assert str(refused.value) == (
            "devices remove: site 'TEST-SITE' also has device 'RM-B'; remove the devices without --with-site"
        )
        with session_factory(engine).begin() as session, pytest.raises(StoreError) as unknown:
            remove_devices(session=session, mns=["RM-A", "NOPE"], actor="test")
        assert str(unknown.value) == "devices remove: no device with MN 'NOPE'"
        with session_factory(engine).begin() as session:
            removal = remove_devices(session=session, mns=["RM-A", "RM-B"], actor="test", with_sites=True)
        assert (removal.devices, removal.sites) == (("RM-A", "RM-B"), ("TEST-SITE",))
        with session_factory(engine)() as session:
            assert session.scalar(select(func.count()).select_from(Device)) == 0
            assert session.scalar(select(func.count()).select_from(Site).where(Site.code == "TEST-SITE")) == 0
            entry = session.scalars(
                select(AuditEntry).where(AuditEntry.entity == "device", AuditEntry.action == "delete")
            ).one()
            assert entry.detail == {"devices": ["RM-A", "RM-B"], "sites": ["TEST-SITE"]}
    finally:
        engine.dispose()


def test_devices_remove_command(sqlite_url):
    register(sqlite_url, ("RM-C", "pw-c", "2017", None))
    unknown = runner.invoke(app, ["devices", "remove", "NOPE", "--db", sqlite_url])
    assert unknown.exit_code != 0 and "no device with MN 'NOPE'" in " ".join(unknown.output.split())
    result = runner.invoke(app, ["devices", "remove", "RM-C", "--db", sqlite_url])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "removed 1 devices"
    assert _count(sqlite_url, Device) == 0 and _count(sqlite_url, Site, Site.code == "TEST-SITE") == 1


def test_simulate_removes_the_devices_and_sites_it_registered(sqlite_url, start_gateway):
    gateway = start_gateway(sqlite_url)
    result = runner.invoke(
        app,
        [
            "hj212",
            "simulate",
            "--port",
            str(gateway.port),
            "--devices",
            "3",
            "--rate",
            "30",
            "--duration",
            "0.5",
            "--db",
            sqlite_url,
            "--prefix",
            "TMP",
        ],
    )
    gateway.stop()
    assert result.exit_code == 0, result.output
    assert "removed the 3 simulated devices and 3 sites again" in " ".join(result.stdout.split())
    assert _count(sqlite_url, Site, Site.code.like("TMP%")) == 0
    assert _count(sqlite_url, Device) == 0
    assert _count(sqlite_url, Hj212Frame, Hj212Frame.mn.like("TMP%")) == 0

    kept = runner.invoke(
        app,
        [
            "hj212",
            "simulate",
            "--port",
            str(start_gateway(sqlite_url).port),
            "--devices",
            "2",
            "--rate",
            "20",
            "--duration",
            "0.3",
            "--db",
            sqlite_url,
            "--prefix",
            "KEEP",
            "--keep",
            "--json",
        ],
    )
    assert kept.exit_code == 0, kept.output
    assert json.loads(kept.stdout)["connected"] == 2
    assert _count(sqlite_url, Site, Site.code.like("KEEP%")) == 2
