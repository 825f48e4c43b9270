"""The HJ 212 gateway: an asyncio TCP server around the sans-IO :mod:`ecowatch.hj212` library.

For every complete frame received on a connection, in order:

1. the device is looked up by MN and its password checked (:mod:`ecowatch.gateway.registry`);
2. the frame is appended to the journal and fsynced, together with the frames of the same moment
   (:mod:`ecowatch.gateway.journal`, group commit);
3. only then the reply the standard requires goes back on the same connection
   (:func:`ecowatch.hj212.auto_reply`: 9014 for uploads with Flag bit A set, 9013 for notices and
   the 2025 heartbeat, nothing for Flag bit A clear or for 9011-9014);
4. in the background, batches of journaled frames are written to the store
   (:func:`ecowatch.store.frames.apply_batch`) with the journal checkpoint in the same transaction,
   by a process of its own that reads them back from the journal (``store_process``, the default:
   the store's CPU time and its hold on the GIL then leave the event loop alone), or by a thread.

Frames the gateway will not keep as data are journaled too and quarantined (``hj212_quarantine``):

* **unknown MN** and **wrong password**: if the device asked for an answer (Flag bit A) and sent a
  QN, it gets a 9011 with ``QnRtn=4`` (MN error) or ``QnRtn=3`` (PW error), HJ 212-2017 Table 7,
  the answer of srdgame/lua-HJ212 (reference §9.9).  Never a 9014: a 9014 tells the device the data
  are safe, and it would discard data the platform did not keep.  Without a 9014 the device keeps
  the data and sends them again, so once the device is registered (or its password fixed) nothing
  has been lost;
* **bad CRC**: 9011 ``QnRtn=9`` (CRC error) when an answer was asked for, else nothing: the
  standard's "if the CRC is wrong, execution ends" (HJ 212-2017 §6.3.1);
* bytes that are no frame (garbage, a length field beyond the limit, a frame cut by the peer):
  no reply (there is nothing to answer), quarantined with the reason and a sample.

Limits, each with its reason:

* ``max_connections`` (file descriptors and memory per socket), never more than the process's
  open-file limit less a reserve (:func:`connection_budget`): ``ecowatch serve`` runs the web side in
  the same process, and its sign-ins, database connections and journal files need descriptors too.
  At the cap, the connection that has been waiting longest without sending valid credentials is
  closed to make room; if every connection has, the new one is refused;
* ``max_per_address`` (one address cannot take the whole cap; devices behind one carrier NAT share an
  address, hence a cap in the hundreds, not one), with the same eviction within the address;
* ``idle_timeout_s``, restarted by each frame that a device sent with valid credentials, never by
  bytes alone (a byte every 15 minutes kept a socket for ever): the longest silence HJ 212 lets a
  device keep is an hour (hour data, CN 2061; ``RtdInterval`` ≤ 3600 s and ``MinInterval`` ≤ 30 min,
  HJ 212-2017 Table 4, reference §6.8), so the default is 65 minutes;
* ``unauthenticated_timeout_s``: a connection that has not sent valid credentials within this time
  of connecting is closed (default 2 minutes: a data logger connects in order to send, and the
  standard's default answer timeout and retries, 10 s × 3, HJ 212-2017 Table 1, fit four times);
  a device not yet registered simply connects again with its next data;
* ``max_frame_bytes`` (the decoder's bound; default the format's
ceiling, 10 011 bytes), ``max_rejections`` per connection (a peer that sends only junk is closed),
and ``high_water``/``low_water`` on the frames waiting for the disk or the store: above
``high_water`` every connection stops reading (the kernel's TCP window then slows the senders)
until the queue is back under ``low_water``.  A connection whose peer does not read our replies
stops being read too (``pause_writing``).

Crash safety: a frame is acknowledged only after the fsync that covers it.  On start the journal is
replayed from the store's checkpoint, so after ``kill -9`` every acknowledged frame is in the store,
once (frames are keyed by their DataTime and the SHA-256 of their data segment,
:func:`~ecowatch.store.frames.frame_key`; values by site, interval, time and code).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import gc
import hashlib
import logging
import multiprocessing
import os
import threading
import time
from collections import OrderedDict, deque
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from ecowatch.gateway.budget import JunkBudget
from ecowatch.gateway.guard import CredentialGuard
from ecowatch.gateway.journal import Entry, GroupCommit, Journal, JournalError, Position
from ecowatch.gateway.registry import Registry
from ecowatch.hj212 import (
    Frame,
    FrameDecoder,
    FrameRejected,
    QnRtn,
    auto_reply,
    crc_problem,
    parse_frame,
    parse_frames,
    request_answer,
)
from ecowatch.hj212.decoder import DEFAULT_MAX_FRAME_BYTES
from ecowatch.hj212.errors import Hj212Error
from ecowatch.store import make_engine, migrate, session_factory
from ecowatch.store.db import display_url
from ecowatch.store.frames import (
    DEFAULT_FUTURE,
    DEFAULT_PAST,
    Checkpoint,
    KeptFrame,
    RefusedFrame,
    TimeWindow,
    apply_batch,
    data_time_problem,
    frame_key,
    header_mn,
    known_sites,
    quarantine_text,
    read_checkpoint,
    read_store_id,
    redact_frame,
    redact_password,
    unstorable,
)

__all__ = ["GC_THRESHOLD", "Gateway", "GatewayStats", "Limits"]

log = logging.getLogger("ecowatch.gateway")

#: How long ``stop()`` lets connections close before it aborts them.
CLOSE_TIMEOUT_S = 5.0
#: SQLite page cache of the store writer, KiB (``_sqlite_wal``).
STORE_CACHE_KIB = 128 * 1024
#: ``gc.set_threshold`` while a gateway runs (CPython's default is 700, 10, 10): see ``Gateway.start``.
GC_THRESHOLD = (10_000, 50, 1_000)


@dataclass(frozen=True)
class Limits:
    """Bounds of the gateway (see the module docstring for the reason of each)."""

    max_connections: int = 20_000
    #: Connections from one address (see the module docstring).
    max_per_address: int = 1_000
    idle_timeout_s: float = 3_900.0
    unauthenticated_timeout_s: float = 120.0
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES
    max_rejections: int = 100
    high_water: int = 20_000
    low_water: int = 5_000
    store_batch: int = 100_000
    #: A store transaction starts at most this often: frames reaching the store wait up to this long to
    #: share one; acknowledgements never wait for it. Every device's frames go to a page of their own in
    #: the frame table's indexes, and a transaction writes each page it touched once: with 10,000
    #: devices at one frame a second, 0.25 s transactions wrote a page per frame and the store fell
    #: ~1,200 frames/s behind, 5 s ones keep up (bench/hj212_gateway.py, 90 s). ``stop()`` does not
    #: wait for it.
    store_interval_s: float = 5.0
    #: Journal fsync on the event loop (fast disks) or in a worker thread (see :class:`GroupCommit`).
    journal_inline: bool = True
    #: How long ``stop()`` waits for the store; the rest is replayed from the journal at the next start.
    stop_timeout_s: float = 120.0
    #: The store writer in a process of its own, handed journal positions (it reads the frames back
    #: from the journal, the durable copy), instead of a thread handed the parsed frames. The process
    #: is spawned (multiprocessing), so a script that starts a Gateway needs the usual
    #: ``if __name__ == "__main__":`` guard.
    store_process: bool = True
    #: With ``store_process`` the frames the store has not taken yet are on disk, not in memory: the
    #: intake pauses when the store lags this many frames behind (``high_water`` otherwise).
    store_lag_limit: int = 500_000
    #: Junk (refused frames, garbage) kept per address and in all per window, in bytes; past them a sample
    #: is kept and the rest counted (:mod:`ecowatch.gateway.budget`; defaults in docs/decisions.md).
    junk_bytes_per_address: int = 1 << 20
    junk_bytes_total: int = 32 << 20
    junk_window_s: float = 3600.0
    #: Data frames whose DataTime lies further than this before or after the server's clock are
    #: quarantined (:func:`ecowatch.store.frames.data_time_problem`; defaults in docs/decisions.md).
    data_time_past_days: float = DEFAULT_PAST.days
    data_time_future_minutes: float = DEFAULT_FUTURE.total_seconds() / 60


@dataclass
class GatewayStats:
    """Counters since start (``Gateway.stats``)."""

    connections_open: int = 0
    connections_total: int = 0
    connections_refused: int = 0
    connections_evicted: int = 0
    idle_closed: int = 0
    accept_errors: int = 0
    bytes_received: int = 0
    frames_received: int = 0
    frames_kept: int = 0
    frames_quarantined: int = 0
    frames_rejected: int = 0
    replies_sent: int = 0
    replies_dropped: int = 0
    journal_fsyncs: int = 0
    store_batches: int = 0
    store_frames: int = 0
    store_errors: int = 0
    replayed: int = 0
    paused: int = 0
    junk_sampled: int = 0
    junk_dropped: int = 0
    junk_dropped_bytes: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _now_us() -> int:
    return time.time_ns() // 1000


def _plain_frame(frame: Frame) -> bytes:
    """An SM4 frame rewritten with its decrypted data segment (journaled, so replay needs no key)."""
    segment = frame.data_segment
    return b"##%04d%s%s\r\n" % (len(segment), segment, frame.crc_field.encode("ascii"))


class _Connection(asyncio.Protocol):
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
        self.backlog: deque = deque()
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

    def connection_made(self, transport) -> None:
        self.transport = transport
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

    def connection_lost(self, exc) -> None:
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
        if self.reading_paused and not self.closed and not self.blocked and not self.write_paused:
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

    def block(self, waiting) -> None:
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
            reply = _safe_reply(frame, event.reply_hint)
        gateway.quarantine(self, event.raw, event.reason, frame.mn if frame is not None else None, reply)
        if self.rejections > gateway.limits.max_rejections:
            log.warning("%s: closed after %d frames that could not be used", self.peer, self.rejections)
            self.close()
            self.backlog.clear()  # what the peer sent after that is not looked at


#: File descriptors a gateway leaves to the rest of its process: at least this many, or a fifth of the
#: open-file limit (``ecowatch serve``: the web side's connections, the database pool, journal segments,
#: the store process's pipes, log files).
RESERVED_DESCRIPTORS = 1_024


def _open_file_limit() -> int:
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):
        return 1 << 20
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


def connection_budget(requested: int, open_file_limit: int | None = None) -> int:
    """The connection cap in force: ``requested``, but never beyond the open-file limit less
    ``max(RESERVED_DESCRIPTORS, limit / 5)`` (at least 16).

    >>> connection_budget(20_000, 20_000), connection_budget(20_000, 1_048_576), connection_budget(500, 1_024)
    (16000, 20000, 16)
    """
    limit = _open_file_limit() if open_file_limit is None else open_file_limit
    return min(requested, max(16, limit - max(RESERVED_DESCRIPTORS, limit // 5)))


class _AcceptErrors:
    """The event loop's reports of failed ``accept()`` calls (EMFILE, ENFILE, ENOBUFS...), one log line
    per ``every_s`` with their count, no traceback; other reports go to the handler that was in place.

    asyncio reports each failed ``accept()`` with a traceback, once for every connection waiting in the
    listen backlog, every second: out of descriptors, 20,000 idle sockets made 141,311 tracebacks (62 MB
    of log) in 20 s (issue 14).  The gateway cannot do better than wait for descriptors to come back (the
    idle timeouts and caps free them), but it can say so once.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, stats: GatewayStats, every_s: float = 10.0) -> None:
        self.loop, self.stats, self.every_s = loop, stats, every_s
        self.previous = loop.get_exception_handler()
        self.last_logged = float("-inf")
        self.unlogged = 0
        loop.set_exception_handler(self)

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict) -> None:
        if "accept" not in str(context.get("message", "")) or not isinstance(
            context.get("exception"), OSError
        ):
            if self.previous is not None:
                self.previous(loop, context)
            else:
                loop.default_exception_handler(context)
            return
        self.stats.accept_errors += 1
        self.unlogged += 1
        now = time.monotonic()
        if now - self.last_logged >= self.every_s:
            log.error(
                "gateway: accept() failed %d times since the last report (%s); new connections wait "
                "until descriptors are free",
                self.unlogged,
                context["exception"],
            )
            self.last_logged, self.unlogged = now, 0

    def close(self) -> None:
        if self.loop.get_exception_handler() is self:
            self.loop.set_exception_handler(self.previous)


