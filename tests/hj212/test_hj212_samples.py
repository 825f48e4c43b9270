"""Every sample frame of /work/shared/reference/hj212.md §7 and Part B5 against parse/build/CRC."""

from __future__ import annotations

import doctest

import pytest
from hj212_samples import SAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st

import ecowatch.hj212.codes
import ecowatch.hj212.crc
import ecowatch.hj212.decoder
import ecowatch.hj212.frame
import ecowatch.hj212.replies
from ecowatch.hj212 import (
    CODE_2005_TO_2017,
    DATA_FLAGS_2005,
    DATA_FLAGS_2017,
    FACTORS_2017,
    SYSTEM_CODES,
    Command,
    FrameError,
    build_frame,
    crc_problem,
    hj212_crc16,
    hj212_crc16_reference,
    modbus_crc16,
    parse_frame,
)


def raw(name: str) -> bytes:
    return SAMPLES[name].encode("utf-8") + b"\r\n"


VALID = [k for k in SAMPLES if k[0] in "SA" or k in ("B_A1", "B_A2_PLAIN", "B_A3_PLAIN", "B_SELF")]
LOWERCASE_CRC = {"S03", "S04", "S08", "S09", "S15", "S17"}
REORDERED = {"S06"}  # PNO before PNUM, zero-padded: rebuilt in canonical order


@pytest.mark.parametrize(
    "module",
    [
        ecowatch.hj212.crc,
        ecowatch.hj212.codes,
        ecowatch.hj212.frame,
        ecowatch.hj212.decoder,
        ecowatch.hj212.replies,
    ],
)
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize("name", VALID)
def test_valid_samples_parse_with_good_crc(name):
    frame = parse_frame(raw(name))
    assert frame.crc_ok, crc_problem(frame)
    assert crc_problem(frame) is None
    assert frame.length_field == len(frame.data_segment)
    assert frame.raw == raw(name)


@pytest.mark.parametrize("name", VALID)
def test_build_of_parse_is_identity(name):
    data = raw(name)
    frame = parse_frame(data)
    built = build_frame(frame)
    if name in LOWERCASE_CRC:
        assert built == data[:-6] + data[-6:-2].upper() + b"\r\n"
    elif name in REORDERED:
        assert built != data
        again = parse_frame(built)
        assert (again.qn, again.st, again.cn, again.pnum, again.pno, again.cp) == (
            frame.qn,
            frame.st,
            frame.cn,
            frame.pnum,
            frame.pno,
            frame.cp,
        )
    else:
        assert built == data
    assert parse_frame(built).crc_ok


# name -> (version, qn, st, cn, pw, mn, flag, ack, split, pnum, pno, data_time)
HEADERS = {
    "S01": (
        "2017",
        "20160801085857223",
        "32",
        1062,
        "100000",
        "010000A8900016F000169DC0",
        5,
        True,
        False,
        None,
        None,
        None,
    ),
    "S03": (
        "2017",
        "20191012133710130",
        "22",
        2011,
        "123456",
        "Y80110010000010",
        4,
        False,
        False,
        None,
        None,
        "20191012133710",
    ),
    "S06": (
        "2017",
        "20191112091100598",
        "31",
        2051,
        "123456",
        "14513567846884",
        None,
        False,
        True,
        2,
        2,
        "20191112090000",
    ),
    "S08": (
        "2025",
        "20210301111100112",
        "21",
        2011,
        "123456",
        "ZLDSZ20210127",
        8,
        False,
        False,
        None,
        None,
        "20210301111100",
    ),
    "S09": (
        "2005",
        None,
        "32",
        2011,
        "123456",
        "NJGDKYYC202101q0001w0001",
        None,
        False,
        False,
        None,
        None,
        "20210305003817000",
    ),
    "S15": (
        "2005",
        None,
        "32",
        2011,
        "000000",
        "LD130133000015",
        None,
        False,
        False,
        None,
        None,
        "20160824003817",
    ),
    "S19": (
        "2005",
        None,
        "101",
        2011,
        "123456",
        "41050022000017",
        None,
        False,
        False,
        None,
        None,
        "20200922110000",
    ),
    "S21": (
        "2017",
        "20210412154520280",
        "21",
        9014,
        "123456",
        "DXCBZ000000005",
        5,
        True,
        False,
        None,
        None,
        None,
    ),
    "S22": (
        "2017",
        "1617936069734",
        "21",
        1011,
        "123456",
        "DXCBZ000000005",
        5,
        True,
        False,
        None,
        None,
        None,
    ),
    "S31": (
        "2017",
        "20200428011552615",
        "31",
        2081,
        "",
        "MYHJ00000000000080011128",
        4,
        False,
        False,
        None,
        None,
        "20200428011552",
    ),
    "A15": (
        "2017",
        "20160801085857534",
        "32",
        2061,
        "123456",
        "010000A8900016F000169DC0",
        7,
        True,
        True,
        2,
        1,
        "20160801080000",
    ),
    "A17": (
        "2017",
        "20160801085857535",
        "32",
        2061,
        "123456",
        "010000A8900016F000169DC0",
        7,
        True,
        True,
        2,
        2,
        "20160801080000",
    ),
    "B_A1": (
        "2025",
        "20240601085857223",
        "32",
        1011,
        "123456",
        "010000A8900016F000169DC0",
        9,
        True,
        False,
        None,
        None,
        None,
    ),
}


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_header_fields(name):
    f = parse_frame(raw(name))
    got = (
        f.version,
        f.qn,
        f.st,
        f.cn,
        f.pw,
        f.mn,
        f.flag,
        f.ack_requested,
        f.split,
        f.pnum,
        f.pno,
        f.cp.data_time,
    )
    assert got == HEADERS[name]


