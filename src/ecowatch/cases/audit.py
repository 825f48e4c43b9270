"""The hash chain of a case's history: append-only and tamper-evident (pure).

Each history entry is hashed with the hash of the entry before it::

    hash_1 = SHA-256(GENESIS  ‖ canonical_json(entry_1))
    hash_n = SHA-256(hash_n−1 ‖ canonical_json(entry_n))

where ``hash`` is 64 lower-case hex digits, written as ASCII, and ``GENESIS`` is 64 zeros. An entry
changed in the store after it was written no longer matches its stored hash; an entry deleted leaves a
gap in the sequence numbers; an entry changed *with* its hash recomputed breaks the entry after it. What
a chain alone cannot show is the loss of its last entries, or a rewrite of the whole chain by someone
who can write every row: the hash of the last entry, published or kept elsewhere, anchors those.

This is the "履责留痕，有据可查" of the 销号 ledgers [Hainan2018]_ made checkable: the trust section of
issue 16 [Issue16]_ asks for a history that is append-only and tamper-evident.

>>> import datetime as dt
>>> entries = [{"seq": 1, "action": "assign", "at": dt.datetime(2026, 3, 2, 1, tzinfo=dt.UTC)},
...            {"seq": 2, "action": "start", "reason": "现场已整改"}]
>>> hashes = chain_hashes(entries)
>>> verify_chain([Link(n, entry, h) for n, entry, h in zip((1, 2), entries, hashes)]).ok
True
>>> entries[0]["action"] = "close"
>>> result = verify_chain([Link(n, entry, h) for n, entry, h in zip((1, 2), entries, hashes)], label="R-1")
>>> result.ok, result.broken_at
(False, 1)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ecowatch.cases.errors import AuditError

__all__ = ["GENESIS", "Link", "Verification", "canonical_json", "chain_hashes", "entry_hash", "verify_chain"]

#: The "previous hash" of a chain's first entry.
GENESIS = "0" * 64

_HEX64 = re.compile(r"[0-9a-f]{64}")


def _plain(value: Any, path: str) -> Any:
    """``value`` as JSON values only, or AuditError naming ``path`` and why."""
    if value is None or isinstance(value, bool | int | str):
        # Enum members that are str or int (StrEnum, IntEnum) keep only their value.
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, float):
        # Float text differs between writers (1e-05, 0.00001): a hash must not depend on one.
        raise AuditError(f"{path}: float {value!r} cannot be hashed canonically (store it as text or int)")
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise AuditError(f"{path}: time {value.isoformat()} has no UTC offset")
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Enum):
        return _plain(value.value, path)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise AuditError(f"{path}: key {key!r} is not text")
            out[key] = _plain(item, f"{path}.{key}")
        return out
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [_plain(item, f"{path}[{index}]") for index, item in enumerate(value)]
    raise AuditError(f"{path}: {type(value).__name__} {value!r} cannot be hashed (not a JSON value)")


def canonical_json(entry: Mapping[str, Any]) -> bytes:
    """The canonical JSON form of a history entry, as UTF-8 bytes.

    Parameters
    ----------
    entry : mapping
        The entry: text keys; values None, bool, int, str, lists, mappings, aware datetimes (written
        in UTC, ISO 8601), dates (ISO 8601) and enum members (their value). Floats are refused.

    Returns
    -------
    bytes
        Keys sorted, no whitespace, non-ASCII written as UTF-8 (not escaped).

    Notes
    -----
    In the manner of RFC 8785 (JSON Canonicalization Scheme) for the values allowed here, without its
    number rules (floats are refused) and sorting keys by code point rather than UTF-16 unit (the two
    differ only between characters beyond U+FFFF and those from U+E000 to U+FFFF).

    >>> canonical_json({"b": [1, None], "a": "区"}).decode()
    '{"a":"区","b":[1,null]}'
    >>> canonical_json({"at": dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))})
    b'{"at":"2026-03-02T01:00:00+00:00"}'
    """
    plain = _plain(entry, "entry")
    return json.dumps(
        plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def entry_hash(entry: Mapping[str, Any], previous: str) -> str:
    """SHA-256 (hex) of ``previous`` (the hash before, ASCII) followed by :func:`canonical_json` of ``entry``.

    >>> entry_hash({}, GENESIS)  # printf '%s' "$(printf '0%.0s' {1..64}){}" | sha256sum
    '5508d2b710e64bc470079e1b211d9c58e21011e59d0559e422345dc19d659a75'
    """
    if not _HEX64.fullmatch(previous):
        raise AuditError(f"previous hash {previous!r} is not 64 lower-case hex digits")
    return hashlib.sha256(previous.encode("ascii") + canonical_json(entry)).hexdigest()


def chain_hashes(entries: Iterable[Mapping[str, Any]], previous: str = GENESIS) -> list[str]:
    """The hash of each entry of a chain, in order, starting after ``previous``."""
    hashes: list[str] = []
    for entry in entries:
        previous = entry_hash(entry, previous)
        hashes.append(previous)
    return hashes


@dataclass(frozen=True, slots=True)
class Link:
    """A stored history entry: its sequence number in the chain (1-based), its content and stored hash."""

    seq: int
    entry: Mapping[str, Any]
    hash: str


@dataclass(frozen=True, slots=True)
class Verification:
    """The result of :func:`verify_chain`: ``entries`` checked and found matching; when broken, the
    sequence number of the first entry that no longer matches and why."""

    label: str
    entries: int
    broken_at: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        """True when every entry matches."""
        return self.broken_at is None

    @property
    def message(self) -> str:
        """One line for the person who checks: ``"case R-1: entry 3 no longer matches (...)"``."""
        if self.ok:
            return f"{self.label}: ok, {self.entries} entries"
        return f"{self.label}: entry {self.broken_at} {self.reason}"


def verify_chain(links: Iterable[Link], *, label: str = "chain") -> Verification:
    """Check a chain, in order of its sequence numbers, and name the first entry that no longer matches.

    Parameters
    ----------
    links : iterable of Link
        The stored entries, ordered by ``seq`` (1, 2, 3, ...).
    label : str
        What the chain is, for the message (e.g. ``"case ZY-2026-017"``).

    Returns
    -------
    Verification
        ``ok`` with the count, or ``broken_at`` (a sequence number) and the reason: the stored hash
        differs from the one computed (the entry, or one before it whose hash was recomputed, was
        changed), a sequence number is missing or repeated (an entry deleted or inserted), or the
        entry cannot be hashed.

    >>> entries = [{"action": "assign"}, {"action": "start"}, {"action": "submit"}]
    >>> links = [Link(n, e, h) for n, e, h in zip((1, 2, 3), entries, chain_hashes(entries))]
    >>> verify_chain([links[0], links[2]], label="case R-2").message
    'case R-2: entry 2 is missing (the next stored entry is 3)'
    """
    previous = GENESIS
    count = 0
    for link in links:
        expected_seq = count + 1
        if link.seq != expected_seq:
            if link.seq > expected_seq:
                why = f"is missing (the next stored entry is {link.seq})"
            else:
                why = f"is followed by entry {link.seq} again or out of order"
            return Verification(label, count, expected_seq, why)
        try:
            computed = entry_hash(link.entry, previous)
        except AuditError as error:
            return Verification(label, count, link.seq, f"cannot be hashed: {error}")
        if computed != link.hash:
            return Verification(
                label,
                count,
                link.seq,
                f"no longer matches its stored hash (stored {link.hash[:16]}…, computed {computed[:16]}…)",
            )
        previous = computed
        count += 1
    return Verification(label, count)
