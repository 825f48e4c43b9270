"""Simulated HJ 212 devices: real TCP clients sending realistic data and checking every reply.

- :func:`simulate` — N devices sending R frames/s in total for S seconds (``ecowatch hj212 simulate``,
  the benchmark); returns a :class:`SimulationReport` (sent, acknowledged, lost, reply latencies).
- :func:`reconnect` — every device connecting at once and sending one frame, as after a gateway's
  restart: how long until the last of them is answered.
- :func:`run_devices` — a few named devices sending real-time data every few seconds until cancelled
  (``ecowatch serve --simulate`` runs the demo's monitors this way).
- :func:`register_simulated_devices` — put the simulated devices into the registry so the gateway
  accepts them.

Data (HJ 212-2017 Annex C.14-C.19 layout): a flue-gas outlet sends minute data (CN 2051) with the
Min/Avg/Max/Flag of smoke dust a34013, SO2 a21026, NOx a21002, O2 a19001, velocity a01011,
temperature a01012 and the flow a00000 (with Cou), and hour data (CN 2061) every 60th frame.
Values wander around plausible levels of a coal boiler after treatment (ultra-low emission: dust
< 10, SO2 < 35, NOx < 50 mg/m³); one frame in fifty carries a non-normal flag (``M`` maintenance,
``D`` fault, ``F`` stopped).  HJ/T 212-2005 devices send the same with their 2005 codes (``01``,
``02``, ``03``, ``B02``...).  Each device's DataTime advances one minute per frame from midnight 30
days ago, so every frame is a distinct record.  Frames ask for an answer (Flag bit A), so every one must get a
9014 (HJ 212-2017 §6.5.2); one that gets none by the end (plus a grace period) counts as lost.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

from ecowatch.clock import BEIJING, today_beijing
from ecowatch.clock import now as clock_now
from ecowatch.gateway.tuning import GC_THRESHOLD
from ecowatch.hj212 import Cp, Frame, FrameDecoder, Version, build_frame, data_answer, hj212_crc16
from ecowatch.hj212.crc import format_crc

__all__ = [
    "SimDevice",
    "SimulationReport",
    "loopback_address",
    "percentile",
    "reconnect",
    "register_simulated_devices",
    "run_devices",
    "simulate",
    "simulated_devices",
]

#: Factor -> (typical level, relative spread) of a treated coal-boiler flue (mg/m³, %, m/s, °C, m³/s).
FLUE_GAS = {
    "a34013": (4.0, 0.35),
    "a21026": (18.0, 0.3),
    "a21002": (32.0, 0.25),
    "a19001": (9.5, 0.08),
    "a01011": (12.0, 0.1),
    "a01012": (55.0, 0.05),
    "a00000": (85.0, 0.1),
}
_CODE_2005 = {
    "a34013": "01",
    "a21026": "02",
    "a21002": "03",
    "a19001": "S01",
    "a01011": "S02",
    "a01012": "S03",
    "a00000": "B02",
}
_ABNORMAL_FLAGS = ("M", "D", "F")
_FLAG_BITS = {"2005": 0, "2017": 1, "2025": 2}
#: The HJ 212 editions, by the text a simulated device is configured with.
_EDITIONS: dict[str, Version] = {"2005": "2005", "2017": "2017", "2025": "2025"}
#: Where a device's DataTimes begin: midnight (Beijing) 30 days ago, so that minute after minute a long
#: run stays inside the window a gateway keeps data in (400 days back, 1 hour ahead of its clock).
_START = dt.datetime.combine(today_beijing() - dt.timedelta(days=30), dt.time())
_NO_CP = Cp("")
#: Seconds the simulation waits after its last frame for replies still on their way.
GRACE_S = 5.0
#: Frames :func:`simulate` builds before it starts sending (~600 bytes each); later ones are built as sent.
PREPARED_FRAMES = 2_000_000


@dataclass(frozen=True)
class SimDevice:
    mn: str
    password: str
    version: str = "2017"
    sm4_key_hex: str | None = None

    @property
    def key(self) -> bytes | None:
        return bytes.fromhex(self.sm4_key_hex) if self.sm4_key_hex else None


def simulated_devices(
    count: int,
    *,
    version: str = "2017",
    prefix: str = "SIM",
    password: str = "123456",
    sm4_key_hex: str | None = None,
) -> list[SimDevice]:
    """``count`` devices with MNs ``SIM000000000000000001``... (24 characters at most).

    2025 devices get ``sm4_key_hex`` or a key derived from the MN (simulation only).
    """
    devices = []
    for number in range(1, count + 1):
        mn = f"{prefix}{number:0{max(1, 20 - len(prefix))}d}"
        key = sm4_key_hex or (f"{number:032x}" if version == "2025" else None)
        devices.append(SimDevice(mn, password, version, key if version == "2025" else None))
    return devices


def register_simulated_devices(
    url: str,
    devices: Sequence[SimDevice],
    *,
    site: str | None = None,
    kind: str = "air_station",
    actor: str = "simulator",
) -> int:
    """Register ``devices`` (idempotent) for ``site`` (created if unknown; None: a site per device, coded
    with its MN, so that every device's values are distinct rows); return how many were new.

    Devices sharing a password share one Argon2 hash, so registering thousands takes seconds.
    """
    from sqlalchemy import select

    from ecowatch.store import make_engine, migrate, session_factory
    from ecowatch.store.devices import master_key, register_device
    from ecowatch.store.models import Device
    from ecowatch.store.users import PASSWORDS

    migrate.upgrade(url)
    master = master_key()
    engine = make_engine(url)
    hashes: dict[str, str] = {}
    created = 0
    try:
        with session_factory(engine).begin() as session:
            known = set(session.scalars(select(Device.mn).where(Device.mn.in_([d.mn for d in devices]))))
            for device in devices:
                if device.mn in known:
                    continue
                if device.password not in hashes:
                    hashes[device.password] = PASSWORDS.hash(device.password)
                register_device(
                    session=session,
                    mn=device.mn,
                    password=device.password,
                    site=site or device.mn,
                    actor=actor,
                    version=device.version,
                    kind=kind,
                    sm4_key_hex=device.sm4_key_hex,
                    password_hash=hashes[device.password],
                    master=master,
                )
                created += 1
    finally:
        engine.dispose()
    return created


def _values(rng: random.Random, version: str, hourly: bool) -> str:
    groups = []
    for code, (level, spread) in FLUE_GAS.items():
        avg = max(0.0, rng.gauss(level, level * spread))
        low, high = avg * rng.uniform(0.8, 0.97), avg * rng.uniform(1.03, 1.25)
        flag = rng.choice(_ABNORMAL_FLAGS) if rng.random() < 0.02 else "N"
        name = _CODE_2005[code] if version == "2005" else code
        fields = [f"{name}-Min={low:.2f}", f"{name}-Avg={avg:.2f}", f"{name}-Max={high:.2f}"]
        if code == "a00000":
            fields.insert(0, f"{name}-Cou={avg * (3600 if hourly else 60):.1f}")
        fields.append(f"{name}-Flag={flag}")
        groups.append(",".join(fields))
    return ";".join(groups)


def make_upload(
    device: SimDevice,
    number: int,
    rng: random.Random,
    *,
    cn: int | None = None,
    data_time: dt.datetime | None = None,
    realtime: bool = False,
) -> tuple[str, bytes]:
    """The ``number``-th upload of ``device``: (QN, frame bytes).  Every 60th is hour data (CN 2061)."""
    hourly = cn == 2061 or (cn is None and number % 60 == 59)
    cn = cn or (2061 if hourly else 2051)
    when = data_time or (_START + dt.timedelta(minutes=number))
    qn = f"{(_START + dt.timedelta(milliseconds=number)):%Y%m%d%H%M%S}{number % 1000:03d}"
    if realtime:
        body = ";".join(
            f"{_CODE_2005[c] if device.version == '2005' else c}-Rtd={max(0.0, rng.gauss(lv, lv * sp)):.2f},"
            f"{_CODE_2005[c] if device.version == '2005' else c}-Flag=N"
            for c, (lv, sp) in FLUE_GAS.items()
        )
    else:
        body = _values(rng, device.version, hourly)
    cp = f"DataTime={when:%Y%m%d%H%M%S};{body}"
    flag = _FLAG_BITS[device.version] << 2 | 1
    st = "31"
    if device.version == "2025":
        frame = Frame("2025", qn, st, cn, device.password, device.mn, flag, None, None, Cp(cp))
        return qn, build_frame(frame, key=device.key)
    segment = (
        f"QN={qn};ST={st};CN={cn:04d};PW={device.password};MN={device.mn};Flag={flag};CP=&&{cp}&&".encode()
    )
    return qn, b"##%04d%s%s\r\n" % (len(segment), segment, format_crc(hj212_crc16(segment)).encode())


@dataclass
class SimulationReport:
    """What :func:`simulate` saw.  Latencies in milliseconds."""

    devices: int
    connected: int
    rate: float
    duration_s: float
    sent: int = 0
    acknowledged: int = 0
    lost: int = 0
    wrong_replies: int = 0
    connect_errors: int = 0
    elapsed_s: float = 0.0
    #: The sending window (Unix time) and this process's CPU seconds within it, so that a benchmark can
    #: tell the steady state from connecting, warming up and building the frames.
    started_at: float = 0.0
    ended_at: float = 0.0
    cpu_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list, repr=False)

    @property
    def achieved_rate(self) -> float:
        return self.sent / self.elapsed_s if self.elapsed_s else 0.0

    def figures(self) -> dict[str, float | int]:
        return {
            "devices": self.devices,
            "connected": self.connected,
            "target_rate": self.rate,
            "sent": self.sent,
            "acknowledged": self.acknowledged,
            "lost": self.lost,
            "wrong_replies": self.wrong_replies,
            "connect_errors": self.connect_errors,
            "send_rate": round(self.achieved_rate, 1),
            "p50_ms": round(percentile(self.latencies_ms, 50), 2),
            "p90_ms": round(percentile(self.latencies_ms, 90), 2),
            "p99_ms": round(percentile(self.latencies_ms, 99), 2),
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "cpu_s": round(self.cpu_s, 3),
        }


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (0 for no values).

    >>> percentile([1, 2, 3, 4], 50)
    2
    """
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


class _Client(asyncio.Protocol):
    def __init__(self, device: SimDevice, report: SimulationReport, waiting: dict) -> None:
        self.device = device
        self.report = report
        self.waiting = waiting
        self.decoder = FrameDecoder(key_for=lambda mn: device.key)
        self.transport: asyncio.Transport | None = None
        self.lost = asyncio.get_running_loop().create_future()
        self.count = 0
        # The 9014 each upload must get, byte for byte: a reply arriving alone is checked by comparison;
        # anything else goes through the decoder.
        self.replies: dict[bytes, str] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # a TCP transport (uvloop's: no subclass)

    @property
    def link(self) -> asyncio.Transport:
        """The connection's transport (set by ``connection_made``, before ``create_connection`` returns)."""
        if self.transport is None:
            raise RuntimeError(f"gateway.simulator: device {self.device.mn} has no connection yet")
        return self.transport

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        if not self.decoder.buffered:
            qn = self.replies.pop(data, None)
            if qn is not None:
                self._acknowledged(qn, now)
                return
        self.decoder.feed(data)
        for event in self.decoder.events():
            if not isinstance(event, Frame) or event.cn != 9014:
                self.report.wrong_replies += 1
                continue
            self._acknowledged(event.qn or event.cp.params.get("QN"), now)

    def _acknowledged(self, qn: str | int | float | None, now: float) -> None:
        sent = self.waiting.pop((self.device.mn, qn), None)
        if sent is None:
            self.report.wrong_replies += 1
            return
        self.report.acknowledged += 1
        self.report.latencies_ms.append((now - sent) * 1000)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(exc)

    def send(self, rng: random.Random) -> None:
        self.send_prepared(*self.prepare(rng))

    def prepare(self, rng: random.Random) -> tuple[str, bytes, bytes]:
        """The device's next upload: (QN, frame, the 9014 it must get, HJ 212-2017 §6.5.2)."""
        qn, raw = make_upload(self.device, self.count, rng)
        self.count += 1
        device = self.device
        sent = Frame(
            _EDITIONS[device.version],
            qn,
            "31",
            2051,
            device.password,
            device.mn,
            _FLAG_BITS[device.version] << 2 | 1,
            None,
            None,
            _NO_CP,
        )
        return qn, raw, data_answer(sent)

    def send_prepared(self, qn: str, raw: bytes, reply: bytes) -> None:
        self.replies[reply] = qn
        self.waiting[(self.device.mn, qn)] = time.perf_counter()
        self.link.write(raw)
        self.report.sent += 1


async def _connect_all(
    host: str,
    port: int,
    devices: Sequence[SimDevice],
    report: SimulationReport,
    waiting: dict,
    parallel: int = 500,
) -> list[_Client]:
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(parallel)
    clients: list[_Client] = []

    async def one(device: SimDevice) -> None:
        async with gate:
            for attempt in range(5):
                try:
                    _, client = await loop.create_connection(
                        lambda: _Client(device, report, waiting), host, port
                    )
                    clients.append(client)
                    return
                except OSError:
                    await asyncio.sleep(0.05 * 2**attempt)
            report.connect_errors += 1

    await asyncio.gather(*(one(device) for device in devices))
    return clients


async def simulate(
    host: str,
    port: int,
    devices: Sequence[SimDevice],
    *,
    rate: float,
    duration_s: float,
    seed: int = 212,
    grace_s: float = GRACE_S,
    warmup: bool = False,
) -> SimulationReport:
    """Connect every device, send ``rate`` frames/s in total (round robin) for ``duration_s``, then wait
    up to ``grace_s`` for the last replies.  Frames still unanswered then count as lost.

    ``warmup``: each device first sends one frame and waits for its reply, outside the figures (a
    benchmark of the steady state only; a gateway's cold start is what its devices see after every
    restart, and bench/hj212_gateway.py measures with it).  Warm-up frames that get no reply still
    count as lost.

    The frames of the run (up to ``PREPARED_FRAMES``) are built before it starts, in the order they
    are sent: building one costs about as much CPU time as the gateway spends on it, which on the
    same machine would be taken from the gateway being measured.
    """
    report = SimulationReport(devices=len(devices), connected=0, rate=rate, duration_s=duration_s)
    waiting: dict[tuple[str, str], float] = {}
    clients = await _connect_all(host, port, devices, report, waiting)
    report.connected = len(clients)
    rng = random.Random(seed)
    if warmup:
        warm = SimulationReport(devices=len(devices), connected=len(clients), rate=rate, duration_s=0)
        for client in clients:
            client.report = warm
            client.send(rng)
        deadline = time.perf_counter() + max(grace_s, 0.2 * len(clients))
        while waiting and time.perf_counter() < deadline:
            await asyncio.sleep(0.02)
        report.lost += len(waiting)
        waiting.clear()
        for client in clients:
            client.report = report
    total = int(rate * duration_s)
    prepared = (
        [clients[i % len(clients)].prepare(rng) for i in range(min(total, PREPARED_FRAMES))]
        if clients
        else []
    )
    gc.freeze()  # the devices and their frames stay to the end: no full collection need walk them
    threshold = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)  # as the gateway does: a measuring device should not stall either
    report.started_at = time.time()
    cpu_start = time.process_time()
    start = time.perf_counter()
    sent = 0
    index = 0
    tick = 0.005
    try:
        while clients:
            elapsed = time.perf_counter() - start
            # A late last tick (a loaded machine) sends what is still due, so a run sends rate x duration.
            due = total if elapsed >= duration_s else min(int(rate * elapsed) + 1, total)
            while sent < due:
                client = clients[index % len(clients)]
                if client.lost.done() or client.link.is_closing():
                    index += 1
                    if all(c.lost.done() or c.link.is_closing() for c in clients):
                        break
                    continue
                client.send_prepared(*(prepared[index] if index < len(prepared) else client.prepare(rng)))
                index += 1
                sent += 1
            if elapsed >= duration_s or all(c.lost.done() or c.link.is_closing() for c in clients):
                break
            await asyncio.sleep(tick)
        report.elapsed_s = time.perf_counter() - start
        report.ended_at = time.time()
        report.cpu_s = time.process_time() - cpu_start
        deadline = time.perf_counter() + grace_s
        while waiting and time.perf_counter() < deadline:
            await asyncio.sleep(0.02)
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
        for client in clients:
            if client.transport is not None:
                client.transport.close()
    report.lost += len(waiting)
    return report


