"""Split-packet reassembly: the Annex C.50 pair (reference A15/A17), out of order, duplicates,
conflicts, bounds and expiry — all with time passed in."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ecowatch.hj212 import SplitComplete, SplitFailed, SplitKey, SplitReassembler, make_frame, parse_frame

MN = "010000A8900016F000169DC0"
A15 = (
    b"##0260QN=20160801085857534;ST=32;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=7;PNUM=2;PNO=1;"
    b"CP=&&DataTime=20160801080000;w00000-Cou=63.0,w00000-Min=16.4,w00000-Avg=17.5,w00000-Max=20.1,"
    b"w00000-Flag=N;w01001-Min=7.1,w01001-Avg=7.5,w01001-Max=7.8,w01001-Flag=N&&D941\r\n"
)
A17 = (
    b"##0201QN=20160801085857535;ST=32;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=7;PNUM=2;PNO=2;"
    b"CP=&&DataTime=20160801080000;w01018-Cou=63.0,w01018-Min=40.1,w01018-Avg=40.1,w01018-Max=40.1,"
    b"w01018-Flag=N&&E2C1\r\n"
)
KEY = SplitKey(MN, "32", 2061, 2, "20160801080000")


def part(pno: int, pnum: int = 3, data_time: str = "20260101100000", mn: str = "M1", value: float = 1.0):
    return make_frame(
        qn=f"2026010110000000{pno}",
        st="32",
        cn=2061,
        pw="1",
        mn=mn,
        flag=6,
        pnum=pnum,
        pno=pno,
        cp=f"DataTime={data_time};c{pno:05d}-Avg={value}",
    )


def test_annex_c50_parts_with_different_qns_complete_one_set():
    r = SplitReassembler()
    first, second = parse_frame(A15), parse_frame(A17)
    assert first.qn != second.qn
    assert r.add(second, now=10.0) == []  # out of order
    assert (r.pending, r.pending_bytes) == (1, len(A17))
    [done] = r.add(first, now=12.0)
    assert isinstance(done, SplitComplete)
    assert (done.key, [f.pno for f in done.frames], done.duplicates) == (KEY, [1, 2], 0)
    assert done.codes == {
        "w00000": {"Cou": 63.0, "Min": 16.4, "Avg": 17.5, "Max": 20.1, "Flag": "N"},
        "w01001": {"Min": 7.1, "Avg": 7.5, "Max": 7.8, "Flag": "N"},
        "w01018": {"Cou": 63.0, "Min": 40.1, "Avg": 40.1, "Max": 40.1, "Flag": "N"},
    }
    assert (r.pending, r.pending_bytes) == (0, 0)


def test_unsplit_and_single_part_frames_pass_through():
    r = SplitReassembler()
    plain = make_frame(qn="1", st="32", cn=2011, pw="1", mn="M", flag=4, cp="a-Rtd=1")
    [done] = r.add(plain, now=0)
    assert isinstance(done, SplitComplete) and done.frames == (plain,)
    [done] = r.add(part(1, pnum=1), now=0)
    assert isinstance(done, SplitComplete) and len(done.frames) == 1


def test_duplicates_are_counted_and_conflicts_fail_the_set():
    r = SplitReassembler()
    assert r.add(part(1), 0) == [] and r.add(part(1), 1) == [] and r.add(part(2), 2) == []
    [done] = r.add(part(3), 3)
    assert isinstance(done, SplitComplete) and done.duplicates == 1
    assert r.add(part(1), 4) == []
    [failed] = r.add(part(1, value=2.0), 5)
    assert isinstance(failed, SplitFailed)
    assert (
        failed.reason
        == "PNO 1 received twice with different data (MN=M1 CN=2061 DataTime=20260101100000 PNUM=3)"
    )
    assert len(failed.frames) == 2 and r.pending == 0


def test_bad_numbering():
    r = SplitReassembler()
    [failed] = r.add(part(4, pnum=3), 0)
    assert failed.reason == "PNO 4 outside 1-3 (MN=M1 CN=2061 DataTime=20260101100000 PNUM=3)"
    [failed] = r.add(part(0, pnum=3), 0)
    assert failed.reason.startswith("PNO 0 outside 1-3")
    only_pno = make_frame(qn="1", st="32", cn=2061, pw="1", mn="M", pno=2, cp="DataTime=1")
    [failed] = r.add(only_pno, 0)
    assert failed.reason == "split frame without PNUM (MN=M CN=2061 DataTime=1 PNUM=0)"


def test_expiry_uses_the_time_given():
    r = SplitReassembler(timeout_s=60)
    r.add(part(1), now=100.0)
    assert r.expire(160.0) == []
    [failed] = r.expire(160.5)
    assert failed.reason == (
        "incomplete after 60.5 s (timeout 60 s): got PNO 1 of 3 "
        "(MN=M1 CN=2061 DataTime=20260101100000 PNUM=3)"
    )
    r.add(part(1), now=200.0)
    events = r.add(part(2, mn="M2"), now=300.0)  # expiry runs on add as well
    assert [type(e).__name__ for e in events] == ["SplitFailed"] and r.pending == 1


def test_bounds_evict_the_oldest_set():
    r = SplitReassembler(max_pending=2)
    assert r.add(part(1, mn="A"), 0) == [] and r.add(part(1, mn="B"), 1) == []
    [evicted] = r.add(part(1, mn="C"), 2)
    assert evicted.key.mn == "A"
    assert (
        evicted.reason
        == "evicted (max_pending 2): got PNO 1 of 3 (MN=A CN=2061 DataTime=20260101100000 PNUM=3)"
    )
    size = len(part(1).raw)
    r = SplitReassembler(max_bytes=2 * size)
    r.add(part(1, mn="A"), 0)
    r.add(part(2, mn="A"), 0)
    [evicted] = r.add(part(1, mn="B"), 1)
    assert evicted.key.mn == "A" and evicted.reason.startswith(
        f"evicted (max_bytes {2 * size}): got PNO 1,2 of 3"
    )
    assert r.pending_bytes == len(part(1, mn="B").raw)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(2, 12).flatmap(
        lambda n: st.tuples(
            st.just(n), st.permutations(range(1, n + 1)), st.lists(st.integers(1, n), max_size=5)
        )
    )
)
def test_any_order_with_duplicates_completes_exactly_once(case):
    pnum, order, repeats = case
    r = SplitReassembler()
    events = []
    sequence = list(order)
    for extra in repeats:  # re-sent parts (any but the one completing the set) before the last part
        sequence.insert(len(sequence) - 1, order[extra % (pnum - 1)])
    for t, pno in enumerate(sequence):
        events += r.add(part(pno, pnum=pnum), float(t))
    [done] = events
    assert isinstance(done, SplitComplete)
    assert [f.pno for f in done.frames] == list(range(1, pnum + 1))
    assert done.duplicates == len(sequence) - pnum
    assert r.pending == 0 and r.pending_bytes == 0


def _big_frame(codes: dict, flag: int = 5):
    from ecowatch.hj212 import make_cp

    return make_frame(
        qn="20260101100000000",
        st="31",
        cn=2051,
        pw="123456",
        mn=MN,
        flag=flag,
        cp=make_cp("20260101095900", {}, codes),
    )


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.from_regex(r"a[0-9]{5}", fullmatch=True),
        st.fixed_dictionaries(
            {"Avg": st.floats(0, 1e4).map(lambda x: round(x, 3)), "Flag": st.sampled_from("NFMDC")}
        ),
        min_size=1,
        max_size=60,
    ),
    st.integers(200, 1024),
    st.booleans(),
)
def test_split_then_reassemble_roundtrip(codes, limit, encrypted):
    from ecowatch.hj212 import build_frame
    from ecowatch.hj212.session import split_frame

    frame = _big_frame(codes)
    key = b"k" * 16 if encrypted else None
    parts = split_frame(
        frame, [f"2026010110000000{i:02d}"[-17:] for i in range(100)], max_segment=limit, key=key
    )
    if len(parts) == 1:
        assert parts == [frame] and len(frame.data_segment) <= limit
        return
    assert all(len(p.data_segment) <= limit for p in parts)
    assert [(p.pnum, p.pno, p.flag, p.cp.data_time) for p in parts] == [
        (len(parts), i, 7, "20260101095900") for i in range(1, len(parts) + 1)
    ]
    r = SplitReassembler()
    events = []
    for t, p in enumerate(reversed(parts)):
        decoded = parse_frame(build_frame(p, key=key), key_for=lambda mn: key)
        assert decoded.cp == p.cp and decoded.encrypted == (encrypted and p.encrypted)
        events += r.add(decoded, float(t))
    [done] = events
    assert done.codes == frame.cp.codes


def test_split_refuses_what_cannot_be_split():
    import pytest

    from ecowatch.hj212 import BuildError
    from ecowatch.hj212.session import split_frame

    frame = _big_frame({f"a{i:05d}": {"Avg": 1.5, "Flag": "N"} for i in range(100)})
    with pytest.raises(BuildError, match="parts need .* QNs, got 1"):
        split_frame(frame, ["1"])
    with pytest.raises(BuildError, match="alone exceeds a data segment of 100"):
        split_frame(frame, ["1"] * 50, max_segment=100)
    parts = split_frame(frame, [str(i) for i in range(10)])  # 3010 bytes in parts of <= 1024
    assert [len(p.data_segment) for p in parts] == [977, 977, 977, 397]
