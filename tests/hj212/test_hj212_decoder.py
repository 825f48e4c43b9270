"""FrameDecoder: resync, chunking invariance, bounds, and robustness on random/mutated bytes."""

from __future__ import annotations

import pytest
from hj212_samples import SAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecowatch.hj212 import DecoderStateError, Frame, FrameDecoder, FrameRejected, QnRtn


def raw(name: str) -> bytes:
    return SAMPLES[name].encode("utf-8") + b"\r\n"


GOOD = [k for k in SAMPLES if k[0] in "SA" or k in ("B_A1", "B_A2_PLAIN", "B_A3_PLAIN", "B_SELF")]
STREAM = b"".join(
    [b"#ttp://www.cmsoft.cn garbage "]
    + [raw(k) + (b"\x00junk#" if i % 5 == 0 else b"") for i, k in enumerate(GOOD)]
    + [raw("X01"), raw("X09"), raw("B_A2_ENC"), raw("X11"), raw("S01"), raw("X03"), raw("S01")]
)


def decode(chunks, **bounds) -> list:
    d = FrameDecoder(**bounds)
    out = []
    for c in chunks:
        d.feed(c)
        assert d.buffered <= d.max_buffer_bytes
        out.extend(d.events())
    d.feed(b"")
    out.extend(d.events())
    assert d.buffered == 0
    return out


def split_at(data: bytes, cuts) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    return [c for c in chunks if c]  # b"" would mean EOF


WHOLE = decode([STREAM])


def test_stream_whole():
    frames = [e for e in WHOLE if isinstance(e, Frame)]
    assert [f.raw for f in frames] == [raw(k) for k in GOOD] + [raw("S01"), raw("S01")]
    rejected = [e for e in WHOLE if isinstance(e, FrameRejected)]
    reasons = [r.reason for r in rejected]
    assert reasons[0] == "skipped 29 bytes of garbage" and rejected[0].offset == 0
    assert "bad CRC: got 4980, computed 3C00" in reasons
    assert "SM4-encrypted CP from MN=010000A8900016F000169DC0: no key for this MN" in reasons
    assert "length field 1025 exceeds max_frame_bytes 10011" not in reasons
    # every event's offset points at its bytes in the stream
    for e in rejected:
        assert STREAM[e.offset : e.offset + len(e.raw)] == e.raw
    sm4 = next(r for r in rejected if r.reason.startswith("SM4"))
    assert sm4.raw == raw("B_A2_ENC")


def test_byte_by_byte_equals_whole():
    assert decode([STREAM[i : i + 1] for i in range(len(STREAM))]) == WHOLE


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=40))
def test_any_chunking_gives_same_events(cuts):
    assert decode(split_at(STREAM, cuts)) == WHOLE


def test_small_buffer_same_events_and_bounded():
    events = decode([STREAM], max_frame_bytes=2048, max_buffer_bytes=2048)
    assert [e for e in events if isinstance(e, Frame)] == [e for e in WHOLE if isinstance(e, Frame)]


def test_several_frames_per_chunk_and_half_frames():
    a, b = raw("A10"), raw("A12")
    d = FrameDecoder()
    d.feed(a + b[:50])
    assert [e.raw for e in d.events()] == [a]
    d.feed(b[50:] + a[:3])
    assert [e.raw for e in d.events()] == [b]
    d.feed(a[3:])
    assert [e.raw for e in d.events()] == [a]


def test_bad_crc_rejection_carries_frame_and_hint():
    d = FrameDecoder()
    d.feed(raw("X14"))
    (ev,) = d.events()
    assert isinstance(ev, FrameRejected)
    assert ev.reason == "bad CRC: got 2D61, computed F441 (matches CRC-16/MODBUS)"
    assert ev.frame is not None and ev.frame.cn == 1000
    assert ev.reply_hint == QnRtn.CRC_ERROR


def test_oversized_length_rejected_without_waiting():
    d = FrameDecoder(max_frame_bytes=1100, max_buffer_bytes=4096)
    d.feed(b"##9999" + raw("S01"))
    events = list(d.events())
    assert events[0] == FrameRejected("length field 9999 exceeds max_frame_bytes 1100", 0, b"##9999")
    assert events[-1].raw == raw("S01")


