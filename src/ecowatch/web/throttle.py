"""Failed sign-ins lock an account, and an address, out for a while: password guessing is throttled.

A :class:`SignInThrottle` counts failed sign-ins per account (the user name, case folded: the same
key whether or not the user exists, so the answers tell nothing about which names exist) and per
client address (an IPv6 address by its /64, the block one host usually holds).  Past a few free
failures each further one locks the key out, for a time that doubles up to a ceiling
(:data:`ACCOUNT_RULE`, :data:`ADDRESS_RULE`); an attempt made while locked is refused without
checking the password, so it costs no Argon2 time and cannot succeed, the right password included.

Why both keys (NIST SP 800-63B §5.2.2, "Rate Limiting (Throttling)"): the account key stops a
guesser who spreads over many addresses; the address key stops one who spreads over many accounts.
A successful sign-in clears its account's failures, not its address's: a guesser who owns one
account cannot launder its address by signing in between guesses.

A lock-out of an account is also a way to keep its owner out (anyone may type five wrong passwords
for ``admin``).  So an address from which the account signed in within :data:`TRUSTED_FOR` is not
held by the account's lock-out, only by its own: the owner at their usual desk gets in while a
guesser elsewhere is locked out, and a guesser sharing that address still meets the address's
limit (20 failures), below the 30 wrong passwords of issue 14.

Time is a parameter (``now``): lock-outs are tested without waiting.  The state lives in the web
process (one ``ecowatch serve``); it is bounded (:data:`MAX_KEYS` per table, least recently used
first out) so a flood of made-up user names cannot grow memory without end.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

__all__ = [
    "ACCOUNT_RULE",
    "ADDRESS_RULE",
    "TRUSTED_FOR",
    "Lockout",
    "SignInThrottle",
    "ThrottleRule",
    "account_key",
    "address_key",
]


@dataclass(frozen=True)
class ThrottleRule:
    """How many failures are free, and how long the ones after them lock a key out."""

    free_failures: int
    """Failures allowed before the first lock-out (the one that reaches this number locks)."""
    first_lockout: dt.timedelta
    """The first lock-out; each failure after it doubles the next one ..."""
    max_lockout: dt.timedelta
    """... up to this ceiling."""
    forget_after: dt.timedelta
    """Failures are forgotten when none has come for this long."""

    def lockout(self, failures: int) -> dt.timedelta | None:
        """The lock-out after ``failures`` failures: none while they are free.

        >>> ACCOUNT_RULE.lockout(4), ACCOUNT_RULE.lockout(5), ACCOUNT_RULE.lockout(7)
        (None, datetime.timedelta(seconds=60), datetime.timedelta(seconds=240))
        >>> ACCOUNT_RULE.lockout(40)
        datetime.timedelta(seconds=900)
        """
        if failures < self.free_failures:
            return None
        doublings = failures - self.free_failures
        if doublings >= 32 or self.first_lockout * 2**doublings >= self.max_lockout:
            return self.max_lockout
        return self.first_lockout * 2**doublings


LOG = logging.getLogger(__name__)

#: One person's account: five tries to remember a password, then 1 min, 2, 4, ... up to 15 min a try
#: (at most about 100 guesses a day), forgotten after a day without failures.
ACCOUNT_RULE = ThrottleRule(
    free_failures=5,
    first_lockout=dt.timedelta(minutes=1),
    max_lockout=dt.timedelta(minutes=15),
    forget_after=dt.timedelta(days=1),
)
#: One address (an office behind one NAT address holds many people): twenty free failures an hour.
ADDRESS_RULE = ThrottleRule(
    free_failures=20,
    first_lockout=dt.timedelta(minutes=1),
    max_lockout=dt.timedelta(minutes=15),
    forget_after=dt.timedelta(hours=1),
)
#: Keys kept per table: about 200 bytes each, so at most ~20 MB for each of the three tables.
MAX_KEYS = 100_000
#: How long an address stays exempt from its account's lock-out after a sign-in from it.
TRUSTED_FOR = dt.timedelta(days=30)


def account_key(username: str) -> str:
    """The throttle's key of a user name: case folded, as names are unique regardless of case.

    >>> account_key("Admin")
    'admin'
    """
    return username.casefold()


def address_key(host: str | None) -> str:
    """The throttle's key of a client address: IPv4 as is, IPv6 by its /64 prefix.

    >>> address_key("192.0.2.7"), address_key("2001:db8:1:2:aaaa::1"), address_key(None)
    ('192.0.2.7', '2001:db8:1:2::/64', 'unknown')
    """
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


@dataclass(frozen=True)
class Lockout:
    """A refused attempt: which key is locked (``"account"`` or ``"address"``) and until when."""

    key: str
    until: dt.datetime
    now: dt.datetime

    @property
    def retry_after_s(self) -> int:
        """Whole seconds to wait (RFC 9110 §10.2.3 ``Retry-After``), at least 1."""
        return max(1, math.ceil((self.until - self.now).total_seconds()))

    def message(self) -> str:
        whose = "this user name" if self.key == "account" else "this address"
        return f"too many failed sign-ins for {whose}: try again in {self.retry_after_s} s"


@dataclass
class _Record:
    failures: int
    last_failure: dt.datetime
    locked_until: dt.datetime | None


class _Table:
    """Failure records by key under one rule, least recently used first out past ``max_keys``."""

    def __init__(self, rule: ThrottleRule, max_keys: int) -> None:
        self.rule = rule
        self.max_keys = max_keys
        self.records: OrderedDict[str, _Record] = OrderedDict()

    def _current(self, key: str, now: dt.datetime) -> _Record | None:
        record = self.records.get(key)
        if record is not None and now - record.last_failure >= self.rule.forget_after:
            del self.records[key]
            return None
        return record

    def locked_until(self, key: str, now: dt.datetime) -> dt.datetime | None:
        record = self._current(key, now)
        if record is None or record.locked_until is None or record.locked_until <= now:
            return None
        return record.locked_until

    def failed(self, key: str, now: dt.datetime) -> dt.timedelta | None:
        """Count a failure; the lock-out it starts, if any."""
        record = self._current(key, now)
        if record is None:
            record = self.records[key] = _Record(failures=0, last_failure=now, locked_until=None)
            if len(self.records) > self.max_keys:
                self.records.popitem(last=False)
        self.records.move_to_end(key)
        record.failures += 1
        record.last_failure = now
        lockout = self.rule.lockout(record.failures)
        record.locked_until = None if lockout is None else now + lockout
        return lockout

    def clear(self, key: str) -> None:
        self.records.pop(key, None)


class SignInThrottle:
    """Failed sign-ins per account and per address; thread-safe (checks run in the hashing thread).

    >>> noon = dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC)
    >>> throttle = SignInThrottle()
    >>> for _ in range(5):
    ...     throttle.failed(account="li", address="192.0.2.7", now=noon)
    >>> throttle.lockout(account="li", address="192.0.2.8", now=noon).message()
    'too many failed sign-ins for this user name: try again in 60 s'
    >>> throttle.lockout(account="li", address="192.0.2.8", now=noon + dt.timedelta(seconds=60)) is None
    True
    """

    def __init__(
        self,
        *,
        account: ThrottleRule = ACCOUNT_RULE,
        address: ThrottleRule = ADDRESS_RULE,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self._accounts = _Table(account, max_keys)
        self._addresses = _Table(address, max_keys)
        self._trusted: OrderedDict[tuple[str, str], dt.datetime] = OrderedDict()  # -> trusted until
        self._max_keys = max_keys
        self._lock = threading.Lock()

    def _is_trusted(self, account: str, address: str, now: dt.datetime) -> bool:
        until = self._trusted.get((account, address))
        return until is not None and now < until

    def lockout(self, *, account: str, address: str, now: dt.datetime) -> Lockout | None:
        """The lock-out that refuses an attempt on ``account`` from ``address`` at ``now``, if any
        (the longer one when both keys are locked)."""
        with self._lock:
            by_account = (
                None if self._is_trusted(account, address, now) else self._accounts.locked_until(account, now)
            )
            by_address = self._addresses.locked_until(address, now)
        if by_account is not None and (by_address is None or by_account >= by_address):
            return Lockout(key="account", until=by_account, now=now)
        if by_address is not None:
            return Lockout(key="address", until=by_address, now=now)
        return None

    def failed(self, *, account: str, address: str, now: dt.datetime) -> None:
        """Count a wrong password (or an unknown or disabled user) against both keys; a lock-out that
        starts is logged (a warning, one per lock-out: its length doubles, so the lines stay few)."""
        with self._lock:
            by_account = self._accounts.failed(account, now)
            by_address = self._addresses.failed(address, now)
        if by_account is not None:
            LOG.warning(
                "sign-in: user name %r locked out for %d s after failed sign-ins (last from %s)",
                account,
                by_account.total_seconds(),
                address,
            )
        if by_address is not None:
            LOG.warning(
                "sign-in: address %s locked out for %d s after failed sign-ins",
                address,
                by_address.total_seconds(),
            )

    def succeeded(self, *, account: str, address: str, now: dt.datetime) -> None:
        """The account's failures are cleared (the address's are not), and the address is exempt from
        the account's lock-outs for :data:`TRUSTED_FOR` (see the module docstring)."""
        with self._lock:
            self._accounts.clear(account)
            self._trusted[account, address] = now + TRUSTED_FOR
            self._trusted.move_to_end((account, address))
            if len(self._trusted) > self._max_keys:
                self._trusted.popitem(last=False)