@dataclass
class ReconnectReport:
    """What :func:`reconnect` saw: seconds from the start until the last answer, per-device latency
    (connect + first frame answered) in milliseconds."""

    devices: int
    answered: int = 0
    connect_errors: int = 0
    wrong_replies: int = 0
    last_answer_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list, repr=False)

    def figures(self) -> dict[str, float | int]:
        return {
            "devices": self.devices,
            "answered": self.answered,
            "unanswered": self.devices - self.answered,
            "connect_errors": self.connect_errors,
            "wrong_replies": self.wrong_replies,
            "last_answer_s": round(self.last_answer_s, 2),
            "p50_ms": round(percentile(self.latencies_ms, 50), 1),
            "p99_ms": round(percentile(self.latencies_ms, 99), 1),
        }


def loopback_address(number: int, per_address: int) -> str:
    """The loopback address (127.0.0.0/8, all of it routed to ``lo`` on Linux) of the ``number``-th
    simulated peer when ``per_address`` peers share one: devices out in the field come from many
    addresses, and a gateway caps the connections of any one.

    >>> loopback_address(0, 100), loopback_address(100, 100), loopback_address(25_000, 100)
    ('127.0.0.2', '127.0.0.3', '127.0.1.2')
    """
    group = number // per_address
    return f"127.0.{group // 250}.{group % 250 + 2}"


