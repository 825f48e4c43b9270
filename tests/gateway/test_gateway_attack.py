"""The gateway's store side under attack (issue 14) over real sockets on 127.0.0.1, SQLite and PostgreSQL:
frames and junk the store cannot take never block the frames behind them nor stop a replay."""

from __future__ import annotations

import datetime as dt

from gateway_helpers import MN, PW, Device, register, wait_for
from sqlalchemy import select

from ecowatch.gateway.journal import Entry, Journal
from ecowatch.hj212 import make_frame, parse_frame
from ecowatch.hj212.crc import format_crc, hj212_crc16
from ecowatch.store import make_engine, session_factory
from ecowatch.store.frames import list_frames
from ecowatch.store.models import Hj212Frame, Hj212Quarantine


def upload(
    qn: str,
    *,
    st: str = "22",
    cn: int = 2051,
    data_time: str = "20260301101000",
    so2: float = 12.5,
    pw: str = PW,
) -> bytes:
    return make_frame(
        st=st, cn=cn, pw=pw, mn=MN, qn=qn, flag=5, cp=f"DataTime={data_time};a21026-Avg={so2},a21026-Flag=N"
    ).raw


def framed(segment: bytes) -> bytes:
    """A frame around ``segment`` with its length and CRC (HJ 212-2017 §6.3.1)."""
    return b"##%04d%s%s\r\n" % (len(segment), segment, format_crc(hj212_crc16(segment)).encode())


def kept_qns(url: str) -> list[str | None]:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return [frame["qn"] for frame in list_frames(session=session)]
    finally:
        engine.dispose()


def quarantined(url: str) -> list[tuple[str, str]]:
    """``(reason, raw)`` of every quarantine row, in the order they came."""
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return [
                tuple(row)
                for row in session.execute(
                    select(Hj212Quarantine.reason, Hj212Quarantine.raw).order_by(Hj212Quarantine.id)
                )
            ]
    finally:
        engine.dispose()


def test_nul_junk_is_quarantined_escaped_and_does_not_stop_the_store(db_url, start_gateway):
    """``printf 'a\\0b##0004ABCD0000\\r\\n' | nc HOST PORT`` stopped the PostgreSQL store for good."""
    register(db_url, (MN, PW, "2017", None))
    gateway = start_gateway(db_url)
    attacker = Device(gateway.port)
    attacker.send(b"a\0b##0004ABCD0000\r\n")
    attacker.sock.shutdown(1)
    assert attacker.closed_by_peer(timeout=5)
    device = Device(gateway.port)
    device.send(upload("20260301101000001"))
    assert [(r.cn, r.qn) for r in device.replies(1)] == [(9014, "20260301101000001")]
    gateway.stop()
    assert kept_qns(db_url) == ["20260301101000001"]
    assert quarantined(db_url) == [
        ("skipped 3 bytes of garbage", "a\\x00b"),
        ("field CP missing (no 'CP=&&' in the data segment)", "##0004ABCD0000\r\n"),
    ]


def test_frames_wider_than_their_columns_are_refused_before_acknowledgement(db_url, start_gateway):
    """A registered device's QN over 32 characters, ST over 8 or a NUL byte: answered 9011 (QN error, ST
    error, refused), never 9014, quarantined; the frame behind them is kept."""
    register(db_url, (MN, PW, "2017", None))
    gateway = start_gateway(db_url)
    device = Device(gateway.port)
    long_qn = "2026030110100000100000000000000001"  # 34 characters
    device.send(upload(long_qn))
    device.send(upload("20260301101000002", st="123456789"))
    device.send(framed(upload("20260301101000003")[6:-6].replace(b"a21026-Flag=N", b"a21026-Flag=\0")))
    device.send(upload("20260301101000004", data_time="20260301102000"))
    replies = device.replies(4)
    assert [(r.cn, r.qn, r.cp.params.get("QnRtn")) for r in replies] == [
        (9011, long_qn, 7),
        (9011, "20260301101000002", 5),
        (9011, "20260301101000003", 2),
        (9014, "20260301101000004", None),
    ]
    gateway.stop()
    assert kept_qns(db_url) == ["20260301101000004"]
    assert [reason for reason, _ in quarantined(db_url)] == [
        f"QN of 34 characters (the store keeps at most 32), from MN {MN}",
        f"ST of 9 characters (the store keeps at most 8), from MN {MN}",
        f"NUL byte in the frame (no text column can keep it), from MN {MN}",
    ]
    assert "a21026-Flag=\\x00" in quarantined(db_url)[2][1]


