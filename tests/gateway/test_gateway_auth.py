"""Device credentials under attack (issue 14): a keyed hash checked in microseconds after any restart,
Argon2 once per legacy device in a priority queue, wrong passwords throttled per MN and per address
without telling a guesser when it was right.  Over TCP on 127.0.0.1, both backends."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import socket
import threading
import time

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from gateway_helpers import MN, PW, Device, register, wait_for
from sqlalchemy import inspect, select, update

from ecowatch.gateway import registry as registry_module
from ecowatch.gateway.guard import CredentialGuard
from ecowatch.gateway.registry import Registry
from ecowatch.hj212 import hj212_crc16
from ecowatch.hj212.crc import format_crc
from ecowatch.store import make_engine, migrate, session_factory
from ecowatch.store.devices import DeviceInfo, master_key
from ecowatch.store.models import Device as DeviceRow

END_QN = "20260101000000999"


def upload(qn: str, *, mn: str = MN, pw: str = PW, flag: int = 5, bad_crc: bool = False) -> bytes:
    segment = (
        f"QN={qn};ST=22;CN=2011;PW={pw};MN={mn};Flag={flag};"
        "CP=&&DataTime=20260101000000;a21026-Rtd=10.0,a21026-Flag=N&&"
    ).encode()
    crc = "0000" if bad_crc else format_crc(hj212_crc16(segment))
    return b"##%04d%s%s\r\n" % (len(segment), segment, crc.encode())


def expected_check(mn: str, password: str) -> str:
    """The keyed hash as docs/decisions.md defines it, computed here from the primitives (RFC 5869 HKDF,
    RFC 2104 HMAC), not by the code under test."""
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"ecowatch device password check v1"
    ).derive(master_key())
    key_id = hashlib.sha256(b"key id" + key).hexdigest()[:8]
    return f"hs1:{key_id}:" + hmac.new(key, f"{mn}\0{password}".encode(), hashlib.sha256).hexdigest()


def stored_check(url: str, mn: str = MN) -> str | None:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return session.scalar(select(DeviceRow.password_check).where(DeviceRow.mn == mn))
    finally:
        engine.dispose()


def forget_check(url: str, mn: str = MN) -> None:
    """The device as registered before migration 0007: an Argon2 hash only."""
    engine = make_engine(url)
    try:
        with session_factory(engine).begin() as session:
            session.execute(update(DeviceRow).where(DeviceRow.mn == mn).values(password_check=None))
    finally:
        engine.dispose()


class From(Device):
    """A device connecting from another loopback address (Linux routes all of 127.0.0.0/8 to lo)."""

    def __init__(self, port: int, address: str) -> None:  # not super().__init__: it connects from 127.0.0.1
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(address, 0))
        from ecowatch.hj212 import FrameDecoder

        self.decoder = FrameDecoder()


def answer(device: Device, frame: bytes) -> tuple[int, str | None]:
    """Send ``frame`` then a frame with a bad CRC, and return (CN, QnRtn) of the reply to ``frame``, or
    (0, None) when it got none: replies go back in order, so the bad CRC's 9011 (QnRtn=9) marks the end."""
    device.send(frame + upload(END_QN, bad_crc=True))
    replies = []
    while not replies or replies[-1].qn != END_QN:
        got = device.replies(1, timeout=5)
        assert got, f"no reply to the end marker; before it: {replies}"
        replies += got
    assert str(replies[-1].cp.params.get("QnRtn")) == "9", replies
    if len(replies) == 1:
        return 0, None
    assert len(replies) == 2, replies
    qn_rtn = replies[0].cp.params.get("QnRtn")
    return replies[0].cn, None if qn_rtn is None else str(qn_rtn)


def test_registered_device_has_the_keyed_check_and_a_cold_gateway_needs_no_argon2(db_url, start_gateway):
    register(db_url, (MN, PW, "2017", None))
    assert stored_check(db_url) == expected_check(MN, PW)
    gateway = start_gateway(db_url)
    device = Device(gateway.port)
    device.send(upload("20260101000000001"))
    assert [r.cn for r in device.replies(1)] == [9014]
    device.close()
    assert gateway.gateway.registry.verifications == 0  # no Argon2 check, cold as it was
    assert gateway.gateway.registry.fast_checks == 1


