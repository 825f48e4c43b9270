"""Helpers of the gateway tests (a module of its own: ``conftest`` is ambiguous across test folders)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path

from ecowatch.gateway.server import Gateway
from ecowatch.hj212 import Frame, FrameDecoder
from ecowatch.store import make_engine, migrate, session_factory
from ecowatch.store.devices import register_device

#: The device of the standard's Annex C examples (reference §6).
MN = "010000A8900016F000169DC0"
PW = "123456"
SITE = "TEST-SITE"
SM4_MN = "ENC00000000000000000025"
SM4_KEY = "00112233445566778899aabbccddeeff"
#: ``data_time_past_days`` of the tests' gateways (see :class:`GatewayThread`).
WIDE_PAST_DAYS = 36_500


def register(url: str, *devices: tuple[str, str, str, str | None]) -> None:
    """Register ``(mn, password, version, sm4_key_hex)`` devices at the site TEST-SITE (an air station)."""
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with session_factory(engine).begin() as session:
            for mn, password, version, key in devices:
                register_device(
                    session=session,
                    mn=mn,
                    password=password,
                    site=SITE,
                    kind="air_station",
                    version=version,
                    sm4_key_hex=key,
                    actor="test",
                )
    finally:
        engine.dispose()


class GatewayThread:
    """A :class:`Gateway` serving on 127.0.0.1 from its own event loop in a thread."""

    def __init__(self, url: str, journal: Path, *, loop_factory=asyncio.new_event_loop, **limits) -> None:
        # The standard's own examples (Annex C) are dated 2016: the tests keep them as data with a window
        # of a century into the past, except the tests of the window, which give theirs.
        limits.setdefault("data_time_past_days", WIDE_PAST_DAYS)
        self.gateway = Gateway(url, journal, refresh_s=0.2, **limits)
        self.loop = loop_factory()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.call(self.gateway.start("127.0.0.1", 0))
        self.port = self.gateway.port

    def call(self, coroutine, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        self.call(self.gateway.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class Device:
    """A blocking TCP client speaking to the gateway; ``replies()`` decodes what came back."""

    def __init__(self, port: int, *, key: bytes | None = None) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.decoder = FrameDecoder(key_for=lambda mn: key)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def replies(self, count: int, timeout: float = 5.0) -> list[Frame]:
        """Wait for ``count`` reply frames (fewer if the time runs out)."""
        got: list[Frame] = []
        deadline = time.monotonic() + timeout
        while len(got) < count and time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            self.decoder.feed(chunk)
            got.extend(event for event in self.decoder.events() if isinstance(event, Frame))
        return got

    def raw_replies(self, timeout: float = 1.0, *, size: int | None = None) -> bytes:
        """Bytes received until ``size`` bytes came (then waits 0.1 s more for extra ones) or ``timeout``."""
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if size is not None and len(data) >= size:
                deadline = min(deadline, time.monotonic() + 0.1)
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            data += chunk
        return data

    def closed_by_peer(self, timeout: float = 5.0) -> bool:
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
        except TimeoutError:
            return False
        except ConnectionError:
            return True

    def close(self) -> None:
        self.sock.close()


def trusted_mns(gateway: Gateway) -> set[str]:
    """The MNs whose credentials the gateway has accepted on an open connection."""
    return {mn for connection in list(gateway.connections) for mn, _ in list(connection.trusted)}


def wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
