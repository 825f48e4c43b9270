"""Junk budgets (issue 14, "Junk fills disk and memory"): per address and in all, per window; past them
a sample is kept and the rest counted, never journaled.  The budget itself, then over 127.0.0.1."""

from __future__ import annotations

from gateway_helpers import MN, PW, Device, register
from sqlalchemy import func, select

from ecowatch.gateway.budget import MAX_ADDRESSES, JunkBudget, JunkReport
from ecowatch.gateway.journal import Entry, Journal
from ecowatch.hj212 import make_frame
from ecowatch.store import make_engine, session_factory
from ecowatch.store.models import Hj212Frame, Hj212Quarantine


def test_budget_per_address_then_sample_then_counted():
    budget = JunkBudget(per_address_bytes=1000, total_bytes=100_000, window_s=3600, sample_bytes=64)
    assert [budget.admit("a", 300, now=0.0) for _ in range(5)] == [300, 300, 300, 64, 0]
    assert budget.admit("b", 300, now=1.0) == 300  # another address has its own budget
    assert (budget.dropped, budget.dropped_bytes) == ({"a": 1}, 300)


def test_budget_in_all_binds_every_address():
    budget = JunkBudget(per_address_bytes=1000, total_bytes=1500, window_s=3600, sample_bytes=64)
    assert [budget.admit(address, 600, now=0.0) for address in ("a", "b", "c", "c")] == [600, 600, 64, 0]


def test_a_new_window_starts_afresh_and_reports_the_old_one():
    budget = JunkBudget(per_address_bytes=100, total_bytes=1000, window_s=60, sample_bytes=10)
    assert [budget.admit("a", 100, now=0.0) for _ in range(4)] == [100, 10, 0, 0]
    assert budget.roll(59.9) is None
    assert budget.roll(60.0) == JunkReport(2, 200, (("a", 2),))
    assert budget.admit("a", 100, now=60.5) == 100


def test_many_addresses_share_one_entry_past_the_table_cap():
    budget = JunkBudget(per_address_bytes=10, total_bytes=10**9, window_s=60, sample_bytes=1)
    for number in range(MAX_ADDRESSES):
        budget.admit(f"2001:db8::{number:x}", 10, now=0.0)
    assert [budget.admit(f"2001:db8::1:{number:x}", 10, now=0.0) for number in range(3)] == [10, 1, 0]
    assert len(budget.used) == MAX_ADDRESSES + 1


def bad_crc_frame(number: int) -> bytes:
    """A frame of 1,081 bytes whose CRC is wrong (so refused and quarantined)."""
    frame = make_frame(
        st="22",
        cn=2051,
        pw=PW,
        mn=MN,
        qn=f"20260301101{number:06d}",
        flag=4,
        cp="DataTime=20260301101000;" + "a21026-Avg=1.0," * 63 + "a21026-Flag=N",
    ).raw
    assert len(frame) == 1081
    return frame[:-6] + (b"0000" if frame[-6:-2] != b"0000" else b"1111") + b"\r\n"


def test_junk_past_the_budget_is_counted_not_journaled_and_data_still_kept(db_url, start_gateway, tmp_path):
    register(db_url, (MN, PW, "2017", None))
    gateway = start_gateway(
        db_url, junk_bytes_per_address=3000, junk_bytes_total=100_000, max_rejections=1000
    )
    device = Device(gateway.port)
    device.send(b"".join(bad_crc_frame(number) for number in range(10)))
    good = make_frame(
        st="22",
        cn=2051,
        pw=PW,
        mn=MN,
        qn="20260301101999999",
        flag=5,
        cp="DataTime=20260301101000;a21026-Avg=1.0,a21026-Flag=N",
    ).raw
    device.send(good)
    assert [reply.qn for reply in device.replies(1)] == ["20260301101999999"]
    stats = gateway.gateway.stats
    assert (stats.junk_sampled, stats.junk_dropped, stats.junk_dropped_bytes) == (
        1,
        7,
        7 * 1085,
    )  # 1,085 bytes each as counted: the password redacted
    gateway.stop()
    refused = [Entry.decode(body) for body, _ in Journal(tmp_path / "journal").replay(None)]
    assert [len(entry.raw) for entry in refused if not entry.kept] == [1085, 1085, 256]
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            rows = (
                session.execute(select(Hj212Quarantine.reason).order_by(Hj212Quarantine.id)).scalars().all()
            )
            assert session.scalar(select(func.count()).select_from(Hj212Frame)) == 1
    finally:
        engine.dispose()
    assert len(rows) == 3
    assert rows[2].endswith(
        "[over the junk budget: the first 256 of 1085 bytes; more junk from 127.0.0.1 is "
        "counted, not kept, for the rest of the window]"
    )
