"""Password hashing off the request threads: one small pool of its own, bounded, at low priority.

Argon2id costs ~0.4 s of CPU a check (RFC 9106 §4's second option, as
:data:`ecowatch.store.users.PASSWORDS` sets it).  Run in the 8 worker threads that serve the sync
routes, 16 concurrent wrong sign-ins made every other request wait 5.5 s and 48 made it 12.7 s
(issue 14).  A :class:`HashingGate` runs them in ``workers`` threads of their own instead (the
request threads stay free), refuses work when ``max_waiting`` are already queued (an answer at once,
503 with ``Retry-After``, rather than a queue no one would wait for) and lowers those threads'
priority (``nice`` +10; Argon2's lane threads inherit it) so that on a busy machine the other
requests get the CPU first.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

__all__ = ["HASHING_NICE", "HashingBusy", "HashingGate"]

T = TypeVar("T")

#: Priority of the hashing threads (Linux: per thread, inherited by the threads Argon2 starts).
HASHING_NICE = 10


class HashingBusy(Exception):
    """Too many password checks are queued; ``retry_after_s`` estimates when one would start."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many password checks queued: retry in {retry_after_s} s")
        self.retry_after_s = retry_after_s


def _lower_priority() -> None:
    # Not Linux, or not allowed: the bound on threads still holds.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICE)


class HashingGate:
    """At most ``workers`` hashes at once, at most ``max_waiting`` more queued; others refused.

    >>> gate = HashingGate(workers=1, max_waiting=4)
    >>> asyncio.run(gate.run(lambda: 6 * 7))
    42
    """

    def __init__(self, *, workers: int = 1, max_waiting: int = 16) -> None:
        self.workers = workers
        self.max_waiting = max_waiting
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._in_flight = 0
        self._seconds = 0.5  # running mean of one job's time, for Retry-After; Argon2's order at first

    @property
    def in_flight(self) -> int:
        """Jobs running or queued."""
        return self._in_flight

    def refuse_if_full(self) -> None:
        """:class:`HashingBusy` now if :meth:`run` would refuse: a caller can stop before other work."""
        with self._lock:
            if self._in_flight >= self.workers + self.max_waiting:
                raise HashingBusy(max(1, math.ceil(self._in_flight * self._seconds / self.workers)))

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self.workers, thread_name_prefix="ecowatch-hash", initializer=_lower_priority
                )
            return self._executor

    def _done(self, _future: Future) -> None:
        with self._lock:
            self._in_flight -= 1

    def _timed(self, function: Callable[[], T]) -> T:
        started = time.perf_counter()
        try:
            return function()
        finally:
            elapsed = time.perf_counter() - started
            with self._lock:
                self._seconds = 0.8 * self._seconds + 0.2 * elapsed

    async def run(self, function: Callable[[], T]) -> T:
        """``function()`` in a hashing thread; :class:`HashingBusy` when the queue is full.

        A job still queued when its caller is cancelled is dropped; one already running runs to its
        end and is counted until then: the bound is on the threads' work, not on callers.
        """
        pool = self._pool()
        with self._lock:
            if self._in_flight >= self.workers + self.max_waiting:
                raise HashingBusy(max(1, math.ceil(self._in_flight * self._seconds / self.workers)))
            self._in_flight += 1
        try:
            future = pool.submit(self._timed, function)
        except BaseException:
            with self._lock:
                self._in_flight -= 1
            raise
        future.add_done_callback(self._done)
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        """Stop the threads once their jobs are done (a later :meth:`run` starts new ones)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False)
