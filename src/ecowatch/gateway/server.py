"""The HJ 212 gateway: an asyncio TCP server around the sans-IO :mod:`ecowatch.hj212` library.

For every complete frame received on a connection, in order:

1. the device is looked up by MN and its password checked (:mod:`ecowatch.gateway.registry`);
2. the frame is appended to the journal and fsynced, together with the frames of the same moment
   (:mod:`ecowatch.gateway.journal`, group commit);
3. only then the reply the standard requires goes back on the same connection
   (:func:`ecowatch.hj212.auto_reply`: 9014 for uploads with Flag bit A set, 9013 for notices and
   the 2025 heartbeat, nothing for Flag bit A clear or for 9011-9014);
4. in the background, batches of journaled frames are written to the store with the journal
   checkpoint in the same transaction, by a store writer (:mod:`ecowatch.gateway.writers`: a process
   of its own by default, or a thread).

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

The parts: this module is the gateway's life cycle and its decisions (admission within the caps, keep
or quarantine, journal then answer, backpressure, the store loop); :mod:`ecowatch.gateway.connection`
a device's connection; :mod:`ecowatch.gateway.writers` the store writers; :mod:`ecowatch.gateway.limits`
the bounds, each with its reason.  Process-wide settings (the collector, the switch interval) are the
process entry point's (:mod:`ecowatch.gateway.tuning`), never the gateway's.

Crash safety: a frame is acknowledged only after the fsync that covers it.  On start the journal is
replayed from the store's checkpoint, so after ``kill -9`` every acknowledged frame is in the store,
once (frames are keyed by their DataTime and the SHA-256 of their data segment,
:func:`~ecowatch.store.hj212_values.frame_key`; values by site, interval, time and code).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections import OrderedDict
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ecowatch.gateway.budget import JunkBudget
from ecowatch.gateway.connection import Connection, now_us, plain_frame, safe_reply
from ecowatch.gateway.guard import CredentialGuard
from ecowatch.gateway.journal import Entry, GroupCommit, Journal, JournalError, Position
from ecowatch.gateway.limits import GatewayStats, Limits, connection_budget, open_file_soft_limit
from ecowatch.gateway.registry import Registry
from ecowatch.gateway.writers import (
    ProcessWriter,
    StoreProcessLost,
    StoreWriter,
    ThreadWriter,
    store_engine,
    write_batch,
)
from ecowatch.hj212 import Frame, QnRtn, auto_reply
from ecowatch.store import migrate, session_factory
from ecowatch.store.db import display_url
from ecowatch.store.frames import (
    TimeWindow,
    data_time_problem,
    read_checkpoint,
    read_store_id,
    redact_frame,
    redact_password,
    unstorable,
)

__all__ = ["Gateway", "GatewayStats", "Limits"]

log = logging.getLogger("ecowatch.gateway")

#: How long ``stop()`` lets connections close before it aborts them.
CLOSE_TIMEOUT_S = 5.0


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
        self.connections: set[Connection] = set()
        #: Connections without valid credentials yet, oldest first (the first to go at the caps), and the
        #: number of connections per address.
        self._unauthenticated: OrderedDict[Connection, None] = OrderedDict()
        self._unauthenticated_from: dict[str, OrderedDict[Connection, None]] = {}
        self._per_address: dict[str, int] = {}
        self.max_connections = self.limits.max_connections  # the cap in force: see start()
        self._accept_errors: _AcceptErrors | None = None
        self.globally_paused = False
        self.stopping = False
        self.lookup_failed = False
        self._server: asyncio.AbstractServer | None = None
        self._journal: Journal | None = None
        self._commit: GroupCommit | None = None
        #: Journaled frames not yet in the store are held by the writer (:mod:`ecowatch.gateway.writers`).
        self._writer: StoreWriter | None = None
        self._store_wakeup = asyncio.Event()
        self._store_hurry = asyncio.Event()
        self._store_task: asyncio.Task[None] | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._db = ThreadPoolExecutor(1, thread_name_prefix="ecowatch-store")
        self._engine: Engine | None = None
        self.port: int | None = None

    # -- life cycle ---------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 9212) -> None:
        """Migrate the store, replay the journal into it, load the registry, then listen."""
        loop = asyncio.get_running_loop()
        engine = self._engine = store_engine(self.url)
        await loop.run_in_executor(self._db, migrate.upgrade, engine)
        journal = self._journal = Journal(self.journal_dir)
        records, applied_to = await loop.run_in_executor(self._db, self._replay, journal, engine)
        await loop.run_in_executor(None, self.registry.load)
        writer: StoreWriter
        if self.limits.store_process:
            writer = ProcessWriter(
                self.url, self.journal_dir, journal, records=records, applied_to=applied_to, actor=self.actor
            )
        else:
            writer = ThreadWriter(
                engine, self._db, journal, records=records, applied_to=applied_to, actor=self.actor
            )
        self._writer = writer
        await writer.start()  # started and ready before serving
        self._commit = GroupCommit(journal, inline=self.limits.journal_inline)
        self._store_task = loop.create_task(self._store_loop(writer))
        self._sweeper = loop.create_task(self._sweep_idle())
        self.max_connections = connection_budget(self.limits.max_connections)
        if self.max_connections < self.limits.max_connections:
            log.info(
                "gateway: at most %d connections, not %d: the open-file limit is %d and %d descriptors "
                "stay for the web side, the store and the journal (raise it with ulimit -n)",
                self.max_connections,
                self.limits.max_connections,
                open_file_soft_limit(),
                open_file_soft_limit() - self.max_connections,
            )
        self._accept_errors = _AcceptErrors(loop, self.stats)
        self._server = await loop.create_server(lambda: Connection(self), host, port, backlog=4096)
        self.port = int(self._server.sockets[0].getsockname()[1])
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
                    len(self._writer) if self._writer is not None else 0,
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
        if self._writer is not None:
            self._writer.close()
        if self._accept_errors is not None:
            self._accept_errors.close()
        if self._engine is not None:
            self._engine.dispose()

    def admit(self, connection: Connection) -> bool:
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

    def _forget_unauthenticated(self, connection: Connection) -> None:
        if self._unauthenticated.pop(connection, False) is None:
            same = self._unauthenticated_from[connection.address]
            del same[connection]
            if not same:
                del self._unauthenticated_from[connection.address]

    def _evict(self, connection: Connection) -> None:
        self.stats.connections_evicted += 1
        self.release(connection)
        self.connections.discard(connection)
        connection.closed = True
        if connection.transport is not None:
            connection.transport.abort()

    def release(self, connection: Connection) -> None:
        """Forget ``connection`` in the caps' bookkeeping (once, however often called)."""
        if connection not in self.connections:
            return
        self._forget_unauthenticated(connection)
        left = self._per_address.get(connection.address, 0) - 1
        if left > 0:
            self._per_address[connection.address] = left
        else:
            self._per_address.pop(connection.address, None)

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- decisions ----------------------------------------------------------------------------------

    def judge(self, frame: Frame, arrived: float, connection: Connection) -> _Verdict | None:
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

    async def resolve(self, frame: Frame, arrived: float, connection: Connection) -> None:
        info = self.registry.lookup(frame.mn)
        for _ in range(2):  # a reload already under way may have started before the frame arrived
            if info is not None or self.registry.loaded_at >= arrived:
                break
            await self.registry.refresh()
            info = self.registry.lookup(frame.mn)
        if info is not None:
            priority = self.guard.priority(frame.mn, connection.address, now=time.monotonic())
            await self.registry.verify_password(info, frame.pw, priority=priority)

    def accept(self, connection: Connection, frame: Frame, verdict: _Verdict) -> None:
        if verdict.kept:
            # Refused at the door what the store could not keep (never acknowledged, it cannot stop the
            # store), and an impossible DataTime; quarantined, a DataTime far from the server's clock.
            received_us = now_us()
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
            raw, plain = redact_frame(frame.raw, plain_frame(frame) if frame.encrypted else b"")
            entry: Entry | None = Entry(
                True, received_us, info.site_id, info.site_timezone, connection.peer, "", raw, plain
            )
            reply = auto_reply(frame)
            self.stats.frames_kept += 1
        else:
            entry = self._refused_entry(connection, verdict.reason, frame.raw)
            reply = (
                safe_reply(frame, verdict.qn_rtn)
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
        self, connection: Connection, raw: bytes, reason: str, mn: str | None, reply: bytes | None
    ) -> None:
        entry = self._refused_entry(connection, reason, raw)
        if entry is not None:
            self._journal_then(connection, entry, None, reply)

    def _refused_entry(self, connection: Connection, reason: str, raw: bytes) -> Entry | None:
        """The journal entry of refused bytes within the junk budget (:mod:`ecowatch.gateway.budget`): whole,
        or past the budget a sample (once per address and window); None when dropped (counted only, and
        nothing is answered)."""
        address = connection.peer.rsplit(":", 1)[0]
        raw = redact_password(raw)  # a guesser's passwords are not kept either
        keep = self.junk_budget.admit(address, len(raw), now=time.monotonic())
        if keep == len(raw):
            return Entry(False, now_us(), -1, "", connection.peer, reason, raw)
        if keep == 0:
            self.stats.junk_dropped += 1
            self.stats.junk_dropped_bytes += len(raw)
            return None
        self.stats.junk_sampled += 1
        note = (
            f" [over the junk budget: the first {keep} of {len(raw)} bytes; more junk from {address} "
            f"is counted, not kept, for the rest of the window]"
        )
        return Entry(False, now_us(), -1, "", connection.peer, reason + note, raw[:keep])

    def _journal_then(
        self, connection: Connection, entry: Entry, frame: Frame | None, reply: bytes | None
    ) -> None:
        writer, commit = self._writer, self._commit
        assert writer is not None and commit is not None, "Gateway.start() came first"

        def durable(position: Position) -> None:
            if reply is not None:
                connection.send(reply)
            writer.hold(entry, frame, position)
            self._store_wakeup.set()
            if len(writer) >= self._store_lag_limit and not self.globally_paused:
                self.check_backpressure()

        try:
            commit.submit(entry.encode(), durable)
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
        held = len(self._writer) if self._writer is not None else 0
        return max(pending, held * self.limits.high_water / self._store_lag_limit)

    def check_backpressure(self, connection: Connection | None = None) -> None:
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

    async def _store_loop(self, writer: StoreWriter) -> None:
        """Have ``writer`` write the journaled frames to the store in batches, one at most every
        ``store_interval_s``; return once ``stopping`` and all are written."""
        loop = asyncio.get_running_loop()
        failures = 0
        last_batch = float("-inf")
        while True:
            if not len(writer):
                if self.stopping:
                    return
                await self._store_wakeup.wait()
                self._store_wakeup.clear()
                continue
            wait = last_batch + self.limits.store_interval_s - loop.time()
            if wait > 0 and len(writer) < self.limits.store_batch and not self.stopping:
                # Not asyncio.wait_for: on Python 3.11 it swallows a cancellation that arrives as the
                # event it waits for is set, and the loop then waited for frames that never came.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self._store_hurry.wait()
            last_batch = loop.time()
            try:
                kept = await writer.write(self.limits.store_batch)
            except StoreProcessLost:
                failures += 1
                self.stats.store_errors += 1
                log.error("the store process died (attempt %d); starting another", failures)
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
            self.stats.store_batches += 1
            self.stats.store_frames += kept
            if self._commit is not None:
                self.stats.journal_fsyncs = self._commit.fsyncs
            self.check_backpressure()

    def _replay(self, journal: Journal, engine: Engine) -> tuple[int, Position]:
        """Check that the journal is this store's (:meth:`Journal.claim`: never replay another store's), apply
        what it holds beyond the store's checkpoint (after a crash), then open it; the records of the journal
        in the store, and where the last of them ends."""
        with session_factory(engine)() as session:
            checkpoint = read_checkpoint(session=session, journal_id=journal.journal_id)
            store_id = read_store_id(session=session)
        journal.claim(store_id, display_url(self.url), applied_before=checkpoint is not None)
        start = Position(checkpoint.segment, checkpoint.offset) if checkpoint else None
        records = checkpoint.records if checkpoint else 0
        batch: list[tuple[Entry, Frame | None, Position]] = []

        def apply() -> None:
            nonlocal records
            last = batch[-1][2]
            kept = write_batch(
                engine, journal.journal_id, batch, records + len(batch), f"{self.actor}:replay"
            )
            records += len(batch)
            journal.release(last)
            self.stats.store_batches += 1
            self.stats.store_frames += kept
            self.stats.replayed += len(batch)
            batch.clear()

        for body, position in journal.replay(start):
            batch.append((Entry.decode(body), None, position))
            if len(batch) >= self.limits.store_batch:
                apply()
        if batch:
            apply()
        if self.stats.replayed:
            log.info("replayed %d journaled frames into the store", self.stats.replayed)
        return records, journal.open()

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
