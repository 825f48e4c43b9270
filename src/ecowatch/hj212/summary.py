"""One line of captured traffic as a plain record: what ``ecowatch hj212 decode`` prints."""

from __future__ import annotations

from typing import Any

from ecowatch.hj212.errors import Hj212Error
from ecowatch.hj212.frame import KeyLookup, crc_problem, parse_frame

SUMMARY_KEYS = (
    "line",
    "ok",
    "error",
    "crc_ok",
    "version",
    "qn",
    "st",
    "cn",
    "pw",
    "mn",
    "flag",
    "ack_requested",
    "pnum",
    "pno",
    "data_time",
    "values",
)
#: Added by ``decode_line(..., details=True)``; kept out of the issue's JSON contract.
DETAIL_KEYS = ("encrypted", "length_note")


def decode_line(
    line_number: int, text: bytes, *, key_for: KeyLookup | None = None, details: bool = False
) -> dict[str, Any]:
    """Decode one frame given on one line (its trailing CR LF optional) into a JSON-ready record.

    ``ok`` is true when the frame parsed and its CRC matched; otherwise ``error`` says why (the
    parsed fields are still given when only the CRC was wrong). ``values`` maps each factor code to
    its suffixes (``{"w01018": {"Rtd": 40.1, "Flag": "N"}}``), numbers as numbers. ``key_for(mn)``
    gives SM4 keys for HJ 212-2025 encrypted frames. With ``details`` the record also says whether
    the frame was ``encrypted`` and gives its ``length_note`` (the length field disagreeing with what
    was sent, as in the standard's Annex A.2 examples).

    >>> r = decode_line(1, b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
    ...                    b"Flag=5;CP=&&RtdInterval=30&&1C80")
    >>> r["ok"], r["cn"], r["flag"], r["ack_requested"], r["version"]
    (True, '1062', 5, True, '2017')
    """
    record: dict[str, Any] = dict.fromkeys(SUMMARY_KEYS + DETAIL_KEYS if details else SUMMARY_KEYS)
    record.update(line=line_number, ok=False, values={})
    raw = text.rstrip(b"\r\n") + b"\r\n"
    try:
        frame = parse_frame(raw, key_for=key_for)
    except Hj212Error as error:
        record["error"] = str(error)
        return record
    problem = crc_problem(frame)
    record.update(
        ok=problem is None,
        error=problem,
        crc_ok=frame.crc_ok,
        version=str(frame.version),
        qn=frame.qn,
        st=frame.st,
        cn=f"{frame.cn:04d}",
        pw=frame.pw,
        mn=frame.mn,
        flag=frame.flag,
        ack_requested=frame.ack_requested,
        pnum=frame.pnum,
        pno=frame.pno,
        data_time=frame.cp.data_time,
        values={code: dict(suffixes) for code, suffixes in frame.cp.codes.items()},
    )
    if details:
        record.update(encrypted=frame.encrypted, length_note=frame.length_note)
    return record
