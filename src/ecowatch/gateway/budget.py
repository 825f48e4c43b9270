"""How much junk the gateway keeps: budgets of quarantine bytes per address and in all, per window.

Every refused frame and every run of garbage is journaled (fsync) and quarantined, so that an operator
can see what a device or an attacker sent.  Unbounded, that lets anyone on the network fill the disk
and the store's memory (1,773 connections of 9,980-byte junk frames in 5 s grew the SQLite file by
1.8 GB, issue 14).  :class:`JunkBudget` bounds it: within a window (an hour by default) an address may
have ``per_address_bytes`` of junk kept, all addresses together ``total_bytes``; past either, the
address's first piece of junk is kept as a sample of ``sample_bytes`` and the rest is only counted
(and logged once per window), never written.  Data of registered devices is never counted here.

The defaults and their reasons are in docs/decisions.md ("junk budgets").
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["JunkBudget", "JunkReport"]

#: Addresses tracked per window; junk from further ones counts under one shared key, so that a peer
#: with many addresses (IPv6) cannot grow this table either.
MAX_ADDRESSES = 65_536
_OTHERS = "*"


@dataclass(frozen=True, slots=True)
class JunkReport:
    """What one window dropped: items and bytes, and per address (the most first) items dropped."""

    dropped: int
    dropped_bytes: int
    by_address: tuple[tuple[str, int], ...]


@dataclass
class JunkBudget:
    """Per-address and global budgets of junk bytes per window (times: monotonic seconds, passed in).

    >>> budget = JunkBudget(per_address_bytes=1000, total_bytes=10_000, window_s=60, sample_bytes=100)
    >>> [budget.admit("10.0.0.1", 400, now=0.0) for _ in range(4)]
    [400, 400, 100, 0]
    >>> budget.admit("10.0.0.2", 400, now=1.0), budget.admit("10.0.0.1", 400, now=61.0)
    (400, 400)
    >>> budget.last_report
    JunkReport(dropped=1, dropped_bytes=400, by_address=(('10.0.0.1', 1),))
    """

    per_address_bytes: int
    total_bytes: int
    window_s: float
    sample_bytes: int = 256
    window_start: float | None = None
    used: dict[str, int] = field(default_factory=dict)
    total: int = 0
    sampled: set[str] = field(default_factory=set)
    dropped: dict[str, int] = field(default_factory=dict)
    dropped_bytes: int = 0
    #: The report of the last window that dropped something (None before).
    last_report: JunkReport | None = None

    def admit(self, address: str, size: int, *, now: float) -> int:
        """How many of ``size`` bytes of junk from ``address`` to keep: all of them, a sample (the first
        junk past a budget in this window), or 0 (dropped, counted)."""
        self.roll(now)
        if address not in self.used and len(self.used) >= MAX_ADDRESSES:
            address = _OTHERS
        used = self.used.get(address, 0)
        if used + size <= self.per_address_bytes and self.total + size <= self.total_bytes:
            self.used[address] = used + size
            self.total += size
            return size
        self.used.setdefault(address, used)
        if address not in self.sampled:
            self.sampled.add(address)
            return min(size, self.sample_bytes)
        self.dropped[address] = self.dropped.get(address, 0) + 1
        self.dropped_bytes += size
        return 0

    def roll(self, now: float) -> JunkReport | None:
        """Start a new window if this one is over; the report of the one that ended, if it dropped junk."""
        if self.window_start is None:
            self.window_start = now
        if now - self.window_start < self.window_s:
            return None
        report = None
        if self.dropped:
            ranked = sorted(self.dropped.items(), key=lambda item: (-item[1], item[0]))
            report = JunkReport(sum(self.dropped.values()), self.dropped_bytes, tuple(ranked[:10]))
            self.last_report = report
        self.window_start = now
        self.used, self.total, self.sampled, self.dropped, self.dropped_bytes = {}, 0, set(), {}, 0
        return report