# name -> {(code, suffix): value} ; code None = a parameter without a code
VALUES = {
    "S01": {(None, "RtdInterval"): 30},
    "S03": {
        ("a21005", "Rtd"): 0.0,
        ("a21007", "Rtd"): 0.033,
        ("a21002", "Rtd"): 49.2,
        ("a21002", "Flag"): "N",
    },
    "S04": {("a2106", "Rtd"): 0.036, ("a2101", "Flag"): "N"},
    "S05": {("a214", "Rtd"): 0.0, ("a213", "Rtd"): 101.94},
    "S06": {("a01006", "Avg"): 101.85, ("a01006", "ValidNum"): 10, ("a01006", "TotalNum"): 10},
    "S08": {
        ("w01001", "Rtd"): 8.33,
        ("w01014", "Rtd"): 1425,
        ("w21003", "Rtd"): 0.09055002,
        ("w23002", "Flag"): "N",
    },
    "S09": {("ele01", "Rtd"): 1, ("ele02", "Rtd"): 0},
    "S11": {("w01008", "SampleTime"): "20231008123340", ("w01008", "Rtd"): 123.456},
    "S12": {(None, "QnRtn"): 1},
    "S13": {(None, "RestartTime"): "20231007130452"},
    "S15": {("011", "Rtd"): 231.0, ("011", "Flag"): "N", ("B01", "Rtd"): 36.91, ("060", "Rtd"): 1.803},
    "S18": {("831", "Rtd"): 3.128, ("811", "Rtd"): 102.472, ("a99948", "Rtd"): 452.341, ("815", "Flag"): "N"},
    "S19": {("ua19004", "Rtd"): 2.017, ("a34009", "Rtd"): 0.522},
    "S22": {(None, "PolId"): "w01018"},
    "S24": {(None, "ExeRtn"): 1},
    "S27": {("SB1", "RS"): 1, ("SB2", "RS"): 1},
    "S28": {("a34001", "Rtd"): 92, (None, "Flag"): "N"},
    "S33": {("a21026", "ZsRtd"): 0.0, ("a21026", "Flag"): "D", ("a01013", "Rtd"): 0.0},
    "A01": {(None, "OverTime"): 5, (None, "ReCount"): 3},
    "A05": {(None, "PolId"): "w01018", (None, "SystemTime"): "20160801085857"},
    "A10": {
        ("w00000", "Cou"): 63.0,
        ("w01001", "Max"): 7.8,
        ("w01018", "Avg"): 40.1,
        ("w01018", "Flag"): "N",
    },
    "A11": {(None, "BeginTime"): "20160801080000", (None, "EndTime"): "20160801080000"},
    "A13": {("L5", "Data"): 53.0, ("LMn", "Data"): 42.0},
    "A14": {(None, "PolId"): "w01018", ("i11001", "Info"): "//清洗管路//"},
    "A17": {("w01018", "Cou"): 63.0, ("w01018", "Flag"): "N"},
    "B_A2_PLAIN": {("a01014", "Avg"): 3.211, ("a01012", "Min"): 9.3},
    "B_SELF": {("a00000", "Rtd"): 33471.0, ("a01013", "Rtd"): 101.3},
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_cp_values(name):
    cp = parse_frame(raw(name)).cp
    for (code, suffix), expected in VALUES[name].items():
        got = cp.params[suffix] if code is None else cp.codes[code][suffix]
        assert got == expected and type(got) is type(expected), (code, suffix, got)
    assert cp.unparsed == ()


def test_cp_text_is_kept_raw():
    f = parse_frame(raw("S33"))
    assert f.cp.text.startswith("DataTime=20180303105900;a00000-Rtd=0.0000,")
    assert len(f.cp.codes) == 13


def test_utf8_log_frame_counts_bytes():
    f = parse_frame(raw("A14"))
    assert f.length_field == 152 and not f.length_in_chars
    assert f.cn == Command.DEVICE_INFO


def test_character_counted_length_is_accepted_and_rebuilt():
    data = raw("A14").replace(b"##0152", b"##0144")
    f = parse_frame(data)
    assert f.length_in_chars and f.crc_ok
    assert build_frame(f) == data


# negative samples: exact errors
BAD_CRC = {
    "X01": "bad CRC: got 4980, computed 3C00",
    "X04": "bad CRC: got 1100, computed 2D00",
    "X05": "bad CRC: got 2800, computed D801",
    "X07": "bad CRC: got 7865, computed C841 (matches CRC-16/MODBUS low-byte-first)",
    "X08": "bad CRC: got 0681, computed 6C00 (matches CRC-16/MODBUS low-byte-first)",
    "X14": "bad CRC: got 2D61, computed F441 (matches CRC-16/MODBUS)",
    "X15": "bad CRC: got 1CBA, computed 0880 (matches CRC-16/MODBUS)",
}


@pytest.mark.parametrize("name", sorted(BAD_CRC))
def test_bad_crc_samples(name):
    f = parse_frame(raw(name))
    assert not f.crc_ok
    assert crc_problem(f) == BAD_CRC[name]


def test_bad_crc_frames_still_parse_fields():
    f = parse_frame(raw("X15"))
    assert (f.version, f.qn, f.cn, f.flag, f.cp.params["QN"]) == ("2005", None, 9013, 0, "20170516010101001")
    f = parse_frame(raw("X08"))
    assert f.length_field == 1623 and f.cp.codes["815"]["Max"] == 0.0


FRAME_ERRORS = {
    "X03": "length field 1025 but data segment is 0139 bytes",
    "X09": "frame does not start with '##': b'#0'",
    "X11": "length field '81QN' is not 4 decimal digits",
    # no key_for: the precise error names the device whose key is missing
    "B_A2_ENC": "SM4-encrypted CP from MN=010000A8900016F000169DC0: no key for this MN",
    "B_A3_ENC": "SM4-encrypted CP from MN=010000A8900016F000169DC0: no key for this MN",
}


@pytest.mark.parametrize("name", sorted(FRAME_ERRORS))
def test_malformed_samples(name):
    with pytest.raises(FrameError) as info:
        parse_frame(raw(name))
    assert str(info.value) == FRAME_ERRORS[name]


def seg_frame(segment: str, crc: str | None = None) -> bytes:
    data = segment.encode()
    crc = crc or f"{hj212_crc16(data):04X}"
    return b"##%04d%s%s\r\n" % (len(data), data, crc.encode())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (seg_frame("QN=1;ST=32;PW=1;MN=2;Flag=4;CP=&&&&"), "field CN missing"),
        (seg_frame("QN=1;ST=32;CN=2011;PW=1;Flag=4;CP=&&&&"), "field MN missing"),
        (seg_frame("ST=32;CN=2011;PW=1;MN=2;Flag=4"), "field CP missing (no 'CP=&&' in the data segment)"),
        (seg_frame("ST=32;CN=2011;PW=1;MN=2;Flag=4;CP=&&a=1"), "CP not closed by '&&'"),
        (seg_frame("ST=32;CN=201;PW=1;MN=2;CP=&&&&"), "field CN is not 4 digits: '201'"),
        (seg_frame("ST=32;CN=2011;PW=1;MN=2;Flag=x;CP=&&&&"), "field Flag is not an integer 0-255: 'x'"),
        (seg_frame("ST=32;CN=2011;PW=1;MN=2;Flag=12;CP=&&&&"), "Flag=12 has unknown version bits 000011"),
        (seg_frame("ST=32;CN=2011;CN=2011;PW=1;MN=2;CP=&&&&"), "field CN appears twice"),
        (seg_frame("ST=32;CN=2011;PW=1;MN=2;CP=&&&&", "XYZ!"), "CRC field 'XYZ!' is not 4 hex digits"),
        (b"##0005abc\r\n", "frame too short: 11 bytes, at least 12 needed"),
        (b"##0002\xff\xfe1234\r\n", "data segment is not valid UTF-8 at byte 0"),
    ],
)
def test_precise_frame_errors(data, message):
    with pytest.raises(FrameError) as info:
        parse_frame(data)
    assert str(info.value) == message


