"""HJ 212-2025 SM4 encryption of the data area against the standard's Annex A.2 examples (reference
Part B5): key = 16 x 0x30, CRC over the plaintext, length field of the plaintext."""

from __future__ import annotations

import pytest
from hj212_samples import SAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st
from test_hj212_decoder import decode
from test_hj212_roundtrip import frames

from ecowatch.hj212 import (
    Frame,
    FrameDecoder,
    FrameError,
    FrameRejected,
    build_frame,
    crc_problem,
    parse_frame,
)
from ecowatch.hj212.sm4 import decrypt_cp, encrypt_cp, must_encrypt

ANNEX_KEY = b"0" * 16  # "密钥使用16个0x30"
MN = "010000A8900016F000169DC0"


def raw(name: str) -> bytes:
    return SAMPLES[name].encode("utf-8") + b"\r\n"


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[at : at + size] for at in range(0, len(data), size)]


def keys(mn: str) -> bytes | None:
    return ANNEX_KEY if mn == MN else None


@pytest.mark.parametrize(
    ("encrypted", "plain", "sent"), [("B_A2_ENC", "B_A2_PLAIN", 1128), ("B_A3_ENC", "B_A3_PLAIN", 811)]
)
def test_annex_a2_examples_decrypt_to_their_plaintext(encrypted, plain, sent):
    f = parse_frame(raw(encrypted), key_for=keys)
    p = parse_frame(raw(plain))
    assert f.encrypted and not p.encrypted
    assert f.crc_ok and f.crc_field == p.crc_field
    assert f.data_segment == p.data_segment  # the CRC covers the plaintext
    assert (f.cp, f.qn, f.cn, f.flag, f.version, f.mn) == (p.cp, p.qn, p.cn, p.flag, p.version, p.mn)
    # The standard's example declares the plaintext length while sending the ciphertext: recorded.
    assert f.length_field == p.length_field and f.sent_length == sent
    assert f.length_note == (
        f"length field {p.length_field:04d} but {sent} bytes of SM4-encrypted data segment were sent "
        "(it counts the decrypted data segment)"
    )
    assert p.sent_length is None and p.length_note is None


def test_annex_a2_values():
    f = parse_frame(raw("B_A3_ENC"), key_for=keys)
    assert f.cp.data_time == "20240520210600"
    assert f.cp.codes == {
        "a01011": {"Min": 1.35, "Avg": 1.35, "Max": 1.35, "Flag": "N"},
        "a01014": {"Min": 3.20, "Avg": 3.20, "Max": 3.20, "Flag": "N"},  # "g=N" was the plaintext tail
    }
    assert f.raw.endswith(b",0x03,0xA4}g=N&&B541\r\n")


@pytest.mark.parametrize(("plain", "encrypted"), [("B_A2_PLAIN", "B_A2_ENC"), ("B_A3_PLAIN", "B_A3_ENC")])
def test_encrypting_the_plaintext_example_gives_the_standards_bytes(plain, encrypted):
    assert build_frame(parse_frame(raw(plain)), key=ANNEX_KEY) == raw(encrypted)
    f = parse_frame(raw(encrypted), key_for=keys)
    assert build_frame(f, key=ANNEX_KEY) == raw(encrypted)


def test_length_field_counting_what_was_sent_is_accepted_too():
    enc = raw("B_A2_ENC")
    seg = enc[6:-6]
    sent_style = b"##%04d" % len(seg) + enc[6:]  # as cems-data-pipeline writes it
    f = parse_frame(sent_style, key_for=keys)
    assert f.crc_ok and f.length_field == 1128 and f.sent_length is None and f.length_note is None
    assert build_frame(f, key=ANNEX_KEY) == sent_style


def test_missing_and_wrong_keys_are_precise():
    with pytest.raises(FrameError, match=f"^SM4-encrypted CP from MN={MN}: no key for this MN$"):
        parse_frame(raw("B_A2_ENC"), key_for=lambda mn: None)
    with pytest.raises(FrameError, match=f"^SM4 key must be 16 bytes, got 3 \\(MN={MN}\\)$"):
        parse_frame(raw("B_A2_ENC"), key_for=lambda mn: b"abc")
    wrong = b"1" * 16
    try:
        f = parse_frame(raw("B_A3_ENC"), key_for=lambda mn: wrong)
    except FrameError as exc:
        assert str(exc).startswith("data segment is not valid UTF-8 after SM4 decryption at byte ")
    else:
        assert not f.crc_ok
        assert crc_problem(f).endswith(f"over the SM4-decrypted data segment (wrong key for MN={MN}?)")
    no_mn = raw("B_A2_ENC").replace(b"MN=", b"XX=")
    with pytest.raises(FrameError, match="field MN missing"):
        parse_frame(no_mn, key_for=keys)


