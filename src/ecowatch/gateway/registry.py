"""The gateway's in-memory view of the device registry (:mod:`ecowatch.store.devices`).

Devices are loaded from the store at start and reloaded when a frame names an MN not known to a
registry loaded before the frame arrived (at most once every ``refresh_s`` seconds, however many
unknown frames arrive; such a frame waits for the reload), so a device registered while the
gateway runs is accepted, and an unknown MN is refused only after a reload that followed its frame.

Passwords: the store keeps Argon2 hashes, and one verification costs tens of milliseconds (that is
its purpose).  Per frame that would cap the gateway at a few dozen frames/s, so a verified
(hash, password) pair is remembered in memory; a device then costs one dictionary look-up per frame.
Failed pairs are remembered as well, so a device with a wrong password cannot make the gateway
hash on every frame.  Verifications run in a worker thread, at most ``max_parallel_verifications``
at a time, never on the event loop.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

from ecowatch.store import make_engine, session_factory
from ecowatch.store.devices import DeviceInfo, load_registry, verify_device_password

__all__ = ["Registry"]


class Registry:
    """MN -> :class:`~ecowatch.store.devices.DeviceInfo`, with a cache of verified passwords."""

    def __init__(self, url: str, *, refresh_s: float = 2.0, max_cached_passwords: int = 200_000,
                 max_parallel_verifications: int = 1) -> None:
        self.url = url
        self.refresh_s = refresh_s
        self.max_cached_passwords = max_cached_passwords
        self._devices: dict[str, DeviceInfo] = {}
        self._verified: OrderedDict[tuple[str, str], bool] = OrderedDict()
        self._verifying: dict[tuple[str, str], asyncio.Future[bool]] = {}
        self._refreshing: asyncio.Future[None] | None = None
        self._loaded_at = float("-inf")
        self._executor = ThreadPoolExecutor(max_parallel_verifications, thread_name_prefix="ecowatch-argon2")
        self.verifications = 0
        self.loads = 0

    def __len__(self) -> int:
        return len(self._devices)

    def load(self) -> None:
        """Read every device from the store (blocking; call from a thread or before serving)."""
        started = time.monotonic()  # the store as of now: frames arriving during the read are not covered
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
        """True/False when this (hash, password) pair was verified before, None when not yet."""
        return self._verified.get((info.password_hash, password))

    async def verify_password(self, info: DeviceInfo, password: str) -> bool:
        """Verify (in a worker thread) and remember the result; concurrent callers share one verification."""
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
            ok = await loop.run_in_executor(self._executor, verify_device_password, *pair)
            self.verifications += 1
            self._verified[pair] = ok
            while len(self._verified) > self.max_cached_passwords:
                self._verified.popitem(last=False)
            future.set_result(ok)
            return ok
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: waiters get it, nobody else should be warned
            raise
        finally:
            del self._verifying[pair]

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