def _needs_key(event: FrameRejected) -> bool:
    return b"CP=&&{0x" in event.raw[:200] or (event.frame is not None and event.frame.encrypted)


def _reparse(event: FrameRejected, key_for) -> Frame | FrameRejected:
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


def _safe_reply(frame: Frame, qn_rtn: int) -> bytes | None:
    try:
        return request_answer(frame, qn_rtn)
    except Hj212Error:  # e.g. a header value that cannot be echoed
        return None


@dataclass(frozen=True, slots=True)
class _Verdict:
    kept: bool
    reason: str = ""
    qn_rtn: int | None = None
    info: Any = None
    acknowledge: bool = False  # quarantined, yet answered as a kept frame (see data_time_problem)


class Gateway:
    """The HJ 212 gateway as a library: ``await start(host, port)``, ``port``, ``stats``, ``await stop()``.

    ``url`` is the store; ``journal_dir`` the journal folder; ``limits`` override :class:`Limits` fields
    (``max_connections=...``), plus ``refresh_s`` for the registry, ``actor`` for audit entries and
    ``guard`` for the :class:`~ecowatch.gateway.guard.CredentialGuard` (``{"mn_burst": 3}``...).
    """

    def __init__(
        self,
        url: str,
        journal_dir: Path,
        *,
        refresh_s: float = 2.0,
        actor: str = "gateway",
        guard: dict[str, Any] | None = None,
        **limits: Any,
    ) -> None:
        self.url = url
        self.journal_dir = Path(journal_dir)
        self.limits = Limits(**limits)
        self.junk_budget = JunkBudget(
            self.limits.junk_bytes_per_address, self.limits.junk_bytes_total, self.limits.junk_window_s
        )
        self.data_time_window = TimeWindow(
            dt.timedelta(days=self.limits.data_time_past_days),
            dt.timedelta(minutes=self.limits.data_time_future_minutes),
        )
        self.actor = actor
        self.registry = Registry(url, refresh_s=refresh_s)
        self.guard = CredentialGuard(**(guard or {}))
        self.stats = GatewayStats()
        self.connections: set[_Connection] = set()
        #: Connections without valid credentials yet, oldest first (the first to go at the caps), and the
        #: number of connections per address.
        self._unauthenticated: OrderedDict[_Connection, None] = OrderedDict()
        self._unauthenticated_from: dict[str, OrderedDict[_Connection, None]] = {}
        self._per_address: dict[str, int] = {}
        self.max_connections = self.limits.max_connections  # the cap in force: see start()
        self._accept_errors: _AcceptErrors | None = None
        self.globally_paused = False
        self.stopping = False
        self.lookup_failed = False
        self._server: asyncio.AbstractServer | None = None
        self._journal: Journal | None = None
        self._commit: GroupCommit | None = None
        #: Journaled frames not yet in the store: where each ends (process mode), else (entry, frame, where).
        self._store_queue: list[tuple[int, int] | tuple[Entry, Frame | None, Position]] = []
        self._store_wakeup: asyncio.Event | None = None
        self._store_hurry: asyncio.Event | None = None
        self._store_task: asyncio.Task | None = None
        self._sweeper: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        self._db = ThreadPoolExecutor(1, thread_name_prefix="ecowatch-store")
        self._store_pool: Executor | None = None
        self._engine = None
        self._gc_threshold: tuple[int, ...] | None = None
        self._records_applied = 0
        self._applied_to: Position | None = None  # end of the last record in the store (process mode)
        self.port: int | None = None

    # -- life cycle ---------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 9212) -> None:
        """Migrate the store, replay the journal into it, load the registry, then listen."""
        loop = asyncio.get_running_loop()
        self._engine = make_engine(self.url, hide_parameters=True)  # no device data (PW) in logged errors
        if self._engine.dialect.name == "sqlite":
            _sqlite_wal(self._engine)
        await loop.run_in_executor(self._db, migrate.upgrade, self._engine)
        self._journal = Journal(self.journal_dir)
        await loop.run_in_executor(self._db, self._replay)
        await loop.run_in_executor(None, self.registry.load)
        if self.limits.store_process:
            self._store_pool = _store_process_pool(self.url)
            await loop.run_in_executor(self._store_pool, os.getpid)  # started and ready before serving
        self._commit = GroupCommit(self._journal, inline=self.limits.journal_inline)
        self._store_wakeup = asyncio.Event()
        self._store_hurry = asyncio.Event()
        self._store_task = loop.create_task(self._store_loop())
        self._sweeper = loop.create_task(self._sweep_idle())
        self.max_connections = connection_budget(self.limits.max_connections)
        if self.max_connections < self.limits.max_connections:
            log.info(
                "gateway: at most %d connections, not %d: the open-file limit is %d and %d descriptors "
                "stay for the web side, the store and the journal (raise it with ulimit -n)",
                self.max_connections,
                self.limits.max_connections,
                _open_file_limit(),
                _open_file_limit() - self.max_connections,
            )
        self._accept_errors = _AcceptErrors(loop, self.stats)
        self._server = await loop.create_server(lambda: _Connection(self), host, port, backlog=4096)
        self.port = self._server.sockets[0].getsockname()[1]
        # What exists now (modules, the registry) lives as long as the process: out of the collector's
        # sight, a full collection no longer walks it (at 4,000 frames/s those took 0.1-0.2 s each,
        # the event loop standing still: p99 473 -> 58 ms with 1,000 connections). Undone by stop().
        gc.collect()
        gc.freeze()
        # The connections, made later, are tens of thousands of objects that live for hours, and the
        # frames waiting for the store survive the young collections: with CPython's thresholds a
        # full collection walked all of them every second or two, the loop standing 70-200 ms
        # (10,000 connections at 10,000 frames/s: p99 100-150 ms, 30 ms without). The young
        # generations are collected as before, a little less often; a full collection comes after a
        # thousand of the middle one's (minutes, not seconds).
        self._gc_threshold = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLD)
        log.info(
            "gateway on %s:%d, %d devices, journal %s", host, self.port, len(self.registry), self.journal_dir
        )

    async def stop(self) -> None:
        """Stop accepting, let journaled frames be answered, write everything to the store, close."""
        self.stopping = True
        if self._server is not None:
            self._server.close()
        for connection in list(self.connections):
            connection.pause()
        if self._commit is not None:
            await self._commit.drain()
        for connection in list(self.connections):
            connection.close()
        if self._server is not None:
            # The server is closed when every connection is; one whose peer stops reading our last
            # replies would hold it (and the stop) for ever: after a while such connections are aborted.
            try:
                async with asyncio.timeout(CLOSE_TIMEOUT_S):
                    await self._server.wait_closed()
            except TimeoutError:
                log.warning("stopping: aborting %d connections that did not close", len(self.connections))
                for connection in list(self.connections):
                    if connection.transport is not None:
                        connection.transport.abort()
        if self._store_task is not None:
            # The store loop ends by itself once nothing is queued. What the store cannot take in time
            # stays in the journal; the next start replays it.
            self._store_hurry.set()
            self._store_wakeup.set()
            done, _ = await asyncio.wait({self._store_task}, timeout=self.limits.stop_timeout_s)
            if not done:
                log.warning(
                    "stopping with %d journaled frames not yet in the store: they are replayed at the "
                    "next start",
                    len(self._store_queue),
                )
                self._store_task.cancel()
                await asyncio.wait({self._store_task}, timeout=CLOSE_TIMEOUT_S)
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=CLOSE_TIMEOUT_S)
        if self._journal is not None:
            self._journal.close()
        await self.registry.flush()
        self.registry.close()
        self._db.shutdown(wait=True)
        if self._store_pool is not None:
            self._store_pool.shutdown(wait=True)
        if self._accept_errors is not None:
            self._accept_errors.close()
        gc.unfreeze()
        if self._gc_threshold is not None:
            gc.set_threshold(*self._gc_threshold)
        if self._engine is not None:
            self._engine.dispose()

    def admit(self, connection: _Connection) -> bool:
        """Make room for ``connection`` within ``max_connections`` and ``max_per_address``: closing the
        connection that has waited longest without valid credentials (from the same address for the
        per-address cap); False when there is none to close (then the new one is refused)."""
        address = connection.address
        if self._per_address.get(address, 0) >= self.limits.max_per_address:
            victim = next(iter(self._unauthenticated_from.get(address, ())), None)
            if victim is None:
                return False
            self._evict(victim)
        if len(self.connections) >= self.max_connections:
            victim = next(iter(self._unauthenticated), None)
            if victim is None:
                return False
            self._evict(victim)
        self._per_address[address] = self._per_address.get(address, 0) + 1
        self._unauthenticated[connection] = None
        self._unauthenticated_from.setdefault(address, OrderedDict())[connection] = None
        return True

    def _forget_unauthenticated(self, connection: _Connection) -> None:
        if self._unauthenticated.pop(connection, False) is None:
            same = self._unauthenticated_from[connection.address]
            del same[connection]
            if not same:
                del self._unauthenticated_from[connection.address]

    def _evict(self, connection: _Connection) -> None:
        self.stats.connections_evicted += 1
        self.release(connection)
        self.connections.discard(connection)
        connection.closed = True
        if connection.transport is not None:
            connection.transport.abort()

    def release(self, connection: _Connection) -> None:
        """Forget ``connection`` in the caps' bookkeeping (once, however often called)."""
        if connection not in self.connections:
            return
        self._forget_unauthenticated(connection)
        left = self._per_address.get(connection.address, 0) - 1
        if left > 0:
            self._per_address[connection.address] = left
        else:
            self._per_address.pop(connection.address, None)

    def spawn(self, coroutine) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- decisions ----------------------------------------------------------------------------------

    def judge(self, frame: Frame, arrived: float, connection: _Connection) -> _Verdict | None:
        """Keep or quarantine ``frame`` (received by ``arrived``, monotonic, on ``connection``); None when a
        registry reload or a slow (Argon2) password check must be awaited first.

        Credentials are checked by their keyed hash (a microsecond); a pair accepted on this connection
        is not checked again.  Wrong ones are counted per MN and per address
        (:class:`~ecowatch.gateway.guard.CredentialGuard`); past the limits (an address's, or an MN's
        for the addresses that guessed at it), new credentials are not evaluated and the frame is
        quarantined *without an answer*: a 9014 to a right guess and a 9011 ``QnRtn=3`` to a wrong one
        would tell the guesser which it was (docs/decisions.md P-auth2).  The device, unanswered, keeps
        its data and sends it again later (HJ 212-2017 §6.5: no answer within the timeout, resend).
        """
        info = self.registry.lookup(frame.mn)
        if info is None and self.registry.loaded_at < arrived and not self.lookup_failed:
            return None
        pair = (frame.mn, frame.pw)
        if pair in connection.trusted and info is not None:
            connection.last_frame = arrived
            return _Verdict(True, info=info)
        now = time.monotonic()
        refusal = self.guard.refusal(frame.mn, connection.address, frame.pw, now=now)
        if refusal is not None:
            return _Verdict(False, refusal)
        if info is None:
            self.guard.failed(frame.mn, connection.address, frame.pw, now=now)
            return _Verdict(False, f"unknown MN {frame.mn}", int(QnRtn.MN_ERROR))
        ok = self.registry.cached_password(info, frame.pw)
        if ok is None:
            if self.lookup_failed:
                return _Verdict(
                    False, f"password of MN {frame.mn} could not be checked", int(QnRtn.UNKNOWN_ERROR)
                )
            return None
        if not ok:
            self.guard.failed(frame.mn, connection.address, frame.pw, now=now)
            return _Verdict(False, f"wrong password for MN {frame.mn}", int(QnRtn.PW_ERROR))
        self.guard.accepted(frame.mn, connection.address, frame.pw)
        connection.trusted.add(pair)
        self._forget_unauthenticated(connection)  # no longer the first to go at the caps
        connection.last_frame = now
        return _Verdict(True, info=info)

    async def resolve(self, frame: Frame, arrived: float, connection: _Connection) -> None:
        info = self.registry.lookup(frame.mn)
        for _ in range(2):  # a reload already under way may have started before the frame arrived
            if info is not None or self.registry.loaded_at >= arrived:
                break
            await self.registry.refresh()
            info = self.registry.lookup(frame.mn)
        if info is not None:
            priority = self.guard.priority(frame.mn, connection.address, now=time.monotonic())
            await self.registry.verify_password(info, frame.pw, priority=priority)

    def accept(self, connection: _Connection, frame: Frame, verdict: _Verdict) -> None:
        if verdict.kept:
            # Refused at the door what the store could not keep (never acknowledged, it cannot stop the
            # store), and an impossible DataTime; quarantined, a DataTime far from the server's clock.
            received_us = _now_us()
            problem = unstorable(frame) or data_time_problem(
                frame,
                timezone=verdict.info.site_timezone,
                window=self.data_time_window,
                now=dt.datetime.fromtimestamp(received_us / 1e6, dt.UTC),
            )
            if problem is not None:
                verdict = _Verdict(
                    False,
                    f"{problem.reason}, from MN {frame.mn}",
                    problem.qn_rtn,
                    acknowledge=problem.acknowledge,
                )
        if verdict.kept:
            info = verdict.info
            # The password is never kept: the journal has the frame with it redacted (length and CRC
            # recomputed).
            raw, plain = redact_frame(frame.raw, _plain_frame(frame) if frame.encrypted else b"")
            entry = Entry(
                True, received_us, info.site_id, info.site_timezone, connection.peer, "", raw, plain
            )
            reply = auto_reply(frame)
            self.stats.frames_kept += 1
        else:
            entry = self._refused_entry(connection, verdict.reason, frame.raw)
            reply = (
                _safe_reply(frame, verdict.qn_rtn)
                if verdict.qn_rtn is not None and frame.ack_requested and frame.qn
                else None
            )
            kept_whole = entry is not None and entry.raw == redact_password(frame.raw)
            if verdict.acknowledge and kept_whole:
                reply = auto_reply(frame)
            self.stats.frames_quarantined += 1
        if entry is not None:
            self._journal_then(connection, entry, frame, reply)

    def quarantine(
        self, connection: _Connection, raw: bytes, reason: str, mn: str | None, reply: bytes | None
    ) -> None:
        entry = self._refused_entry(connection, reason, raw)
        if entry is not None:
            self._journal_then(connection, entry, None, reply)

    def _refused_entry(self, connection: _Connection, reason: str, raw: bytes) -> Entry | None:
        """The journal entry of refused bytes within the junk budget (:mod:`ecowatch.gateway.budget`): whole,
        or past the budget a sample (once per address and window); None when dropped (counted only, and
        nothing is answered)."""
        address = connection.peer.rsplit(":", 1)[0]
        raw = redact_password(raw)  # a guesser's passwords are not kept either
        keep = self.junk_budget.admit(address, len(raw), now=time.monotonic())
        if keep == len(raw):
            return Entry(False, _now_us(), -1, "", connection.peer, reason, raw)
        if keep == 0:
            self.stats.junk_dropped += 1
            self.stats.junk_dropped_bytes += len(raw)
            return None
        self.stats.junk_sampled += 1
        note = (
            f" [over the junk budget: the first {keep} of {len(raw)} bytes; more junk from {address} "
            f"is counted, not kept, for the rest of the window]"
        )
        return Entry(False, _now_us(), -1, "", connection.peer, reason + note, raw[:keep])

    def _journal_then(
        self, connection: _Connection, entry: Entry, frame: Frame | None, reply: bytes | None
    ) -> None:
        def durable(position: Position) -> None:
            if reply is not None:
                connection.send(reply)
            if self.limits.store_process:
                # The store process reads the frame from the journal: only where it ends waits here, as a
                # plain tuple of ints, which the collector stops tracking at its first pass. Tracked, the
                # tens of thousands waiting made each collection of the middle generation stop the loop
                # 30-80 ms (10,000 connections at 10,000 frames/s).
                self._store_queue.append(tuple(position))
            else:
                self._store_queue.append((entry, frame, position))
            self._store_wakeup.set()
            if len(self._store_queue) >= self._store_lag_limit and not self.globally_paused:
                self.check_backpressure()

        try:
            self._commit.submit(entry.encode(), durable)
        except JournalError:
            # The disk refused an earlier batch: nothing more can be acknowledged safely. Closing makes
            # the devices keep their data and send it again later.
            connection.close()

    async def journal_drained(self) -> None:
        if self._commit is not None:
            await self._commit.drain()

    # -- backpressure -------------------------------------------------------------------------------

    @property
    def _store_lag_limit(self) -> int:
        return self.limits.store_lag_limit if self.limits.store_process else self.limits.high_water

    @property
    def queued(self) -> float:
        """How full the intake is, in frames against ``high_water``: those waiting for the disk, and
        those waiting for the store (scaled to ``store_lag_limit`` in process mode)."""
        pending = self._commit.pending if self._commit else 0
        return max(pending, len(self._store_queue) * self.limits.high_water / self._store_lag_limit)

    def check_backpressure(self, connection: _Connection | None = None) -> None:
        if not self.globally_paused and self.queued >= self.limits.high_water:
            self.globally_paused = True
            self.stats.paused += 1
            for other in self.connections:
                other.pause()
        elif self.globally_paused and self.queued <= self.limits.low_water:
            self.globally_paused = False
            for other in list(self.connections):
                other.resume()

    # -- store --------------------------------------------------------------------------------------

    async def _store_loop(self) -> None:
        """Write the journaled frames to the store in batches, one at most every ``store_interval_s``;
        return once ``stopping`` and all are written."""
        loop = asyncio.get_running_loop()
        failures = 0
        last_batch = float("-inf")
        while True:
            if not self._store_queue:
                if self.stopping:
                    return
                await self._store_wakeup.wait()
                self._store_wakeup.clear()
                continue
            wait = last_batch + self.limits.store_interval_s - loop.time()
            if wait > 0 and len(self._store_queue) < self.limits.store_batch and not self.stopping:
                # Not asyncio.wait_for: on Python 3.11 it swallows a cancellation that arrives as the
                # event it waits for is set, and the loop then waited for frames that never came.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self._store_hurry.wait()
            last_batch = loop.time()
            batch = self._store_queue[: self.limits.store_batch]
            try:
                if self._store_pool is not None:
                    await self._apply_in_store_process(batch)
                else:
                    await loop.run_in_executor(self._db, self._apply, batch)
            except BrokenProcessPool:
                failures += 1
                self.stats.store_errors += 1
                log.error("the store process died (attempt %d); starting another", failures)
                self._store_pool = _store_process_pool(self.url)
                await asyncio.sleep(min(0.1 * 2**failures, 5.0))
                continue
            except Exception:
                # The store is down or refused the batch: keep it (it is journaled) and retry;
                # backpressure stops the intake meanwhile.
                failures += 1
                self.stats.store_errors += 1
                log.exception("store write failed (attempt %d); retrying", failures)
                await asyncio.sleep(min(0.1 * 2**failures, 5.0))
                continue
            failures = 0
            del self._store_queue[: len(batch)]
            self.stats.journal_fsyncs = self._commit.fsyncs
            self.check_backpressure()

    def _apply(self, batch: list[tuple[Entry, Frame | None, Position]], *, replaying: bool = False) -> None:
        last = batch[-1][2]
        kept = _write_batch(
            self._engine,
            self._journal.journal_id,
            batch,
            self._records_applied + len(batch),
            f"{self.actor}:replay" if replaying else self.actor,
        )
        self._applied(len(batch), kept, last)

    async def _apply_in_store_process(self, batch: list[tuple[int, int]]) -> None:
        last = Position(*batch[-1])
        kept = await asyncio.get_running_loop().run_in_executor(
            self._store_pool,
            _apply_journal_range,
            str(self.journal_dir),
            self._applied_to,
            last,
            self._records_applied + len(batch),
            self.actor,
        )
        self._applied(len(batch), kept, last)

    def _applied(self, records: int, kept: int, last: Position) -> None:
        self._records_applied += records
        self._applied_to = last
        self.stats.store_batches += 1
        self.stats.store_frames += kept
        self._journal.release(last)

    def _replay(self) -> None:
        """Check that the journal is this store's (:meth:`Journal.claim`: never replay another store's), apply
        what it holds beyond the store's checkpoint (after a crash), then open it."""
        with session_factory(self._engine)() as session:
            checkpoint = read_checkpoint(session=session, journal_id=self._journal.journal_id)
            store_id = read_store_id(session=session)
        self._journal.claim(store_id, display_url(self.url), applied_before=checkpoint is not None)
        start = Position(checkpoint.segment, checkpoint.offset) if checkpoint else None
        self._records_applied = checkpoint.records if checkpoint else 0
        batch: list[tuple[Entry, Frame | None, Position]] = []
        for body, position in self._journal.replay(start):
            batch.append((Entry.decode(body), None, position))
            if len(batch) >= self.limits.store_batch:
                self._apply(batch, replaying=True)
                self.stats.replayed += len(batch)
                batch = []
        if batch:
            self._apply(batch, replaying=True)
            self.stats.replayed += len(batch)
        if self.stats.replayed:
            log.info("replayed %d journaled frames into the store", self.stats.replayed)
        self._applied_to = self._journal.open()

    async def _sweep_idle(self) -> None:
        period = max(
            0.05, min(self.limits.idle_timeout_s / 4, self.limits.unauthenticated_timeout_s / 4, 5.0)
        )
        while True:
            await asyncio.sleep(period)
            report = self.junk_budget.roll(time.monotonic())
            if report is not None:  # one line per window, however much junk came
                log.warning(
                    "junk budget: dropped %d pieces of junk (%d bytes) in the last %.0f s; most from %s",
                    report.dropped,
                    report.dropped_bytes,
                    self.limits.junk_window_s,
                    ", ".join(f"{address} ({count})" for address, count in report.by_address),
                )
            now = time.monotonic()
            deadline = now - self.limits.idle_timeout_s
            unauthenticated = now - self.limits.unauthenticated_timeout_s
            for connection in list(self.connections):
                last = connection.last_frame
                if (
                    last < deadline if last is not None else connection.opened_at < unauthenticated
                ) and not connection.blocked:
                    self.stats.idle_closed += 1
                    connection.close()


