"""Platform command builders against the golden frames of reference §7.3 (HJ 212-2017 Annex C,
CRCs computed by the reference) and sample S22, plus HJ 212-2025 key rotation (CN=1014)."""

from __future__ import annotations

from datetime import datetime

import pytest

from ecowatch.hj212 import (
    BuildError,
    FrameError,
    Recipient,
    get_system_time,
    instrument_command,
    make_frame,
    parse_frame,
    parse_key_request,
    request_history,
    set_min_interval,
    set_new_key,
    set_password,
    set_rtd_interval,
    set_system_time,
    set_timeout_retry,
    start_realtime_data,
    start_running_state,
    stop_realtime_data,
    stop_running_state,
)
from ecowatch.hj212.commands import get_device_info, get_min_interval, get_rtd_interval

MN = "010000A8900016F000169DC0"
QN = "20160801085857223"
DEVICE = Recipient(mn=MN, pw="123456", st="32")
DEVICE_2025 = Recipient(mn=MN, pw="123456", st="31", version="2025")
DEVICE_2005 = Recipient(mn="88888880000001", pw="654321", st="22", version="2005")


def golden(segment: str, crc: str) -> bytes:
    return b"##%04d%s%s\r\n" % (len(segment.encode()), segment.encode(), crc.encode())


HEAD = f"QN={QN};ST=32;CN={{cn}};PW=123456;MN={MN};Flag=5;CP=&&"


def test_annex_c_golden_frames():
    # A01 (C.1), A04 (C.2), A09 (C.10), A11 (C.21) of reference §7.3
    assert set_timeout_retry(DEVICE, qn=QN, overtime_s=5, recount=3) == golden(
        HEAD.format(cn=1000) + "OverTime=5;ReCount=3&&", "CAC1"
    )
    assert get_system_time(DEVICE, qn=QN, pol_id="w01018") == golden(
        HEAD.format(cn=1011) + "PolId=w01018&&", "5A00"
    )
    assert start_realtime_data(DEVICE, qn=QN) == golden(HEAD.format(cn=2011) + "&&", "30C0")
    assert request_history(
        DEVICE, qn=QN, cn=2061, begin_time="20160801080000", end_time="20160801080000"
    ) == golden(HEAD.format(cn=2061) + "BeginTime=20160801080000;EndTime=20160801080000&&", "7EC0")


def test_sample_s22_platform_get_time_with_epoch_qn():
    device = Recipient(mn="DXCBZ000000005", pw="123456", st="21")
    assert get_system_time(device, qn="1617936069734", pol_id="w01018") == (
        b"##0085QN=1617936069734;ST=21;CN=1011;PW=123456;MN=DXCBZ000000005;Flag=5;CP=&&PolId=w01018&&4100\r\n"
    )


def test_set_time_text_and_datetime_agree_and_parse_back():
    a = set_system_time(DEVICE, qn=QN, system_time="20160801085857", pol_id="w01018")
    b = set_system_time(DEVICE, qn=QN, system_time=datetime(2016, 8, 1, 8, 58, 57), pol_id="w01018")
    assert a == b
    f = parse_frame(a)
    assert (f.cn, f.flag, f.ack_requested, f.cp.params) == (
        1012,
        5,
        True,
        {"PolId": "w01018", "SystemTime": "20160801085857"},
    )


@pytest.mark.parametrize(
    ("build", "cn", "params"),
    [
        (lambda d: get_rtd_interval(d, qn=QN), 1061, {}),
        (lambda d: set_rtd_interval(d, qn=QN, interval_s=30), 1062, {"RtdInterval": 30}),
        (lambda d: get_min_interval(d, qn=QN), 1063, {}),
        (lambda d: set_min_interval(d, qn=QN, interval_min=10), 1064, {"MinInterval": 10}),
        (lambda d: set_password(d, qn=QN, new_pw="654321"), 1072, {"NewPW": "654321"}),
        (lambda d: stop_realtime_data(d, qn=QN), 2012, {}),
        (lambda d: start_running_state(d, qn=QN), 2021, {}),
        (lambda d: stop_running_state(d, qn=QN), 2022, {}),
        (lambda d: instrument_command(d, qn=QN, cn=3011, pol_id="w01018"), 3011, {"PolId": "w01018"}),
        (
            lambda d: get_device_info(
                d,
                qn=QN,
                pol_id="w01018",
                info_id="i12001",
                begin_time="20160801000000",
                end_time="20160801235959",
            ),
            3020,
            {
                "PolId": "w01018",
                "InfoId": "i12001",
                "BeginTime": "20160801000000",
                "EndTime": "20160801235959",
            },
        ),
    ],
)
def test_each_builder_code_and_fields(build, cn, params):
    for device, flag in ((DEVICE, 5), (DEVICE_2025, 9)):
        f = parse_frame(build(device))
        assert (f.cn, f.flag, f.qn, f.mn, f.st, f.cp.params) == (cn, flag, QN, MN, device.st, params)


