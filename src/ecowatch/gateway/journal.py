"""The gateway's write-ahead journal: every frame is on disk (fsync) before it is acknowledged.

Layout of a journal folder::

    JOURNAL_ID                 a random id, written once: names this journal's checkpoint in the store
    STORE                      the id of the store it belongs to (and its URL, for messages)
    segment-00000001.log       records, appended; a new segment every ``segment_bytes``
    segment-00000002.log

A record is ``length (u32 LE) | crc32 of body (u32 LE) | body``.  A crash can leave only the tail of
the newest segment torn (a record being written when the power went): :meth:`Journal.open` cuts it
off.  Such a record was never acknowledged, because acknowledgements wait for the fsync that
covers them.  A bad record anywhere else is corruption and stops the gateway with the file and the
offset, rather than skipping data.

Group commit (:class:`GroupCommit`): frames arriving while an fsync is under way wait for the next
one, and all of them share it, so the fsync rate, not the frame rate, bounds the disk work.

A journal belongs to one store (issue 13): by default it lives where its store does
(:func:`default_journal_dir`), it records the store's id (:meth:`Journal.claim`), and it is never
replayed into another store, whose sites and devices are not the ones its frames name.

The body is opaque here; :class:`Entry` is what the gateway puts in it.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import struct
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

from ecowatch.errors import EcowatchError
from ecowatch.store.db import DEFAULT_FILE, data_dir, normalise_url

__all__ = [
    "Entry",
    "GroupCommit",
    "Journal",
    "JournalError",
    "Position",
    "adopt_legacy_journal",
    "default_journal_dir",
    "journal_dir_for",
]

_HEADER = struct.Struct("<II")
#: A body larger than this is corruption: one entry holds at most two frames of the format's
#: ceiling (10 011 bytes each) plus a few short fields.
MAX_BODY = 64 * 1024
SEGMENT_BYTES = 64 * 1024 * 1024
_ID_FILE = "JOURNAL_ID"
_STORE_FILE = "STORE"
_PREFIX, _SUFFIX = "segment-", ".log"


class JournalError(EcowatchError):
    """The journal cannot be used: unreadable folder, corrupted record (file and offset named)."""


class Position(NamedTuple):
    """End of a record: segment number and byte offset just past the record (one per record written:
    a named tuple is made in a third of the time a frozen dataclass takes)."""

    segment: int
    offset: int


def _segment_name(number: int) -> str:
    return f"{_PREFIX}{number:08d}{_SUFFIX}"


def default_journal_dir(url: str) -> Path:
    """Where the gateway journal of the store at ``url`` lives unless ``--journal`` says otherwise: beside
    a SQLite file (``ecowatch.journal/`` for ``ecowatch.db``), else in the data folder under a key of the
    URL (server, database, user, options; not the password), so that two stores never share one.

    >>> default_journal_dir("sqlite:////srv/eco/other.db")
    PosixPath('/srv/eco/other.journal')
    """
    parsed = normalise_url(url)
    database = parsed.database or ""
    if (
        parsed.get_backend_name() == "sqlite"
        and database
        and database != ":memory:"
        and not database.startswith("file:")
    ):
        path = Path(database).absolute()
        return path.with_name(path.stem + ".journal")
    key = hashlib.sha256(parsed.render_as_string(hide_password=True).encode()).hexdigest()
    return data_dir() / "journals" / key[:16]


def adopt_legacy_journal(url: str) -> Path | None:
    """Move the journal earlier versions kept for every store (``journal/`` in the data folder) to the
    default store's own place (:func:`default_journal_dir`), when ``url`` is the default store and that
    place is still free; the new place, or None when there was nothing to move.  Frames left there by
    a gateway stopped uncleanly before the upgrade are then replayed as usual; a journal that was
    another store's is refused at start (:meth:`Journal.claim`), not replayed."""
    folder = data_dir()
    legacy, default = folder / "journal", folder / DEFAULT_FILE
    if normalise_url(url).database != str(default) or not (legacy / _ID_FILE).exists():
        return None
    target = default_journal_dir(url)
    if target.exists():
        return None
    os.replace(legacy, target)
    return target


def journal_dir_for(url: str, given: Path | None) -> tuple[Path, Path | None]:
    """The gateway journal folder of the store ``url``: ``given``, else the store's own
    (:func:`default_journal_dir`), where the journal of earlier versions is first moved
    (:func:`adopt_legacy_journal`); also where it moved, or None when nothing moved."""
    if given is not None:
        return given, None
    moved = adopt_legacy_journal(url)
    return default_journal_dir(url), moved