def test_replay_quarantines_what_the_store_refuses_and_goes_on(db_url, tmp_path, start_gateway):
    """A journal written before the door checked (a kept QN of 40 characters, a NUL in a refused frame's
    reason) is replayed: what the store cannot keep is quarantined (escaped; the password redacted, length
    and CRC recomputed), the frames after it kept."""
    register(db_url, (MN, PW, "2017", None))
    gateway = start_gateway(db_url)
    site_id = gateway.gateway.registry.lookup(MN).site_id
    gateway.stop()
    journal = Journal(tmp_path / "journal")
    journal.open()
    now = int(dt.datetime(2026, 3, 1, 2, 10, tzinfo=dt.UTC).timestamp() * 1e6)
    bad = upload("1" * 40)
    good = upload("20260301101000009", data_time="20260301103000")
    journal.write(
        [
            Entry(True, now, site_id, "Asia/Shanghai", "127.0.0.1:1", "", bad).encode(),
            Entry(False, now, -1, "", "127.0.0.1:1", "bad\0reason", b"x\0y").encode(),
            Entry(True, now, site_id, "Asia/Shanghai", "127.0.0.1:1", "", good).encode(),
        ]
    )
    journal.close()
    gateway = start_gateway(db_url)
    assert gateway.gateway.stats.replayed == 3
    gateway.stop()
    assert kept_qns(db_url) == ["20260301101000009"]
    assert quarantined(db_url) == [
        (
            "journal replay: QN of 40 characters (the store keeps at most 32)",
            "##0167QN=1111111111111111111111111111111111111111;ST=22;CN=2051;PW=<redacted>;"
            "MN=010000A8900016F000169DC0;Flag=5;CP=&&DataTime=20260301101000;a21026-Avg=12.5,a21026-Flag=N&&47C0\r\n",
        ),
        ("bad\\x00reason", "x\\x00y"),
    ]


def test_impossible_data_time_is_refused_and_far_ones_quarantined(db_url, start_gateway):
    """``20261399996161`` and ``00000000000000`` are refused (9011 QnRtn=2, never 9014); 2099 and 1900,
    possible but outside the window around the server clock, are acknowledged and quarantined, not kept
    as data."""
    register(db_url, (MN, PW, "2017", None))
    gateway = start_gateway(db_url, data_time_past_days=400, data_time_future_minutes=60)
    device = Device(gateway.port)
    for qn, data_time in (
        ("20260301101000001", "20261399996161"),
        ("20260301101000002", "00000000000000"),
        ("20260301101000003", "20991231000000"),
        ("20260301101000004", "19000101000000"),
    ):
        device.send(upload(qn, cn=2061, data_time=data_time))
    replies = device.replies(4)
    assert [(r.cn, r.qn, r.cp.params.get("QnRtn")) for r in replies] == [
        (9011, "20260301101000001", 2),
        (9011, "20260301101000002", 2),
        (9014, "20260301101000003", None),
        (9014, "20260301101000004", None),
    ]
    gateway.stop()
    assert kept_qns(db_url) == []
    reasons = [reason.split(" (the server clock")[0] for reason, _ in quarantined(db_url)]
    assert reasons[:2] == [
        f"impossible DataTime 20261399996161, from MN {MN}",
        f"impossible DataTime 00000000000000, from MN {MN}",
    ]
    assert reasons[2].startswith("DataTime 20991231000000 is ") and " days after" in reasons[2]
    assert reasons[3].startswith("DataTime 19000101000000 is ") and " days before" in reasons[3]


def test_data_time_window_is_configurable(sqlite_url, start_gateway):
    """The same frame, ten days old by the server clock: kept with the default window, quarantined with
    a window of one day."""
    register(sqlite_url, (MN, PW, "2017", None))
    ten_days_ago = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8) - dt.timedelta(days=10)).strftime(
        "%Y%m%d%H0000"
    )
    frame = upload("20260301101000001", data_time=ten_days_ago)
    gateway = start_gateway(sqlite_url, data_time_past_days=1)
    device = Device(gateway.port)
    device.send(frame)
    assert [r.cn for r in device.replies(1)] == [9014]
    gateway.stop()
    assert kept_qns(sqlite_url) == []
    assert quarantined(sqlite_url)[0][0].startswith(
        f"DataTime {ten_days_ago} is 10 days before the server clock"
    )