def test_header_tolerance():
    # FLAG upper-case key, stray comma before MN, Flag after CP (xiaoyao9184), RF extra field (2025)
    f = parse_frame(seg_frame("QN=1;ST=32;CN=2011;PW=1,MN=2;FLAG=5;RF=1;CP=&&a-Rtd=1&&;Flag2=x"))
    assert (f.mn, f.flag, f.extra) == ("2", 5, (("RF", "1"), ("Flag2", "x")))


def test_crc_vectors():
    seg_2005 = (
        b"ST=32;CN=2011;PW=123456;MN=0873HHMZWSLH02;CP=&&DataTime=20160103133030;060-Rtd=3.0943,"
        b"060-Flag=N;011-Rtd=18.0412,011-Flag=N;001-Rtd=8.2137,001-Flag=N;B01-Rtd=10.9890,B01-Flag=N&&"
    )
    assert hj212_crc16(seg_2005) == 0xA9C1
    seg_2051 = (
        b"ST=32;CN=2051;PW=123456;MN=0873HHMZWSLH02;CP=&&DataTime=20160103133000;060-Cou=0.0174,"
        b"060-Min=3.0943,060-Avg=3.0943,060-Max=3.0943;011-Cou=0.1013,011-Min=18.0412,011-Avg=18.0412,"
        b"011-Max=18.0412;001-Min=8.1325,001-Avg=8.2838,001-Max=8.4103;B01-Cou=5.6166,B01-Min=0.0000,"
        b"B01-Avg=9.3610,B01-Max=23.1990&&"
    )
    assert hj212_crc16(seg_2051) == 0x4040
    assert (
        hj212_crc16(b"QN=20040516010101001;ST=22;CN=1011;PW=654321;MN=88888880000001;Flag=3;CP=&&&&")
        == 0x0140
    )
    # only 256 values: the low byte is always one of 00 01 40 41 80 81 C0 C1
    assert {hj212_crc16(bytes([i, j])) & 0xFF for i in range(256) for j in range(0, 256, 7)} <= {
        0x00,
        0x01,
        0x40,
        0x41,
        0x80,
        0x81,
        0xC0,
        0xC1,
    }
    assert modbus_crc16(b"123456789") == 0x4B37  # CRC-16/MODBUS check value


