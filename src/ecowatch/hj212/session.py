"""Split-packet reassembly (PNUM/PNO), sans-IO: frames and the current time in, complete sets out.

HJ 212 splits a data segment longer than 1024 characters into packets (§2.3; HJ 212-2025 §8.1.2
「数据段超1 024个字符时应分包传输」). Each part is a complete frame with its own QN, CRC and a CP that
starts again with ``DataTime`` and holds whole pollutant groups (Annex C.49/C.50: QNs …534, …535).
Parts are therefore grouped by :class:`SplitKey` ``(MN, ST, CN, PNUM, DataTime)`` and not by QN,
which differs per part; a device that does reuse one QN per set still groups correctly.

Memory is bounded three ways, each with its reason:

* ``max_pending`` sets at once — a gateway keeps one reassembler per connection or per process, and
  a device streaming first parts that never complete must not grow it;
* ``max_bytes`` of stored frames — PNUM goes up to 9999 and each part up to ~10 kB;
* ``timeout_s`` since a set's last part — the standard's execution timeout (§6.5) lets a device take
  OverTime × ReCount between parts; the default of 600 s is far above the Table 1 defaults.

Violations become :class:`SplitFailed` events with a precise reason (never exceptions); the oldest set
is evicted first. Time is an argument (seconds on any monotonic scale).

>>> from ecowatch.hj212.frame import make_frame
>>> def part(pno, cp):
...     return make_frame(qn=f"2016080108585753{pno}", st="32", cn=2061, pw="123456", mn="M1", flag=6,
...                       pnum=2, pno=pno, cp=cp)
>>> r = SplitReassembler()
>>> r.add(part(2, "DataTime=20160801080000;w01018-Avg=40.1"), now=0.0)
[]
>>> [done] = r.add(part(1, "DataTime=20160801080000;w00000-Avg=17.5"), now=1.0)
>>> [f.pno for f in done.frames], done.codes
([1, 2], {'w00000': {'Avg': 17.5}, 'w01018': {'Avg': 40.1}})
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ecowatch.hj212.errors import BuildError, DecoderStateError
from ecowatch.hj212.frame import Frame, Value, make_frame, parse_cp

__all__ = ["SplitComplete", "SplitEvent", "SplitFailed", "SplitKey", "SplitReassembler", "split_frame"]

#: "数据段超1 024个字符时应分包传输" (HJ 212-2025 §8.1.2; HJ 212-2017 Table 2: data segment 0-1024).
MAX_DATA_SEGMENT = 1024
DEFAULT_MAX_PENDING = 1024
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
DEFAULT_TIMEOUT_S = 600.0


class SplitKey(NamedTuple):
    """What the parts of one split set share (§2.3)."""

    mn: str
    st: str
    cn: int
    pnum: int
    data_time: str | None


@dataclass(frozen=True, slots=True)
class SplitComplete:
    """All ``PNUM`` parts of a set, ordered by PNO. ``duplicates`` counts identical re-sent parts."""

    key: SplitKey
    frames: tuple[Frame, ...]
    duplicates: int = 0

    @property
    def data_time(self) -> str | None:
        return self.key.data_time

    @property
    def codes(self) -> Mapping[str, Mapping[str, Value]]:
        """The parts' values merged in PNO order (parts hold disjoint codes, §2.3)."""
        merged: dict[str, dict[str, Value]] = {}
        for frame in self.frames:
            for code, suffixes in frame.cp.codes.items():
                merged.setdefault(code, {}).update(suffixes)
        return merged


@dataclass(frozen=True, slots=True)
class SplitFailed:
    """A part or set that cannot complete: ``reason`` says why, ``frames`` what had arrived."""

    key: SplitKey
    reason: str
    frames: tuple[Frame, ...] = ()


SplitEvent = SplitComplete | SplitFailed


@dataclass(slots=True)
class _Pending:
    parts: dict[int, Frame]
    size: int
    last_seen: float
    duplicates: int = 0


def _describe(key: SplitKey) -> str:
    return f"MN={key.mn} CN={key.cn:04d} DataTime={key.data_time} PNUM={key.pnum}"