def test_after_a_rotation_frames_under_the_previous_key_still_decrypt():
    plain = parse_frame(raw("B_A3_PLAIN"))
    newer, other = b"1" * 16, b"2" * 16
    for offered in ((newer, ANNEX_KEY), (ANNEX_KEY, newer), [other, newer, ANNEX_KEY]):
        f = parse_frame(raw("B_A3_ENC"), key_for=lambda mn, offered=offered: offered)
        assert f.crc_ok and f.data_segment == plain.data_segment and f.cp == plain.cp
    # No key fits: reported as with the one wrong key (the current one's plaintext is checked).
    with pytest.raises(FrameError, match="^SM4-encrypted CP from MN=.*: no key for this MN$"):
        parse_frame(raw("B_A3_ENC"), key_for=lambda mn: ())
    try:
        f = parse_frame(raw("B_A3_ENC"), key_for=lambda mn: (newer, other))
    except FrameError as exc:
        assert str(exc).startswith("data segment is not valid UTF-8 after SM4 decryption at byte ")
    else:
        assert not f.crc_ok


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        (b"{0xE4,0x3E&&", f"SM4 ciphertext is not a list of 0xNN bytes and no closing '}}' (MN={MN})"),
        (
            b"{0xE4,0xZZ}&&",
            f"SM4 ciphertext is not a list of 0xNN bytes before the closing '}}' at offset 10 (MN={MN})",
        ),
        (b"{0xE4,0x3E}&&", f"SM4 ciphertext is 2 bytes, not a multiple of 16 (MN={MN})"),
    ],
)
def test_malformed_ciphertext(wire, message):
    seg = f"QN=1;ST=31;CN=2051;PW=1;MN={MN};Flag=9;CP=&&".encode() + wire
    data = b"##%04d%s0000\r\n" % (len(seg), seg)
    with pytest.raises(FrameError) as info:
        parse_frame(data, key_for=keys)
    assert str(info.value) == message


def test_encrypt_cp_blocks_and_tail():
    assert encrypt_cp(b"short", ANNEX_KEY) == b"short"  # under one block: nothing to encrypt
    wire = encrypt_cp(b"x" * 33, ANNEX_KEY)
    assert wire.count(b"0x") == 32 and wire.endswith(b"}x")
    assert decrypt_cp(wire, ANNEX_KEY) == b"x" * 33
    assert decrypt_cp(wire.lower().replace(b"}x", b"}x"), ANNEX_KEY) == b"x" * 33  # lower-case hex read


def test_must_encrypt_follows_6_4_4():
    assert [cn for cn in (1011, 1014, 2011, 2051, 2999, 3020, 3021, 9014) if must_encrypt(cn)] == [
        1014,
        2011,
        2051,
        2999,
        3020,
    ]


def test_decoder_finds_encrypted_frames_by_their_delimiters():
    stream = raw("S01") + raw("B_A2_ENC") + b"junk" + raw("B_A3_ENC") + raw("S01")
    for size in (len(stream), 7, 1):
        events = decode(chunked(stream, size), key_for=keys)
        frames = [e for e in events if isinstance(e, Frame)]
        assert [f.encrypted for f in frames] == [False, True, True, False]
        assert [e.reason for e in events if isinstance(e, FrameRejected)] == ["skipped 4 bytes of garbage"]
        assert frames[1].cp == parse_frame(raw("B_A2_PLAIN")).cp


def test_decoder_without_key_rejects_naming_the_mn_and_resumes():
    d = FrameDecoder()
    d.feed(raw("B_A2_ENC") + raw("S01"))
    d.feed(b"")
    first, second = d.events()
    assert first.reason == f"SM4-encrypted CP from MN={MN}: no key for this MN"
    assert first.raw == raw("B_A2_ENC")
    assert isinstance(second, Frame) and second.cn == 1062


@settings(max_examples=150, deadline=None)
@given(frames, st.binary(min_size=16, max_size=16))
def test_encrypted_roundtrip(frame, key):
    try:
        data = build_frame(frame, key=key)
    except Exception as exc:  # only the documented size limit may refuse
        assert "allows 9999" in str(exc)
        return
    f = parse_frame(data, key_for=lambda mn: key)
    assert f.crc_ok
    assert (f.cp, f.qn, f.st, f.cn, f.pw, f.mn, f.flag, f.pnum, f.pno, f.extra) == (
        frame.cp,
        frame.qn,
        frame.st,
        frame.cn,
        frame.pw,
        frame.mn,
        frame.flag,
        frame.pnum,
        frame.pno,
        frame.extra,
    )
    assert build_frame(f, key=key) == data
    assert f.data_segment == frame.data_segment
    d = FrameDecoder(key_for=lambda mn: key)
    d.feed(data + data)
    d.feed(b"")
    assert list(d.events()) == [f, f]


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["B_A2_ENC", "B_A3_ENC"]),
    st.lists(st.tuples(st.integers(0, 2000), st.binary(max_size=3)), max_size=6),
    st.sampled_from([ANNEX_KEY, b"1" * 16, None]),
)
def test_mutated_encrypted_frames_give_events_never_exceptions(name, edits, key):
    data = bytearray(raw(name) * 2)
    for at, replacement in edits:
        at %= len(data)
        data[at : at + len(replacement)] = replacement
    d = FrameDecoder(key_for=lambda mn: key)
    d.feed(bytes(data))
    d.feed(b"")
    events = list(d.events())
    assert all(isinstance(e, Frame | FrameRejected) for e in events)
    assert d.buffered == 0
    for event in events:
        if isinstance(event, Frame):
            assert event.crc_ok


@pytest.mark.parametrize("size", [10_000, 1, 13])
def test_a_cut_encrypted_frame_does_not_swallow_the_next(size):
    cut = raw("B_A2_ENC")[:700]
    stream = cut + raw("S01") + raw("B_A3_ENC")
    events = decode(chunked(stream, size), key_for=keys)
    assert events[0].reason == "SM4-encrypted frame without CR LF before the next '##'"
    assert events[0].raw == cut
    assert [e.cn for e in events[1:]] == [1062, 2051] and all(isinstance(e, Frame) for e in events[1:])
