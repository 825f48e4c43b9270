"""The platform under attack (issue 14): floods against ``ecowatch serve`` while honest work goes on.

Starts ``ecowatch serve`` on a fresh data folder (SQLite; ``--data`` loads the Beijing demo data first,
so that expensive queries have rows to be expensive on), then, side by side:

- **honest devices**: ``ecowatch hj212 simulate`` with ``--devices`` devices (300) sending ``--rate``
  frames/s in total, every reply checked (a process of its own);
- **a user** polling the API (site list and AQI now, ``--poll-rate`` requests/s, open loop: latency from
  each request's scheduled start), in a process of its own;

and, from this process, bounded in count and in time, all on loopback (source addresses in 127.0.0.0/8):

- **junk frames**: connections sending 9,986-byte frames of random bytes (``--junk-connections``, at most
  ``--junk-mb`` in all);
- **idle sockets**: ``--idle`` connections that send nothing, a tenth of them one byte every 5 s;
- **login flood**: ``--login-concurrency`` wrong sign-ins at a time against one account;
- **expensive queries**: ``--heavy-concurrency`` loops of a staff user's costly requests (deep offset,
  XLSX export of four weeks, an unknown pollutant);
- **password guessing**: ``--guessers`` connections sending frames of the honest devices' MNs with wrong
  passwords (one of them, every 50th frame, the right one: it must never be told).

Prints the honest devices' reply p99 and frames lost, the user's p99, the growth of the data folder
(store, WAL, journal) against the configured budget, and of the server's memory (RSS, with its store
process).  Bars: honest p99 < 1 s and nothing lost; user p99 < 1 s; store growth ≤ budget, where the
budget is the gateway's junk budget (``Limits.junk_bytes_total``) plus what the honest frames
themselves take (``--honest-bytes-factor`` × their bytes: the frame row, its indexes, the journal copy).
Figures from a shared machine are indicative only.

    .venv/bin/python bench/attack.py [--duration 60] [--devices 300] [--rate 600] [--idle 10000] [--data]
                                     [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hj212_gateway import _children  # a process's children, from /proc

ROOT = Path(__file__).resolve().parents[1]
ECOWATCH = Path(sys.executable).parent / "ecowatch"
WEB = re.compile(r"open\s+http://[\d.]+:(\d+)/")
GATEWAY = re.compile(r"tcp://[\d.]+:(\d+)")
USERS = {"analyst": "analyst-password-1", "heavy": "heavy-password-12", "victim": "victim-password-123"}
POLLED = ("/api/v1/sites?limit=100", "/api/v1/air/aqi/now")
HEAVY = (
    "/api/v1/measurements?offset=10000000&limit=100",
    "/api/v1/measurements?from=2016-01-01&to=2016-01-28&format=xlsx",
    "/api/v1/measurements?pollutant=NOSUCH&limit=100",
    "/api/v1/measurements?from=2013-03-01&to=2017-02-28&limit=1000",
)
HONEST_PREFIX = "HONEST"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=60, help="seconds of honest work; floods run inside it")
    p.add_argument("--devices", type=int, default=300)
    p.add_argument("--rate", type=float, default=600, help="honest frames/s, all devices together")
    p.add_argument("--poll-rate", type=float, default=5, help="the user's requests/s")
    p.add_argument("--junk-connections", type=int, default=500)
    p.add_argument("--junk-mb", type=float, default=200, help="junk bytes sent at most, in all (MB)")
    p.add_argument("--idle", type=int, default=10_000, help="idle sockets held")
    p.add_argument("--login-concurrency", type=int, default=48)
    p.add_argument("--heavy-concurrency", type=int, default=8)
    p.add_argument("--guessers", type=int, default=30)
    p.add_argument("--honest-bytes-factor", type=float, default=5.0)
    p.add_argument(
        "--serve-nofile",
        type=int,
        default=8192,
        help="open-file limit of ecowatch serve (below --idle: the floods reach the gateway's cap)",
    )
    p.add_argument("--data", action="store_true", help="load the Beijing demo data first (~15-60 s)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--role", default="main", help=argparse.SUPPRESS)  # "poller": the user's process
    p.add_argument("--web-port", type=int, help=argparse.SUPPRESS)
    return p


# -- the server -------------------------------------------------------------------------------------


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree_rss_kib(pid: int) -> int:
    return _rss_kib(pid) + sum(_rss_kib(child) for child in _children(pid))


def _folder_bytes(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        with contextlib.suppress(OSError):
            if path.is_file():
                total += path.stat().st_size
    return total


class _Sampler(threading.Thread):
    """The server's RSS (with its children) every 0.25 s: the peak over the run."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stopping = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.peak = max(self.peak, _tree_rss_kib(self.pid))
            self.stopping.wait(0.25)