def test_legacy_device_is_verified_once_then_its_check_is_written_for_the_next_start(db_url, start_gateway):
    register(db_url, (MN, PW, "2017", None))
    forget_check(db_url)
    gateway = start_gateway(db_url)
    device = Device(gateway.port)
    device.send(upload("20260101000000001"))
    assert [r.cn for r in device.replies(1)] == [9014]
    device.close()
    assert gateway.gateway.registry.verifications == 1
    assert wait_for(lambda: stored_check(db_url) is not None)
    assert stored_check(db_url) == expected_check(MN, PW)
    gateway.stop()
    again = start_gateway(db_url)
    device = Device(again.port)
    device.send(upload("20260101000000002"))
    assert [r.cn for r in device.replies(1)] == [9014]
    device.close()
    assert again.gateway.registry.verifications == 0


def test_a_check_made_under_another_master_key_falls_back_to_argon2_not_to_wrong_password(
    db_url, start_gateway
):
    register(db_url, (MN, PW, "2017", None))
    engine = make_engine(db_url)
    with session_factory(engine).begin() as session:
        session.execute(
            update(DeviceRow).where(DeviceRow.mn == MN).values(password_check="hs1:00000000:" + "0" * 64)
        )
    engine.dispose()
    gateway = start_gateway(db_url)
    device = Device(gateway.port)
    device.send(upload("20260101000000001"))
    assert [r.cn for r in device.replies(1)] == [9014]
    device.close()
    assert gateway.gateway.registry.verifications == 1
    assert wait_for(lambda: stored_check(db_url) == expected_check(MN, PW))


def test_migration_0007_adds_and_removes_the_check_column(db_url):
    migrate.upgrade(db_url, "0007")
    engine = make_engine(db_url)
    try:
        assert "password_check" in {c["name"] for c in inspect(engine).get_columns("device")}
        migrate.downgrade(engine, "0006")
        assert "password_check" not in {c["name"] for c in inspect(engine).get_columns("device")}
    finally:
        engine.dispose()


def test_wrong_passwords_are_throttled_and_a_right_guess_is_not_told(db_url, start_gateway):
    register(db_url, (MN, PW, "2017", None))
    gateway = start_gateway(db_url, guard={"mn_burst": 3, "address_burst": 100})
    device = Device(gateway.port)  # the real device, from 127.0.0.1
    assert answer(device, upload("20260101000000001")) == (9014, None)
    guesser = From(gateway.port, "127.0.0.2")
    for number, guess in enumerate(("111111", "222222", "333333")):
        assert answer(guesser, upload(f"2026010100000010{number}", pw=guess)) == (9011, "3")
    # The MN's bucket is full: the next guess, right or wrong, gets no answer at all.
    assert answer(guesser, upload("20260101000000110", pw="444444")) == (0, None)
    assert answer(guesser, upload("20260101000000111", pw=PW)) == (0, None)
    guesser.close()
    # The real device keeps reporting, on this connection and on a new one from its address...
    assert answer(device, upload("20260101000000002")) == (9014, None)
    device.close()
    again = Device(gateway.port)
    assert answer(again, upload("20260101000000003")) == (9014, None)
    # ...and its address, which sent no wrong password, is heard once; having sent one, no more.
    assert answer(again, upload("20260101000000004", pw="555555")) == (9011, "3")
    assert answer(again, upload("20260101000000005", pw="666666")) == (0, None)
    again.close()
    stats = gateway.gateway.stats
    assert wait_for(lambda: stats.frames_quarantined == 7)
    assert gateway.gateway.guard.refused == 3


def test_a_device_repeating_its_stale_password_does_not_lock_its_mn(db_url, start_gateway):
    register(db_url, (MN, PW, "2017", None))
    gateway = start_gateway(db_url, guard={"mn_burst": 3, "address_burst": 3})
    stale = Device(gateway.port)
    for number in range(10):
        assert answer(stale, upload(f"2026010100000010{number}", pw="old-pw")) == (9011, "3")
    stale.close()
    fixed = From(gateway.port, "127.0.0.3")
    assert answer(fixed, upload("20260101000000200")) == (9014, None)
    fixed.close()


def test_an_address_guessing_unknown_mns_is_throttled(db_url, start_gateway):
    register(db_url, (MN, PW, "2017", None))
    gateway = start_gateway(db_url, guard={"address_burst": 4})
    guesser = From(gateway.port, "127.0.0.4")
    for number in range(4):
        assert answer(guesser, upload(f"2026010100000030{number}", mn=f"NOSUCHMN{number}")) == (9011, "4")
    assert answer(guesser, upload("20260101000000310", mn="NOSUCHMN9")) == (0, None)
    assert answer(guesser, upload("20260101000000311")) == (0, None)  # even a registered device's right pair
    guesser.close()
    other = From(gateway.port, "127.0.0.5")
    assert answer(other, upload("20260101000000312")) == (9014, None)
    other.close()


