"""Issue 13, "The store owns its journal": a journal's default place follows its store, it names the store
it belongs to, a foreign journal is refused with a clear message, a replayed frame whose site the store
does not know is quarantined; and every command treats a fresh embedded store alike (it is migrated)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gateway_helpers import MN, PW, Device, register
from sqlalchemy import select

from backends import PG_URL
from ecowatch.gateway.journal import Entry, Journal, JournalError, default_journal_dir
from ecowatch.hj212 import make_frame
from ecowatch.store import make_engine, migrate, session_factory
from ecowatch.store.frames import Checkpoint, apply_batch, list_frames, read_checkpoint
from ecowatch.store.models import Hj212Quarantine

ECOWATCH = str(Path(sys.executable).with_name("ecowatch"))


def upload(qn: str, data_time: str = "20260301101000") -> bytes:
    return make_frame(
        st="22",
        cn=2051,
        pw=PW,
        mn=MN,
        qn=qn,
        flag=5,
        cp=f"DataTime={data_time};a21026-Avg=12.5,a21026-Flag=N",
    ).raw


def test_the_default_journal_follows_the_store(tmp_path):
    assert default_journal_dir(f"sqlite:///{tmp_path / 'ecowatch.db'}") == tmp_path / "ecowatch.journal"
    assert default_journal_dir(f"sqlite:///{tmp_path / 'other.db'}") == tmp_path / "other.journal"
    one = default_journal_dir("postgresql://eco:secret@db.example/ecowatch")
    assert one == default_journal_dir("postgresql://eco:changed@db.example/ecowatch")  # not the password
    assert one != default_journal_dir("postgresql://eco:secret@db.example/ecowatch?options=-csearch_path%3Dx")
    assert one.parent == Path(os.environ["ECOWATCH_DATA_DIR"]) / "journals"


def test_a_journal_names_its_store_and_refuses_another(tmp_path):
    journal = Journal(tmp_path / "j")
    journal.claim("a" * 32, "sqlite:///a.db", applied_before=False)
    journal.claim("a" * 32, "sqlite:///a.db", applied_before=False)  # its own store: fine, again
    with pytest.raises(JournalError) as refused:
        journal.claim("b" * 32, "sqlite:///b.db", applied_before=True)
    assert str(refused.value).startswith(
        f"journal {tmp_path / 'j'} belongs to another store (sqlite:///a.db), not to sqlite:///b.db: "
    )


def test_a_journal_from_before_store_ids_is_taken_only_by_the_store_that_applied_it(tmp_path):
    journal = Journal(tmp_path / "j")
    journal.open()
    journal.write([b"x"])
    journal.close()
    with pytest.raises(JournalError, match="holds frames but names no store"):
        Journal(tmp_path / "j").claim("b" * 32, "sqlite:///b.db", applied_before=False)
    Journal(tmp_path / "j").claim("a" * 32, "sqlite:///a.db", applied_before=True)
    assert (tmp_path / "j" / "STORE").read_text() == "a" * 32 + "\nsqlite:///a.db\n"


def test_a_replayed_frame_of_a_site_the_store_does_not_know_is_quarantined(db_url, start_gateway, tmp_path):
    register(db_url, (MN, PW, "2017", None))
    journal = Journal(tmp_path / "journal")
    journal.open()
    journal.write(
        [
            Entry(
                True,
                1_772_330_000_000_000,
                424_242,
                "Asia/Shanghai",
                "127.0.0.1:1",
                "",
                upload("20260301101000001"),
            ).encode()
        ]
    )
    journal.close()
    engine = make_engine(db_url)
    try:  # the journal is this store's (it applied some of it before), its frame a site since removed
        with session_factory(engine).begin() as session:
            apply_batch(session=session, kept=[], checkpoint=Checkpoint(journal.journal_id, 1, 0, 0))
    finally:
        engine.dispose()
    gateway = start_gateway(db_url)
    assert gateway.gateway.stats.replayed == 1
    device = Device(gateway.port)  # and the gateway serves on
    device.send(upload("20260301101000002", data_time="20260301102000"))
    assert [r.cn for r in device.replies(1)] == [9014]
    gateway.stop()
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            reasons = session.scalars(select(Hj212Quarantine.reason)).all()
            assert [f["qn"] for f in list_frames(session=session)] == ["20260301101000002"]
    finally:
        engine.dispose()
    assert reasons == [f"site id 424242 of MN {MN} is not in this store"]


def _start_serve(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, list[str]]:
    process = subprocess.Popen(
        [ECOWATCH, "serve", "--port", "0", "--gateway-port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    seen: list[str] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if re.search(r"tcp://127\.0\.0\.1:\d+", line):
            break
    return process, seen


def test_serve_on_another_store_leaves_the_default_stores_journal_alone(tmp_path):
    """``ecowatch serve --db sqlite:///other.db`` where the default store has a journal (with a frame not
    yet applied, as after a crash) replayed it into other.db and stopped on a foreign key."""
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    env = {**os.environ, "ECOWATCH_DATA_DIR": str(data)}
    env.pop("ECOWATCH_DB", None)
    default_url = f"sqlite:///{data / 'ecowatch.db'}"
    register(default_url, (MN, PW, "2017", None))
    from gateway_helpers import GatewayThread

    default_journal = default_journal_dir(default_url)
    gateway = GatewayThread(default_url, default_journal, store_process=False)
    site_id = gateway.gateway.registry.lookup(MN).site_id
    gateway.stop()
    journal = Journal(default_journal)
    journal.open()
    journal.write(
        [
            Entry(
                True,
                1_772_330_000_000_000,
                site_id,
                "Asia/Shanghai",
                "127.0.0.1:1",
                "",
                upload("20260301101000001"),
            ).encode()
        ]
    )
    journal.close()
    before = sorted((path.name, path.stat().st_size) for path in default_journal.iterdir())

    other = tmp_path / "other.db"
    process, seen = _start_serve(["--db", f"sqlite:///{other}"], env)
    try:
        assert process.poll() is None, "".join(seen)
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
    assert sorted((path.name, path.stat().st_size) for path in default_journal.iterdir()) == before
    assert (tmp_path / "other.journal" / "STORE").exists()
    engine = make_engine(f"sqlite:///{other}")
    try:
        with session_factory(engine)() as session:
            assert list_frames(session=session) == []
            assert read_checkpoint(session=session, journal_id=journal.journal_id) is None
    finally:
        engine.dispose()

    # Given the default store's journal by hand, it refuses, saying whose it is.
    done = subprocess.run(
        [ECOWATCH, "gateway", "--port", "0", "--db", f"sqlite:///{other}", "--journal", str(default_journal)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2
    expected = (
        f"journal {default_journal} belongs to another store (sqlite:///{data / 'ecowatch.db'}), not to "
        f"sqlite:///{other}: its frames are that store's."
    )
    assert re.sub(r"\s+", "", expected) in re.sub(r"\s+", "", done.stderr)  # (the console wraps long paths)


@pytest.mark.parametrize(
    "backend",
    [
        "sqlite",
        pytest.param(
            "postgresql", marks=pytest.mark.skipif(not PG_URL, reason="ECOWATCH_TEST_POSTGRES_URL is not set")
        ),
    ],
)
def test_every_command_treats_a_fresh_embedded_store_alike(backend, tmp_path, request):
    """The embedded store (SQLite) is migrated by any command, as ``serve`` does; a server database
    (PostgreSQL) is left to ``ecowatch db upgrade``, which the refusal names."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        url = request.getfixturevalue("db_url_pg")
    env = {**os.environ, "ECOWATCH_DATA_DIR": str(tmp_path / "data")}
    commands = [
        ["devices", "add", "--mn", MN, "--password", PW, "--site", "FRESH-1"],
        ["hj212", "frames", "--json"],
        ["users", "add", "--username", "li", "--role", "admin", "--password", "li-pass-12345"],
    ]
    for command in commands:
        done = subprocess.run(
            [ECOWATCH, *command, "--db", url], capture_output=True, text=True, env=env, timeout=120
        )
        if backend == "sqlite":
            assert done.returncode == 0, done.stderr
        else:
            assert done.returncode == 2
            assert "run `ecowatch db upgrade` first" in re.sub(r"\s+", " ", done.stderr)
    assert (migrate.current(url) == migrate.head()) is (backend == "sqlite")