def _private(path: str, flags: int) -> int:
    """``open`` opener: a file only its owner can read or write (0600), also one created before."""
    descriptor = os.open(path, flags, 0o600)
    os.fchmod(descriptor, 0o600)
    return descriptor


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class Journal:
    """Append-only, segmented, checksummed record log in ``folder`` (created if missing).

    Not thread-safe by itself: :class:`GroupCommit` calls :meth:`write` from one worker thread at a time.
    """

    def __init__(self, folder: Path, *, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.folder = Path(folder)
        self.segment_bytes = segment_bytes
        try:
            # The journal holds what devices sent: readable by its owner only (issue 14).
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(self.folder, 0o700)
            id_file = self.folder / _ID_FILE
            if not id_file.exists():
                tmp = id_file.with_suffix(".tmp")
                with open(tmp, "w", opener=_private) as file:
                    file.write(uuid.uuid4().hex + "\n")
                os.replace(tmp, id_file)
                _fsync_dir(self.folder)
            self.journal_id = id_file.read_text().strip()
        except OSError as error:
            raise JournalError(f"journal folder {self.folder}: {error.strerror or error}") from None
        self._file: BinaryIO | None = None
        self.segment = 0
        self.offset = 0

    # -- the store it belongs to ------------------------------------------------------------------

    def claim(self, store_id: str, label: str, *, applied_before: bool) -> None:
        """Bind this journal to the store ``store_id`` (``label``: its URL for messages), or raise
        :class:`JournalError` naming both stores if it belongs to another.

        A journal written before journals named their store is taken by the store that has applied
        some of it (``applied_before``: the store holds a checkpoint of this journal), or when it holds
        no record; otherwise it is refused too (its frames name another store's devices and sites).
        """
        path = self.folder / _STORE_FILE
        try:
            if path.exists():
                owner, _, owner_label = path.read_text().partition("\n")
                if owner.strip() == store_id:
                    return
                owner_name = owner_label.strip() or owner.strip()
                raise JournalError(
                    f"journal {self.folder} belongs to another store ({owner_name}), not to {label}: its "
                    "frames are that store's. Give this store its own journal (--journal, or leave it out "
                    "for the default beside the store), or point --db at the store it belongs to"
                )
            if not applied_before and any(self.path(n).stat().st_size for n in self.segments()):
                raise JournalError(
                    f"journal {self.folder} holds frames but names no store (written before journals did), "
                    f"and {label} never applied any of it: it is another store's. Give this store its own "
                    "journal (--journal), or point --db at the store it belongs to"
                )
            tmp = path.with_suffix(".tmp")
            with open(tmp, "w", opener=_private) as file:
                file.write(f"{store_id}\n{label}\n")
            os.replace(tmp, path)
            _fsync_dir(self.folder)
        except OSError as error:
            raise JournalError(f"journal folder {self.folder}: {error.strerror or error}") from None

    # -- segments ---------------------------------------------------------------------------------

    def segments(self) -> list[int]:
        numbers = []
        for path in self.folder.glob(f"{_PREFIX}*{_SUFFIX}"):
            digits = path.name[len(_PREFIX) : -len(_SUFFIX)]
            if digits.isdigit():
                numbers.append(int(digits))
        return sorted(numbers)

    def path(self, segment: int) -> Path:
        return self.folder / _segment_name(segment)

    def open(self) -> Position:
        """Open the newest segment for appending (cutting a torn tail); return the end position."""
        numbers = self.segments()
        self.segment = numbers[-1] if numbers else 1
        path = self.path(self.segment)
        end = 0
        if path.exists():
            for _, position in self._scan(self.segment, 0, tolerate_tail=True):
                end = position.offset
            if end != path.stat().st_size:
                with open(path, "r+b") as file:
                    file.truncate(end)
                    file.flush()
                    os.fsync(file.fileno())
        self._file = open(path, "ab", opener=_private)  # noqa: SIM115  (kept open while the gateway runs)
        if not numbers:
            _fsync_dir(self.folder)
        self.offset = end
        return Position(self.segment, end)

    def close(self) -> None:
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None

    # -- writing ----------------------------------------------------------------------------------

    @staticmethod
    def encode(body: bytes) -> bytes:
        return _HEADER.pack(len(body), zlib.crc32(body)) + body

    def write(self, records: list[bytes]) -> list[Position]:
        """Append ``records`` (bodies), fsync, and return the end position of each.

        Rotates to a new segment first when the current one is full.
        """
        if self._file is None:
            raise JournalError("journal is not open")
        if self.offset >= self.segment_bytes:
            self._file.close()
            self.segment += 1
            self._file = open(self.path(self.segment), "ab", opener=_private)  # noqa: SIM115
            self.offset = 0
            _fsync_dir(self.folder)
        positions = []
        chunks = []
        offset = self.offset
        for body in records:
            chunk = self.encode(body)
            chunks.append(chunk)
            offset += len(chunk)
            positions.append(Position(self.segment, offset))
        self._file.write(b"".join(chunks))
        self._file.flush()
        os.fdatasync(self._file.fileno())
        self.offset = offset
        return positions

    # -- reading ----------------------------------------------------------------------------------

    def _scan(
        self, segment: int, offset: int, *, tolerate_tail: bool, end: int | None = None
    ) -> Iterator[tuple[bytes, Position]]:
        """The records of ``segment`` from byte ``offset`` to ``end`` (its end when None)."""
        path = self.path(segment)
        try:
            with open(path, "rb") as file:
                file.seek(offset)
                data = file.read(-1 if end is None else end - offset)
        except OSError as error:
            raise JournalError(f"{path}: {error.strerror or error}") from None
        if end is not None and len(data) != end - offset:
            raise JournalError(f"{path} ends at offset {offset + len(data)}, before {end}")
        pos = 0
        while pos < len(data):
            problem = None
            if pos + _HEADER.size > len(data):
                problem = "truncated record header"
            else:
                length, crc = _HEADER.unpack_from(data, pos)
                stop = pos + _HEADER.size + length
                if length > MAX_BODY:
                    problem = f"record length {length} exceeds {MAX_BODY}"
                elif stop > len(data):
                    problem = "truncated record"
                elif zlib.crc32(data[pos + _HEADER.size : stop]) != crc:
                    problem = "record checksum mismatch"
            if problem is not None:
                if tolerate_tail:
                    return  # a torn write at the end: never fsynced, never acknowledged
                raise JournalError(f"{path} offset {offset + pos}: {problem}")
            yield data[pos + _HEADER.size : stop], Position(segment, offset + stop)
            pos = stop

    def replay(self, start: Position | None) -> Iterator[tuple[bytes, Position]]:
        """Every record after ``start`` (all records when None), in order, with its end position."""
        numbers = self.segments()
        for number in numbers:
            if start is not None and number < start.segment:
                continue
            offset = start.offset if start is not None and number == start.segment else 0
            yield from self._scan(number, offset, tolerate_tail=number == numbers[-1])

    def read(self, start: Position, end: Position) -> Iterator[tuple[bytes, Position]]:
        """The records after ``start`` up to ``end`` (both record ends, as :meth:`write` returned them,
        so durable and whole: anything else is corruption), in order, with their end positions."""
        for number in range(start.segment, end.segment + 1):
            offset = start.offset if number == start.segment else 0
            yield from self._scan(
                number, offset, tolerate_tail=False, end=end.offset if number == end.segment else None
            )

    def release(self, upto: Position) -> list[int]:
        """Delete segments wholly before ``upto`` (applied to the store); return their numbers."""
        removed = []
        for number in self.segments():
            if number < upto.segment and number != self.segment:
                self.path(number).unlink(missing_ok=True)
                removed.append(number)
        return removed


class GroupCommit:
    """Batch journal appends so that many frames share one fsync.

    ``submit(body, done)`` queues a record; ``done(position)`` runs on the event loop once the record
    is durable.  One flush runs at a time; whatever arrives meanwhile forms the next batch.
    ``pending`` is what waits for the disk (the gateway's backpressure watches it).

    ``inline`` (the default) writes and fsyncs on the event loop, once per loop iteration, after the
    iteration's reads: on an SSD ``fdatasync`` of a few kB takes ~0.2 ms, less than the two thread
    hops an executor costs when another thread (the store writer) holds the GIL.  On a slow disk
    (a spinning disk's fsync takes ~10 ms) use ``inline=False``: the write and fsync then run in a
    worker thread and the loop keeps serving.
    """

    def __init__(self, journal: Journal, *, max_batch: int = 20_000, inline: bool = True) -> None:
        self.journal = journal
        self.max_batch = max_batch
        self.inline = inline
        self._bodies: list[bytes] = []
        self._callbacks: list[Callable[[Position], None]] = []
        self._task: asyncio.Task | None = None
        self._scheduled = False
        self.fsyncs = 0
        self.records = 0
        self.failed: BaseException | None = None

    @property
    def pending(self) -> int:
        return len(self._bodies)

    def submit(self, body: bytes, done: Callable[[Position], None]) -> None:
        if self.failed is not None:
            raise JournalError(f"journal write failed earlier: {self.failed}")
        self._bodies.append(body)
        self._callbacks.append(done)
        if self.inline:
            if not self._scheduled:
                self._scheduled = True
                asyncio.get_running_loop().call_soon(self._flush_inline)
        elif self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._flush())

    def _take(self) -> tuple[list[bytes], list[Callable[[Position], None]]]:
        bodies, callbacks = self._bodies[: self.max_batch], self._callbacks[: self.max_batch]
        del self._bodies[: self.max_batch], self._callbacks[: self.max_batch]
        return bodies, callbacks

    def _done(
        self, bodies: list[bytes], callbacks: list[Callable[[Position], None]], positions: list[Position]
    ) -> None:
        self.fsyncs += 1
        self.records += len(bodies)
        for callback, position in zip(callbacks, positions, strict=True):
            callback(position)

    def _flush_inline(self) -> None:
        self._scheduled = False
        while self._bodies:
            bodies, callbacks = self._take()
            try:
                positions = self.journal.write(bodies)
            except OSError as error:
                # Nothing of this batch is acknowledged; the gateway stops taking frames.
                self.failed = error
                raise JournalError(f"cannot write the journal in {self.journal.folder}: {error}") from error
            self._done(bodies, callbacks, positions)

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._bodies:
                bodies, callbacks = self._take()
                try:
                    positions = await loop.run_in_executor(None, self.journal.write, bodies)
                except OSError as error:
                    self.failed = error
                    raise JournalError(
                        f"cannot write the journal in {self.journal.folder}: {error}"
                    ) from error
                self._done(bodies, callbacks, positions)
        finally:
            self._task = None

    async def drain(self) -> None:
        """Wait until everything submitted is durable."""
        while self._bodies or self._task is not None:
            if self._task is not None:
                await asyncio.shield(self._task)
            else:
                await asyncio.sleep(0)


