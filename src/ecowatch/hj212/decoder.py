"""Sans-IO stream decoder: bytes in, :class:`Frame` / :class:`FrameRejected` events out.

>>> d = FrameDecoder()
>>> d.feed(b"junk##0087QN=20160801085857223;ST=91;CN=9013;PW=123456;MN=010000A8900016F000169DC0;")
>>> d.feed(b"Flag=4;CP=&&&&2A80\\r\\n")
>>> d.feed(b"")
>>> [type(e).__name__ for e in d.events()]
['FrameRejected', 'Frame']

Framing follows the length field, not ``\\r\\n`` (a CRLF-based split breaks on long frames, §1.4).
On any failure the decoder advances past the current ``##`` only (one marker, not the declared
length) and rescans, so a corrupted length field cannot swallow the next good frame. Bytes skipped
between events are reported as one ``FrameRejected("skipped N bytes of garbage")`` just before the
next event, at EOF (garbage that ends a stream is reported too), and after every ``max_frame_bytes``
skipped bytes (a peer sending only garbage is told of as it goes, so a gateway can count it toward its
limits), so the event sequence depends only on the byte stream, never on how it was chunked.

.. versionchanged:: issue 14 — garbage at EOF reported; long runs reported every ``max_frame_bytes``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from ecowatch.hj212.codes import QnRtn
from ecowatch.hj212.errors import DecoderStateError, FrameError
from ecowatch.hj212.events import Event, FrameRejected
from ecowatch.hj212.frame import MAX_SEGMENT, Frame, KeyLookup, crc_problem, parse_frame, parse_frames

__all__ = ["DEFAULT_MAX_BUFFER_BYTES", "DEFAULT_MAX_FRAME_BYTES", "GARBAGE_SAMPLE", "FrameDecoder"]

#: The format's hard ceiling: the 4-digit length field allows a 9999-byte data segment, plus
#: "##" + length + CRC + CRLF. The standard says 1024, but real senders send 1025 and 1623 byte
#: segments (§1.1), so the default accepts everything the format can express.
DEFAULT_MAX_FRAME_BYTES = MAX_SEGMENT + 12
#: Room for a few maximal frames arriving in one read; the buffer never holds more than this.
DEFAULT_MAX_BUFFER_BYTES = 64 * 1024
#: Skipped garbage is reported by count; only this many leading bytes are kept as a sample so a
#: peer streaming junk cannot grow memory.
GARBAGE_SAMPLE = 256
_OVERHEAD = 12
_HEX_DIGITS = b"0123456789abcdefABCDEF"
_ENCRYPTED = b"CP=&&{0"  # "{0x" or "{0X": the start of SM4 ciphertext (Part B4)
_WAIT = -1
#: With this much buffered (≥ ~35 typical frames) the frames found are parsed with one NumPy CRC
#: batch (parse_frames); below it one by one, where the scalar CRC is faster (bench/hj212.py).
_BATCH_BYTES = 16 * 1024


@dataclass(slots=True)
class _Unparsed:
    """A complete frame's bytes awaiting the batch parse, in its place among the events."""

    raw: bytes
    offset: int


def _event(raw: bytes, offset: int, parsed: Frame | FrameError) -> Event:
    """The event for one complete frame: the frame, or why it is rejected (CRC or structure)."""
    if isinstance(parsed, FrameError):
        return FrameRejected(str(parsed), offset, raw)
    if parsed.crc_ok:
        return parsed
    problem = crc_problem(parsed)
    if problem is None:
        return parsed
    hint = int(QnRtn.CRC_ERROR) if parsed.ack_requested else None
    return FrameRejected(problem, offset, raw, parsed, hint)


def _utf8_width(lead: int) -> int:
    if lead < 0xC0:
        return 1
    if lead < 0xE0:
        return 2
    if lead < 0xF0:
        return 3
    return 4