def prepare(folder: Path, args) -> tuple[str, dict]:
    """The store with the honest devices and the three users (and the demo data with ``--data``)."""
    from ecowatch.gateway.simulator import register_simulated_devices, simulated_devices
    from ecowatch.store import make_engine, migrate, session_factory
    from ecowatch.store.users import create_user

    url = f"sqlite:///{folder / 'ecowatch.db'}"
    env = {
        **os.environ,
        "ECOWATCH_DATA_DIR": str(folder),
        "ECOWATCH_DB": url,
        "ECOWATCH_SECRET_KEY": secrets.token_hex(32),
    }
    os.environ.update({"ECOWATCH_DATA_DIR": str(folder), "ECOWATCH_DB": url})
    migrate.upgrade(url)
    if args.data:
        subprocess.run(
            [
                str(ECOWATCH),
                "db",
                "load",
                str(ROOT / "data" / "demo" / "beijing-prsa"),
                "--format",
                "prsa",
                "--db",
                url,
            ],
            check=True,
            env=env,
            capture_output=True,
        )
    register_simulated_devices(url, simulated_devices(args.devices, prefix=f"{HONEST_PREFIX}2017"))
    engine = make_engine(url)
    try:
        with session_factory(engine).begin() as session:
            for username, password in USERS.items():
                create_user(
                    session=session, username=username, password=password, role="admin", actor="bench"
                )
    finally:
        engine.dispose()
    return url, env