async def reconnect(
    host: str,
    port: int,
    devices: Sequence[SimDevice],
    *,
    timeout_s: float = 30.0,
    seed: int = 212,
    per_address: int | None = 100,
) -> ReconnectReport:
    """Every device connects at once (no pacing: as they do when a restarted gateway listens again)
    and sends one upload asking for an answer; returns when all are answered or after ``timeout_s``.
    ``per_address`` devices share a source address (:func:`loopback_address`; None: the default one)."""
    loop = asyncio.get_running_loop()
    report = ReconnectReport(devices=len(devices))
    rng = random.Random(seed)
    uploads = [make_upload(device, 0, rng) for device in devices]
    start = time.perf_counter()

    async def one(number: int, device: SimDevice, upload: tuple[str, bytes]) -> None:
        qn, raw = upload
        began = time.perf_counter()
        local = (loopback_address(number, per_address), 0) if per_address else None
        for attempt in range(8):  # the listen backlog overflows: the kernel refuses, the device retries
            try:
                reader, writer = await asyncio.open_connection(host, port, local_addr=local)
                break
            except OSError:
                await asyncio.sleep(0.05 * 2**attempt)
        else:
            report.connect_errors += 1
            return
        decoder = FrameDecoder(key_for=lambda mn: device.key)
        try:
            writer.write(raw)
            while True:
                chunk = await reader.read(4096)
                if not chunk:
                    return
                decoder.feed(chunk)
                for event in decoder.events():
                    if isinstance(event, Frame) and event.cn == 9014 and event.qn == qn:
                        now = time.perf_counter()
                        report.answered += 1
                        report.latencies_ms.append((now - began) * 1000)
                        report.last_answer_s = max(report.last_answer_s, now - start)
                        return
                    report.wrong_replies += 1
        finally:
            writer.close()

    tasks = [
        loop.create_task(one(number, device, upload))
        for number, (device, upload) in enumerate(zip(devices, uploads, strict=True))
    ]
    await asyncio.wait(tasks, timeout=timeout_s)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return report