class SplitReassembler:
    """Collect the parts of split frames until each set is complete, within fixed bounds."""

    def __init__(
        self,
        *,
        max_pending: int = DEFAULT_MAX_PENDING,
        max_bytes: int = DEFAULT_MAX_BYTES,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        if max_pending < 1 or max_bytes < 1 or timeout_s <= 0:
            raise DecoderStateError("max_pending, max_bytes and timeout_s must be positive")
        self.max_pending = max_pending
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self._pending: OrderedDict[SplitKey, _Pending] = OrderedDict()  # oldest activity first
        self._bytes = 0

    @property
    def pending(self) -> int:
        """Sets waiting for parts."""
        return len(self._pending)

    @property
    def pending_bytes(self) -> int:
        """Bytes of frames held."""
        return self._bytes

    def add(self, frame: Frame, now: float) -> list[SplitEvent]:
        """Take one received frame; return sets completed or failed by it (and any that expired).

        A frame without PNUM/PNO is not split and comes back at once as a one-frame set.
        """
        events: list[SplitEvent] = self.expire(now)
        key = SplitKey(frame.mn, frame.st, frame.cn, frame.pnum or 0, frame.cp.data_time)
        if frame.pnum is None or frame.pno is None:
            if frame.pnum is None and frame.pno is None:
                events.append(SplitComplete(key, (frame,)))
            else:
                missing = "PNO" if frame.pno is None else "PNUM"
                events.append(SplitFailed(key, f"split frame without {missing} ({_describe(key)})", (frame,)))
            return events
        pnum, pno = frame.pnum, frame.pno
        if pnum < 1 or not 1 <= pno <= pnum:
            events.append(SplitFailed(key, f"PNO {pno} outside 1-{pnum} ({_describe(key)})", (frame,)))
            return events
        if pnum == 1:
            events.append(SplitComplete(key, (frame,)))
            return events
        size = len(frame.raw)
        if size > self.max_bytes:
            events.append(
                SplitFailed(key, f"part of {size} bytes exceeds max_bytes {self.max_bytes}", (frame,))
            )
            return events
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = _Pending({}, 0, now)
        else:
            self._pending.move_to_end(key)
            pending.last_seen = now
        known = pending.parts.get(pno)
        if known is not None:
            if known.cp.text == frame.cp.text:
                pending.duplicates += 1
                return events
            del self._pending[key]
            self._bytes -= pending.size
            parts = (*self._ordered(pending), frame)
            events.append(
                SplitFailed(key, f"PNO {pno} received twice with different data ({_describe(key)})", parts)
            )
            return events
        pending.parts[pno] = frame
        pending.size += size
        self._bytes += size
        if len(pending.parts) == pnum:
            del self._pending[key]
            self._bytes -= pending.size
            events.append(SplitComplete(key, self._ordered(pending), pending.duplicates))
            return events
        while len(self._pending) > self.max_pending or self._bytes > self.max_bytes:
            bound = (
                f"max_pending {self.max_pending}"
                if len(self._pending) > self.max_pending
                else f"max_bytes {self.max_bytes}"
            )
            old_key, old = self._pending.popitem(last=False)
            self._bytes -= old.size
            events.append(
                SplitFailed(
                    old_key,
                    f"evicted ({bound}): got PNO {self._got(old)} of {old_key.pnum} ({_describe(old_key)})",
                    self._ordered(old),
                )
            )
        return events

    def expire(self, now: float) -> list[SplitEvent]:
        """Fail the sets whose last part came more than ``timeout_s`` before ``now``."""
        events: list[SplitEvent] = []
        while self._pending:
            key, pending = next(iter(self._pending.items()))
            if now - pending.last_seen <= self.timeout_s:
                break
            del self._pending[key]
            self._bytes -= pending.size
            events.append(
                SplitFailed(
                    key,
                    f"incomplete after {now - pending.last_seen:g} s (timeout {self.timeout_s:g} s): got PNO "
                    f"{self._got(pending)} of {key.pnum} ({_describe(key)})",
                    self._ordered(pending),
                )
            )
        return events

    @staticmethod
    def _ordered(pending: _Pending) -> tuple[Frame, ...]:
        return tuple(pending.parts[pno] for pno in sorted(pending.parts))

    @staticmethod
    def _got(pending: _Pending) -> str:
        return ",".join(str(pno) for pno in sorted(pending.parts))


def split_frame(
    frame: Frame, qns: Sequence[str], *, max_segment: int = MAX_DATA_SEGMENT, key: bytes | None = None
) -> list[Frame]:
    """Split ``frame`` into PNUM/PNO parts whose data segments fit ``max_segment`` (what a device does,
    §2.3): the split falls between pollutant groups (``;``), every part starts again with
    ``DataTime``, has Flag bit D set and its own QN from ``qns`` (one per part, e.g. consecutive ms
    as in Annex C.49/C.50). A frame that fits comes back as the only part, unchanged. ``key``
    encrypts each part (HJ 212-2025). Raises :class:`BuildError` when one group alone is too long or
    ``qns`` has too few QNs.
    """
    segment_chars = len(frame.data_segment.decode("utf-8"))
    if segment_chars <= max_segment:
        return [frame]
    if frame.flag is None:
        raise BuildError("a split frame needs a Flag field (bit D marks PNUM/PNO)")
    if "//" in frame.cp.text:
        raise BuildError("a CP with '//' log text is not split (its ';' may be inside the text)")
    head = "" if frame.cp.data_time is None else f"DataTime={frame.cp.data_time}"
    groups = [g for g in frame.cp.text.split(";") if g and g != head]
    # header (without any PNUM/PNO of the original) + room for the widest PNUM/PNO
    overhead = segment_chars - len(frame.cp.text) + len("PNUM=9999;PNO=9999;")
    parts: list[list[str]] = []
    size = 0
    for group in groups:
        cost = len(group) + 1
        if overhead + len(head) + cost > max_segment:
            raise BuildError(f"CP group {group[:40]!r}… alone exceeds a data segment of {max_segment}")
        if not parts or overhead + len(head) + size + cost > max_segment:
            parts.append([])
            size = 0
        parts[-1].append(group)
        size += cost
    if len(qns) < len(parts):
        raise BuildError(f"{len(parts)} parts need {len(parts)} QNs, got {len(qns)}")
    flag = frame.flag | 2
    return [
        make_frame(
            qn=qn,
            st=frame.st,
            cn=frame.cn,
            pw=frame.pw,
            mn=frame.mn,
            flag=flag,
            pnum=len(parts),
            pno=pno,
            cp=parse_cp(";".join(([head] if head else []) + groups)),
            extra=frame.extra,
            key=key,
        )
        for pno, (qn, groups) in enumerate(zip(qns, parts, strict=False), start=1)
    ]
