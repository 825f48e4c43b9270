"""The gateway's in-memory view of the device registry (:mod:`ecowatch.store.devices`).

Devices are loaded from the store at start and reloaded when a frame names an MN not known to a
registry loaded before the frame arrived (at most once every ``refresh_s`` seconds, however many
unknown frames arrive; such a frame waits for the reload), so a device registered while the
gateway runs is accepted, and an unknown MN is refused only after a reload that followed its frame.

Passwords: the store keeps an Argon2 hash and a keyed hash (``password_check``, HMAC-SHA256 under a
key derived from the master key, :func:`ecowatch.store.devices.password_check`).  The keyed hash is
checked on the event loop in about a microsecond, so every connection's password is checked at once,
cold or warm: one Argon2 check (0.45 s, by design) per device after a restart made 300 devices wait
7 s and would make 10,000 wait half an hour (issue 14).

A device without a usable keyed hash (registered before migration 0007, or under another master key)
is verified against its Argon2 hash once, in worker threads (``max_parallel_verifications``, default
one per core), never on the event loop; the keyed hash is then made and written back to the store, so
the next start is fast too.  Those slow checks wait in a priority queue: the caller gives each a
priority (:meth:`ecowatch.gateway.guard.CredentialGuard.priority`, higher for addresses and MNs with
recent wrong passwords), so a guesser's checks queue behind the devices'.  Verified and failed
(hash, password) pairs are remembered, so nobody makes the gateway hash the same pair twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import heapq
import itertools
import logging
import os
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

from ecowatch.store import make_engine, session_factory
from ecowatch.store.devices import (
    DeviceInfo,
    check_password,
    load_registry,
    master_key,
    password_check,
    password_check_key,
    store_password_checks,
    verify_device_password,
)

__all__ = ["Registry"]

log = logging.getLogger("ecowatch.gateway")

#: Seconds between writes of the keyed hashes made after Argon2 checks (one transaction for all of them).
WRITE_BACK_S = 1.0


class Registry:
    """MN -> :class:`~ecowatch.store.devices.DeviceInfo`, with a cache of verified passwords."""

    def __init__(
        self,
        url: str,
        *,
        refresh_s: float = 2.0,
        max_cached_passwords: int = 200_000,
        max_parallel_verifications: int | None = None,
        check_key: bytes | None = None,
    ) -> None:
        self.url = url
        self.refresh_s = refresh_s
        self.max_cached_passwords = max_cached_passwords
        self._devices: dict[str, DeviceInfo] = {}
        self._verified: OrderedDict[tuple[str, str], bool] = OrderedDict()
        self._verifying: dict[tuple[str, str], asyncio.Future[bool]] = {}
        self._refreshing: asyncio.Future[None] | None = None
        self._loaded_at = float("-inf")
        # Argon2 (argon2-cffi) releases the GIL: one thread per core verifies in parallel.
        self._parallel = max_parallel_verifications or os.cpu_count() or 1
        self._executor = ThreadPoolExecutor(self._parallel, thread_name_prefix="ecowatch-argon2")
        self._queue: list[tuple[float, int, tuple[str, str], asyncio.Future[bool]]] = []
        self._order = itertools.count()
        self._running = 0
        self._check_key = check_key
        self._write_back: dict[str, tuple[str, str]] = {}  # MN -> (password hash, keyed hash)
        self._writer: asyncio.Task | None = None
        self.verifications = 0
        self.fast_checks = 0
        self.checks_written = 0
        self.loads = 0

    def __len__(self) -> int:
        return len(self._devices)

    def load(self) -> None:
        """Read every device from the store (blocking; call from a thread or before serving)."""
        started = time.monotonic()  # the store as of now: frames arriving during the read are not covered
        if self._check_key is None:
            self._check_key = password_check_key(master_key())
        engine = make_engine(self.url)
        try:
            with session_factory(engine)() as session:
                self._devices = load_registry(session=session)
        finally:
            engine.dispose()
        self._loaded_at = started
        self.loads += 1

    def lookup(self, mn: str) -> DeviceInfo | None:
        return self._devices.get(mn)

    def key_for(self, mn: str) -> tuple[bytes, ...]:
        """The device's SM4 keys (HJ 212-2025), current first, then the retired ones, for the decoder's
        ``key_for``: frames a device sent with its previous key around a rotation still decrypt."""
        info = self._devices.get(mn)
        return info.keys if info is not None else ()

    @property
    def loaded_at(self) -> float:
        """``time.monotonic()`` when the registry was last read from the store."""
        return self._loaded_at

    async def refresh(self) -> None:
        """Reload the registry, no sooner than ``refresh_s`` after the previous load (waiting until then);
        callers arriving during a reload share it."""
        if self._refreshing is not None:
            await asyncio.shield(self._refreshing)
            return
        loop = asyncio.get_running_loop()
        self._refreshing = loop.create_future()
        try:
            wait = self.refresh_s - (time.monotonic() - self._loaded_at)
            if wait > 0:
                await asyncio.sleep(wait)
            await loop.run_in_executor(None, self.load)
        finally:
            done, self._refreshing = self._refreshing, None
            done.set_result(None)

    def cached_password(self, info: DeviceInfo, password: str) -> bool | None:
        """Whether ``password`` is the device's, by its keyed hash (a microsecond) or by an Argon2 check
        made before; None when neither can say yet (then :meth:`verify_password`)."""
        if self._check_key is not None:
            ok = check_password(info.password_check, mn=info.mn, password=password, key=self._check_key)
            if ok is not None:
                self.fast_checks += 1
                return ok
        return self._verified.get((info.password_hash, password))

    async def verify_password(self, info: DeviceInfo, password: str, *, priority: float = 0.0) -> bool:
        """Verify against the Argon2 hash (in a worker thread, lower ``priority`` first) and remember the
        result; concurrent callers share one verification.  A right password's keyed hash is then kept in
        memory and written to the store (:data:`WRITE_BACK_S`)."""
        pair = (info.password_hash, password)
        known = self._verified.get(pair)
        if known is not None:
            return known
        pending = self._verifying.get(pair)
        if pending is not None:
            return await asyncio.shield(pending)
        loop = asyncio.get_running_loop()
        future = self._verifying[pair] = loop.create_future()
        try:
            heapq.heappush(self._queue, (priority, next(self._order), pair, future))
            self._pump()
            ok = await asyncio.shield(future)
            self.verifications += 1
            self._verified[pair] = ok
            while len(self._verified) > self.max_cached_passwords:
                self._verified.popitem(last=False)
            if ok and self._check_key is not None:
                self._remember_check(info, password, self._check_key)
            return ok
        finally:
            del self._verifying[pair]

    def _pump(self) -> None:
        """Start the most urgent queued Argon2 checks while fewer than ``max_parallel_verifications`` run."""
        loop = asyncio.get_running_loop()
        while self._running < self._parallel and self._queue:
            _, _, pair, future = heapq.heappop(self._queue)
            self._running += 1
            running = loop.run_in_executor(self._executor, verify_device_password, *pair)

            def done(result: asyncio.Future[bool], future: asyncio.Future[bool] = future) -> None:
                self._running -= 1
                if result.cancelled():
                    future.cancel()
                elif (error := result.exception()) is not None:
                    future.set_exception(error)
                    future.exception()  # retrieved: waiters get it, nobody else should be warned
                else:
                    future.set_result(result.result())
                self._pump()

            running.add_done_callback(done)

    def _remember_check(self, info: DeviceInfo, password: str, key: bytes) -> None:
        check = password_check(mn=info.mn, password=password, key=key)
        current = self._devices.get(info.mn)
        if current is not None and current.password_hash == info.password_hash:
            self._devices[info.mn] = dataclasses.replace(current, password_check=check)
        self._write_back[info.mn] = (info.password_hash, check)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_checks())

    async def _write_checks(self) -> None:
        """Write the keyed hashes made since the last write, in one transaction, every
        :data:`WRITE_BACK_S`."""
        loop = asyncio.get_running_loop()
        failures = 0
        while self._write_back:
            await asyncio.sleep(WRITE_BACK_S)
            batch, self._write_back = self._write_back, {}
            try:
                written = await loop.run_in_executor(None, self._store_checks, batch)
            except Exception as error:  # the store unreachable: kept in memory, tried again
                failures += 1
                if failures == 1 or failures % 60 == 0:
                    log.warning(
                        "keyed password hashes of %d devices not written to the store (attempt %d): %s",
                        len(batch),
                        failures,
                        error,
                    )
                self._write_back = {**batch, **self._write_back}
                continue
            failures = 0
            self.checks_written += written

    def _store_checks(self, batch: dict[str, tuple[str, str]]) -> int:
        engine = make_engine(self.url, hide_parameters=True)  # hashes stay out of a logged error
        try:
            with session_factory(engine).begin() as session:
                return store_password_checks(
                    session=session, checks=[(mn, *pair) for mn, pair in batch.items()]
                )
        finally:
            engine.dispose()

    async def flush(self) -> None:
        """Write the pending keyed hashes now (at stop)."""
        if self._writer is not None and not self._writer.done():
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
        if self._write_back:
            batch, self._write_back = self._write_back, {}
            try:
                self.checks_written += await asyncio.get_running_loop().run_in_executor(
                    None, self._store_checks, batch
                )
            except Exception as error:
                log.warning(
                    "keyed password hashes of %d devices not written to the store: %s", len(batch), error
                )

    def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
        for _, _, _, future in self._queue:
            future.cancel()
        self._queue.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)
