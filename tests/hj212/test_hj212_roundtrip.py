"""Property tests: parse_frame(build_frame(frame)) == frame over generated frames."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecowatch.hj212 import BuildError, Cp, Frame, FrameDecoder, build_frame, make_cp, make_frame, parse_frame

ALNUM = "0123456789ABCDEFabcdef_XYZ"
digits = st.text("0123456789", min_size=0, max_size=20)
numbers = st.one_of(
    st.integers(min_value=-(10**9), max_value=10**12),
    st.integers(min_value=-(10**9), max_value=10**9).map(lambda i: i / 1000),
)
log_text = st.text(st.characters(blacklist_characters="/&\r\n", blacklist_categories=("Cs",)), max_size=30)
suffix_values = st.fixed_dictionaries(
    {},
    optional={
        "Rtd": numbers,
        "Avg": numbers,
        "Min": numbers,
        "ZsAvg": numbers,
        "Cou": numbers,
        "Flag": st.sampled_from("NFMSDCTBP0123"),
        "EFlag": st.text("A0123456789", min_size=1, max_size=4),
        "SampleTime": st.text("0123456789", min_size=14, max_size=14),
        "Info": log_text.map(lambda t: f"//{t}//"),
    },
)
code = st.one_of(
    st.from_regex(r"[aweg][0-9]{5}", fullmatch=True),
    st.from_regex(r"[0-9]{3}|B0[12]|SB[1-9]", fullmatch=True),
)
params = st.fixed_dictionaries(
    {},
    optional={
        "PolId": st.from_regex(r"[aw][0-9]{5}", fullmatch=True),
        "QnRtn": st.integers(1, 100),
        "RtdInterval": st.integers(30, 3600),
        "SystemTime": st.text("0123456789", min_size=14, max_size=17),
        "QN": st.text("0123456789", min_size=17, max_size=17),
        "OverTime": st.integers(1, 99),
    },
)
cps = st.builds(
    make_cp,
    st.one_of(st.none(), st.text("0123456789", min_size=14, max_size=17)),
    params,
    st.dictionaries(code, suffix_values.filter(bool), max_size=6),
)
frames = st.builds(
    make_frame,
    st=st.text("0123456789ABZ", min_size=1, max_size=3),
    cn=st.integers(0, 9999),
    pw=st.text(ALNUM, max_size=9),
    mn=st.text(ALNUM, min_size=1, max_size=24),
    cp=cps,
    qn=st.one_of(st.none(), digits),
    flag=st.one_of(st.none(), st.integers(0, 11)),
    pnum=st.one_of(st.none(), st.integers(0, 9999)),
    pno=st.one_of(st.none(), st.integers(0, 9999)),
    extra=st.lists(st.tuples(st.sampled_from(["RF", "Vendor"]), st.text(ALNUM, max_size=4)), max_size=2).map(
        tuple
    ),
    length_in_chars=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(frames)
def test_parse_build_roundtrip(frame: Frame):
    data = build_frame(frame)
    assert data == frame.raw
    assert parse_frame(data) == frame
    assert frame.crc_ok
    if frame.flag is not None:
        assert frame.ack_requested == bool(frame.flag & 1)
        assert frame.split == bool(frame.flag & 2)


@settings(max_examples=50, deadline=None)
@given(st.lists(frames, min_size=1, max_size=5), st.binary(max_size=20))
def test_generated_frames_through_decoder(frame_list, junk):
    d = FrameDecoder()
    d.feed(junk.replace(b"#", b"") + b"".join(f.raw for f in frame_list))
    d.feed(b"")
    got = [e for e in d.events() if isinstance(e, Frame)]
    assert got == frame_list


def test_make_frame_rejects_misuse():
    with pytest.raises(BuildError, match="field MN must not contain"):
        make_frame(st="32", cn=2011, pw="1", mn="a;b", cp="")
    with pytest.raises(BuildError, match="CN must be 0-9999"):
        make_frame(st="32", cn=12345, pw="1", mn="m", cp="")
    with pytest.raises(BuildError, match="Flag=12 encodes no known version"):
        make_frame(st="32", cn=2011, pw="1", mn="m", cp="", flag=12)
    with pytest.raises(BuildError, match="version 2017 cannot be encoded"):
        make_frame(st="32", cn=2011, pw="1", mn="m", cp="", version="2017")
    with pytest.raises(BuildError, match="must not contain '&&'"):
        make_frame(st="32", cn=2011, pw="1", mn="m", cp="a=&&b", flag=4)
    with pytest.raises(BuildError, match="do not survive encoding"):
        make_cp(None, {"PolId": "a;b"})
    with pytest.raises(BuildError, match="4-digit length field allows 9999"):
        make_frame(st="32", cn=2011, pw="1", mn="m", cp="x=" + "1" * 9999, flag=4)
    assert make_frame(st="32", cn=2011, pw="1", mn="m", cp=Cp(""), flag=4).raw.startswith(b"##0038ST=32;")
