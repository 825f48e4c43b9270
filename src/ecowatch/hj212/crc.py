"""HJ 212 CRC-16 (HJ 212-2017 Annex A) and the CRC variants seen in the field.

The HJ 212 algorithm is *not* CRC-16/MODBUS: each step computes ``crc = (crc >> 8) ^ byte`` (the low
byte of the register is discarded) before the eight shift/XOR-0xA001 rounds. With the usual 0xA001
table ``T`` this is ``crc = T[(crc >> 8) ^ byte]``. The CRC covers the data segment bytes only, as sent
(UTF-8), and is written as four upper-case hex digits.

>>> seg = (b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
...        b"CP=&&RtdInterval=30&&")
>>> format_crc(hj212_crc16(seg))
'1C80'
>>> format_crc(modbus_crc16(seg))
'0759'
>>> hj212_crc16(b"")
65535
>>> hj212_crc16(seg) == hj212_crc16_reference(seg)
True
>>> identify_crc_variant(seg, "1c80")
'hj212'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "format_crc",
    "hj212_crc16",
    "hj212_crc16_many",
    "hj212_crc16_reference",
    "identify_crc_variant",
    "modbus_crc16",
]


def _make_table() -> tuple[int, ...]:
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _make_table()


def hj212_crc16_reference(data: bytes) -> int:
    """CRC of ``data`` per HJ 212-2017 Annex A, table form (init 0xFFFF, ``crc = T[(crc >> 8) ^ b]``).

    Kept as the plain reference that :func:`hj212_crc16` is tested against.
    """
    table = _TABLE
    crc = 0xFFFF
    for b in data:
        crc = table[(crc >> 8) ^ b]
    return crc


# Fast form (reference §1.3 (c), taken one step further). Only the high byte h = crc >> 8 carries
# state: h' = M(h ^ b) with M(x) = T[x] >> 8, which is linear over GF(2) and has order 8 (checked
# below). So
#   h_N = M^N(0xFF) ^ XOR_i M^(N - i)(data[i])   and   crc = T[M^-1(h_N)] = T[M^7(h_N)].
# Bytes at positions i ≡ r (mod 8) share the exponent (N - r) mod 8, and M is linear, so each lane can
# be XOR-ed first and mapped once: the data, read as one little-endian int, is folded in halves down
# to 8 bytes (byte r of the result = XOR of lane r), then 8 table lookups. About 5x the table loop.
_M = [t >> 8 for t in _TABLE]
_POWERS = [list(range(256))]
for _ in range(8):
    _POWERS.append([_M[x] for x in _POWERS[-1]])
if _POWERS[8] != _POWERS[0]:  # pragma: no cover - a property of the 0xA001 table
    raise AssertionError("HJ 212 CRC state map is not of order 8")
_LANES = tuple(bytes(p) for p in _POWERS[:8])
del _M, _POWERS


# Low-bit masks of the halving folds below, 64 << k bits: enough for 16 KiB, far beyond a data segment.
_FOLD_MASKS = tuple((1 << (64 << k)) - 1 for k in range(12))


def _lane_xors(data: bytes) -> bytes:
    """8 bytes: byte r is the XOR of data[r::8]."""
    value = int.from_bytes(data, "little")
    # Halves of a power-of-two number of words: three big-int operations per fold, masks precomputed.
    k = max(0, (len(data) - 1).bit_length() - 3)
    masks = _FOLD_MASKS
    while k:
        k -= 1
        value = (value >> (64 << k)) ^ (value & (masks[k] if k < 12 else (1 << (64 << k)) - 1))
    return value.to_bytes(8, "little")


# Per data length mod 8: the lane tables in lane order and M^m(0xFF); and T[M^7(h)] in one table.
_LANES_FOR = tuple(tuple(_LANES[(m - r) & 7] for r in range(8)) for m in range(8))
_START = tuple(_LANES[m][0xFF] for m in range(8))
_LAST = tuple(_TABLE[x] for x in _LANES[7])


def _finish(n: int, lanes_xor: bytes) -> int:
    """CRC from the data length and its 8 lane XORs (see the note above)."""
    t0, t1, t2, t3, t4, t5, t6, t7 = _LANES_FOR[n & 7]
    x0, x1, x2, x3, x4, x5, x6, x7 = lanes_xor
    return _LAST[_START[n & 7] ^ t0[x0] ^ t1[x1] ^ t2[x2] ^ t3[x3] ^ t4[x4] ^ t5[x5] ^ t6[x6] ^ t7[x7]]


def hj212_crc16(data: bytes) -> int:
    """CRC of ``data`` per HJ 212-2017 Annex A (same result as :func:`hj212_crc16_reference`)."""
    n = len(data)
    if not n:
        return 0xFFFF
    return _finish(n, _lane_xors(data))


_PAD = tuple(b"\0" * k for k in range(8))
_NUMPY_TABLES: list[Any] = []  # [lane powers (8, 256) uint8, CRC table (256,) uint16], built on first use


def hj212_crc16_many(segments: Sequence[bytes]) -> list[int]:
    """:func:`hj212_crc16` of many data segments at once, with NumPy (same results, tested).

    The lane form above vectorises across frames: each segment is zero-padded to whole 8-byte words
    (zeros do not change a XOR), all are joined into one uint64 array, ``bitwise_xor.reduceat``
    gives every segment's 8 lane XORs, and the lane powers and the final table step are array
    lookups. Per frame this costs about a third of the scalar form once a batch holds a few dozen
    segments, and more than it below ~16 (measured in bench/hj212.py); callers batch accordingly.
    """
    import numpy as np  # deferred: a heavy import that only batch callers need

    if not _NUMPY_TABLES:
        _NUMPY_TABLES.extend(
            [
                np.frombuffer(b"".join(_LANES), dtype=np.uint8).reshape(8, 256),
                np.array(_TABLE, dtype=np.uint16),
            ]
        )
    powers, table = _NUMPY_TABLES
    result = [0xFFFF] * len(segments)
    index = [i for i, segment in enumerate(segments) if segment]
    if not index:
        return result
    present = [segments[i] for i in index] if len(index) != len(segments) else segments
    lengths = np.fromiter(map(len, present), dtype=np.int64, count=len(present))
    words = np.frombuffer(b"".join([s + _PAD[-len(s) & 7] for s in present]), dtype="<u8")
    starts = np.zeros(len(present), dtype=np.int64)
    np.cumsum((lengths[:-1] + 7) >> 3, out=starts[1:])
    lanes = np.bitwise_xor.reduceat(words, starts).view(np.uint8).reshape(-1, 8)
    m = lengths & 7
    exponents = (m[:, None] - np.arange(8)) & 7  # lane r of a segment of length n: M^((n - r) mod 8)
    h = powers[m, 0xFF] ^ np.bitwise_xor.reduce(powers[exponents, lanes], axis=1)
    for i, crc in zip(index, table[powers[7, h]].tolist(), strict=True):
        result[i] = crc
    return result


def modbus_crc16(data: bytes) -> int:
    """CRC-16/MODBUS (``crc ^= b``), which some devices send instead of the HJ 212 CRC."""
    table = _TABLE
    crc = 0xFFFF
    for b in data:
        crc = (crc >> 8) ^ table[(crc ^ b) & 0xFF]
    return crc


def format_crc(crc: int) -> str:
    """Four upper-case hex digits with leading zeros, as the standard prints them."""
    return f"{crc:04X}"


def identify_crc_variant(data: bytes, field: str) -> str | None:
    """Which known CRC variant produces the 4-hex-digit ``field`` for ``data``.

    Returns ``"hj212"``, ``"modbus"`` (printed high byte first), ``"modbus_le"`` (low byte first)
    or ``None``. The comparison is case-insensitive.
    """
    try:
        value = int(field, 16)
    except ValueError:
        return None
    if hj212_crc16(data) == value:
        return "hj212"
    modbus = modbus_crc16(data)
    if modbus == value:
        return "modbus"
    if ((modbus & 0xFF) << 8 | modbus >> 8) == value:
        return "modbus_le"
    return None
