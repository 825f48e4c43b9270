"""The device registry: ``ecowatch devices import/add``, sealed SM4 keys and their rotation, the audit
trail."""

from __future__ import annotations

import os
import stat

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ecowatch.cli import app
from ecowatch.store import StoreError, make_engine, migrate, session_factory
from ecowatch.store.audit import entries
from ecowatch.store.devices import (
    device_key_fingerprint,
    import_devices,
    load_registry,
    master_key,
    register_device,
    unseal_key,
    verify_device_password,
)
from ecowatch.store.models import Device, DeviceKey, Site

runner = CliRunner()

CSV = """mn,password,site,kind,version
010000A8900016F000169DC0,123456,Dongsi,air_station,2017
88888880000001,pw2005,Dongsi,air_station,2005
SEC00000000000000000225,abcdef,River-1,water_section,2025
"""


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def url(db_url) -> str:
    migrate.upgrade(db_url)
    return db_url


def session_of(url: str):
    engine = make_engine(url)
    return engine, session_factory(engine)()


def test_devices_import_creates_sites_and_devices_then_changes_nothing(url, tmp_path):
    path = tmp_path / "devices.csv"
    path.write_text(CSV, encoding="utf-8")
    result = invoke("devices", "import", path, "--db", url)
    assert result.exit_code == 0, result.output
    out = flat(result.stdout)
    assert "site Dongsi: not in the store, created" in out
    assert "site River-1: not in the store, created" in out
    assert "3 devices: 3 added, 0 updated, 0 unchanged" in out
    again = invoke("devices", "import", path, "--db", url)
    assert again.exit_code == 0, again.output
    assert "3 devices: 0 added, 0 updated, 3 unchanged" in flat(again.stdout)
    engine, session = session_of(url)
    with session:
        devices = {d.mn: d for d in session.scalars(select(Device))}
        sites = {s.code: s.kind for s in session.scalars(select(Site))}
        audit = [(e.action, e.entity) for e in entries(session=session)]
    engine.dispose()
    assert sites == {"Dongsi": "air_station", "River-1": "water_section"}
    assert sorted(devices) == ["010000A8900016F000169DC0", "88888880000001", "SEC00000000000000000225"]
    assert devices["88888880000001"].protocol_version == "2005"
    assert devices["010000A8900016F000169DC0"].password_hash.startswith("$argon2id$")
    assert verify_device_password(devices["010000A8900016F000169DC0"].password_hash, "123456")
    assert audit == [
        ("create", "site"),
        ("create", "device"),
        ("create", "device"),
        ("create", "site"),
        ("create", "device"),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "MN1,123456,Dongsi,air_station,2018",
            "line 3, field version: HJ 212 edition must be one of 2005, 2017, 2025",
        ),
        ("MN1,,Dongsi,air_station,2017", "line 3, field password: empty"),
        ("MN;1,123456,Dongsi,air_station,2017", "line 3, field mn: MN must be 1-24 characters"),
        ("MN1,123456,Dongsi,lake,2017", "line 3, field kind: kind must be one of air_station"),
        (
            "010000A8900016F000169DC0,123456,Dongsi,air_station,2017",
            "line 3, field mn: MN 010000A8900016F000169DC0 already given on line 2",
        ),
        ("MN1,123456,Dongsi,air_station,2017,extra", "line 3: more fields than the header has"),
    ],
)
def test_import_errors_name_line_and_field_and_write_nothing(url, tmp_path, line, message):
    path = tmp_path / "bad.csv"
    path.write_text(
        "mn,password,site,kind,version\n010000A8900016F000169DC0,123456,Dongsi,air_station,2017\n"
        + line
        + "\n",
        encoding="utf-8",
    )
    result = invoke("devices", "import", path, "--db", url)
    assert result.exit_code == 2
    assert f"{path} {message}" in flat(result.output)
    engine, session = session_of(url)
    with session:
        assert session.scalars(select(Device)).all() == []
    engine.dispose()


