"""The fast paths (CP items by string operations and per-layout builders, the canonical header regex, the
folded CRC, the NumPy batch CRC) give exactly the results of the general paths, on any input."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hj212_samples import SAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st
from test_hj212_roundtrip import frames

from ecowatch.hj212 import Cp, Frame, parse_frame
from ecowatch.hj212.frame import _parse_cp_fast, _parse_cp_general, parse_cp

# Pieces a data area is made of, plus everything that must send it to the general path.
PIECES = [
    "a21026",
    "w01018",
    "B01",
    "011",
    "-",
    "=",
    ";",
    ",",
    "Rtd",
    "Avg",
    "Flag",
    "DataTime",
    "SampleTime",
    "N",
    "0",
    "1",
    "12",
    "7.5",
    ".5",
    "5.",
    "-3.2",
    "+4",
    "007",
    "1e5",
    "nan",
    "inf",
    "1_0",
    " ",
    "\t",
    "//",
    "x",
    "",
    "٣",
    "&",
    "9" * 30,
    "PolId",
    "OverTime",
    "CTime",
    "\u00a0",
]
cp_texts = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@settings(max_examples=3000, deadline=None)
@given(cp_texts)
def test_fast_cp_equals_general(text):
    assert parse_cp(text) == _parse_cp_general(text)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="aw0123456789-=;,.NF+ e", max_size=80))
def test_fast_cp_equals_general_on_random_text(text):
    assert parse_cp(text) == _parse_cp_general(text)


def test_fast_path_taken_for_typical_data():
    text = SAMPLES["S33"].split("CP=&&", 1)[1][:-6]
    fast = _parse_cp_fast(text)
    assert fast is not None and fast == _parse_cp_general(text)
    assert fast.codes["a34013"] == {"Rtd": 0.0, "ZsRtd": 0.0, "Flag": "D"}
    assert _parse_cp_fast("a-Rtd=007") == _parse_cp_general("a-Rtd=007")  # leading zeros: one by one
    assert parse_cp("a-Rtd=007").codes == {"a": {"Rtd": 7}}
    assert _parse_cp_fast("PolId=w01018") is None  # parameters go the general way


@settings(max_examples=300, deadline=None)
@given(frames)
def test_canonical_header_path_equals_general(frame):
    from ecowatch.hj212.frame import _parse_segment

    text = frame.data_segment.decode()
    wire = (
        frame.raw,
        frame.length_field,
        frame.crc_field,
        frame.crc_ok,
        frame.length_in_chars,
        False,
        None,
        None,
    )
    assert _parse_segment(text, wire) == parse_frame(frame.raw) == frame


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=40))
def test_numpy_batch_crc_equals_scalar(segments):
    from ecowatch.hj212.crc import hj212_crc16, hj212_crc16_many

    assert hj212_crc16_many(segments) == [hj212_crc16(s) for s in segments]


def test_parse_frames_equals_parse_frame_one_by_one():
    from ecowatch.hj212 import FrameError, parse_frames

    raws = [(SAMPLES[k] + "\r\n").encode() for k in sorted(SAMPLES)]
    expected = []
    for raw in raws:
        try:
            expected.append(parse_frame(raw))
        except FrameError as exc:
            expected.append(str(exc))
    got = [r if not isinstance(r, FrameError) else str(r) for r in parse_frames(raws)]
    assert got == expected
    assert any(isinstance(r, str) for r in got) and any(not r.crc_ok for r in got if not isinstance(r, str))


def test_decoder_batch_and_one_by_one_agree():
    from ecowatch.hj212 import FrameDecoder

    stream = b"".join((SAMPLES[k] + "\r\n").encode() + b"junk" for k in sorted(SAMPLES)) * 20
    assert len(stream) > 3 * 16 * 1024  # fed whole, the decoder batches; byte-wise it cannot

    def decode(step):
        d = FrameDecoder()
        out = []
        for at in range(0, len(stream), step):
            d.feed(stream[at : at + step])
            out.extend(d.events())
        d.feed(b"")
        return out + list(d.events())

    whole, small = decode(len(stream)), decode(97)
    assert whole == small and len(whole) > 1000


def test_fast_constructed_frames_are_ordinary_frozen_frames():
    import dataclasses

    import pytest

    raw = (SAMPLES["S01"] + "\r\n").encode()
    fast = parse_frame(raw)
    general = dataclasses.replace(fast)  # through the dataclass __init__
    assert fast == general and hash(fast.raw) == hash(general.raw) and repr(fast) == repr(general)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.qn = "x"  # type: ignore[misc]


def test_layouts_remembered_past_the_cap_and_irregular_agree_with_general(monkeypatch):
    from ecowatch.hj212 import frame

    text = "DataTime=20260101000000;a00000-Cou=84.6,a00000-Avg=15.7,a00000-Flag=N;a34013-Avg=7,a34013-Flag=D"
    expected = {"a00000": {"Cou": 84.6, "Avg": 15.7, "Flag": "N"}, "a34013": {"Avg": 7, "Flag": "D"}}
    monkeypatch.setattr(frame, "_LAYOUTS", {})
    compiled = _parse_cp_fast(text)
    assert len(frame._LAYOUTS) == 1 and _parse_cp_fast(text) == compiled  # the second time from the cache
    assert compiled.codes == expected == _parse_cp_general(text).codes
    monkeypatch.setattr(frame, "_LAYOUTS_CAP", 1)
    other = text.replace("a34013", "a21026")
    # Past the cap a new sequence is neither analysed nor remembered: the general path parses it.
    assert _parse_cp_fast(other) is None and len(frame._LAYOUTS) == 1
    assert parse_cp(other).codes == {"a00000": expected["a00000"], "a21026": {"Avg": 7, "Flag": "D"}}
    monkeypatch.setattr(frame, "_LAYOUTS_CAP", 2048)
    apart = "a-Rtd=1;b-Rtd=2;a-Flag=N"  # a code's items apart, and a key twice: the general path
    assert _parse_cp_fast(apart) is None and parse_cp(apart).codes == {
        "a": {"Rtd": 1, "Flag": "N"},
        "b": {"Rtd": 2},
    }
    assert frame._LAYOUTS["a-Rtd=b-Rtd=a-Flag"] is None  # remembered as irregular: analysed once
    assert _parse_cp_fast(apart) is None
    assert _parse_cp_fast("a-Rtd=1,a-Rtd=2") is None and parse_cp("a-Rtd=1,a-Rtd=2").codes == {
        "a": {"Rtd": 2}
    }


def test_sequences_longer_than_a_data_frame_take_the_general_path(monkeypatch):
    from ecowatch.hj212 import frame

    monkeypatch.setattr(frame, "_LAYOUTS", {})
    text = ";".join(f"c{i}-Rtd={i}.5" for i in range(frame._LAYOUT_MAX_KEYS + 1))
    assert _parse_cp_fast(text) is None and frame._LAYOUTS == {}
    assert parse_cp(text).codes["c128"] == {"Rtd": 128.5}


def test_layout_cache_is_bounded():
    from ecowatch.hj212 import frame

    for i in range(frame._LAYOUTS_CAP + 10):
        parse_cp(f"c{i}-Rtd=1.5,c{i}-Flag=N")
    assert len(frame._LAYOUTS) <= frame._LAYOUTS_CAP
    assert parse_cp("z-Rtd=1.5,z-Flag=N").codes == {"z": {"Rtd": 1.5, "Flag": "N"}}


def test_decoder_chunks_of_one_whole_frame_equal_bytewise_feeding():
    from ecowatch.hj212 import FrameDecoder

    chunks = []
    for key in sorted(SAMPLES):
        chunks += [(SAMPLES[key] + "\r\n").encode(), b"junk#", b"#"]  # a frame, garbage, a lone "#" kept

    def decode(pieces):
        d = FrameDecoder()
        out = []
        for piece in pieces:
            d.feed(piece)
            out.extend(d.events())
        d.feed(b"")
        return out + list(d.events())

    stream = b"".join(chunks)
    whole_frames = decode(chunks)
    assert whole_frames == decode([stream[i : i + 1] for i in range(len(stream))])
    assert sum(isinstance(e, Frame) for e in whole_frames) > 20


@settings(max_examples=300, deadline=None)
@given(frames)
def test_header_only_parse_equals_the_whole_parse_but_the_values(frame):
    """``values=False``: every field as the whole parse gives it, the CP text included; its values
    either parsed the same or left out (``parse_cp`` of the text gives them)."""
    whole, header = parse_frame(frame.raw), parse_frame(frame.raw, values=False)
    assert header.cp.text == whole.cp.text
    assert parse_cp(header.cp.text) == whole.cp
    assert header.cp in (whole.cp, Cp(whole.cp.text, whole.cp.data_time))
    assert dataclasses.replace(header, cp=whole.cp) == whole


@settings(max_examples=2000, deadline=None)
@given(cp_texts)
def test_header_only_data_time_equals_the_whole_parse(text):
    from ecowatch.hj212.frame import _cp_with_data_time

    assert _cp_with_data_time(text).data_time == parse_cp(text).data_time


def test_header_only_parse_of_the_samples_and_the_decoder():
    from ecowatch.hj212 import FrameDecoder, FrameError

    for key in sorted(SAMPLES):
        raw = (SAMPLES[key] + "\r\n").encode()
        try:
            whole = parse_frame(raw)
        except FrameError as exc:
            with pytest.raises(FrameError, match=re.escape(str(exc))):
                parse_frame(raw, values=False)
            continue
        header = parse_frame(raw, values=False)
        assert dataclasses.replace(header, cp=whole.cp) == whole
        if whole.flag is None:  # the edition is told from the codes: parsed whole
            assert header == whole
    typical = (SAMPLES["S33"] + "\r\n").encode()
    decoder = FrameDecoder(values=False)
    decoder.feed(typical * 3)
    events = list(decoder.events())
    whole = parse_frame(typical).cp
    assert [event.cp for event in events] == [Cp(whole.text, whole.data_time)] * 3 and whole.data_time
    assert events[0].crc_ok and events[0].mn == parse_frame(typical).mn