def test_guard_leaks_one_failure_per_period_and_hears_clean_addresses():
    guard = CredentialGuard(mn_burst=2, mn_leak_s=60.0, address_burst=100)
    guard.failed("MN1", "10.0.0.1", "a", now=0.0)
    guard.failed("MN1", "10.0.0.1", "b", now=0.0)
    assert (
        guard.refusal("MN1", "10.0.0.1", "c", now=0.0)
        == "MN MN1: too many wrong passwords, not checked for 60 s"
    )
    assert (
        guard.refusal("MN1", "10.0.0.1", "c", now=59.0)
        == "MN MN1: too many wrong passwords, not checked for 1 s"
    )
    assert guard.refusal("MN1", "10.0.0.1", "c", now=60.0) is None
    assert guard.refusal("MN1", "10.0.0.2", "c", now=0.0) is None  # sent no wrong password for MN1: heard
    guard.failed("MN1", "10.0.0.2", "c", now=0.0)
    assert guard.refusal("MN1", "10.0.0.2", "d", now=1.0) is not None
    assert guard.refusal("MN2", "10.0.0.2", "d", now=1.0) is None  # another MN: its own bucket


def test_slow_checks_of_known_addresses_go_before_a_guessers(monkeypatch):
    """Argon2 checks wait in a priority queue: the guesser's (priority 5) queued first, run last."""
    order: list[str] = []
    first_running = threading.Event()
    release = threading.Event()

    def verify(password_hash: str, password: str) -> bool:
        order.append(password)
        if password == "first":
            first_running.set()
            release.wait(5)
        return password == "right"

    monkeypatch.setattr(registry_module, "verify_device_password", verify)

    async def run() -> None:
        registry = Registry("sqlite://", max_parallel_verifications=1, check_key=bytes(32))
        info = DeviceInfo("MN1", "$argon2id$fake", 1, "Asia/Shanghai", "2017")
        first = asyncio.ensure_future(registry.verify_password(info, "first"))
        await asyncio.get_running_loop().run_in_executor(None, first_running.wait, 5)
        guess = asyncio.ensure_future(registry.verify_password(info, "guess", priority=5.0))
        right = asyncio.ensure_future(registry.verify_password(info, "right", priority=0.0))
        await asyncio.sleep(0)
        release.set()
        assert await asyncio.gather(first, guess, right) == [False, False, True]
        registry.close()

    started = time.monotonic()
    asyncio.run(run())
    assert time.monotonic() - started < 5
    assert order == ["first", "right", "guess"]


@pytest.mark.parametrize("parallel", [2])
def test_slow_checks_run_in_parallel(monkeypatch, parallel):
    """Two legacy devices' Argon2 checks overlap in time (one thread per core by default)."""
    both = threading.Barrier(parallel, timeout=5)
    monkeypatch.setattr(registry_module, "verify_device_password", lambda h, p: both.wait() >= 0)

    async def run() -> list[bool]:
        registry = Registry("sqlite://", max_parallel_verifications=parallel, check_key=bytes(32))
        infos = [
            DeviceInfo(f"MN{n}", f"$argon2id$fake{n}", 1, "Asia/Shanghai", "2017") for n in range(parallel)
        ]
        try:
            return await asyncio.gather(*(registry.verify_password(info, "pw") for info in infos))
        finally:
            registry.close()

    assert asyncio.run(run()) == [True] * parallel


def test_thirty_guessers_cost_no_argon2_and_do_not_delay_a_device(db_url, start_gateway):
    """Issue 14: 30 guessing connections delayed a real device's first reply by 6.1 s after a restart."""
    register(db_url, (MN, PW, "2017", None))
    gateway = start_gateway(db_url)
    guessers = [From(gateway.port, f"127.0.1.{n + 2}") for n in range(30)]
    for number, guesser in enumerate(guessers):
        guesser.send(
            b"".join(upload(f"2026010100{number:03d}{k:04d}", pw=f"{number:03d}{k:03d}") for k in range(20))
        )
    device = Device(gateway.port)
    started = time.monotonic()
    device.send(upload("20260101000000001"))
    assert [r.cn for r in device.replies(1)] == [9014]
    waited = time.monotonic() - started
    assert gateway.gateway.registry.verifications == 0  # every guess checked by the keyed hash
    assert waited < 2.0  # 6.1 s before (one Argon2 check per guess, on one thread, ahead of the device)
    for guesser in guessers:
        guesser.close()
    device.close()
