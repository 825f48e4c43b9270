"""The gateway's store writers: journaled frames into the store, in journal order, each batch with the
journal checkpoint past it in the same transaction.

Both writers have one interface, :class:`StoreWriter`; the gateway picks one by
:attr:`~ecowatch.gateway.limits.Limits.store_process`:

* :class:`ProcessWriter` (the default): a process of its own, handed journal positions only; it reads
  the frames back from the journal, the durable copy.  The store's CPU time and its hold on the GIL
  then leave the event loop alone, and the process runs at idle priority (docs/decisions.md P2);
* :class:`ThreadWriter`: a worker thread of the gateway's process, handed the parsed frames.

Should the database refuse something in a batch, the batch is written again frame by frame, and what it
refuses is quarantined (:func:`write_batch`); errors that do not come from the data (the store down) are
raised, and the gateway retries the same batch later.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, event
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from ecowatch.gateway.journal import Entry, Journal, Position
from ecowatch.gateway.tuning import idle_priority
from ecowatch.hj212 import Frame, parse_frames
from ecowatch.hj212.errors import Hj212Error
from ecowatch.store import make_engine, session_factory
from ecowatch.store.frames import (
    Checkpoint,
    RefusedFrame,
    apply_batch,
    header_mn,
    known_sites,
    quarantine_text,
    redact_frame,
    redact_password,
    unstorable,
)
from ecowatch.store.hj212_values import KeptFrame, frame_key

__all__ = [
    "STORE_CACHE_KIB",
    "ProcessWriter",
    "StoreProcessLost",
    "StoreWriter",
    "ThreadWriter",
    "store_engine",
    "write_batch",
]

log = logging.getLogger("ecowatch.gateway")

#: SQLite page cache of a store writer's connections, KiB (:func:`store_engine`).
STORE_CACHE_KIB = 128 * 1024

#: A journaled record on its way to the store: its entry, its frame if parsed already, where it ends.
Record = tuple[Entry, Frame | None, Position]


class StoreProcessLost(Exception):
    """The store process died while writing a batch; another has been started, the batch is still held."""


class StoreWriter(Protocol):
    """Writes the journaled records it holds to the store, oldest first.

    The gateway hands each record over once it is journaled (:meth:`hold`), and asks for batches
    (:meth:`write`) at its own pace; a batch that fails stays held and is written by the next call.
    """

    def hold(self, entry: Entry, frame: Frame | None, position: Position) -> None:
        """Keep a journaled record for the store (``position``: where it ends in the journal)."""
        ...

    def __len__(self) -> int:
        """The records held, not yet in the store."""
        ...

    async def start(self) -> None:
        """Be ready to write (the first call to :meth:`write` must not wait for a start-up)."""
        ...

    async def write(self, limit: int) -> int:
        """Write the oldest ``limit`` records held (at least one must be held) and the checkpoint past them
        in one transaction, then let them go and release the journal up to them; the number of frames
        kept as data.  Raises if they could not be written (they stay held)."""
        ...

    def close(self) -> None:
        """Stop; records still held stay in the journal (replayed at the next start)."""
        ...


class _Progress:
    """What the two writers share: which journal, how far it is in the store, who writes."""

    def __init__(self, journal: Journal, *, records: int, applied_to: Position, actor: str) -> None:
        self.journal = journal
        #: Records of this journal in the store, and where the last of them ends.
        self.records = records
        self.applied_to = applied_to
        self.actor = actor

    def _applied(self, records: int, last: Position) -> None:
        self.records += records
        self.applied_to = last
        self.journal.release(last)


class ThreadWriter(_Progress):
    """The store written from ``executor`` (a worker thread of the gateway's process) with ``engine``,
    handed the frames as parsed at the door."""

    def __init__(
        self,
        engine: Engine,
        executor: Executor,
        journal: Journal,
        *,
        records: int,
        applied_to: Position,
        actor: str,
    ) -> None:
        super().__init__(journal, records=records, applied_to=applied_to, actor=actor)
        self.engine = engine
        self.executor = executor
        self._held: list[Record] = []

    def hold(self, entry: Entry, frame: Frame | None, position: Position) -> None:
        self._held.append((entry, frame, position))

    def __len__(self) -> int:
        return len(self._held)

    async def start(self) -> None:
        pass

    async def write(self, limit: int) -> int:
        batch = self._held[:limit]
        last = batch[-1][2]
        kept = await asyncio.get_running_loop().run_in_executor(
            self.executor,
            write_batch,
            self.engine,
            self.journal.journal_id,
            batch,
            self.records + len(batch),
            self.actor,
        )
        del self._held[: len(batch)]
        self._applied(len(batch), last)
        return kept

    def close(self) -> None:
        pass


class ProcessWriter(_Progress):
    """The store written by a process of its own (spawned, so a script that starts a gateway needs the
    usual ``if __name__ == "__main__":`` guard), handed where each record ends in the journal: it reads
    them back from ``journal_dir``."""

    def __init__(
        self,
        url: str,
        journal_dir: Path,
        journal: Journal,
        *,
        records: int,
        applied_to: Position,
        actor: str,
    ) -> None:
        super().__init__(journal, records=records, applied_to=applied_to, actor=actor)
        self.url = url
        self.journal_dir = journal_dir
        #: Where each held record ends, as a plain tuple of ints, which the collector stops tracking at
        #: its first pass (docs/decisions.md P6).
        self._held: list[tuple[int, int]] = []
        self._pool = _store_process_pool(url)

    def hold(self, entry: Entry, frame: Frame | None, position: Position) -> None:
        self._held.append((position.segment, position.offset))  # a plain tuple, not a Position

    def __len__(self) -> int:
        return len(self._held)

    async def start(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._pool, os.getpid)

    async def write(self, limit: int) -> int:
        batch = self._held[:limit]
        last = Position(*batch[-1])
        try:
            kept = await asyncio.get_running_loop().run_in_executor(
                self._pool,
                _apply_journal_range,
                str(self.journal_dir),
                self.applied_to,
                last,
                self.records + len(batch),
                self.actor,
            )
        except BrokenProcessPool as error:
            self._pool = _store_process_pool(self.url)
            raise StoreProcessLost("the store process died") from error
        del self._held[: len(batch)]
        self._applied(len(batch), last)
        return kept

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def store_engine(url: str) -> Engine:
    """The engine of a store writer: no device data (PW) in logged errors (``hide_parameters``); on
    SQLite, ``synchronous=NORMAL`` and a :data:`STORE_CACHE_KIB` page cache on its connections.

    ``synchronous=NORMAL`` may lose the last commits on power loss but never corrupts, and the journal
    replays whatever the checkpoint lacks: a setting for the writer's connections, which a journal
    covers, not for the process's (the web side's writes have none).  The cache holds a transaction's
    pages (one per device and index at 10,000 devices): smaller, SQLite spills them to the WAL before
    the commit and writes them again (docs/decisions.md P7).
    """
    engine = make_engine(url, hide_parameters=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            # WAL is set already by make_engine's own "connect" hook, which runs first.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA cache_size=-{STORE_CACHE_KIB}")
            cursor.close()

    return engine


def write_batch(engine: Engine, journal_id: str, batch: Sequence[Record], records: int, actor: str) -> int:
    """Write journaled frames (``frame`` None: parsed again from the entry) and the checkpoint past the
    last of them (``records`` applied in all) in one transaction; the number of frames kept.

    Should the database refuse something in the batch (a value it cannot hold, a site it does not
    know), the batch is written again frame by frame, and a frame it refuses is quarantined instead
    (or, if even that is refused, dropped with an error in the log): one frame never holds back the
    frames behind it, nor stops a replay.  Errors that do not come from the data (the store down) are
    raised, and the caller retries.
    """
    # Parsed again together, their CRCs in one NumPy batch; the values stay text (the store keeps the data
    # area, parsed on reading). The plaintext copy of an SM4 frame needs no key.
    # Passwords redacted, also in journals written before the gateway redacted them (a no-op otherwise).
    batch = [(_redacted(entry), frame, position) for entry, frame, position in batch]
    again = iter(
        parse_frames([entry.plain or entry.raw for entry, frame, _ in batch if frame is None], values=False)
    )
    items = [_store_item(entry, next(again) if frame is None else frame) for entry, frame, _ in batch]
    last = batch[-1][2]
    try:
        return _write_items(engine, items, Checkpoint(journal_id, last.segment, last.offset, records), actor)
    except Exception as error:
        if not _refused_by_store(error):
            raise
        log.warning(
            "the store refused a batch of %d frames (%s): writing them one by one", len(batch), _brief(error)
        )
    kept = 0
    first = records - len(batch) + 1
    for number, (item, (_, _, position)) in enumerate(zip(items, batch, strict=True), first):
        checkpoint = Checkpoint(journal_id, position.segment, position.offset, number)
        try:
            kept += _write_items(engine, [item], checkpoint, actor)
            continue
        except Exception as error:
            if not _refused_by_store(error):
                raise
            reason = f"the store refused it: {_brief(error)}"
        try:
            _write_items(engine, [_as_refused(item, reason)], checkpoint, actor)
        except Exception as error:
            if not _refused_by_store(error):
                raise
            log.error(
                "journal record ending at %s dropped: the store refused it (%s) and its quarantine (%s)",
                tuple(position),
                reason,
                _brief(error),
            )
            _write_items(engine, [], checkpoint, actor)
    return kept


def _write_items(
    engine: Engine, items: list[KeptFrame | RefusedFrame], checkpoint: Checkpoint, actor: str
) -> int:
    """One transaction: ``items`` and the checkpoint; the number of frames kept.  A kept frame whose site
    the store does not know (a journal replayed into another store) is quarantined, not written."""
    kept = [item for item in items if isinstance(item, KeptFrame)]
    refused = [item for item in items if isinstance(item, RefusedFrame)]
    with session_factory(engine).begin() as session:
        if kept:
            known = known_sites(session=session, ids={frame.site_id for frame in kept})
            refused += [
                _as_refused(frame, f"site id {frame.site_id} of MN {frame.mn} is not in this store")
                for frame in kept
                if frame.site_id not in known
            ]
            kept = [frame for frame in kept if frame.site_id in known]
        apply_batch(session=session, kept=kept, refused=refused, checkpoint=checkpoint, actor=actor)
    return len(kept)


def _refused_by_store(error: BaseException) -> bool:
    """Whether ``error`` says the database refused the data (a value it cannot hold, a broken
    constraint), rather than that it cannot be reached."""
    if isinstance(error, DataError | IntegrityError | ValueError | TypeError):
        return True
    # A StatementError that is no DBAPIError: the driver refused a value before sending it.
    return isinstance(error, StatementError) and not isinstance(error, DBAPIError)


def _brief(error: BaseException) -> str:
    """The database's own message (one line, without the statement or its parameters, which may hold
    a device's data)."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0][:200] if lines else ''}"