def _write_batch(
    engine, journal_id: str, batch: list[tuple[Entry, Frame | None, Position]], records: int, actor: str
) -> int:
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


def _write_items(engine, items: list[KeptFrame | RefusedFrame], checkpoint: Checkpoint, actor: str) -> int:
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


# -- the store process (Limits.store_process) ----------------------------------------------------------

_STORE_ENGINE: list = []  # the store process's engine


def _store_process_pool(url: str) -> ProcessPoolExecutor:
    # "spawn": the gateway has threads and an event loop running, which a fork would copy half-way.
    return ProcessPoolExecutor(
        1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_store_process_init,
        initargs=(url, os.getpid()),
    )


def _store_process_init(url: str, gateway_pid: int) -> None:
    # Where CPU time is short, the replies (waited for by devices) go first and the store, which the
    # journal lets lag, catches up after: it runs on what CPU time nothing else wants (SCHED_IDLE). At
    # nice 10 it still took slices from the event loop: reply p99 59-69 ms against 50-53 ms, three
    # paired runs of 10,000 connections at 10,000 frames/s. Starved, it lags, and at store_lag_limit
    # the intake pauses.
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux
        os.nice(10)
    engine = make_engine(url, hide_parameters=True)
    if engine.dialect.name == "sqlite":
        _sqlite_wal(engine)
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
    return _write_batch(_STORE_ENGINE[0], journal.journal_id, batch, records, actor)


def _sqlite_wal(engine) -> None:
    """WAL lets the web pages read while the gateway writes; ``synchronous=NORMAL`` may lose the last
    commits on power loss but never corrupts, and the journal replays whatever the checkpoint lacks.
    A 128 MB page cache holds a transaction's pages (one per device and index at 10,000 devices):
    smaller, SQLite spills them to the WAL before the commit and writes them again."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA cache_size=-{STORE_CACHE_KIB}")
        cursor.close()


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
