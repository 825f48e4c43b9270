"""Build the interaction replies 9011 / 9012 / 9013 / 9014 for a received frame (reference §6).

Replies follow the standard: ``ST=91``, the received PW and MN, ``Flag`` = the version bits only
(4 for 2017, 8 for 2025, 0 for 2005) and the QN of the frame answered. QNs and times are never
invented here: a frame without a QN (2005 uploads) needs ``qn=`` from the caller, and for 2005 the
QN travels inside CP (§6.10, UNVERIFIED).

>>> from ecowatch.hj212.frame import parse_frame
>>> upload = parse_frame(
...     b"##0137QN=20160801085857223;ST=32;CN=2081;PW=123456;MN=010000A8900016F000169DC0;"
...     b"Flag=5;CP=&&DataTime=20160801085857;RestartTime=20160801085624&&9AC1\\r\\n")
>>> data_answer(upload)
b'##0087QN=20160801085857223;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&3240\\r\\n'
"""

from __future__ import annotations

from ecowatch.hj212.codes import Command, ExeRtn, QnRtn
from ecowatch.hj212.crc import format_crc, hj212_crc16
from ecowatch.hj212.errors import BuildError
from ecowatch.hj212.frame import _VERSION_BITS, MAX_SEGMENT, Frame, build_frame, make_cp

__all__ = ["auto_reply", "data_answer", "execution_result", "notification_answer", "request_answer"]

REPLY_ST = "91"
#: Notices answered with 9013 (§6.3); 9015 is the 2025 heartbeat, answered 9013 (SINGLE SOURCE).
_NOTICES = frozenset({1013, 2012, 2022, 9015})
#: Interaction commands: never answered (they feed the requester's state machine).
_INTERACTION = frozenset({9011, 9012, 9013, 9014})


# The replies to one device differ only in their QN. Per device and kind of reply the data segment
# is built once by build_frame, around a placeholder QN, and kept as the bytes before and after it
# (None when that cannot be done); a reply is then those bytes around its QN, and its CRC. Bounded:
# the keys hold what devices sent.
_TEMPLATES: dict[tuple[object, ...], tuple[bytes, bytes] | None] = {}
_TEMPLATES_CAP = 100_000
_PLACEHOLDER = "\x00"


def _reply(frame: Frame, cn: int, params: dict[str, int], qn: str | None) -> bytes:
    qn = frame.qn if qn is None else qn
    if not qn:
        raise BuildError(f"frame CN={frame.cn:04d} from MN={frame.mn} has no QN; pass qn=")
    key = (frame.version, cn, frame.pw, frame.mn, *params.items())
    try:
        template = _TEMPLATES[key]
    except KeyError:
        template = _template(frame, cn, params)
        if len(_TEMPLATES) >= _TEMPLATES_CAP:
            _TEMPLATES.clear()
        _TEMPLATES[key] = template
    # QNs are digits (HJ 212-2017 §6.3.2); anything else is checked by build_frame.
    if template is not None and qn.isascii() and qn.isalnum():
        before, after = template
        segment = before + qn.encode("ascii") + after
        if len(segment) <= MAX_SEGMENT:
            return b"##%04d%s%s\r\n" % (
                len(segment),
                segment,
                format_crc(hj212_crc16(segment)).encode("ascii"),
            )
    return build_frame(_reply_frame(frame, cn, params, qn))


def _template(frame: Frame, cn: int, params: dict[str, int]) -> tuple[bytes, bytes] | None:
    try:
        parts = build_frame(_reply_frame(frame, cn, params, _PLACEHOLDER))[6:-6].split(_PLACEHOLDER.encode())
    except BuildError:
        return None
    return (parts[0], parts[1]) if len(parts) == 2 else None


def _reply_frame(frame: Frame, cn: int, params: dict[str, int], qn: str) -> Frame:
    flag = _VERSION_BITS[frame.version] << 2
    if frame.version == "2005":
        cp = make_cp(None, {"QN": qn, **params})
        header_qn = None
    else:
        cp = make_cp(None, params)
        header_qn = qn
    return Frame(frame.version, header_qn, REPLY_ST, cn, frame.pw, frame.mn, flag, None, None, cp)


def request_answer(frame: Frame, qn_rtn: int = QnRtn.READY, *, qn: str | None = None) -> bytes:
    """9011 request answer (``QnRtn``) to a request ``frame``."""
    return _reply(frame, Command.REQUEST_ANSWER, {"QnRtn": int(qn_rtn)}, qn)


def execution_result(frame: Frame, exe_rtn: int = ExeRtn.SUCCESS, *, qn: str | None = None) -> bytes:
    """9012 execution result (``ExeRtn``) for a request ``frame``."""
    return _reply(frame, Command.EXECUTION_RESULT, {"ExeRtn": int(exe_rtn)}, qn)


def notification_answer(frame: Frame, *, qn: str | None = None) -> bytes:
    """9013 notification answer (empty CP) to a notice ``frame`` (e.g. 1013)."""
    return _reply(frame, Command.NOTIFICATION_ANSWER, {}, qn)


def data_answer(frame: Frame, *, qn: str | None = None) -> bytes:
    """9014 data answer (empty CP) to an upload ``frame``; one per split part (its own QN)."""
    return _reply(frame, Command.DATA_ANSWER, {}, qn)


def auto_reply(frame: Frame) -> bytes | None:
    """The reply §6.4 requires for a received ``frame``, or ``None`` when nothing is to be sent.

    Only frames with Flag bit A set are answered; interaction frames (9011-9014) never are; notices
    and heartbeats get 9013, everything else (uploads, unknown CNs) 9014. Frames without a QN are
    not answered (the 2005 reply style needs a QN the device did not send).
    """
    if not frame.ack_requested or frame.cn in _INTERACTION or not frame.qn:
        return None
    if frame.cn in _NOTICES:
        return notification_answer(frame)
    return data_answer(frame)