def _as_refused(item: KeptFrame | RefusedFrame, reason: str) -> RefusedFrame:
    if isinstance(item, RefusedFrame):
        return RefusedFrame(item.digest, reason[:255], item.mn, item.raw[:4096], item.peer, item.received_at)
    raw = item.raw.replace("\x00", "\\x00")
    return RefusedFrame(
        hashlib.sha256(raw.encode()).hexdigest(), reason[:255], item.mn[:64], raw, item.peer, item.received_at
    )


_STORE_ENGINE: list[Engine] = []  # the store process's engine


def _store_process_pool(url: str) -> ProcessPoolExecutor:
    # "spawn": the gateway has threads and an event loop running, which a fork would copy half-way.
    return ProcessPoolExecutor(
        1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_store_process_init,
        initargs=(url, os.getpid()),
    )


def _store_process_init(url: str, gateway_pid: int) -> None:
    """The store process's entry point: at idle priority (the replies, waited for by devices, go first
    and the store, which the journal lets lag, catches up after: docs/decisions.md P2), with a store
    writer's engine."""
    idle_priority()
    engine = store_engine(url)
    _STORE_ENGINE.append(engine)

    # Killed with -9, the gateway cannot stop its store process, whose queue never reports the end:
    # it leaves when it is orphaned (the restarted gateway replays the journal itself).
    def leave_with_the_gateway() -> None:
        while os.getppid() == gateway_pid:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=leave_with_the_gateway, daemon=True).start()


