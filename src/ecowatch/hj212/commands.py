"""Commands the platform (上位机) sends to a device (现场机): HJ 212-2017 Table 9 / Annex C, and what
is known of HJ 212-2025 (reference §3.2, §6.1, §6.7, Part B3/B4/B7).

Each builder returns the frame's bytes. Requests carry Flag bit A = 1 (the device answers 9011, then
the data or 9012, §6.1); notices (2012, 2022) are answered 9013 (§6.3). QNs and times are arguments,
never read from a clock. ``Recipient.version`` picks the edition's Flag version bits (2005: 0,
2017: 1, 2025: 2). For 2005 the Flag of requests is 3, as the 2005-era annex quotes show (§2.2 and
§6.10, UNVERIFIED: the 2005 text was not seen).

>>> device = Recipient(mn="010000A8900016F000169DC0", pw="123456", st="32")
>>> set_timeout_retry(device, qn="20160801085857223", overtime_s=5, recount=3)   # Annex C.1
b'##0107QN=20160801085857223;ST=32;CN=1000;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&OverTime=5;ReCount=3&&CAC1\\r\\n'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from ecowatch.hj212.codes import Command, ExeRtn, QnRtn
from ecowatch.hj212.errors import BuildError, FrameError
from ecowatch.hj212.frame import _VERSION_BITS, Frame, Value, Version, build_frame, make_cp
from ecowatch.hj212.sm4 import SM4_KEY_BYTES

__all__ = [
    "HISTORY_COMMANDS",
    "MINUTE_INTERVALS",
    "CommandAnswer",
    "KeyRequest",
    "Recipient",
    "get_device_info",
    "get_min_interval",
    "get_rtd_interval",
    "get_system_time",
    "instrument_command",
    "parse_answer",
    "parse_key_request",
    "request_history",
    "set_min_interval",
    "set_new_key",
    "set_password",
    "set_rtd_interval",
    "set_system_time",
    "set_timeout_retry",
    "start_realtime_data",
    "start_running_state",
    "stop_realtime_data",
    "stop_running_state",
]

#: History data a platform may ask for with BeginTime/EndTime, per edition (Table 9; HJ 212-2025 adds
#: 2013 raw data, 2052 noise single measurements, 2062 standard-check data — Part B7, UNVERIFIED).
HISTORY_COMMANDS: Mapping[Version, frozenset[int]] = {
    "2005": frozenset({2031, 2041, 2051, 2061}),
    "2017": frozenset({2031, 2041, 2051, 2061}),
    "2025": frozenset({2013, 2031, 2041, 2051, 2052, 2061, 2062}),
}
#: Minute-data intervals allowed by CN=1064 (Table 9: 1,2,3,4,5,6,10,12,15,20,30 minutes).
MINUTE_INTERVALS = frozenset({1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30})
#: Instrument control requests carrying ``PolId`` (Table 9; 3022 immediate retention task and 3024
#: start standard check are HJ 212-2025, Part B7, CP fields UNVERIFIED).
_INSTRUMENT_COMMANDS: Mapping[Version, frozenset[int]] = {
    "2005": frozenset({3011, 3012, 3013}),
    "2017": frozenset({3011, 3012, 3013, 3014, 3015}),
    "2025": frozenset({3011, 3012, 3013, 3014, 3015, 3022, 3024}),
}


@dataclass(frozen=True, slots=True)
class Recipient:
    """The device a command is for: its MN, password, system code (ST) and protocol edition."""

    mn: str
    pw: str
    st: str
    version: Version = "2017"


def _timestamp(name: str, value: str | datetime) -> str:
    """``YYYYMMDDhhmmss`` (§4.2 "YYYYMMDDhhmmss"); a datetime is written in its own wall time."""
    if isinstance(value, datetime):
        return value.strftime("%Y%m%d%H%M%S")
    if len(value) != 14 or not value.isascii() or not value.isdigit():
        raise BuildError(f"{name} must be YYYYMMDDhhmmss (14 digits), got {value!r}")
    return value


def _command(
    device: Recipient,
    cn: int,
    qn: str,
    params: Mapping[str, Value] | None = None,
    *,
    ack: bool = True,
    key: bytes | None = None,
) -> bytes:
    if device.version not in _VERSION_BITS:
        raise BuildError(f"unknown edition {device.version!r}; one of 2005, 2017, 2025")
    if not qn:
        raise BuildError("a command needs a QN (the device answers with it)")
    flag = _VERSION_BITS[device.version] << 2
    if ack:
        flag |= 3 if device.version == "2005" else 1
    frame = Frame(
        device.version, qn, device.st, cn, device.pw, device.mn, flag, None, None, make_cp(None, params or {})
    )
    return build_frame(frame, key=key)


def set_timeout_retry(device: Recipient, *, qn: str, overtime_s: int, recount: int) -> bytes:
    """CN=1000: set the device's answer timeout ``OverTime`` [s] and retry count ``ReCount``.

    Both 0 < n ≤ 99 (§6.5; Annex C.1 example ``OverTime=5;ReCount=3``).
    """
    for name, value in (("OverTime", overtime_s), ("ReCount", recount)):
        if not 0 < value <= 99:
            raise BuildError(f"{name} must be 1-99, got {value}")
    return _command(device, Command.SET_TIMEOUT_RETRY, qn, {"OverTime": overtime_s, "ReCount": recount})


def _pol_id(pol_id: str | None) -> dict[str, Value]:
    return {} if pol_id is None else {"PolId": pol_id}


def get_system_time(device: Recipient, *, qn: str, pol_id: str | None = None) -> bytes:
    """CN=1011: ask for the device time; ``pol_id`` names an instrument, none = the data logger.

    Annex C.2 (reference A04): ``CP=&&PolId=w01018&&``. The device answers 1011 with ``SystemTime``.
    """
    return _command(device, Command.GET_TIME, qn, _pol_id(pol_id))


def set_system_time(
    device: Recipient, *, qn: str, system_time: str | datetime, pol_id: str | None = None
) -> bytes:
    """CN=1012: time calibration, ``SystemTime=YYYYMMDDhhmmss`` (Annex C.3, §6.7 step 1).

    Sent on first connection and after a device's 1013 time-calibration request (§6.3).
    """
    return _command(
        device, Command.SET_TIME, qn, {**_pol_id(pol_id), "SystemTime": _timestamp("SystemTime", system_time)}
    )


def get_rtd_interval(device: Recipient, *, qn: str) -> bytes:
    """CN=1061: ask for the real-time data interval (answered with 1061 ``RtdInterval``)."""
    return _command(device, Command.GET_RTD_INTERVAL, qn)


def set_rtd_interval(device: Recipient, *, qn: str, interval_s: int) -> bytes:
    """CN=1062: set the real-time data interval ``RtdInterval`` [s], 30 ≤ n ≤ 3600 (Table 9)."""
    if not 30 <= interval_s <= 3600:
        raise BuildError(f"RtdInterval must be 30-3600 s, got {interval_s}")
    return _command(device, Command.SET_RTD_INTERVAL, qn, {"RtdInterval": interval_s})


def get_min_interval(device: Recipient, *, qn: str) -> bytes:
    """CN=1063: ask for the minute-data interval (answered with 1063 ``MinInterval``)."""
    return _command(device, Command.GET_MIN_INTERVAL, qn)


def set_min_interval(device: Recipient, *, qn: str, interval_min: int) -> bytes:
    """CN=1064: set the minute-data interval ``MinInterval`` [min], one of :data:`MINUTE_INTERVALS`."""
    if interval_min not in MINUTE_INTERVALS:
        raise BuildError(f"MinInterval must be one of {sorted(MINUTE_INTERVALS)}, got {interval_min}")
    return _command(device, Command.SET_MIN_INTERVAL, qn, {"MinInterval": interval_min})


def set_password(device: Recipient, *, qn: str, new_pw: str) -> bytes:
    """CN=1072: set the device's access password: ``NewPW=`` (2017, Table 9 / Annex C);
    2005-era examples carry ``PW=`` inside CP instead (§3.3, UNVERIFIED)."""
    if not new_pw or not new_pw.isascii() or not new_pw.isalnum():
        raise BuildError(f"new password must be ASCII letters and digits, got {new_pw!r}")
    field = "PW" if device.version == "2005" else "NewPW"
    return _command(device, Command.SET_PASSWORD, qn, {field: new_pw})


def start_realtime_data(device: Recipient, *, qn: str) -> bytes:
    """CN=2011 request: start sending real-time data (Annex C.10, reference A09: empty CP)."""
    return _command(device, Command.REALTIME_DATA, qn)


def stop_realtime_data(device: Recipient, *, qn: str) -> bytes:
    """CN=2012 notice: stop real-time data; the device answers 9013 (§6.3)."""
    return _command(device, Command.STOP_REALTIME_DATA, qn)


def start_running_state(device: Recipient, *, qn: str) -> bytes:
    """CN=2021 request: start sending equipment running state (``SBn-RS``)."""
    return _command(device, Command.RUNNING_STATE, qn)


def stop_running_state(device: Recipient, *, qn: str) -> bytes:
    """CN=2022 notice: stop sending equipment running state; answered 9013 (§6.3)."""
    return _command(device, Command.STOP_RUNNING_STATE, qn)


def request_history(
    device: Recipient, *, qn: str, cn: int, begin_time: str | datetime, end_time: str | datetime
) -> bytes:
    """History re-upload request: ``BeginTime=…;EndTime=…`` with the CN of the data wanted.

    2031 daily, 2041 daily running time, 2051 minute, 2061 hour data (Table 9; Annex C.21, reference
    A11); HJ 212-2025 adds 2013 raw, 2052 noise and 2062 standard-check data (Part B7, UNVERIFIED).
    The device answers 9011, uploads the data (each upload with a new QN, C.20), then 9012.
    """
    allowed = HISTORY_COMMANDS.get(device.version, frozenset())
    if cn not in allowed:
        raise BuildError(
            f"CN={cn} is not a history request in HJ 212-{device.version}; one of {sorted(allowed)}"
        )
    begin = _timestamp("BeginTime", begin_time)
    end = _timestamp("EndTime", end_time)
    if begin > end:
        raise BuildError(f"BeginTime {begin} is after EndTime {end}")
    return _command(device, cn, qn, {"BeginTime": begin, "EndTime": end})


def get_device_info(
    device: Recipient,
    *,
    qn: str,
    pol_id: str,
    info_id: str,
    begin_time: str | datetime | None = None,
    end_time: str | datetime | None = None,
) -> bytes:
    """CN=3020: ask for device information ``PolId=…;InfoId=…[;BeginTime=…;EndTime=…]`` (Table 9)."""
    params: dict[str, Value] = {"PolId": pol_id, "InfoId": info_id}
    if (begin_time is None) != (end_time is None):
        raise BuildError("BeginTime and EndTime go together")
    if begin_time is not None and end_time is not None:
        params["BeginTime"] = _timestamp("BeginTime", begin_time)
        params["EndTime"] = _timestamp("EndTime", end_time)
    return _command(device, Command.DEVICE_INFO, qn, params)


def instrument_command(
    device: Recipient, *, qn: str, cn: int, pol_id: str, calibration_type: int | None = None
) -> bytes:
    """Instrument control with ``PolId``: 3011 zero/span calibration, 3012 immediate sampling, 3013
    cleaning/blowback, 3014 comparison sampling, 3015 over-limit retention (Table 9); HJ 212-2025 adds
    3022 immediate retention task, 3024 start standard check and ``CalibrationType`` (0 zero, 1 span)
    on 3011 (Part B7, UNVERIFIED)."""
    allowed = _INSTRUMENT_COMMANDS.get(device.version, frozenset())
    if cn not in allowed:
        raise BuildError(
            f"CN={cn} is not an instrument command in HJ 212-{device.version}; one of {sorted(allowed)}"
        )
    params: dict[str, Value] = {"PolId": pol_id}
    if calibration_type is not None:
        if device.version != "2025" or cn != Command.CALIBRATE or calibration_type not in (0, 1):
            raise BuildError("CalibrationType (0 zero, 1 span) exists only on HJ 212-2025 CN=3011")
        params["CalibrationType"] = calibration_type
    return _command(device, cn, qn, params)


def set_new_key(device: Recipient, *, qn: str, new_key: bytes, created: str, current_key: bytes) -> bytes:
    """CN=1014 (HJ 212-2025): issue a new SM4 key to the device, encrypted with its current key.

    §6.4.3 (single source): keys are registered with the Ministry's platform and rotated every 90
    days; the field unit obtains the new key in advance with 1014, and 1014 is encrypted (§6.4.4).
    The CP fields are UNVERIFIED: ``SKCreateTime=<17 digits>;NewSK=<key>`` follows caoyiliang/HJ212
    (Part B7), the only implementation found; the key is written as 32 upper-case hex digits here
    (how the standard writes NewSK was not found). Correct this one function when the text is read.
    """
    if device.version != "2025":
        raise BuildError("CN=1014 (new key) exists only in HJ 212-2025")
    if len(new_key) != SM4_KEY_BYTES:
        raise BuildError(f"new SM4 key must be {SM4_KEY_BYTES} bytes, got {len(new_key)}")
    if len(created) != 17 or not created.isascii() or not created.isdigit():
        raise BuildError(f"SKCreateTime must be YYYYMMDDhhmmsszzz (17 digits), got {created!r}")
    return _command(
        device, 1014, qn, {"SKCreateTime": created, "NewSK": new_key.hex().upper()}, key=current_key
    )


@dataclass(frozen=True, slots=True)
class KeyRequest:
    """A device's CN=1014 "obtain new key" upload (HJ 212-2025, Part B7, UNVERIFIED): its MN, QN
    (our :func:`set_new_key` answers with it) and ``SKCreateTime`` of the key it holds."""

    mn: str
    qn: str | None
    sk_create_time: str
    new_key: bytes | None = None


def parse_key_request(frame: Frame) -> KeyRequest:
    """Read a CN=1014 frame: the device's key request (``SKCreateTime``), or, when it echoes a
    ``NewSK`` (e.g. our own :func:`set_new_key` decoded), the key it carries.

    Raises :class:`~ecowatch.hj212.errors.FrameError` naming the device and the field.
    """
    if frame.cn != 1014:
        raise FrameError(f"CN={frame.cn:04d} from MN={frame.mn} is not a key request (1014)")
    created = frame.cp.params.get("SKCreateTime")
    if not isinstance(created, str) or not created:
        raise FrameError(f"CN=1014 from MN={frame.mn}: field SKCreateTime missing")
    new_sk = frame.cp.params.get("NewSK")
    new_key = None
    if new_sk is not None:
        text = str(new_sk)
        try:
            new_key = bytes.fromhex(text)
        except ValueError:
            raise FrameError(f"CN=1014 from MN={frame.mn}: field NewSK is not hex: {text!r}") from None
        if len(new_key) != SM4_KEY_BYTES:
            raise FrameError(f"CN=1014 from MN={frame.mn}: field NewSK is {len(new_key)} bytes, not 16")
    return KeyRequest(frame.mn, frame.qn, created, new_key)


@dataclass(frozen=True, slots=True)
class CommandAnswer:
    """A device's answer to one of our commands (§6.1, §6.3): ``cn`` 9011 with ``QnRtn``, 9012 with
    ``ExeRtn``, or 9013 / 9014 (``result`` None). ``qn`` is the QN of our command: from the header
    (2017, 2025) or, for 2005 devices, from inside CP (§6.10, UNVERIFIED)."""

    mn: str
    qn: str
    cn: int
    result: QnRtn | ExeRtn | int | None

    @property
    def ok(self) -> bool:
        """9011 ready (1), 9012 success (1), or a 9013 / 9014 acknowledgement."""
        return self.result is None or self.result == 1


def parse_answer(frame: Frame) -> CommandAnswer:
    """Read a 9011 / 9012 / 9013 / 9014 frame that answers a command we sent (e.g. the device's answer
    to :func:`set_new_key` is 9011 then 9012). Codes outside Tables 6/7 are kept as plain ints.

    Raises :class:`~ecowatch.hj212.errors.FrameError` naming the device and the missing field.
    """
    if frame.cn not in (9011, 9012, 9013, 9014):
        raise FrameError(f"CN={frame.cn:04d} from MN={frame.mn} is not an answer (9011-9014)")
    qn = frame.qn or frame.cp.params.get("QN")
    if not qn:
        raise FrameError(f"CN={frame.cn} from MN={frame.mn}: field QN missing (header and CP)")
    result: QnRtn | ExeRtn | int | None = None
    if frame.cn in (9011, 9012):
        name, table = ("QnRtn", QnRtn) if frame.cn == 9011 else ("ExeRtn", ExeRtn)
        code = frame.cp.params.get(name)
        if not isinstance(code, int):
            raise FrameError(
                f"CN={frame.cn} from MN={frame.mn}: field {name} missing or not a number: {code!r}"
            )
        try:
            result = table(code)
        except ValueError:
            result = code
    return CommandAnswer(frame.mn, str(qn), frame.cn, result)