@dataclass(frozen=True, slots=True)
class Entry:
    """What the gateway journals for one frame.

    ``kept``: from a registered device with the right password (``site_id``, ``timezone`` of its
    site); else quarantined with ``reason``.  ``raw`` is the frame as received; ``plain`` the
    decrypted frame for HJ 212-2025 SM4 frames (empty otherwise), so replay needs no key.  Both have the
    device's password redacted (:func:`ecowatch.store.frames.redact_frame`): the journal never holds it.
    """

    kept: bool
    received_at_us: int
    site_id: int
    timezone: str
    peer: str
    reason: str
    raw: bytes
    plain: bytes = b""

    _FIXED = struct.Struct("<BqiHHHII")

    def encode(self) -> bytes:
        timezone, peer, reason = self.timezone.encode(), self.peer.encode(), self.reason.encode()[:1024]
        return b"".join(
            (
                self._FIXED.pack(
                    self.kept,
                    self.received_at_us,
                    self.site_id,
                    len(timezone),
                    len(peer),
                    len(reason),
                    len(self.raw),
                    len(self.plain),
                ),
                timezone,
                peer,
                reason,
                self.raw,
                self.plain,
            )
        )

    @classmethod
    def decode(cls, body: bytes) -> Entry:
        kept, received, site_id, n_tz, n_peer, n_reason, n_raw, n_plain = cls._FIXED.unpack_from(body)
        pos = cls._FIXED.size
        parts = []
        for size in (n_tz, n_peer, n_reason, n_raw, n_plain):
            parts.append(body[pos : pos + size])
            pos += size
        if pos != len(body):
            raise JournalError(f"journal entry of {len(body)} bytes does not match its field lengths ({pos})")
        timezone, peer, reason, raw, plain = parts
        return cls(
            bool(kept), received, site_id, timezone.decode(), peer.decode(), reason.decode(), raw, plain
        )
