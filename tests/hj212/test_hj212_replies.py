"""9011/9012/9013/9014 builders against the Annex C golden frames (reference §6, §7.3)."""

from __future__ import annotations

import pytest
from hj212_samples import SAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st
from test_hj212_roundtrip import frames

from ecowatch.hj212 import (
    BuildError,
    ExeRtn,
    QnRtn,
    auto_reply,
    build_frame,
    data_answer,
    execution_result,
    make_cp,
    make_frame,
    notification_answer,
    parse_frame,
    request_answer,
)


def frame(name: str):
    return parse_frame(SAMPLES[name].encode() + b"\r\n")


def raw(name: str) -> bytes:
    return SAMPLES[name].encode() + b"\r\n"


def test_request_answer_and_execution_result_match_annex_c():
    request = frame("A01")
    assert request_answer(request) == raw("A02")
    assert request_answer(request, QnRtn.READY) == raw("A02")
    assert execution_result(request, ExeRtn.SUCCESS) == raw("A03")
    assert parse_frame(request_answer(request, QnRtn.PW_ERROR)).cp.params == {"QnRtn": 3}


def test_notification_answer_matches_annex_c():
    assert notification_answer(frame("A06")) == raw("A07")
    assert auto_reply(frame("A06")) == raw("A07")


def test_data_answer_per_split_part():
    assert data_answer(frame("A15")) == raw("A16")
    assert data_answer(frame("A17")) == raw("A18")
    assert auto_reply(frame("A15")) == raw("A16")
    assert data_answer(frame("A04")) == raw("A08")  # same QN, so the same 9014 bytes


def test_data_answer_2025_uses_version_bits_8():
    reply = parse_frame(data_answer(frame("B_SELF")))
    assert (reply.version, reply.flag, reply.st, reply.cn, reply.qn) == (
        "2025",
        8,
        "91",
        9014,
        "20240601085857223",
    )


def test_qn_argument_overrides_and_2005_puts_qn_in_cp():
    upload_2005 = frame("S15")
    with pytest.raises(BuildError, match="has no QN; pass qn="):
        data_answer(upload_2005)
    reply = parse_frame(notification_answer(upload_2005, qn="20170516010101001"))
    assert reply.qn is None and reply.flag == 0 and reply.version == "2005"
    assert reply.cp.text == "QN=20170516010101001"  # the CP of X15
    assert parse_frame(data_answer(frame("A10"), qn="x1")).qn == "x1"


@pytest.mark.parametrize(
    ("name", "expected_cn"),
    [
        ("A10", 9014),  # upload with A=1
        ("S25", 9013),  # 1013 notice
        ("S26", 9014),  # unknown vendor heartbeat 9021, A=1
        ("A15", 9014),
    ],
)
def test_auto_reply_answers(name, expected_cn):
    assert parse_frame(auto_reply(frame(name))).cn == expected_cn


@pytest.mark.parametrize(
    "name",
    [
        "S03",  # upload with A=0
        "S15",  # 2005 upload, no Flag, no QN
        "S12",  # 9011 is never answered
        "S21",  # 9014 with Flag=5 is never answered
    ],
)
def test_auto_reply_stays_silent(name):
    assert auto_reply(frame(name)) is None


#: Flag of a platform reply: the edition's version bits V5..V0 (HJ 212-2017 Table 3; reference §2.2),
#: A=0, D=0.
REPLY_FLAG = {"2005": 0, "2017": 4, "2025": 8}


def reply_as_the_standard_says(received, cn: int, params: dict[str, int], qn: str) -> bytes:
    """The reply frame written out from the rules (reference §6.4): ST=91, the device's PW and MN, the
    edition's Flag; the 2017/2025 QN in the header, the 2005 QN first in CP (Annex C X15)."""
    if received.version == "2005":
        cp, header_qn = make_cp(None, {"QN": qn, **params}), None
    else:
        cp, header_qn = make_cp(None, params), qn
    return build_frame(
        make_frame(
            st="91",
            cn=cn,
            pw=received.pw,
            mn=received.mn,
            cp=cp,
            qn=header_qn,
            flag=REPLY_FLAG[received.version],
        )
    )


@settings(max_examples=300, deadline=None)
@given(
    frames,
    st.sampled_from(["9011", "9012", "9013", "9014"]),
    st.one_of(st.none(), st.text(alphabet="0123456789", min_size=1, max_size=20), st.text(max_size=5)),
)
def test_replies_from_templates_equal_replies_written_out(received, kind, qn):
    answer = {
        "9011": request_answer,
        "9012": execution_result,
        "9013": notification_answer,
        "9014": data_answer,
    }[kind]
    cn, params = {
        "9011": (9011, {"QnRtn": 1}),
        "9012": (9012, {"ExeRtn": 1}),
        "9013": (9013, {}),
        "9014": (9014, {}),
    }[kind]
    expected_qn = received.qn if qn is None else qn
    for _ in range(2):  # the first reply makes the template, the second uses it
        try:
            whole = reply_as_the_standard_says(received, cn, params, expected_qn) if expected_qn else None
        except BuildError:
            whole = None
        try:
            got = answer(received, qn=qn)
        except BuildError:
            got = None
        assert got == whole