def test_the_journal_of_earlier_versions_moves_to_the_default_stores_place(tmp_path):
    """Earlier versions kept one ``journal/`` in the data folder for every store: for the default store it
    moves beside it, and what it holds beyond the store's checkpoint is replayed."""
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    env = {**os.environ, "ECOWATCH_DATA_DIR": str(data)}
    env.pop("ECOWATCH_DB", None)
    default_url = f"sqlite:///{data / 'ecowatch.db'}"
    register(default_url, (MN, PW, "2017", None))
    from gateway_helpers import GatewayThread

    gateway = GatewayThread(default_url, data / "journal", store_process=False)
    site_id = gateway.gateway.registry.lookup(MN).site_id
    gateway.stop()
    journal = Journal(data / "journal")
    journal.open()
    entry = Entry(
        True, 1_772_330_000_000_000, site_id, "Asia/Shanghai", "127.0.0.1:1", "", upload("20260301101000001")
    )
    journal.write([entry.encode()])
    journal.close()
    process = subprocess.Popen(
        [ECOWATCH, "gateway", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not any("listening" in line for line in seen):
            line = process.stdout.readline()
            if not line:
                break
            seen.append(line)
        process.send_signal(signal.SIGTERM)
        process.wait(60)
    finally:
        if process.poll() is None:
            process.kill()
    text = re.sub(r"\s+", "", "".join(seen))
    assert re.sub(r"\s+", "", f"journal of earlier versions moved to {data / 'ecowatch.journal'}") in text
    assert "1framesreplayed" in text
    assert not (data / "journal").exists()
    engine = make_engine(default_url)
    try:
        with session_factory(engine)() as session:
            assert [frame["qn"] for frame in list_frames(session=session)] == ["20260301101000001"]
    finally:
        engine.dispose()
