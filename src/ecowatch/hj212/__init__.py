"""Sans-IO HJ 212 (2005 / 2017 / 2025 with SM4) protocol library: bytes in, typed events out.

No sockets, no event loop, no clock, no files: timestamps and QNs are arguments. See
/work/shared/reference/hj212.md for the protocol and STYLE.md "Keeping the HJ 212 parser sans-IO".
"""

from __future__ import annotations

from ecowatch.hj212.codes import (
    CODE_2005_TO_2017,
    DATA_FLAGS_2005,
    DATA_FLAGS_2017,
    FACTORS_2017,
    SYSTEM_CODES,
    Command,
    ExeRtn,
    Factor,
    QnRtn,
)
from ecowatch.hj212.commands import (
    KeyRequest,
    Recipient,
    get_system_time,
    instrument_command,
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
from ecowatch.hj212.crc import (
    format_crc,
    hj212_crc16,
    hj212_crc16_reference,
    identify_crc_variant,
    modbus_crc16,
)
from ecowatch.hj212.decoder import FrameDecoder
from ecowatch.hj212.errors import BuildError, DecoderStateError, FrameError, Hj212Error
from ecowatch.hj212.events import Event, FrameRejected
from ecowatch.hj212.frame import (
    Cp,
    Frame,
    KeyLookup,
    Value,
    Version,
    build_frame,
    crc_problem,
    make_cp,
    make_frame,
    parse_cp,
    parse_frame,
    version_of_flag,
)
from ecowatch.hj212.replies import (
    auto_reply,
    data_answer,
    execution_result,
    notification_answer,
    request_answer,
)
from ecowatch.hj212.session import SplitComplete, SplitFailed, SplitKey, SplitReassembler
from ecowatch.hj212.sm4 import decrypt_cp, encrypt_cp, must_encrypt

__all__ = [
    "CODE_2005_TO_2017",
    "DATA_FLAGS_2005",
    "DATA_FLAGS_2017",
    "FACTORS_2017",
    "SYSTEM_CODES",
    "BuildError",
    "Command",
    "Cp",
    "DecoderStateError",
    "Event",
    "ExeRtn",
    "Factor",
    "Frame",
    "FrameDecoder",
    "FrameError",
    "FrameRejected",
    "Hj212Error",
    "KeyLookup",
    "KeyRequest",
    "QnRtn",
    "Recipient",
    "SplitComplete",
    "SplitFailed",
    "SplitKey",
    "SplitReassembler",
    "Value",
    "Version",
    "auto_reply",
    "build_frame",
    "crc_problem",
    "data_answer",
    "decrypt_cp",
    "encrypt_cp",
    "execution_result",
    "format_crc",
    "get_system_time",
    "hj212_crc16",
    "hj212_crc16_reference",
    "identify_crc_variant",
    "instrument_command",
    "make_cp",
    "make_frame",
    "modbus_crc16",
    "must_encrypt",
    "notification_answer",
    "parse_cp",
    "parse_frame",
    "parse_key_request",
    "request_answer",
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
    "version_of_flag",
]
