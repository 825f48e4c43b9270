"""Events produced by :class:`~ecowatch.hj212.decoder.FrameDecoder`: a parsed ``Frame`` or a
``FrameRejected`` (bad bytes from the peer are events, never exceptions)."""

from __future__ import annotations

from dataclasses import dataclass

from ecowatch.hj212.frame import Frame

__all__ = ["Event", "Frame", "FrameRejected"]


@dataclass(frozen=True, slots=True)
class FrameRejected:
    """Bytes that did not yield a valid frame.

    ``reason`` names what is wrong (``bad CRC: got 1C80, computed 8A3F``); ``offset`` is the stream
    offset of ``raw[0]``; ``raw`` the rejected bytes (for skipped garbage only the first
    ``GARBAGE_SAMPLE`` bytes, the reason gives the full count). ``frame`` is the parsed frame when
    only the CRC was wrong (so a gateway may still journal it), and ``reply_hint`` a suggested
    9011 ``QnRtn`` (9 = CRC error) when the peer asked for an answer — h11's ``error_status_hint``.
    """

    reason: str
    offset: int
    raw: bytes
    frame: Frame | None = None
    reply_hint: int | None = None


Event = Frame | FrameRejected