def test_history_requests_per_edition():
    for cn in (2031, 2041, 2051, 2061):
        assert (
            parse_frame(
                request_history(DEVICE, qn=QN, cn=cn, begin_time="20160801000000", end_time="20160802000000")
            ).cn
            == cn
        )
    f = parse_frame(
        request_history(DEVICE_2025, qn=QN, cn=2062, begin_time="20260101000000", end_time="20260102000000")
    )
    assert (f.version, f.flag, f.cn) == ("2025", 9, 2062)
    with pytest.raises(BuildError, match=r"CN=2062 is not a history request in HJ 212-2017; one of \[2031"):
        request_history(DEVICE, qn=QN, cn=2062, begin_time="20160801000000", end_time="20160802000000")
    with pytest.raises(BuildError, match="BeginTime 20160803000000 is after EndTime 20160802000000"):
        request_history(DEVICE, qn=QN, cn=2061, begin_time="20160803000000", end_time="20160802000000")
    with pytest.raises(BuildError, match=r"EndTime must be YYYYMMDDhhmmss \(14 digits\), got '2016-08-02'"):
        request_history(DEVICE, qn=QN, cn=2061, begin_time="20160801000000", end_time="2016-08-02")


def test_2005_requests_use_flag_3_and_pw_in_cp():
    f = parse_frame(set_password(DEVICE_2005, qn="20040516010101001", new_pw="111111"))
    assert (f.version, f.flag, f.cp.params) == ("2005", 3, {"PW": "111111"})
    assert parse_frame(stop_realtime_data(DEVICE_2005, qn="20040516010101001")).flag == 3


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: set_timeout_retry(DEVICE, qn=QN, overtime_s=0, recount=3), "OverTime must be 1-99, got 0"),
        (
            lambda: set_timeout_retry(DEVICE, qn=QN, overtime_s=5, recount=100),
            "ReCount must be 1-99, got 100",
        ),
        (lambda: set_rtd_interval(DEVICE, qn=QN, interval_s=29), "RtdInterval must be 30-3600 s, got 29"),
        (lambda: set_min_interval(DEVICE, qn=QN, interval_min=7), "MinInterval must be one of"),
        (lambda: set_password(DEVICE, qn=QN, new_pw="a;b"), "new password must be ASCII letters and digits"),
        (lambda: start_realtime_data(DEVICE, qn=""), "a command needs a QN"),
        (
            lambda: instrument_command(DEVICE, qn=QN, cn=3024, pol_id="w01018"),
            "CN=3024 is not an instrument command in HJ 212-2017",
        ),
        (
            lambda: instrument_command(DEVICE, qn=QN, cn=3011, pol_id="w01018", calibration_type=1),
            "CalibrationType",
        ),
        (
            lambda: set_new_key(DEVICE, qn=QN, new_key=b"1" * 16, created="2" * 17, current_key=b"0" * 16),
            "CN=1014 \\(new key\\) exists only in HJ 212-2025",
        ),
        (
            lambda: set_new_key(
                DEVICE_2025, qn=QN, new_key=b"1" * 15, created="2" * 17, current_key=b"0" * 16
            ),
            "new SM4 key must be 16 bytes, got 15",
        ),
    ],
)
def test_builder_misuse_is_a_build_error(call, message):
    with pytest.raises(BuildError, match=message):
        call()


def test_2025_calibration_type():
    f = parse_frame(instrument_command(DEVICE_2025, qn=QN, cn=3011, pol_id="a21026", calibration_type=0))
    assert f.cp.params == {"PolId": "a21026", "CalibrationType": 0}