def test_code_tables():
    for cn in (1000, 1011, 1012, 1061, 2011, 2021, 2031, 2051, 2061, 3020, 9011, 9012, 9013, 9014):
        assert Command(cn).phrase
    assert Command.DATA_ANSWER.phrase == "data answer"
    assert SYSTEM_CODES["31"] == "air pollution source" and SYSTEM_CODES["91"] == "system interaction"
    assert FACTORS_2017["a21026"].name == "二氧化硫" and FACTORS_2017["a21026"].unit == "毫克/立方米"
    assert FACTORS_2017["a01001"].unit == "摄氏度"
    assert FACTORS_2017["w01018"].code_2005 == "011" and FACTORS_2017["w01018"].amount_unit == "千克"
    assert FACTORS_2017["LA"].medium == "noise"
    assert sum(f.medium in ("water", "air") for f in FACTORS_2017.values()) == 184
    assert CODE_2005_TO_2017["060"] == "w21003" and CODE_2005_TO_2017["B02"] == "a00000"
    assert all(c in FACTORS_2017 for c in CODE_2005_TO_2017.values())
    assert set("NFMSDCTB") == set(DATA_FLAGS_2017)
    assert "P" in DATA_FLAGS_2005 and "B" not in DATA_FLAGS_2005
    assert parse_frame(raw("S01")).command is Command.SET_RTD_INTERVAL
    assert parse_frame(raw("S26")).command is Command.VENDOR_HEARTBEAT_LOGIN


def test_huge_numbers_stay_text_and_huge_header_ints_are_errors():
    f = parse_frame(seg_frame("ST=32;CN=2011;PW=1;MN=2;CP=&&a01001-Rtd=" + "9" * 5000 + "&&"))
    assert f.cp.codes["a01001"]["Rtd"] == "9" * 5000
    with pytest.raises(FrameError, match="field Flag is not an integer 0-255"):
        parse_frame(seg_frame("ST=32;CN=2011;PW=1;MN=2;Flag=" + "1" * 5000 + ";CP=&&&&"))


@settings(max_examples=500)
@given(st.binary(max_size=2000))
def test_fast_crc_equals_reference_form(data):
    assert hj212_crc16(data) == hj212_crc16_reference(data)


def test_literal_annex_a_loop_agrees():
    def literal(data: bytes) -> int:
        crc = 0xFFFF
        for b in data:
            crc = (crc >> 8) ^ b
            for _ in range(8):
                crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        return crc

    for name in VALID:
        seg = parse_frame(raw(name)).data_segment
        assert literal(seg) == hj212_crc16(seg) == hj212_crc16_reference(seg)
