"""An in-process memo of computed figures, valid while the inputs' ``data_version``\\ s hold.

Every write of measurements bumps its sites' ``data_version`` (:mod:`ecowatch.store.measurements`),
so a key that contains the versions of every site a figure was computed from can never serve a stale
figure: new data give a new key, and the old entry ages out of the LRU.  Unlike
:class:`~ecowatch.store.models.FigureCache` (one site's figures, persisted), this holds figures of
many sites at once (a city's period assessment, the AQI of every station) for one server process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from starlette.concurrency import run_in_threadpool

__all__ = ["FigureMemo"]

_MISSING = object()


class FigureMemo:
    """A thread-safe LRU of ``key -> value``; a miss computes outside the lock."""

    def __init__(self, max_entries: int = 512) -> None:
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
            self.misses += 1
        # Two threads missing together both compute; the results are equal, the last one stays.
        value = compute()
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def get(self, key: Hashable, default: Any = None) -> Any:
        """The memoised value, or ``default`` (no computing)."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
        return default

    async def get_or_compute_in_thread(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """For ``async`` routes: a hit answers on the event loop, a miss computes in the thread pool."""
        value = self.get(key, _MISSING)
        if value is _MISSING:
            value = await run_in_threadpool(self.get_or_compute, key, compute)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