async def run_devices(
    *,
    host: str,
    port: int,
    devices: Sequence[tuple[str, str, str, str | None]],
    interval_s: float = 10.0,
    now: Callable[[], dt.datetime] | None = None,
    seed: int = 212,
) -> None:
    """Run ``devices`` ``(mn, password, version, sm4_key_hex)`` until cancelled: each connects (again
    after a lost connection) and sends real-time data (CN 2011) stamped with ``now()`` (default
    :func:`ecowatch.clock.now`) in Beijing time every ``interval_s`` seconds, and the hour data (CN 2061)
    of each hour that ended (at the start: the hour before), as a data logger does, checking the 9014
    replies."""
    now = now or clock_now

    async def one(spec: SimDevice, rng: random.Random) -> None:
        report = SimulationReport(devices=1, connected=0, rate=1 / interval_s, duration_s=0)
        waiting: dict = {}
        number = 0
        last_hour: dt.datetime | None = None
        while True:
            try:
                loop = asyncio.get_running_loop()
                _, client = await loop.create_connection(lambda: _Client(spec, report, waiting), host, port)
            except OSError:
                await asyncio.sleep(interval_s)
                continue
            while not client.lost.done():
                stamp = now().astimezone(BEIJING).replace(tzinfo=None, microsecond=0)
                ended_hour = stamp.replace(minute=0, second=0) - dt.timedelta(hours=1)
                uploads = [make_upload(spec, number, rng, cn=2011, data_time=stamp, realtime=True)]
                if ended_hour != last_hour:
                    uploads.append(make_upload(spec, number + 1, rng, cn=2061, data_time=ended_hour))
                    last_hour = ended_hour
                number += len(uploads)
                for qn, raw in uploads:
                    waiting[(spec.mn, qn)] = time.perf_counter()
                    client.link.write(raw)
                await asyncio.sleep(interval_s)
            waiting.clear()

    rngs = random.Random(seed)
    await asyncio.gather(
        *(
            one(SimDevice(mn, pw, version, key), random.Random(rngs.random()))
            for mn, pw, version, key in devices
        )
    )
