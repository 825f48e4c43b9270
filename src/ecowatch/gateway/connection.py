"""One device's TCP connection to the gateway (:class:`Connection`, an :class:`asyncio.Protocol`).

It turns the bytes a peer sends into frames and rejections (the sans-IO
:class:`~ecowatch.hj212.FrameDecoder`), hands each frame to its :class:`~ecowatch.gateway.server.Gateway`
in order (which judges it, journals it and answers it), and carries the flow control: reading stops while
a frame waits for the registry or a password check, while the gateway's intake is full, and while the
peer does not read our replies.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable
from typing import TYPE_CHECKING, cast

from ecowatch.hj212 import (
    Frame,
    FrameDecoder,
    FrameRejected,
    KeyLookup,
    QnRtn,
    crc_problem,
    parse_frame,
    request_answer,
)
from ecowatch.hj212.errors import Hj212Error

if TYPE_CHECKING:
    from ecowatch.gateway.server import Gateway

__all__ = ["Connection", "now_us", "plain_frame", "safe_reply"]

log = logging.getLogger("ecowatch.gateway")


def now_us() -> int:
    return time.time_ns() // 1000


def plain_frame(frame: Frame) -> bytes:
    """An SM4 frame rewritten with its decrypted data segment (journaled, so replay needs no key)."""
    segment = frame.data_segment
    return b"##%04d%s%s\r\n" % (len(segment), segment, frame.crc_field.encode("ascii"))


class Connection(asyncio.Protocol):
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.transport: asyncio.Transport | None = None
        self.peer = "?"
        self.address = "?"
        #: (MN, password) pairs accepted on this connection: checked once per connection, and exempt from
        #: the credential throttle (the peer is the device).
        self.trusted: set[tuple[str, str]] = set()
        # The gateway needs the header only, and the store keeps the data area as text (with its DataTime,
        # which values=False still gives): the values are parsed when they are read.
        self.decoder = FrameDecoder(
            gateway.limits.max_frame_bytes,
            max(gateway.limits.max_frame_bytes * 4, 64 * 1024),
            key_for=gateway.registry.key_for,
            values=False,
        )
        self.backlog: deque[Frame | FrameRejected] = deque()
        self.blocked = False
        self.reading_paused = False
        self.write_paused = False
        self.rejections = 0
        self.retried: set[int] = set()
        self.last_activity = time.monotonic()
        #: When this connection opened, and when a frame with valid credentials last came (idle timeout).
        self.opened_at = self.last_activity
        self.last_frame: float | None = None
        self.closed = False

    # -- asyncio.Protocol ---------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = self.transport = cast(asyncio.Transport, transport)  # TCP (uvloop's: no subclass)
        gateway = self.gateway
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self.address = peer[0] if isinstance(peer, tuple) else str(peer)
        if gateway.stopping or not gateway.admit(self):
            gateway.stats.connections_refused += 1
            self.closed = True
            transport.abort()
            return
        gateway.connections.add(self)
        gateway.stats.connections_total += 1
        gateway.stats.connections_open = len(gateway.connections)
        if gateway.globally_paused:
            self.pause()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        gateway = self.gateway
        if not self.decoder.eof and not gateway.stopping and self.rejections <= gateway.limits.max_rejections:
            # Reset by the peer, no EOF: the garbage it sent last is still quarantined (whole frames
            # were taken as they came).
            self.decoder.feed(b"")
            self.backlog.extend(self.decoder.events())
            self.process()
        self.gateway.release(self)
        self.gateway.connections.discard(self)
        self.gateway.stats.connections_open = len(self.gateway.connections)

    def data_received(self, data: bytes) -> None:
        gateway = self.gateway
        self.last_activity = time.monotonic()
        gateway.stats.bytes_received += len(data)
        self.decoder.feed(data)
        self.backlog.extend(self.decoder.events())
        self.process()
        gateway.check_backpressure(self)

    def eof_received(self) -> bool:
        self.decoder.feed(b"")
        self.backlog.extend(self.decoder.events())
        self.process()
        self.gateway.spawn(self._close_when_answered())
        return True  # keep the socket open until our replies are written

    async def _close_when_answered(self) -> None:
        while self.blocked or self.backlog:
            await asyncio.sleep(0.01)
        await self.gateway.journal_drained()
        self.close()

    def pause_writing(self) -> None:
        self.write_paused = True
        self.pause()

    def resume_writing(self) -> None:
        self.write_paused = False
        if not self.gateway.globally_paused:
            self.resume()

    # -- flow control -------------------------------------------------------------------------------

    def pause(self) -> None:
        if not self.reading_paused and not self.closed and self.transport is not None:
            self.reading_paused = True
            if not self.transport.is_closing():
                self.transport.pause_reading()

    def resume(self) -> None:
        if (
            self.reading_paused
            and not self.closed
            and not self.blocked
            and not self.write_paused
            and self.transport is not None
        ):
            self.reading_paused = False
            if not self.transport.is_closing():
                self.transport.resume_reading()

    def close(self) -> None:
        if not self.closed and self.transport is not None:
            self.closed = True
            self.transport.close()

    def send(self, reply: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            self.gateway.stats.replies_dropped += 1
            return
        self.transport.write(reply)
        self.gateway.stats.replies_sent += 1

    # -- frames -------------------------------------------------------------------------------------

    def process(self) -> None:
        gateway = self.gateway
        while self.backlog and not self.blocked:
            event = self.backlog[0]
            if isinstance(event, Frame):
                verdict = gateway.judge(event, self.last_activity, self)
                if verdict is None:  # needs the registry or a password check first
                    self.block(gateway.resolve(event, self.last_activity, self))
                    return
                self.backlog.popleft()
                gateway.stats.frames_received += 1
                gateway.accept(self, event, verdict)
            else:
                if _needs_key(event) and id(event) not in self.retried:
                    # An SM4 frame from a device registered (or given a new key) since the decoder saw
                    # the registry: decrypt again, after a reload if one is due.
                    self.retried.add(id(event))
                    if gateway.registry.loaded_at < self.last_activity and not gateway.lookup_failed:
                        self.block(gateway.registry.refresh())
                        return
                self.backlog.popleft()
                if id(event) in self.retried:
                    self.retried.discard(id(event))
                    event = _reparse(event, gateway.registry.key_for)
                    if isinstance(event, Frame):
                        self.backlog.appendleft(event)
                        continue
                self.rejected(event)

    def block(self, waiting: Awaitable[None]) -> None:
        self.blocked = True
        self.pause()

        async def wait() -> None:
            try:
                await waiting
            except Exception:  # the store unreachable: refuse the frame below rather than crash
                log.exception("device look-up failed")
                self.gateway.lookup_failed = True
            self.blocked = False
            if not self.gateway.globally_paused:
                self.resume()
            self.process()
            self.gateway.lookup_failed = False
            self.gateway.check_backpressure()

        self.gateway.spawn(wait())

    def rejected(self, event: FrameRejected) -> None:
        gateway = self.gateway
        gateway.stats.frames_rejected += 1
        self.rejections += 1
        frame = event.frame
        reply = None
        if frame is not None and event.reply_hint is not None and frame.qn:
            reply = safe_reply(frame, event.reply_hint)
        gateway.quarantine(self, event.raw, event.reason, frame.mn if frame is not None else None, reply)
        if self.rejections > gateway.limits.max_rejections:
            log.warning("%s: closed after %d frames that could not be used", self.peer, self.rejections)
            self.close()
            self.backlog.clear()  # what the peer sent after that is not looked at


def _needs_key(event: FrameRejected) -> bool:
    return b"CP=&&{0x" in event.raw[:200] or (event.frame is not None and event.frame.encrypted)


def _reparse(event: FrameRejected, key_for: KeyLookup) -> Frame | FrameRejected:
    try:
        frame = parse_frame(event.raw, key_for=key_for)
    except Hj212Error as error:
        return FrameRejected(str(error), event.offset, event.raw)
    problem = crc_problem(frame)
    if problem is None:
        return frame
    return FrameRejected(
        problem, event.offset, event.raw, frame, int(QnRtn.CRC_ERROR) if frame.ack_requested else None
    )


def safe_reply(frame: Frame, qn_rtn: int) -> bytes | None:
    try:
        return request_answer(frame, qn_rtn)
    except Hj212Error:  # e.g. a header value that cannot be echoed
        return None