def test_passwords_are_kept_nowhere_and_kept_frames_still_verify(db_url, start_gateway, tmp_path):
    """``PW=…`` of kept frames, wrong guesses and junk is redacted in the journal, ``hj212_frame.raw`` and
    ``hj212_quarantine.raw``.  A kept frame's length and CRC are recomputed (the CRC below is the reference
    CRC-16 of the redacted segment), so it still verifies; a refused one keeps the CRC it came with."""
    register(db_url, (MN, "pgpass123", "2017", None))
    gateway = start_gateway(db_url)
    device = Device(gateway.port)
    device.send(upload("20260301101000001", pw="pgpass123"))
    device.send(upload("20260301101000002", pw="guess42"))
    device.send(
        b"junk;PW=secret77;MN=x" + upload("20260301101000003", pw="pgpass123", data_time="20260301102000")
    )
    assert [r.cn for r in device.replies(3)] == [9014, 9011, 9014]
    gateway.stop()
    journal = b"".join(path.read_bytes() for path in sorted((tmp_path / "journal").glob("segment-*")))
    for secret in (b"pgpass123", b"guess42", b"secret77"):
        assert secret not in journal
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            raws = session.scalars(select(Hj212Frame.raw).order_by(Hj212Frame.id)).all()
    finally:
        engine.dispose()
    assert raws[0] == (
        "##0144QN=20260301101000001;ST=22;CN=2051;PW=<redacted>;MN=010000A8900016F000169DC0;"
        "Flag=5;CP=&&DataTime=20260301101000;a21026-Avg=12.5,a21026-Flag=N&&5280\r\n"
    )
    assert parse_frame(raws[0].encode()).crc_ok
    assert all("pgpass123" not in raw for raw in raws)
    assert [raw for _, raw in quarantined(db_url)] == [
        "##0141QN=20260301101000002;ST=22;CN=2051;PW=<redacted>;MN=010000A8900016F000169DC0;Flag=5;"
        "CP=&&DataTime=20260301101000;a21026-Avg=12.5,a21026-Flag=N&&5E40\r\n",
        "junk;PW=<redacted>;MN=x",
    ]


def test_a_store_error_logs_no_password_and_replay_goes_on(
    db_url, start_gateway, tmp_path, monkeypatch, caplog
):
    """A journal written before redaction (``PW=pgpass123`` in clear) whose frame the database refuses (its
    site unknown, the gateway's own check skipped here so that the foreign key refuses it): the frame is
    quarantined with the database's reason, redacted, and nothing in the log holds the password."""
    from ecowatch.gateway import writers

    register(db_url, (MN, PW, "2017", None))
    start_gateway(db_url).stop()  # the journal now names this store
    journal = Journal(tmp_path / "journal")
    journal.open()
    frame = upload("20260301101000001", pw="pgpass123")
    journal.write(
        [Entry(True, 1_772_330_000_000_000, 999_999, "Asia/Shanghai", "127.0.0.1:1", "", frame).encode()]
    )
    journal.close()
    monkeypatch.setattr(writers, "known_sites", lambda *, session, ids: set(ids))
    caplog.set_level("DEBUG")
    gateway = start_gateway(db_url, store_process=False)
    assert gateway.gateway.stats.replayed == 1
    gateway.stop()
    assert "pgpass123" not in caplog.text
    assert "the store refused a batch of 1 frames" in caplog.text
    [(reason, raw)] = quarantined(db_url)
    assert reason in (
        "the store refused it: IntegrityError: FOREIGN KEY constraint failed",
        'the store refused it: ForeignKeyViolation: insert or update on table "hj212_frame" violates '
        'foreign key constraint "fk_hj212_frame_site_id_site"',
    )
    assert "PW=<redacted>" in raw and "pgpass123" not in raw
    assert kept_qns(db_url) == []


def test_journal_and_store_files_are_private(sqlite_url, start_gateway, tmp_path):
    """Data files 0600 in a 0700 data folder; the journal folder 0700 (issue 14)."""
    import os
    import stat

    from ecowatch.store.db import data_dir

    folder = data_dir()
    os.chmod(folder, 0o755)
    assert stat.S_IMODE(data_dir().stat().st_mode) == 0o700
    register(sqlite_url, (MN, PW, "2017", None))
    gateway = start_gateway(sqlite_url)
    device = Device(gateway.port)
    device.send(upload("20260301101000001"))
    assert len(device.replies(1)) == 1
    gateway.stop()
    journal = tmp_path / "journal"
    assert stat.S_IMODE(journal.stat().st_mode) == 0o700
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in journal.iterdir()}
    assert modes == {"JOURNAL_ID": 0o600, "STORE": 0o600, "segment-00000001.log": 0o600}
    assert stat.S_IMODE((tmp_path / "store.db").stat().st_mode) == 0o600


def test_trailing_garbage_is_quarantined(db_url, start_gateway):
    register(db_url, (MN, PW, "2017", None))
    gateway = start_gateway(db_url)
    device = Device(gateway.port)
    device.send(upload("20260301101000001") + b"bye\0")
    device.sock.shutdown(1)
    assert [r.qn for r in device.replies(1)] == ["20260301101000001"]
    assert device.closed_by_peer(timeout=5)
    gateway.stop()
    assert quarantined(db_url) == [("skipped 4 bytes of garbage", "bye\\x00")]