def start_serve(env: dict, nofile: int, log_path: Path) -> tuple[subprocess.Popen, int, int]:
    """``ecowatch serve`` with its log written to ``log_path`` (kept, to read what went wrong)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    serve = subprocess.Popen(
        [str(ECOWATCH), "serve", "--port", "0", "--gateway-port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=limit,
    )
    web = gateway = None
    seen: list[str] = []
    while web is None or gateway is None:
        line = serve.stdout.readline()
        if not line:
            raise RuntimeError("ecowatch serve did not start:\n" + "".join(seen[-30:]))
        seen.append(line)
        if (found := WEB.search(line)) is not None:
            web = int(found.group(1))
        if (found := GATEWAY.search(line)) is not None:
            gateway = int(found.group(1))
    lines = serve.stdout

    def drain() -> None:  # keep reading the log, or the server blocks on a full pipe; count its lines
        with log_path.open("w", encoding="utf-8") as log:
            for line in lines:
                log.write(line)
                serve.log_lines = getattr(serve, "log_lines", 0) + 1  # type: ignore[attr-defined]
                if "Traceback" in line:
                    serve.tracebacks = getattr(serve, "tracebacks", 0) + 1  # type: ignore[attr-defined]

    threading.Thread(target=drain, daemon=True).start()
    return serve, web, gateway


# -- the user -----------------------------------------------------------------------------------------


async def poll(web_port: int, rate: float, duration: float) -> dict:
    """Sign in once, then ``rate`` requests/s for ``duration`` s, open loop."""
    import httpx

    latencies: list[float] = []
    errors: dict[str, int] = {}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{web_port}", timeout=30) as client:
        signed = await client.post(
            "/api/v1/auth/token", json={"username": "analyst", "password": USERS["analyst"]}
        )
        signed.raise_for_status()
        headers = {"Authorization": f"Bearer {signed.json()['access_token']}"}
        start = time.perf_counter()

        async def one(number: int) -> None:
            due = start + number / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            try:
                answer = await client.get(POLLED[number % len(POLLED)], headers=headers)
                if answer.status_code != 200:
                    errors[str(answer.status_code)] = errors.get(str(answer.status_code), 0) + 1
            except httpx.HTTPError as error:
                errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
            latencies.append((time.perf_counter() - due) * 1000)

        await asyncio.gather(*(one(n) for n in range(int(rate * duration))))
    from ecowatch.gateway.simulator import percentile

    return {
        "requests": len(latencies),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies, default=0), 1),
        "errors": errors,
    }


# -- the floods ---------------------------------------------------------------------------------------


def _address(number: int, per: int = 200, base: int = 10) -> str:
    group = number // per
    return f"127.{base + group // 250}.0.{group % 250 + 2}"


class Floods:
    def __init__(self, args, web_port: int, gateway_port: int, until: float) -> None:
        self.args, self.web, self.gateway, self.until = args, web_port, gateway_port, until
        self.counts: dict[str, int] = {}
        self.held: list[asyncio.StreamWriter] = []

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def left(self) -> float:
        return self.until - time.monotonic()

    async def _connect(self, address: str):
        return await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", self.gateway, local_addr=(address, 0)),
            timeout=max(0.1, min(5.0, self.left())),
        )

    async def junk(self) -> None:
        budget = [int(self.args.junk_mb * 1e6)]
        rng = random.Random(14)
        body = bytes(rng.randrange(0x21, 0x7F) for _ in range(9974))

        async def one(number: int) -> None:
            try:
                reader, writer = await self._connect(_address(number, per=50, base=20))
            except (OSError, TimeoutError):
                self.count("junk connect refused")
                return
            self.count("junk connections")
            try:
                while self.left() > 0 and budget[0] > 0:
                    frame = b"##9974" + body + b"ABCD\r\n"
                    writer.write(frame)
                    budget[0] -= len(frame)
                    self.count("junk bytes sent", len(frame))
                    await asyncio.wait_for(writer.drain(), timeout=max(0.1, self.left()))
            except (
                OSError,
                TimeoutError,
                RuntimeError,
            ):  # RuntimeError: uvloop, writing on a closed transport
                self.count("junk connections closed by the gateway")
            finally:
                writer.close()

        await asyncio.gather(*(one(n) for n in range(self.args.junk_connections)))

    async def idle(self) -> None:
        gate = asyncio.Semaphore(500)

        async def one(number: int) -> None:
            async with gate:
                if self.left() <= 0:
                    return
                try:
                    reader, writer = await self._connect(_address(number, per=500, base=40))
                except (OSError, TimeoutError):
                    self.count("idle connect refused")
                    return
            self.count("idle sockets opened")
            try:
                while self.left() > 0:
                    await asyncio.sleep(min(5.0, max(0.0, self.left())))
                    if number % 10 == 0 and self.left() > 0:
                        writer.write(b"#")  # a byte every 5 s: must not hold the socket
                    if reader.at_eof():
                        self.count("idle sockets closed by the gateway")
                        return
            except OSError:
                self.count("idle sockets closed by the gateway")
            finally:
                writer.close()

        await asyncio.gather(*(one(n) for n in range(self.args.idle)))

    async def logins(self) -> None:
        import httpx

        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.web}", timeout=30) as client:

            async def one(number: int) -> None:
                while self.left() > 0:
                    try:
                        answer = await client.post(
                            "/api/v1/auth/token",
                            json={"username": "victim", "password": f"wrong-{number}-{secrets.token_hex(4)}"},
                        )
                        self.count(f"login {answer.status_code}")
                    except httpx.HTTPError as error:
                        self.count(f"login {type(error).__name__}")

            await asyncio.gather(*(one(n) for n in range(self.args.login_concurrency)))

    async def heavy(self) -> None:
        import httpx

        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.web}", timeout=60) as client:
            headers = {"Authorization": f"Bearer {self.heavy_token}"}

            async def one(number: int) -> None:
                step = number
                while self.left() > 0:
                    try:
                        answer = await client.get(HEAVY[step % len(HEAVY)], headers=headers)
                        self.count(f"heavy {answer.status_code}")
                    except httpx.HTTPError as error:
                        self.count(f"heavy {type(error).__name__}")
                    step += 1

            await asyncio.gather(*(one(n) for n in range(self.args.heavy_concurrency)))

    async def guesses(self) -> None:
        from ecowatch.gateway.simulator import SimDevice, make_upload
        from ecowatch.hj212 import Frame, FrameDecoder

        async def one(number: int) -> None:
            rng = random.Random(number)
            try:
                reader, writer = await self._connect(_address(number, per=10, base=60))
            except (OSError, TimeoutError):
                self.count("guesser connect refused")
                return
            decoder = FrameDecoder()
            sent = 0
            try:
                while self.left() > 0:
                    mn = f"{HONEST_PREFIX}2017{rng.randrange(1, self.args.devices + 1):015d}"
                    right = sent % 50 == 49
                    password = "123456" if right else f"{rng.randrange(10**6):06d}"
                    _, raw = make_upload(SimDevice(mn, password), 10_000 + sent, rng)
                    writer.write(raw)
                    sent += 1
                    self.count("guesses sent")
                    try:
                        chunk = await asyncio.wait_for(
                            reader.read(4096), timeout=min(1.0, max(0.05, self.left()))
                        )
                    except TimeoutError:
                        self.count("guesses unanswered")
                        continue
                    if not chunk:
                        self.count("guessers closed by the gateway")
                        return
                    decoder.feed(chunk)
                    for event in decoder.events():
                        if isinstance(event, Frame):
                            told = event.cn == 9014
                            self.count(
                                "right guesses told (9014)" if told else f"guesses answered {event.cn}"
                            )
            except OSError:
                self.count("guessers closed by the gateway")
            finally:
                writer.close()

        await asyncio.gather(*(one(n) for n in range(self.args.guessers)))

    async def run(self) -> dict[str, int]:
        import httpx

        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.web}", timeout=60) as client:
            signed = await client.post(
                "/api/v1/auth/token", json={"username": "heavy", "password": USERS["heavy"]}
            )
            signed.raise_for_status()  # before the login flood, whose throttle would refuse it
            self.heavy_token = signed.json()["access_token"]
        results = await asyncio.gather(
            self.junk(), self.idle(), self.logins(), self.heavy(), self.guesses(), return_exceptions=True
        )
        for name, result in zip(("junk", "idle", "logins", "heavy", "guesses"), results, strict=True):
            if isinstance(result, BaseException):
                self.count(f"{name} flood failed: {type(result).__name__}: {result}"[:120])
        return dict(sorted(self.counts.items()))


# -- the run ------------------------------------------------------------------------------------------


def run(args) -> dict:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    load = os.getloadavg()[0]
    folder = Path(tempfile.mkdtemp(prefix="ecowatch-attack-"))
    url, env = prepare(folder, args)
    serve, web_port, gateway_port = start_serve(env, args.serve_nofile, folder / "serve.log")
    sampler = _Sampler(serve.pid)
    try:
        time.sleep(1.0)  # the scheduler's jobs at start (blocks, partitions) settle before the baseline
        disk_before, rss_before = _folder_bytes(folder), _tree_rss_kib(serve.pid)
        sampler.start()
        honest = subprocess.Popen(
            [
                str(ECOWATCH),
                "hj212",
                "simulate",
                "--port",
                str(gateway_port),
                "--devices",
                str(args.devices),
                "--rate",
                str(args.rate),
                "--duration",
                str(args.duration),
                "--prefix",
                HONEST_PREFIX,
                "--no-register",
                "--json",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        poller = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--role",
                "poller",
                "--web-port",
                str(web_port),
                "--poll-rate",
                str(args.poll_rate),
                "--duration",
                str(args.duration),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(min(3.0, args.duration / 5))  # the devices connect and start sending, then the floods
        floods_for = max(1.0, args.duration - min(3.0, args.duration / 5) - 1.0)
        import uvloop

        floods = uvloop.run(_floods(args, web_port, gateway_port, floods_for))
        honest_out, honest_err = honest.communicate(timeout=args.duration + 120)
        poll_out, poll_err = poller.communicate(timeout=args.duration + 120)
        time.sleep(6.0)  # the store's next batch (store_interval_s 5 s) takes what was acknowledged
        disk_after, rss_after = _folder_bytes(folder), _tree_rss_kib(serve.pid)
    finally:
        sampler.stopping.set()
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=180)
        except subprocess.TimeoutExpired:
            serve.kill()
    try:
        devices = json.loads(honest_out)
    except json.JSONDecodeError:
        raise RuntimeError(f"simulator failed: {honest_out}{honest_err}") from None
    try:
        user = json.loads(poll_out)
    except json.JSONDecodeError:
        raise RuntimeError(f"poller failed: {poll_out}{poll_err}") from None
    from ecowatch.gateway.server import Limits

    junk_budget = Limits().junk_bytes_total
    honest_bytes = devices["acknowledged"] * 600  # ~600 bytes a simulated minute-data frame
    budget = junk_budget + args.honest_bytes_factor * honest_bytes
    growth = disk_after - disk_before
    return {
        "machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, load average before {load:.1f}",
        "duration_s": args.duration,
        "honest": {
            "devices": args.devices,
            "sent": devices["sent"],
            "acknowledged": devices["acknowledged"],
            "lost": devices["lost"],
            "connect_errors": devices["connect_errors"],
            "p50_ms": devices["p50_ms"],
            "p99_ms": devices["p99_ms"],
        },
        "user": user,
        "floods": floods,
        "disk": {
            "before_mb": round(disk_before / 1e6, 1),
            "after_mb": round(disk_after / 1e6, 1),
            "growth_mb": round(growth / 1e6, 1),
            "budget_mb": round(budget / 1e6, 1),
            "junk_budget_mb": round(junk_budget / 1e6, 1),
            "honest_mb": round(honest_bytes / 1e6, 1),
        },
        "memory": {
            "rss_before_mb": round(rss_before / 1024, 1),
            "rss_peak_mb": round(sampler.peak / 1024, 1),
            "rss_after_mb": round(rss_after / 1024, 1),
        },
        "server_log": {
            "lines": getattr(serve, "log_lines", 0),
            "tracebacks": getattr(serve, "tracebacks", 0),
        },
        "bars": {
            "honest p99 < 1 s": devices["p99_ms"] < 1000,
            "nothing lost": devices["lost"] == 0,
            "user p99 < 1 s": user["p99_ms"] < 1000 and not user["errors"],
            "store growth <= budget": growth <= budget,
            "no right guess told": floods.get("right guesses told (9014)", 0) == 0,
        },
        "data_folder": str(folder),
    }


async def _floods(args, web_port: int, gateway_port: int, seconds: float) -> dict[str, int]:
    return await Floods(args, web_port, gateway_port, time.monotonic() + seconds).run()


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if args.role == "poller":
        import uvloop

        print(json.dumps(uvloop.run(poll(args.web_port, args.poll_rate, args.duration))))
        return
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    honest, user, disk, memory = result["honest"], result["user"], result["disk"], result["memory"]
    print(
        f"ecowatch serve under attack for {result['duration_s']} s on {result['machine']} "
        "(indicative: shared machine)"
    )
    print(
        f"  honest devices: {honest['devices']}, {honest['acknowledged']:,} of {honest['sent']:,} frames "
        f"acknowledged, {honest['lost']} lost; reply p50 {honest['p50_ms']} ms, p99 {honest['p99_ms']} ms"
    )
    print(
        f"  user: {user['requests']} requests, p50 {user['p50_ms']} ms, p99 {user['p99_ms']} ms, "
        f"max {user['max_ms']} ms, errors {user['errors'] or 'none'}"
    )
    print(
        f"  disk: {disk['before_mb']} -> {disk['after_mb']} MB (+{disk['growth_mb']} MB; "
        f"budget {disk['budget_mb']} MB = junk {disk['junk_budget_mb']} + honest {disk['honest_mb']} "
        "x factor)"
    )
    print(
        f"  memory (serve + store process): {memory['rss_before_mb']} -> peak {memory['rss_peak_mb']}, "
        f"after {memory['rss_after_mb']} MB"
    )
    print(
        f"  server log: {result['server_log']['lines']} lines, "
        f"{result['server_log']['tracebacks']} tracebacks"
    )
    print("  floods: " + ", ".join(f"{name} {count:,}" for name, count in result["floods"].items()))
    print(
        "  bars: " + ", ".join(f"{name}: {'PASS' if ok else 'FAIL'}" for name, ok in result["bars"].items())
    )


if __name__ == "__main__":
    main()
