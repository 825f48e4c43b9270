"""Process-wide settings of a process that serves devices: the collector, the GIL's switch interval, the
scheduling class of the store process.

They belong to a whole process, so only a process's entry point applies them (``ecowatch gateway run``
and ``ecowatch serve``, :func:`ecowatch.server.run_platform`; the store process's initializer), never a
library object: a :class:`~ecowatch.gateway.server.Gateway` and the web application may share a
process, and one undoing the other's settings at its stop is what this module prevents.  The reasons
and their measurements are in docs/decisions.md (P2, P6).
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = [
    "GC_THRESHOLD",
    "SWITCH_INTERVAL_S",
    "freeze_heap",
    "idle_priority",
    "long_lived_heap",
    "serving_process",
]

#: ``gc.set_threshold`` while a process serves devices (CPython's default is 700, 10, 10): the young
#: generations are collected a little less often, a full collection only after a thousand collections
#: of the middle one (docs/decisions.md P6).
GC_THRESHOLD = (10_000, 50, 1_000)
#: ``sys.setswitchinterval`` of the gateway process (CPython's default is 5 ms): a store writer thread
#: holding the GIL while it builds a batch lets the event loop answer devices in between.
SWITCH_INTERVAL_S = 0.001


@contextmanager
def long_lived_heap(threshold: tuple[int, int, int] = GC_THRESHOLD) -> Iterator[None]:
    """The collector's thresholds set to ``threshold`` inside the block, restored after it."""
    previous = gc.get_threshold()
    gc.set_threshold(*threshold)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def freeze_heap() -> None:
    """Move what exists now (modules, the application, the registry) out of the collector's sight: a full
    collection no longer walks it with the event loop standing (docs/decisions.md P6)."""
    gc.collect()
    gc.freeze()


@contextmanager
def serving_process(*, switch_interval_s: float | None = None) -> Iterator[None]:
    """The settings of a process serving devices, for the block (its whole life): :data:`GC_THRESHOLD`,
    and the switch interval when given.  Call :func:`freeze_heap` in the block once everything has
    started; the heap is unfrozen and every setting restored at its end."""
    interval = sys.getswitchinterval()
    if switch_interval_s is not None:
        sys.setswitchinterval(switch_interval_s)
    try:
        with long_lived_heap():
            yield
    finally:
        gc.unfreeze()
        sys.setswitchinterval(interval)


def idle_priority() -> None:
    """Run this process on the CPU time nothing else wants (``SCHED_IDLE``; nice 10 where that is not
    available): the store process, whose lag the journal absorbs (docs/decisions.md P2)."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux
        os.nice(10)