def test_a_garbage_only_connection_counts_toward_max_rejections(sqlite_url, start_gateway):
    """Garbage is reported every max_frame_bytes (200 here), each report a rejection: past 3, closed."""
    gateway = start_gateway(sqlite_url, max_frame_bytes=200, max_rejections=3)
    attacker = Device(gateway.port)
    attacker.send(b"x" * 1000)
    assert attacker.closed_by_peer(timeout=5)
    assert gateway.gateway.stats.frames_rejected == 4


def test_same_qn_and_data_time_with_other_values_keeps_both_and_flags_the_second(db_url, start_gateway):
    """Issue 14: the same QN and DataTime with a different value silently replaced the first.  Both are kept,
    the first stays the data, the second is flagged for review (shown by ``ecowatch hj212 frames --json``);
    the first re-sent with a new QN is not stored again."""
    import json

    from typer.testing import CliRunner

    from ecowatch.cli import app
    from ecowatch.store.models import Measurement

    register(db_url, (MN, PW, "2017", None))
    gateway = start_gateway(db_url)
    device = Device(gateway.port)

    def hour(qn: str, value: float) -> bytes:
        return upload(qn, cn=2061, data_time="20260301100000", so2=value)

    device.send(hour("20260301110000001", 12.5))
    assert [r.cn for r in device.replies(1)] == [9014]
    device.send(hour("20260301110000001", 99.0) + hour("20260301110000777", 12.5))
    assert [r.cn for r in device.replies(2)] == [9014, 9014]
    gateway.stop()
    result = CliRunner().invoke(app, ["hj212", "frames", "--db", db_url, "--json"])
    assert result.exit_code == 0, result.output
    frames = [(f["qn"], f["values"]["a21026"]["Avg"], f["review"]) for f in json.loads(result.stdout)]
    assert frames[0] == ("20260301110000001", 12.5, None)
    assert frames[1][:2] == ("20260301110000001", 99.0)
    assert frames[1][2].startswith(
        "conflict: QN 20260301110000001 with DataTime 20260301100000 was kept before "
        "with other values (frame 20260301100000"
    )
    assert frames[1][2].endswith("): for review, not used as data")
    assert len(frames) == 2
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            assert session.execute(select(Measurement.pollutant, Measurement.value)).all() == [
                ("a21026", 12.5)
            ]
    finally:
        engine.dispose()


def test_ecowatch_gateway_takes_the_data_time_window_and_junk_budgets(sqlite_url, tmp_path):
    import os
    import re
    import signal
    import subprocess
    import sys
    from pathlib import Path

    register(sqlite_url, (MN, PW, "2017", None))
    command = [
        str(Path(sys.executable).with_name("ecowatch")),
        "gateway",
        "--port",
        "0",
        "--db",
        sqlite_url,
        "--data-time-past-days",
        "1",
        "--junk-bytes-per-address",
        "10",
        "--junk-bytes-total",
        "1000",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=dict(os.environ)
    )
    try:
        port = None
        while port is None:
            line = process.stdout.readline()
            assert line, "the gateway did not start"
            if found := re.search(r"listening on 127\.0\.0\.1:(\d+)", line):
                port = int(found.group(1))
        device = Device(port)
        device.send(upload("20260301101000001", data_time="20260301101000") + b"junk that is over ten bytes")
        assert [r.cn for r in device.replies(1)] == [9014]  # acknowledged, quarantined: a day at most
        device.sock.shutdown(1)
        assert device.closed_by_peer(timeout=10)  # the gateway has seen the end, and the garbage before it
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=60)[0]
    # The frame (150 bytes) is over the 10-byte budget: kept whole as the address's one sample (it is
    # shorter than a sample); the garbage after it (27 bytes) is only counted.
    assert '"junk_sampled": 0, "junk_dropped": 1, "junk_dropped_bytes": 27' in output
    assert kept_qns(sqlite_url) == []
    assert quarantined(sqlite_url)[0][0].startswith("DataTime 20260301101000 is ")


def test_garbage_before_a_reset_is_quarantined(sqlite_url, start_gateway):
    """A peer that resets the connection (no EOF) after garbage: the garbage is quarantined all the same."""
    import socket
    import struct

    gateway = start_gateway(sqlite_url)
    peer = socket.create_connection(("127.0.0.1", gateway.port), timeout=5)
    peer.sendall(b"reset\0junk")
    assert wait_for(lambda: gateway.gateway.stats.bytes_received == 10)
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    peer.close()  # RST
    assert wait_for(lambda: gateway.gateway.stats.frames_rejected == 1)
    gateway.stop()
    assert quarantined(sqlite_url) == [("skipped 10 bytes of garbage", "reset\\x00junk")]
