"""Throttling of wrong device credentials: per MN and per address, in memory, clock passed in.

A device's password is checked in a microsecond (:func:`ecowatch.store.devices.check_password`), so
what limits a guesser is this module, not the cost of the hash.  Each MN and each peer address has a
leaky bucket of wrong credentials: ``mn_burst`` distinct wrong passwords for one MN (``address_burst``
distinct wrong MN/password pairs from one address), then one more every ``mn_leak_s``
(``address_leak_s``) seconds.  While an address's bucket is full, its new credentials are *not
evaluated*: the frame is quarantined unanswered, so a right guess looks exactly like a wrong one
(docs/decisions.md, P-auth2).  While an MN's bucket is full, the same holds for the addresses that
sent a wrong password for it; an address that did not is still heard, so that the real device, after
a restart (when nothing is remembered) or from a new address, is not locked out by someone guessing
at its MN elsewhere.  A guesser thus gets one evaluated guess per address per MN while it is
throttled, and per address at most the address's rate.

Only *distinct* wrong pairs count: a device with a stale password repeats the same pair every
retry, which tells nobody anything new and must not lock its MN; a guesser's pairs are new each time.

Exempt from an MN's bucket as well: the exact (MN, address, password) that was accepted before, from
an address whose own bucket is not full (a device behind a carrier's NAT shared with a guesser).
The guesser there is still bounded by the address's bucket: every unevaluated new pair fills it.

Memory is bounded: at most ``max_entries`` buckets and remembered pairs each (least recently used
dropped first); passwords are remembered as a keyed digest, never in clear.

>>> guard = CredentialGuard(mn_burst=2, address_burst=100)
>>> [guard.refusal("MN1", "10.0.0.9", pw, now=0.0) for pw in ("a", "b")]
[None, None]
>>> guard.failed("MN1", "10.0.0.9", "a", now=0.0); guard.failed("MN1", "10.0.0.9", "b", now=0.0)
>>> guard.refusal("MN1", "10.0.0.9", "c", now=1.0)
'MN MN1: too many wrong passwords, not checked for 59 s'
>>> guard.refusal("MN1", "10.0.0.7", "c", now=1.0) is None  # an address that sent no wrong one for MN1
True
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["CredentialGuard"]


@dataclass(slots=True)
class _Bucket:
    level: float
    at: float


class _Buckets:
    """Leaky buckets by key: ``burst`` failures fill one; it drains one every ``leak_s`` seconds."""

    def __init__(self, burst: int, leak_s: float, max_entries: int) -> None:
        self.burst, self.leak_s, self.max_entries = burst, leak_s, max_entries
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def _level(self, key: str, now: float) -> float:
        bucket = self._buckets.get(key)
        if bucket is None:
            return 0.0
        return max(0.0, bucket.level - (now - bucket.at) / self.leak_s)

    def full_for(self, key: str, now: float) -> float:
        """Seconds until ``key`` may fail once more (0: it may now)."""
        excess = self._level(key, now) - (self.burst - 1)
        return excess * self.leak_s if excess > 0 else 0.0

    def add(self, key: str, now: float) -> None:
        level = self._level(key, now) + 1
        self._buckets[key] = _Bucket(level, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > self.max_entries:
            self._buckets.popitem(last=False)

    def level(self, key: str, now: float) -> float:
        return self._level(key, now)


class CredentialGuard:
    """Counts wrong device credentials per MN and per address and says when not to evaluate more.

    Times are ``time.monotonic()`` seconds, passed in.  Defaults: 10 distinct wrong passwords per MN,
    then one a minute (a person retyping a password gets ten tries; a guesser gets 1,440 a day, against
    a million six-digit passwords); 30 distinct wrong pairs per address, then one every 10 s (a
    commissioning engineer behind one address typing MNs and passwords).
    """

    def __init__(
        self,
        *,
        mn_burst: int = 10,
        mn_leak_s: float = 60.0,
        address_burst: int = 30,
        address_leak_s: float = 10.0,
        max_entries: int = 100_000,
    ) -> None:
        self._mns = _Buckets(mn_burst, mn_leak_s, max_entries)
        self._addresses = _Buckets(address_burst, address_leak_s, max_entries)
        self._seen: OrderedDict[tuple[str, ...], None] = OrderedDict()  # pairs already counted
        self._accepted: OrderedDict[tuple[str, str, str], None] = OrderedDict()
        self._failed_from: OrderedDict[tuple[str, str], None] = (
            OrderedDict()
        )  # (MN, address) with a wrong one
        self._salt = secrets.token_bytes(16)
        self.max_entries = max_entries
        self.refused = 0
        self.failures = 0

    def _digest(self, password: str) -> str:
        return hashlib.blake2s(password.encode(), key=self._salt, digest_size=12).hexdigest()

    def _first_time(self, key: tuple[str, ...]) -> bool:
        if key in self._seen:
            self._seen.move_to_end(key)
            return False
        self._seen[key] = None
        while len(self._seen) > 2 * self.max_entries:
            self._seen.popitem(last=False)
        return True

    def refusal(self, mn: str, address: str, password: str, *, now: float) -> str | None:
        """Why these credentials must not be evaluated now (None: evaluate them).

        A refused new pair counts against the address, so that refusals cannot be used to guess for free.
        """
        digest = self._digest(password)
        wait = self._addresses.full_for(address, now)
        reason = None
        if wait:
            reason = f"address {address}: too many wrong credentials, not checked for {math.ceil(wait)} s"
        else:
            wait = self._mns.full_for(mn, now)
            if wait and (mn, address) in self._failed_from and (mn, address, digest) not in self._accepted:
                reason = f"MN {mn}: too many wrong passwords, not checked for {math.ceil(wait)} s"
        if reason is not None:
            self.refused += 1
            if self._first_time(("address", address, mn, digest)):
                self._addresses.add(address, now)
        return reason

    def failed(self, mn: str, address: str, password: str, *, now: float) -> None:
        """Credentials were evaluated and are wrong (an unknown MN too): count each distinct pair once."""
        digest = self._digest(password)
        self.failures += 1
        if self._first_time(("mn", mn, digest)):
            self._mns.add(mn, now)
        if self._first_time(("address", address, mn, digest)):
            self._addresses.add(address, now)
        self._failed_from[(mn, address)] = None
        self._failed_from.move_to_end((mn, address))
        while len(self._failed_from) > self.max_entries:
            self._failed_from.popitem(last=False)

    def accepted(self, mn: str, address: str, password: str) -> None:
        """Credentials were evaluated and are right: this (MN, address, password) is exempt from the MN's
        bucket (not from the address's)."""
        key = (mn, address, self._digest(password))
        self._accepted[key] = None
        self._accepted.move_to_end(key)
        while len(self._accepted) > self.max_entries:
            self._accepted.popitem(last=False)

    def priority(self, mn: str, address: str, *, now: float) -> float:
        """Order of a slow (Argon2) check: 0 for credentials from an address and for an MN without recent
        failures; more for each, so that a guesser's checks queue behind the devices'."""
        return self._addresses.level(address, now) + self._mns.level(mn, now)