class FrameDecoder:
    """Split a byte stream into HJ 212 frames.

    ``feed(chunk)`` appends bytes (``b""`` marks EOF); ``events()`` yields what is complete.
    Bounds:

    * ``max_frame_bytes`` — the largest whole frame accepted. A length field announcing more is
      rejected at once (without waiting for the bytes), so a forged ``##9999`` costs at most this
      much buffering. Between 12 (an empty data segment) and the format's 10011.
    * ``max_buffer_bytes`` — hard cap on buffered bytes. Input is consumed in slices so the buffer
      never exceeds it; it must be at least ``max_frame_bytes`` so one maximal frame always fits
      (after each slice the buffer holds at most one incomplete candidate frame, or one ``#``).

    Pending events are bounded by the size of the chunk fed; drain ``events()`` after each feed.

    ``key_for(mn)`` gives the SM4 key of a device for HJ 212-2025 encrypted frames (see
    :func:`~ecowatch.hj212.frame.parse_frame`). Encrypted frames are framed on ``##`` … CRC ``\\r\\n``
    whatever their length field says (the standard's own examples declare the plaintext length);
    the disagreement is kept in ``Frame.sent_length``. Without a key they become a
    ``FrameRejected`` naming the MN.

    ``values=False``: frames come with their data area as text only (see ``parse_frame``).

    .. versionchanged:: issue 6 — ``key_for``; ``values``.
    """

    def __init__(
        self,
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
        max_buffer_bytes: int = DEFAULT_MAX_BUFFER_BYTES,
        *,
        key_for: KeyLookup | None = None,
        values: bool = True,
    ) -> None:
        if not _OVERHEAD <= max_frame_bytes <= DEFAULT_MAX_FRAME_BYTES:
            raise DecoderStateError(
                f"max_frame_bytes must be {_OVERHEAD}-{DEFAULT_MAX_FRAME_BYTES}, got {max_frame_bytes}"
            )
        if max_buffer_bytes < max_frame_bytes:
            raise DecoderStateError(
                f"max_buffer_bytes ({max_buffer_bytes}) must be >= max_frame_bytes ({max_frame_bytes})"
            )
        self.max_frame_bytes = max_frame_bytes
        self.max_buffer_bytes = max_buffer_bytes
        self.key_for = key_for
        self.values = values
        self._buf = bytearray()
        self._base = 0  # stream offset of self._buf[0]
        self._events: deque[Event] = deque()
        self._eof = False
        self._garbage_start = 0
        self._garbage_count = 0
        self._garbage_sample = bytearray()
        self._rejected = (0, 0)  # stream offsets of the last rejected bytes
        self._batch: list[_Unparsed] | None = None

    @property
    def buffered(self) -> int:
        """Bytes currently held (a gateway can combine this with its own idle timeout)."""
        return len(self._buf)

    @property
    def eof(self) -> bool:
        return self._eof

    def feed(self, chunk: bytes) -> None:
        """Add received bytes; ``b""`` means the peer closed the stream."""
        if self._eof:
            raise DecoderStateError("feed() after EOF")
        if not chunk:
            self._eof = True
            self._process()
            return
        if (
            not self._buf
            and chunk[:2] == b"##"
            and chunk[2:6].isdigit()
            and len(chunk) == int(chunk[2:6]) + _OVERHEAD
            and len(chunk) <= self.max_frame_bytes
            and self._tail_ok(chunk, len(chunk))
        ):
            # Exactly one whole frame, as a device's chunk nearly always is: what _process would find,
            # without copying it through the buffer.
            self._emit(bytes(chunk), 0)
            self._base += len(chunk)
            return
        view = memoryview(chunk)
        while view:
            room = self.max_buffer_bytes - len(self._buf)
            self._buf += view[:room]
            view = view[room:]
            self._process()

    def events(self) -> Iterator[Event]:
        """Yield and remove the events decoded so far."""
        while self._events:
            yield self._events.popleft()

    # -- internals -------------------------------------------------------------------------------

    def _skip(self, buf: bytearray, start: int, stop: int) -> None:
        # Cut where the run reaches max_frame_bytes: a count of bytes in the stream, so the cuts fall in
        # the same places however the stream was chunked.
        while start < stop:
            if not self._garbage_count:
                self._garbage_start = self._base + start
            take = min(stop - start, self.max_frame_bytes - self._garbage_count)
            need = GARBAGE_SAMPLE - len(self._garbage_sample)
            if need > 0:
                self._garbage_sample += buf[start : start + min(take, need)]
            self._garbage_count += take
            start += take
            if self._garbage_count >= self.max_frame_bytes:
                self._flush_garbage()

    def _flush_garbage(self) -> None:
        if self._garbage_count:
            self._events.append(
                FrameRejected(
                    f"skipped {self._garbage_count} bytes of garbage",
                    self._garbage_start,
                    bytes(self._garbage_sample),
                )
            )
            self._garbage_count = 0
            self._garbage_sample = bytearray()

    def _reject(self, reason: str, start: int, raw: bytes) -> None:
        self._flush_garbage()
        self._rejected = (self._base + start, self._base + start + len(raw))
        self._events.append(FrameRejected(reason, self._base + start, raw))

    def _emit(self, raw: bytes, start: int) -> None:
        if self._garbage_count:
            self._flush_garbage()
        offset = self._base + start
        if self._batch is not None:
            placeholder = _Unparsed(raw, offset)
            self._events.append(placeholder)  # type: ignore[arg-type]  # resolved before _process returns
            self._batch.append(placeholder)
            return
        try:
            parsed: Frame | FrameError = parse_frame(raw, key_for=self.key_for, values=self.values)
        except FrameError as exc:
            parsed = exc
        self._events.append(_event(raw, offset, parsed))

    def _resolve_batch(self, batch: list[_Unparsed]) -> None:
        parsed = parse_frames([p.raw for p in batch], key_for=self.key_for, values=self.values)
        ready = {id(p): _event(p.raw, p.offset, result) for p, result in zip(batch, parsed, strict=True)}
        self._events = deque(ready.get(id(e), e) for e in self._events)

    @staticmethod
    def _tail_ok(buf: bytes | bytearray, end: int) -> bool:
        return buf[end - 2 : end] == b"\r\n" and not buf[end - 6 : end - 2].translate(None, _HEX_DIGITS)

    def _process(self) -> None:
        buf, eof, limit = self._buf, self._eof, self.max_frame_bytes
        n = len(buf)
        pos = 0
        self._batch = [] if n >= _BATCH_BYTES else None
        while pos < n:
            i = buf.find(b"##", pos)
            if i < 0:
                # Keep a trailing single "#": it may be the first half of the next marker.
                stop = n - 1 if buf[n - 1] == 0x23 and not eof else n
                self._skip(buf, pos, stop)
                pos = stop
                break
            self._skip(buf, pos, i)
            pos = i
            if n - i < 6:
                if eof:
                    self._reject(f"truncated frame at EOF: {n - i} bytes", i, bytes(buf[i:n]))
                    pos = n
                break
            length = bytes(buf[i + 2 : i + 6])
            if not length.isdigit():
                self._skip(buf, i, i + 1)  # "##" without a length: resync one byte later
                pos = i + 1
                continue
            end = i + int(length) + _OVERHEAD
            if end - i > limit:
                self._reject(
                    f"length field {length.decode()} exceeds max_frame_bytes {limit}",
                    i,
                    bytes(buf[i : i + 6]),
                )
                pos = i + 2
                continue
            if n < end:
                if eof:
                    self._reject(
                        f"truncated frame at EOF: length field {length.decode()} needs {end - i} bytes, "
                        f"got {n - i}",
                        i,
                        bytes(buf[i:n]),
                    )
                    pos = i + 2  # the length may be forged: frames after this "##" still count
                    continue
                break
            if self._tail_ok(buf, end):
                self._emit(bytes(buf[i:end]), i)
                pos = end
                continue
            found = self._fallback(buf, i, end, int(length))
            if found == _WAIT:
                break
            pos = found
        del buf[:pos]
        self._base += pos
        if eof and not buf:
            # Garbage that ends the stream, unless it is the tail of a frame just rejected as truncated
            # (rescanned after its "##", already reported in that rejection's bytes).
            start, stop = self._garbage_start, self._garbage_start + self._garbage_count
            if self._rejected[0] <= start and stop <= self._rejected[1]:
                self._garbage_count, self._garbage_sample = 0, bytearray()
            self._flush_garbage()
        if self._batch:
            self._resolve_batch(self._batch)
        self._batch = None

    def _fallback(self, buf: bytearray, i: int, end: int, seg_len: int) -> int:
        """The declared length does not end in CRC + CRLF. Try the known deviations; return the new
        scan position, or ``_WAIT`` if more bytes are needed to decide."""
        n, eof, limit = len(buf), self._eof, self.max_frame_bytes
        if _ENCRYPTED in buf[i + 6 : end]:
            # HJ 2025 SM4 frames keep the plaintext length (Part B4): frame them on CRLF instead, but
            # never across the next "##" (ciphertext is "0xNN," text), so that a frame cut short
            # cannot swallow the one after it.
            stop = min(i + limit, n)
            following = buf.find(b"##", i + 2, stop)
            j = buf.find(b"\r\n", i + 6, following if following >= 0 else stop)
            if j >= 0:
                self._emit(bytes(buf[i : j + 2]), i)
                return j + 2
            if following < 0 and n < i + limit and not eof:
                return _WAIT
            if following >= 0:  # nothing between here and there can start a frame
                self._reject(
                    "SM4-encrypted frame without CR LF before the next '##'", i, bytes(buf[i:following])
                )
                return following
            self._reject(f"SM4-encrypted frame without CR LF within {limit} bytes", i, bytes(buf[i:end]))
            return i + 2
        if any(b >= 0x80 for b in buf[i + 6 : end]):
            # The length may count UTF-8 characters rather than bytes (§1.2).
            p, count = i + 6, 0
            while count < seg_len:
                if p >= n:
                    if eof or p + 6 - i > limit:
                        break
                    return _WAIT
                p += _utf8_width(buf[p])
                count += 1
            else:
                char_end = p + 6
                if char_end - i <= limit:
                    if char_end > n:
                        if not eof:
                            return _WAIT
                    elif self._tail_ok(buf, char_end):
                        self._emit(bytes(buf[i:char_end]), i)
                        return char_end
        self._reject(
            f"length field {seg_len:04d} but no CRC and CR LF after {seg_len} bytes "
            f"(found {bytes(buf[end - 6 : end])!r})",
            i,
            bytes(buf[i:end]),
        )
        return i + 2