def test_x07_length_over_1024_is_framed():
    events = decode([raw("X07")])
    assert len(events) == 1 and events[0].frame.length_field == 1025


def test_truncated_at_eof():
    data = raw("A10")[:100]
    events = decode([data])
    assert events == [
        FrameRejected("truncated frame at EOF: length field 0325 needs 337 bytes, got 100", 0, data)
    ]


def test_wrong_length_resyncs_to_next_marker():
    bad = raw("S01").replace(b"##0101", b"##0090")
    events = decode([bad + raw("S12")])
    assert events[0].reason.startswith("length field 0090 but no CRC and CR LF after 90 bytes")
    assert events[-1].raw == raw("S12")


def test_character_counted_length_in_stream():
    char_len = raw("A14").replace(b"##0152", b"##0144")
    events = decode([b"xx" + char_len + raw("S01")])
    frames = [e for e in events if isinstance(e, Frame)]
    assert [f.raw for f in frames] == [char_len, raw("S01")]
    assert frames[0].length_in_chars


def test_run_of_hashes():
    events = decode([b"#" * 10_000 + raw("S01")])
    assert events[0].reason == "skipped 10000 bytes of garbage" and len(events[0].raw) == 256
    assert events[1].raw == raw("S01")


def test_feed_after_eof_is_misuse():
    d = FrameDecoder()
    d.feed(b"")
    with pytest.raises(DecoderStateError, match="feed\\(\\) after EOF"):
        d.feed(b"x")


def test_bounds_validation():
    with pytest.raises(DecoderStateError):
        FrameDecoder(max_frame_bytes=2000, max_buffer_bytes=1000)
    with pytest.raises(DecoderStateError):
        FrameDecoder(max_frame_bytes=20_000)


def check_robust(data: bytes, cuts, **bounds) -> None:
    events = decode(split_at(data, cuts), **bounds)
    assert all(isinstance(e, Frame | FrameRejected) for e in events)
    assert events == decode([data] if data else [], **bounds)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000), st.lists(st.integers(min_value=0, max_value=3000), max_size=10))
def test_random_bytes_never_raise(data, cuts):
    check_robust(data, cuts, max_frame_bytes=600, max_buffer_bytes=700)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(sorted(SAMPLES)), min_size=1, max_size=6),
    st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), max_size=8),
    st.lists(st.integers(min_value=0, max_value=10_000), max_size=10),
)
def test_mutated_frames_never_raise(names, mutations, cuts):
    data = bytearray(b"".join(raw(n) for n in names))
    for where, value in mutations:
        data[where % len(data)] = value
    check_robust(bytes(data), cuts, max_frame_bytes=2048, max_buffer_bytes=3000)


def test_garbage_that_ends_the_stream_is_reported_at_eof():
    """Issue 14: trailing garbage was never reported though this module's docstring said so."""
    events = decode([raw("S01") + b"trailing junk\x00"])
    assert [type(e).__name__ for e in events] == ["Frame", "FrameRejected"]
    assert (events[1].reason, events[1].offset, events[1].raw) == (
        "skipped 14 bytes of garbage",
        len(raw("S01")),
        b"trailing junk\x00",
    )


def test_a_garbage_only_stream_is_reported_every_max_frame_bytes():
    """A peer sending only garbage is told of as it goes (a gateway counts each report toward its
    rejection limit), the same however the bytes are chunked."""
    data = b"x" * 2500
    events = decode([data], max_frame_bytes=1000, max_buffer_bytes=1000)
    assert [(e.reason, e.offset, len(e.raw)) for e in events] == [
        ("skipped 1000 bytes of garbage", 0, 256),
        ("skipped 1000 bytes of garbage", 1000, 256),
        ("skipped 500 bytes of garbage", 2000, 256),
    ]
    chunked = [data[:7], data[7:1003], data[1003:]]
    assert decode(chunked, max_frame_bytes=1000, max_buffer_bytes=1000) == events
    d = FrameDecoder(max_frame_bytes=1000, max_buffer_bytes=1000)
    d.feed(data)
    assert len(list(d.events())) == 2  # before EOF: the two whole runs of 1,000 bytes