def test_import_without_a_column_names_it(url, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("mn,password,site\nMN1,123456,Dongsi\n", encoding="utf-8")
    result = invoke("devices", "import", path, "--db", url)
    assert result.exit_code == 2
    assert "line 1: missing column(s) kind, version" in flat(result.output)


def test_devices_add_finds_the_site_by_name_and_updates_what_differs(url):
    engine, session = session_of(url)
    with session.begin():
        session.add(Site(code="110000001", name="东四", kind="air_station", category="urban", aliases=[]))
    engine.dispose()
    result = invoke("devices", "add", "--mn", "MN0001", "--password", "123456", "--site", "东四", "--db", url)
    assert result.exit_code == 0, result.output
    assert flat(result.stdout) == "device MN0001: added (site 110000001)"
    same = invoke(
        "devices", "add", "--mn", "MN0001", "--password", "123456", "--site", "110000001", "--db", url
    )
    assert flat(same.stdout) == "device MN0001: already registered, unchanged"
    moved = invoke(
        "devices",
        "add",
        "--mn",
        "MN0001",
        "--password",
        "654321",
        "--site",
        "New site",
        "--version",
        "2005",
        "--db",
        url,
    )
    assert moved.exit_code == 0, moved.output
    assert flat(moved.stdout) == (
        "site New site: not in the store, created device MN0001: updated site, version, password"
    )


def test_unknown_outlet_cannot_be_invented(url):
    result = invoke(
        "devices",
        "add",
        "--mn",
        "MN0001",
        "--password",
        "123456",
        "--site",
        "Stack 1",
        "--kind",
        "outlet",
        "--db",
        url,
    )
    assert result.exit_code == 2
    assert (
        "device MN0001, field site: no outlet 'Stack 1' in the store; an outlet belongs to an enterprise"
        in flat(result.output)
    )


def test_sm4_key_is_sealed_at_rest_and_rotation_keeps_the_history(url, tmp_path):
    first, second = bytes.fromhex("00112233445566778899aabbccddeeff"), bytes(range(16))
    engine, session = session_of(url)
    with session.begin():
        register_device(
            session=session,
            mn="SEC1",
            password="abcdef",
            site="River-1",
            kind="water_section",
            version="2025",
            sm4_key_hex=first.hex(),
            actor="test",
        )
        register_device(
            session=session,
            mn="SEC1",
            password="abcdef",
            site="River-1",
            version="2025",
            sm4_key_hex=first.hex(),
            actor="test",
        )  # same key: nothing happens
        result = register_device(
            session=session,
            mn="SEC1",
            password="abcdef",
            site="River-1",
            version="2025",
            sm4_key_hex=second.hex(),
            actor="test",
        )
    assert result.changed == ("sm4_key",)
    with session:
        keys = session.scalars(select(DeviceKey).order_by(DeviceKey.version)).all()
        registry = load_registry(session=session)
        audit = [(e.action, e.detail.get("fingerprint")) for e in entries(session=session, entity="device")]
    engine.dispose()
    assert [(k.version, k.retired_at is None, k.fingerprint) for k in keys] == [
        (1, False, device_key_fingerprint(first)),
        (2, True, device_key_fingerprint(second)),
    ]
    for key in keys:
        assert first.hex() not in key.sealed and second.hex() not in key.sealed
    master = master_key()
    assert unseal_key(keys[1].sealed, mn="SEC1", master=master) == second
    with pytest.raises(StoreError, match="SM4 key of MN OTHER cannot be unsealed"):
        unseal_key(keys[1].sealed, mn="OTHER", master=master)
    assert registry["SEC1"].keys == (second, first)
    assert audit == [
        ("create", None),
        ("set_key", device_key_fingerprint(first)),
        ("rotate_key", device_key_fingerprint(second)),
    ]
    key_file = tmp_path / "data" / "master.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_master_key_from_the_environment_and_refused_file_modes(tmp_path, monkeypatch):
    monkeypatch.setenv("ECOWATCH_MASTER_KEY", "ab" * 32)
    assert master_key() == bytes([0xAB]) * 32
    monkeypatch.setenv("ECOWATCH_MASTER_KEY", "ab" * 16)
    with pytest.raises(StoreError, match=r"\$ECOWATCH_MASTER_KEY: master key must be 32 bytes"):
        master_key()
    monkeypatch.delenv("ECOWATCH_MASTER_KEY")
    folder = tmp_path / "keys"
    folder.mkdir()
    assert len(master_key(folder)) == 32
    os.chmod(folder / "master.key", 0o644)
    with pytest.raises(StoreError, match="must not be readable by others"):
        master_key(folder)


def test_sm4_key_only_for_2025_devices(url):
    engine, session = session_of(url)
    with session.begin(), pytest.raises(StoreError, match="field sm4_key: only HJ 212-2025 devices encrypt"):
        import_devices(
            session=session,
            text="mn,password,site,kind,version,sm4_key\n"
            "MN1,123456,S1,air_station,2017,00112233445566778899aabbccddeeff\n",
            source="k.csv",
            actor="test",
        )
    engine.dispose()