def test_key_rotation_1014_is_encrypted_with_the_current_key():
    current, new = b"0" * 16, bytes(range(16))
    data = set_new_key(
        DEVICE_2025, qn="20260101000000001", new_key=new, created="20260101000000000", current_key=current
    )
    assert b"NewSK" not in data and b"CP=&&{0x" in data  # the new key never travels in clear
    with pytest.raises(FrameError, match=f"SM4-encrypted CP from MN={MN}: no key for this MN"):
        parse_frame(data)
    f = parse_frame(data, key_for=lambda mn: current)
    assert f.crc_ok and (f.cn, f.flag) == (1014, 9)
    assert f.cp.params == {"SKCreateTime": "20260101000000000", "NewSK": "000102030405060708090A0B0C0D0E0F"}
    request = parse_key_request(f)
    assert (request.mn, request.qn, request.sk_create_time, request.new_key) == (
        MN,
        "20260101000000001",
        "20260101000000000",
        new,
    )


def test_device_key_request_parsed():
    # the device asks for a new key (caoyiliang/HJ212 AskNewSKReq: Flag = version | A, CP SKCreateTime)
    ask = make_frame(
        qn="20260101000000002",
        st="31",
        cn=1014,
        pw="123456",
        mn=MN,
        flag=9,
        cp="SKCreateTime=20251001000000000",
        key=b"0" * 16,
    )
    request = parse_key_request(parse_frame(ask.raw, key_for=lambda mn: b"0" * 16))
    assert (request.qn, request.sk_create_time, request.new_key) == (
        "20260101000000002",
        "20251001000000000",
        None,
    )
    with pytest.raises(FrameError, match=f"CN=1014 from MN={MN}: field SKCreateTime missing"):
        parse_key_request(make_frame(st="31", cn=1014, pw="1", mn=MN, flag=9, cp="X=1"))
    with pytest.raises(FrameError, match="CN=2011 from MN=M is not a key request"):
        parse_key_request(make_frame(st="31", cn=2011, pw="1", mn="M", flag=9, cp=""))
    with pytest.raises(FrameError, match="field NewSK is not hex: 'zz'"):
        parse_key_request(make_frame(st="31", cn=1014, pw="1", mn=MN, flag=8, cp="SKCreateTime=1;NewSK=zz"))


def test_parse_answer_of_annex_c_and_2005_replies():
    from hj212_samples import SAMPLES

    from ecowatch.hj212 import ExeRtn, QnRtn, parse_answer

    a02 = parse_frame(golden(f"QN={QN};ST=91;CN=9011;PW=123456;MN={MN};Flag=4;CP=&&QnRtn=1&&", "1B00"))
    a03 = parse_frame(golden(f"QN={QN};ST=91;CN=9012;PW=123456;MN={MN};Flag=4;CP=&&ExeRtn=1&&", "6240"))
    assert a02.crc_ok and a03.crc_ok
    assert parse_answer(a02) == parse_answer(a02) and parse_answer(a02).result is QnRtn.READY
    answer = parse_answer(a03)
    assert (answer.mn, answer.qn, answer.cn, answer.result, answer.ok) == (MN, QN, 9012, ExeRtn.SUCCESS, True)
    x15 = parse_frame((SAMPLES["X15"] + "\r\n").encode())  # 2005: the QN travels inside CP
    assert (parse_answer(x15).qn, parse_answer(x15).result, parse_answer(x15).ok) == (
        "20170516010101001",
        None,
        True,
    )
    refused = parse_frame(make_frame(qn=QN, st="91", cn=9011, pw="1", mn=MN, flag=4, cp="QnRtn=3").raw)
    assert parse_answer(refused).result is QnRtn.PW_ERROR and not parse_answer(refused).ok
    odd = make_frame(qn=QN, st="91", cn=9012, pw="1", mn=MN, flag=4, cp="ExeRtn=77")
    assert parse_answer(odd).result == 77
    with pytest.raises(FrameError, match=f"CN=9012 from MN={MN}: field ExeRtn missing or not a number: None"):
        parse_answer(make_frame(qn=QN, st="91", cn=9012, pw="1", mn=MN, flag=4, cp=""))
    with pytest.raises(FrameError, match="not an answer"):
        parse_answer(a02.__class__(**{**{f: getattr(a02, f) for f in a02.__dataclass_fields__}, "cn": 2011}))
    with pytest.raises(FrameError, match="field QN missing"):
        parse_answer(make_frame(st="91", cn=9014, pw="1", mn=MN, flag=4, cp=""))
