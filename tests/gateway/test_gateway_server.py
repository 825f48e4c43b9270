"""The gateway over real sockets on 127.0.0.1: replies per frame type, journal before acknowledgement,
idempotent re-sends, quarantine, limits, garbage, SM4; the store on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import socket
import time

import pytest
from gateway_helpers import MN, PW, SITE, SM4_KEY, SM4_MN, Device, GatewayThread, register
from sqlalchemy import func, select

from ecowatch.gateway import journal as journal_module
from ecowatch.gateway.journal import Entry, Journal
from ecowatch.hj212 import make_frame
from ecowatch.store import make_engine, session_factory
from ecowatch.store.frames import frame_values_query, list_frames
from ecowatch.store.hj212_values import FRAME_INTERVALS, frame_measurements
from ecowatch.store.models import Hj212Frame, Hj212Quarantine, Measurement, Site

# HJ 212-2017 Annex C frames with the CRCs computed in the reference (§6.2, §6.3, §6.6).
UPLOAD_2061 = (
    b"##0325QN=20160801090000001;ST=32;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&"
    b"DataTime=20160801080000;w00000-Cou=63.0,w00000-Min=16.4,w00000-Avg=17.5,w00000-Max=20.1,"
    b"w00000-Flag=N;w01001-Min=7.1,w01001-Avg=7.5,w01001-Max=7.8,w01001-Flag=N;w01018-Cou=63.0,"
    b"w01018-Min=40.1,w01018-Avg=40.1,w01018-Max=40.1,w01018-Flag=N&&B7C1\r\n"
)
# As journaled and kept: the password redacted, length and CRC recomputed (the reference CRC-16 of this
# segment happens to be 0000).
UPLOAD_2061_REDACTED = (
    b"##0329QN=20160801090000001;ST=32;CN=2061;PW=<redacted>;MN=010000A8900016F000169DC0;Flag=5;CP=&&"
    b"DataTime=20160801080000;w00000-Cou=63.0,w00000-Min=16.4,w00000-Avg=17.5,w00000-Max=20.1,"
    b"w00000-Flag=N;w01001-Min=7.1,w01001-Avg=7.5,w01001-Max=7.8,w01001-Flag=N;w01018-Cou=63.0,"
    b"w01018-Min=40.1,w01018-Avg=40.1,w01018-Max=40.1,w01018-Flag=N&&0000\r\n"
)
ACK_2061 = (
    b"##0087QN=20160801090000001;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&FF01\r\n"
)
NOTICE_1013 = (
    b"##0099QN=20160801085857223;ST=32;CN=1013;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
    b"CP=&&PolId=w01018&&CAC1\r\n"
)
ANSWER_9013 = (
    b"##0087QN=20160801085857223;ST=91;CN=9013;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&2A80\r\n"
)
SPLIT_1 = (
    b"##0260QN=20160801085857534;ST=32;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=7;PNUM=2;PNO=1;"
    b"CP=&&DataTime=20160801080000;w00000-Cou=63.0,w00000-Min=16.4,w00000-Avg=17.5,w00000-Max=20.1,"
    b"w00000-Flag=N;w01001-Min=7.1,w01001-Avg=7.5,w01001-Max=7.8,w01001-Flag=N&&D941\r\n"
)
SPLIT_1_ACK = (
    b"##0087QN=20160801085857534;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&5B40\r\n"
)
SPLIT_2 = (
    b"##0201QN=20160801085857535;ST=32;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=7;PNUM=2;PNO=2;"
    b"CP=&&DataTime=20160801080000;w01018-Cou=63.0,w01018-Min=40.1,w01018-Avg=40.1,w01018-Max=40.1,"
    b"w01018-Flag=N&&E2C1\r\n"
)
SPLIT_2_ACK = (
    b"##0087QN=20160801085857535;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&4A40\r\n"
)


def upload(
    qn: str,
    *,
    flag: int = 5,
    mn: str = MN,
    pw: str = PW,
    cn: int = 2051,
    so2: float = 12.5,
    data_time: str = "20260301101000",
) -> bytes:
    return make_frame(
        st="22",
        cn=cn,
        pw=pw,
        mn=mn,
        qn=qn,
        flag=flag,
        cp=f"DataTime={data_time};a21026-Min=10.1,a21026-Avg={so2},a21026-Max=15.0,a21026-Flag=N",
    ).raw


def count(url: str, table) -> int:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return session.scalar(select(func.count()).select_from(table))
    finally:
        engine.dispose()


def frames(url: str, mn: str | None = None) -> list[dict]:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return list_frames(session=session, mn=mn)
    finally:
        engine.dispose()


def measurements(url: str) -> list[tuple]:
    """The values kept: ``measurement`` rows, and the real-time and minute values read from their frames."""
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            rows = session.execute(
                select(
                    Site.code,
                    Measurement.interval,
                    Measurement.time,
                    Measurement.pollutant,
                    Measurement.value,
                    Measurement.flag,
                    Measurement.source,
                ).join(Site, Site.id == Measurement.site_id)
            ).all()
            codes = dict(session.execute(select(Site.id, Site.code)).all())
            for interval in FRAME_INTERVALS:
                rows += [
                    (codes[site], interval, time, pollutant, value, flag, source)
                    for site, interval, time, pollutant, value, flag, _, source in frame_measurements(
                        session.execute(frame_values_query(interval))
                    )
                ]
            return sorted(
                (
                    (code, interval, time.replace(tzinfo=None), pollutant, value, flag, source)
                    for code, interval, time, pollutant, value, flag, source in rows
                ),
                key=lambda row: row[3],
            )
    finally:
        engine.dispose()


def stored_cp(url: str) -> list[str | None]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(select(Hj212Frame.cp).order_by(Hj212Frame.id)).scalars())
    finally:
        engine.dispose()


def test_upload_is_answered_9014_and_its_values_kept(db_url, start_gateway):
    register(db_url, (MN, PW, "2017", None))
    gateway = start_gateway(db_url)
    device = Device(gateway.port)
    device.send(UPLOAD_2061)
    assert device.raw_replies(10, size=len(ACK_2061)) == ACK_2061
    gateway.stop()
    kept = frames(db_url)
    assert [(f["mn"], f["qn"], f["cn"], f["data_time"]) for f in kept] == [
        (MN, "20160801090000001", "2061", "20160801080000")
    ]
    assert kept[0]["values"]["w01018"] == {"Cou": 63.0, "Min": 40.1, "Avg": 40.1, "Max": 40.1, "Flag": "N"}
    assert stored_cp(db_url) == [None]  # the data area is read from raw
    hour = dt.datetime(2016, 8, 1, 0, 0)  # Beijing 08:00 is 00:00 UTC
    assert measurements(db_url) == [
        (SITE, "1h", hour, "w00000", 17.5, "N", "hj212"),
        (SITE, "1h", hour, "w00000-Cou", 63.0, "N", "hj212"),
        (SITE, "1h", hour, "w01001", 7.5, "N", "hj212"),
        (SITE, "1h", hour, "w01018", 40.1, "N", "hj212"),
        (SITE, "1h", hour, "w01018-Cou", 63.0, "N", "hj212"),
    ]


def test_reply_per_frame_type(sqlite_url, start_gateway):
    register(sqlite_url, (MN, PW, "2017", None))
    gateway = start_gateway(sqlite_url)
    device = Device(gateway.port)
    device.send(NOTICE_1013)
    assert device.raw_replies(10, size=len(ANSWER_9013)) == ANSWER_9013
    device.send(SPLIT_1 + SPLIT_2)
    assert device.raw_replies(10, size=len(SPLIT_1_ACK + SPLIT_2_ACK)) == SPLIT_1_ACK + SPLIT_2_ACK
    device.send(upload("20260301101000001", flag=4))  # Flag bit A clear: the standard wants no answer
    heartbeat = make_frame(st="22", cn=9015, pw=PW, mn=MN, qn="20260301101000002", flag=5, cp="").raw
    device.send(heartbeat)
    replies = device.replies(1, timeout=1.0)
    assert [(r.cn, r.qn, r.st, r.flag) for r in replies] == [(9013, "20260301101000002", "91", 4)]
    gateway.stop()
    assert sorted((f["cn"], f["qn"]) for f in frames(sqlite_url)) == [
        ("1013", "20160801085857223"),
        ("2051", "20260301101000001"),
        ("2061", "20160801085857534"),
        ("2061", "20160801085857535"),
        ("9015", "20260301101000002"),
    ]


def test_resent_frame_is_acknowledged_each_time_and_kept_once(db_url, start_gateway):
    register(db_url, (MN, PW, "2017", None))
    gateway = start_gateway(db_url)
    device = Device(gateway.port)
    for _ in range(3):
        device.send(UPLOAD_2061)
    assert device.raw_replies(10, size=len(ACK_2061 * 3)) == ACK_2061 * 3
    gateway.stop()
    assert count(db_url, Hj212Frame) == 1
    assert count(db_url, Measurement) == 5


def test_resent_frame_with_new_qn_keeps_values_once(db_url, start_gateway):
    """A reading re-sent under a new QN is the same frame: kept once (issue 14, it was stored again)."""
    register(db_url, (MN, PW, "2017", None))
    gateway = start_gateway(db_url)
    device = Device(gateway.port)
    device.send(upload("20260301101000001") + upload("20260301101000009"))
    assert len(device.replies(2)) == 2
    gateway.stop()
    assert count(db_url, Hj212Frame) == 1
    assert [(row[3], row[4]) for row in measurements(db_url)] == [("a21026", 12.5)]


def test_corrected_value_replaces_the_stored_one(sqlite_url, start_gateway):
    register(sqlite_url, (MN, PW, "2017", None))
    gateway = start_gateway(sqlite_url)
    device = Device(gateway.port)
    device.send(upload("20260301101000001", so2=12.5))
    assert len(device.replies(1)) == 1
    device.send(upload("20260301101000002", so2=13.0))
    assert len(device.replies(1)) == 1
    gateway.stop()
    assert [(row[3], row[4]) for row in measurements(sqlite_url) if row[3] == "a21026"] == [("a21026", 13.0)]


def test_unknown_mn_and_wrong_password_are_quarantined_with_9011(db_url, start_gateway):
    register(db_url, (MN, PW, "2017", None))
    gateway = start_gateway(db_url)
    device = Device(gateway.port)
    device.send(upload("20260301101000001", mn="UNKNOWN0000000000000001"))
    device.send(upload("20260301101000002", pw="999999"))
    device.send(upload("20260301101000003", pw="999999"))
    replies = device.replies(3)
    assert [(r.cn, r.qn, r.cp.params["QnRtn"]) for r in replies] == [
        (9011, "20260301101000001", 4),
        (9011, "20260301101000002", 3),
        (9011, "20260301101000003", 3),
    ]
    gateway.stop()
    assert count(db_url, Hj212Frame) == 0
    assert count(db_url, Measurement) == 0
    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        rows = session.execute(
            select(Hj212Quarantine.mn, Hj212Quarantine.reason, Hj212Quarantine.count).order_by(
                Hj212Quarantine.id
            )
        ).all()
    engine.dispose()
    assert rows == [
        ("UNKNOWN0000000000000001", "unknown MN UNKNOWN0000000000000001", 1),
        (MN, f"wrong password for MN {MN}", 1),
        (MN, f"wrong password for MN {MN}", 1),
    ]


def test_device_registered_while_running_is_accepted(sqlite_url, start_gateway):
    register(sqlite_url, (MN, PW, "2017", None))
    gateway = start_gateway(sqlite_url)
    register(sqlite_url, ("LATE0000000000000000001", PW, "2017", None))
    # No wait: a frame of an MN the registry lacks makes the gateway reload it, no sooner than refresh_s
    # (0.2 s here) after the previous load, and the frame waits for that.
    device = Device(gateway.port)
    device.send(upload("20260301101000001", mn="LATE0000000000000000001"))
    assert [r.cn for r in device.replies(1)] == [9014]


def test_sm4_frame_of_a_2025_device_is_decrypted_answered_and_kept(db_url, start_gateway):
    register(db_url, (SM4_MN, PW, "2025", SM4_KEY))
    gateway = start_gateway(db_url)
    key = bytes.fromhex(SM4_KEY)
    device = Device(gateway.port, key=key)
    frame = make_frame(
        st="22",
        cn=2061,
        pw=PW,
        mn=SM4_MN,
        qn="20260301110000001",
        flag=9,
        key=key,
        cp="DataTime=20260301100000;a34004-Avg=35.0,a34004-Flag=N",
    )
    assert frame.encrypted and b"{0x" in frame.raw
    device.send(frame.raw)
    replies = device.replies(1)
    assert [(r.cn, r.qn, r.flag) for r in replies] == [(9014, "20260301110000001", 8)]
    gateway.stop()
    assert [(f["qn"], f["values"]) for f in frames(db_url)] == [
        ("20260301110000001", {"a34004": {"Avg": 35.0, "Flag": "N"}})
    ]
    assert [(row[1], row[2], row[3], row[4]) for row in measurements(db_url)] == [
        ("1h", dt.datetime(2026, 3, 1, 2, 0), "a34004", 35.0)
    ]
    assert stored_cp(db_url) == ["DataTime=20260301100000;a34004-Avg=35.0,a34004-Flag=N"]  # raw is ciphertext


def test_after_a_key_rotation_frames_under_either_key_are_kept(db_url, start_gateway):
    old, new = bytes.fromhex(SM4_KEY), bytes(range(16))
    register(db_url, (SM4_MN, PW, "2025", SM4_KEY))
    register(db_url, (SM4_MN, PW, "2025", new.hex()))  # the rotation: the old key is kept, retired
    gateway = start_gateway(db_url)
    sent = []
    for qn, key, hour in (("20260301110000001", new, "10"), ("20260301110000002", old, "11")):
        device = Device(gateway.port, key=key)
        frame = make_frame(
            st="22",
            cn=2061,
            pw=PW,
            mn=SM4_MN,
            qn=qn,
            flag=9,
            key=key,
            cp=f"DataTime=20260301{hour}0000;a34004-Avg=35.0,a34004-Flag=N",
        )
        device.send(frame.raw)
        sent.append(qn)
        assert [(r.cn, r.qn) for r in device.replies(1)] == [(9014, qn)]
    gateway.stop()
    assert sorted(f["qn"] for f in frames(db_url)) == sent
    assert count(db_url, Hj212Quarantine) == 0


def test_garbage_between_frames_is_skipped_and_quarantined(sqlite_url, start_gateway):
    register(sqlite_url, (MN, PW, "2017", None))
    gateway = start_gateway(sqlite_url)
    device = Device(gateway.port)
    device.send(
        b"#ttp://www.cmsoft.cn"
        + upload("20260301101000001")
        + b"\x00\xff junk ##12"
        + upload("20260301101000002", data_time="20260301102000")
    )
    assert [r.qn for r in device.replies(2)] == ["20260301101000001", "20260301101000002"]
    gateway.stop()
    assert count(sqlite_url, Hj212Frame) == 2
    engine = make_engine(sqlite_url)
    with session_factory(engine)() as session:
        reasons = list(session.scalars(select(Hj212Quarantine.reason).order_by(Hj212Quarantine.id)))
    engine.dispose()
    assert reasons == ["skipped 20 bytes of garbage", "skipped 12 bytes of garbage"]


def test_bad_crc_gets_9011_crc_error_and_is_not_kept(sqlite_url, start_gateway):
    register(sqlite_url, (MN, PW, "2017", None))
    gateway = start_gateway(sqlite_url)
    device = Device(gateway.port)
    device.send(UPLOAD_2061.replace(b"B7C1", b"B7C2"))
    assert [(r.cn, r.cp.params["QnRtn"]) for r in device.replies(1)] == [(9011, 9)]
    gateway.stop()
    assert count(sqlite_url, Hj212Frame) == 0
    assert count(sqlite_url, Hj212Quarantine) == 1


def test_oversized_frame_is_refused_and_the_next_one_still_served(sqlite_url, start_gateway):
    register(sqlite_url, (MN, PW, "2017", None))
    gateway = start_gateway(sqlite_url, max_frame_bytes=200)
    device = Device(gateway.port)
    device.send(UPLOAD_2061 + upload("20260301101000001"))  # 337 bytes, then 165
    assert [r.qn for r in device.replies(1)] == ["20260301101000001"]
    gateway.stop()
    engine = make_engine(sqlite_url)
    with session_factory(engine)() as session:
        reasons = list(session.scalars(select(Hj212Quarantine.reason)))
    engine.dispose()
    assert "length field 0325 exceeds max_frame_bytes 200" in reasons


def test_idle_connection_is_closed(sqlite_url, start_gateway):
    register(sqlite_url, (MN, PW, "2017", None))
    gateway = start_gateway(sqlite_url, unauthenticated_timeout_s=0.3)
    device = Device(gateway.port)
    started = time.monotonic()
    assert device.closed_by_peer(timeout=5)
    assert 0.25 <= time.monotonic() - started < 3
    assert gateway.gateway.stats.idle_closed == 1


def test_connection_limit(sqlite_url, start_gateway):
    """At the cap, a connection with valid credentials stays; the new one is refused when every other
    connection has sent valid credentials (tests/gateway/test_gateway_connections.py: eviction)."""
    register(sqlite_url, (MN, PW, "2017", None))
    gateway = start_gateway(sqlite_url, max_connections=2)
    first, second = Device(gateway.port), Device(gateway.port)
    first.send(upload("20260301101000001"))
    assert [r.cn for r in first.replies(1)] == [9014]
    second.send(upload("20260301101000002"))
    assert [r.cn for r in second.replies(1)] == [9014]
    third = Device(gateway.port)
    assert third.closed_by_peer(timeout=3)
    first.send(upload("20260301101000003"))
    assert [r.cn for r in first.replies(1)] == [9014]
    assert gateway.gateway.stats.connections_refused == 1
    second.close()


def test_no_acknowledgement_before_the_journal_has_the_frame(sqlite_url, start_gateway, monkeypatch):
    register(sqlite_url, (MN, PW, "2017", None))
    written: list[float] = []
    original = Journal.write

    def slow_write(self, records):
        time.sleep(0.3)
        positions = original(self, records)
        written.append(time.monotonic())
        return positions

    monkeypatch.setattr(journal_module.Journal, "write", slow_write)
    gateway = start_gateway(sqlite_url)
    device = Device(gateway.port)
    sent = time.monotonic()
    device.send(UPLOAD_2061)
    assert device.raw_replies(10, size=len(ACK_2061)) == ACK_2061
    acknowledged = time.monotonic()
    assert written and sent + 0.3 <= written[0] <= acknowledged
    records = [Entry.decode(body) for body, _ in Journal(gateway.gateway.journal_dir).replay(None)]
    assert [(r.kept, r.raw) for r in records] == [(True, UPLOAD_2061_REDACTED)]


def test_failing_journal_means_no_acknowledgement(sqlite_url, start_gateway, monkeypatch):
    register(sqlite_url, (MN, PW, "2017", None))

    def broken(self, records):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(journal_module.Journal, "write", broken)
    gateway = start_gateway(sqlite_url)
    device = Device(gateway.port)
    device.send(UPLOAD_2061)
    assert device.raw_replies(timeout=1) == b""
    assert count(sqlite_url, Hj212Frame) == 0


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_frames_split_across_reads(sqlite_url, start_gateway, chunk):
    register(sqlite_url, (MN, PW, "2017", None))
    gateway = start_gateway(sqlite_url)
    device = Device(gateway.port)
    data = UPLOAD_2061 + NOTICE_1013
    for start in range(0, len(data), chunk):
        device.send(data[start : start + chunk])
    assert device.raw_replies(10, size=len(ACK_2061 + ANSWER_9013)) == ACK_2061 + ANSWER_9013


def test_device_that_half_closes_still_gets_its_replies(sqlite_url, start_gateway):
    register(sqlite_url, (MN, PW, "2017", None))
    gateway = start_gateway(sqlite_url)
    device = Device(gateway.port)
    device.send(UPLOAD_2061 + NOTICE_1013)
    device.sock.shutdown(socket.SHUT_WR)
    assert device.raw_replies(10, size=len(ACK_2061 + ANSWER_9013)) == ACK_2061 + ANSWER_9013
    assert device.closed_by_peer(timeout=5)


def test_backpressure_pauses_reading_while_the_store_lags_and_loses_nothing(
    sqlite_url, start_gateway, monkeypatch
):
    from ecowatch.gateway import writers

    register(sqlite_url, (MN, PW, "2017", None))
    original = writers.apply_batch

    def slow_store(**kwargs):
        time.sleep(0.05)
        return original(**kwargs)

    monkeypatch.setattr(writers, "apply_batch", slow_store)
    gateway = start_gateway(
        sqlite_url, high_water=20, low_water=5, store_batch=10, store_interval_s=0.0, store_process=False
    )  # the store in a thread, so that the slow one above is used
    device = Device(gateway.port)
    frames_sent = [
        upload(f"20260301101{i:06d}", data_time=f"2026030110{i // 60:02d}{i % 60:02d}") for i in range(200)
    ]
    device.send(b"".join(frames_sent))
    replies = device.replies(200, timeout=20)
    assert len(replies) == 200
    assert gateway.gateway.stats.paused >= 1
    gateway.stop()
    assert count(sqlite_url, Hj212Frame) == 200


def test_store_process_lagging_pauses_reading_and_loses_nothing(sqlite_url, start_gateway):
    register(sqlite_url, (MN, PW, "2017", None))
    # The journal never holds back (high_water 10,000); the store process waits 0.3 s to fill a batch,
    # so it lags by more than 20 frames.
    gateway = start_gateway(
        sqlite_url,
        high_water=10_000,
        low_water=5_000,
        store_lag_limit=20,
        store_batch=50,
        store_interval_s=0.3,
    )
    device = Device(gateway.port)
    for i in range(200):
        device.send(upload(f"20260301111{i:06d}", data_time=f"2026030111{i // 60:02d}{i % 60:02d}"))
    replies = device.replies(200, timeout=20)
    assert len(replies) == 200
    assert gateway.gateway.stats.paused >= 1
    gateway.stop()
    assert count(sqlite_url, Hj212Frame) == 200
    assert gateway.gateway.stats.store_frames == 200


def test_random_bytes_never_stop_the_gateway(sqlite_url, start_gateway):
    import random

    register(sqlite_url, (MN, PW, "2017", None))
    gateway = start_gateway(sqlite_url, max_rejections=10_000)
    rng = random.Random(212)
    good = upload("20260301101000001")
    device = Device(gateway.port)
    for _ in range(300):
        kind = rng.random()
        if kind < 0.4:
            chunk = rng.randbytes(rng.randint(1, 300))
        elif kind < 0.8:  # a good frame with a few bytes flipped, cut or doubled
            chunk = bytearray(good)
            for _ in range(rng.randint(1, 4)):
                chunk[rng.randrange(len(chunk))] = rng.randrange(256)
            chunk = bytes(chunk[: rng.randint(1, len(chunk))])
        else:
            chunk = b"##" + str(rng.randint(0, 99999)).encode() + rng.randbytes(rng.randint(0, 40))
        device.send(chunk)
    device.send(b"\r\n" + good)
    assert all(r.cn in (9011, 9014) for r in device.replies(400, timeout=3))
    fresh = Device(gateway.port)
    fresh.send(upload("20260301101000002"))
    assert [r.qn for r in fresh.replies(1)] == ["20260301101000002"]
    assert gateway.gateway.stats.frames_rejected > 0


def test_stop_aborts_connections_whose_peer_does_not_read(sqlite_url, tmp_path, monkeypatch):
    """Under uvloop (as ``ecowatch gateway`` runs) the server is closed only when every connection is:
    a device that stops reading our replies must not hold the stop for ever."""
    import uvloop

    from ecowatch.gateway import server

    monkeypatch.setattr(server, "CLOSE_TIMEOUT_S", 0.5)
    register(sqlite_url, (MN, PW, "2017", None))
    gateway = GatewayThread(sqlite_url, tmp_path / "journal", loop_factory=uvloop.new_event_loop)
    warm = Device(gateway.port)  # the password checked once (Argon2), before the flood
    warm.send(upload("20260301100000001"))
    assert len(warm.replies(1)) == 1
    silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    silent.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)  # our replies pile up at the gateway
    silent.connect(("127.0.0.1", gateway.port))
    silent.settimeout(2)
    frames = b"".join(upload(f"20260301101{number:06d}") for number in range(20_000))
    with contextlib.suppress(TimeoutError):
        silent.sendall(frames)  # until the gateway, its replies unread, stops reading too
    started = time.monotonic()
    gateway.stop()
    assert time.monotonic() - started < 10
    assert gateway.gateway.stats.replies_sent > 100
    silent.close()


@pytest.mark.parametrize("store_process", [True, False], ids=["store-process", "store-thread"])
def test_stop_while_the_store_waits_with_nothing_queued(sqlite_url, tmp_path, store_process):
    """Frames that come while the store writes go with that batch, and their wake-up then finds nothing
    queued: the store loop must not wait out its interval then, nor hang a stop. (It did both: on
    Python 3.11 ``asyncio.wait_for`` swallowed stop()'s cancellation there, and a benchmark's gateway
    never exited after SIGTERM.)"""
    gateway = GatewayThread(
        sqlite_url, tmp_path / "journal", store_interval_s=60.0, store_process=store_process
    )
    gateway.loop.call_soon_threadsafe(gateway.gateway._store_wakeup.set)  # such a wake-up
    gateway.call(asyncio.sleep(0.1))
    started = time.monotonic()
    gateway.call(gateway.gateway.stop(), timeout=20)
    assert time.monotonic() - started < 10