def _apply_journal_range(journal_dir: str, start: Position, end: Position, records: int, actor: str) -> int:
    """In the store process: write the journal's records after ``start`` up to ``end`` to the store."""
    journal = Journal(Path(journal_dir))
    batch = [(Entry.decode(body), None, position) for body, position in journal.read(start, end)]
    return write_batch(_STORE_ENGINE[0], journal.journal_id, batch, records, actor)


def _redacted(entry: Entry) -> Entry:
    """``entry`` with the device's password redacted (:func:`~ecowatch.store.frames.redact_frame`)."""
    if b"PW=" not in entry.raw and b"PW=" not in entry.plain:
        return entry
    if entry.kept:
        raw, plain = redact_frame(entry.raw, entry.plain)
    else:
        raw, plain = redact_password(entry.raw), entry.plain
    if (raw, plain) == (entry.raw, entry.plain):
        return entry
    return dataclasses.replace(entry, raw=raw, plain=plain)


def _store_item(entry: Entry, frame: Frame | Hj212Error) -> KeptFrame | RefusedFrame:
    """What the store keeps of a journal entry (its password redacted); ``frame`` is its frame, or why its
    bytes are none.  The digest is that of the data segment as kept (redacted)."""
    received = dt.datetime.fromtimestamp(entry.received_at_us / 1e6, dt.UTC)
    peer = entry.peer[:64]
    if not entry.kept or not isinstance(frame, Frame):
        # (A kept entry that is no frame cannot come from this gateway; it is kept visible.)
        reason = entry.reason if entry.kept is False else f"journal replay: {frame}"
        mn = frame.mn if isinstance(frame, Frame) else header_mn(entry.raw)
        mn = mn[:64] if mn else None
        return RefusedFrame(
            hashlib.sha256(entry.raw).hexdigest(),
            reason[:255],
            mn,
            quarantine_text(entry.raw),
            peer,
            received,
        )
    problem = unstorable(frame)
    if problem is not None:  # journaled before the gateway checked this at the door
        return RefusedFrame(
            hashlib.sha256(entry.raw).hexdigest(),
            f"journal replay: {problem.reason}",
            frame.mn[:64],
            quarantine_text(entry.raw),
            peer,
            received,
        )
    raw_text = entry.raw.decode("utf-8", "replace")
    return KeptFrame(
        digest=frame_key((entry.plain or entry.raw)[6:-6], frame.cp.data_time),
        mn=frame.mn,
        qn=frame.qn,
        st=frame.st,
        cn=frame.cn,
        flag=frame.flag,
        version=str(frame.version),
        pnum=frame.pnum,
        pno=frame.pno,
        data_time=frame.cp.data_time,
        cp=frame.cp.text,
        raw=raw_text,
        peer=peer,
        received_at=received,
        site_id=entry.site_id,
        timezone=entry.timezone,
    )
