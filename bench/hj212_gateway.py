"""HJ 212 gateway throughput: ``ecowatch gateway`` and ``ecowatch hj212 simulate`` as separate processes.

For each connection count: register that many simulated devices (a site each), start the gateway
on a fresh store and journal, run the simulator (``--rate`` frames/s in total for ``--duration`` s,
every reply checked), stop the gateway (SIGTERM: it drains into the store), then count what the
store kept.  The gateway is cold, as after every restart: no warm-up frame hides the first check of
each device's password (issue 14: with one Argon2 check per device, 300 devices at 3,000 frames/s got
191 frames/s acknowledged and p99 7.2 s).  Prints, per run: frames/s sent and acknowledged, reply
latency p50/p90/p99 as the devices saw it, frames lost (no reply), and acknowledged frames missing
from the store (must be 0).

``--reconnect N``: then N devices connect at once to a freshly started gateway and send one frame
each, as after a deploy or crash; prints when the last one was answered (bar: all within 5 s).

    .venv/bin/python bench/hj212_gateway.py [--connections 300] [--rate 3000] [--duration 10]
                                            [--reconnect 10000] [--version 2017] [--db URL] [--json]

``bench/hj212.py --gateway`` calls :func:`gateway_figures` with its unknown options.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ECOWATCH = Path(sys.executable).parent / "ecowatch"
LISTENING = re.compile(r"listening on [\d.]+:(\d+)")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--connections", default="1000,10000", help="comma-separated connection counts")
    p.add_argument("--rate", type=float, default=10_000, help="frames per second, all devices together")
    p.add_argument("--duration", type=float, default=10, help="seconds of sending per run")
    p.add_argument("--version", default="2017", choices=("2005", "2017", "2025"))
    p.add_argument("--db", help="store URL, an empty database (default: a fresh SQLite file per run)")
    p.add_argument("--fsync-in-thread", action="store_true", help="gateway journal fsync in a worker thread")
    p.add_argument(
        "--reconnect",
        type=int,
        default=0,
        help="devices connecting at once to a cold gateway, one frame each (0: none)",
    )
    p.add_argument("--json", action="store_true")
    return p


def _cpu_seconds(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of a running process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


class _CpuSampler(threading.Thread):
    """CPU seconds of the gateway and its store process, read every 0.1 s, so that the figures cover
    the simulator's sending window only (not connecting, warming up or draining)."""

    def __init__(self, gateway: int, helpers: list[int]) -> None:
        super().__init__(daemon=True)
        self.gateway, self.helpers = gateway, helpers
        self.samples: list[tuple[float, dict[str, float]]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            user, system = _cpu_seconds(self.gateway)
            store = sum(sum(_cpu_seconds(pid)) for pid in self.helpers)
            self.samples.append(
                (time.time(), {"gateway": user + system, "gateway_system": system, "store": store})
            )
            self.stopping.wait(0.1)

    def stop(self) -> None:
        self.stopping.set()
        self.join()

    def within(self, start: float, end: float, name: str) -> float:
        def at(moment: float) -> float:
            earlier = [values[name] for when, values in self.samples if when <= moment]
            return earlier[-1] if earlier else self.samples[0][1][name]

        return at(end) - at(start)


def _stored(url: str, prefix: str) -> int:
    from sqlalchemy import func, select

    from ecowatch.store import make_engine, session_factory
    from ecowatch.store.models import Hj212Frame

    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return session.scalar(
                select(func.count()).select_from(Hj212Frame).where(Hj212Frame.mn.like(f"{prefix}%"))
            )
    finally:
        engine.dispose()


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in task.read_text().split()]
    return found


def _start_gateway(
    url: str, folder: Path, connections: int, fsync_in_thread: bool, env: dict
) -> tuple[subprocess.Popen, int]:
    gateway = subprocess.Popen(
        [
            str(ECOWATCH),
            "gateway",
            "--port",
            "0",
            "--db",
            url,
            "--journal",
            str(folder / "journal"),
            "--max-connections",
            str(connections + 100),
        ]
        + (["--fsync-in-thread"] if fsync_in_thread else []),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    port = None
    log: list[str] = []
    while port is None:
        line = gateway.stdout.readline()
        if not line:
            raise RuntimeError("gateway did not start:\n" + "".join(log))
        log.append(line)
        found = LISTENING.search(line)
        port = int(found.group(1)) if found else None
    return gateway, port


def _fresh(db: str | None) -> tuple[Path, dict, str]:
    folder = Path(tempfile.mkdtemp(prefix="ecowatch-bench-"))
    env = {**os.environ, "ECOWATCH_DATA_DIR": str(folder)}
    os.environ["ECOWATCH_DATA_DIR"] = str(folder)
    return folder, env, db or f"sqlite:///{folder / 'bench.db'}"


def run_reconnect(devices_count: int, version: str, db: str | None) -> dict:
    """``devices_count`` devices connecting at once to a cold gateway, one frame each."""
    import uvloop

    from ecowatch.gateway.simulator import reconnect, register_simulated_devices, simulated_devices

    folder, env, url = _fresh(db)
    devices = simulated_devices(devices_count, version=version, prefix=f"STORM{version}")
    register_simulated_devices(url, devices)
    gateway, port = _start_gateway(url, folder, devices_count, False, env)
    try:
        before = sum(_cpu_seconds(gateway.pid))
        load = os.getloadavg()[0]
        report = uvloop.run(reconnect("127.0.0.1", port, devices, timeout_s=60))
        # The gateway's own CPU time for the whole storm: on a shared machine the wall-clock figure
        # says as much about the other processes as about the gateway.
        cpu = sum(_cpu_seconds(gateway.pid)) - before
    finally:
        gateway.send_signal(signal.SIGTERM)
        gateway.communicate(timeout=600)
    return {**report.figures(), "gateway_cpu_s": round(cpu, 2), "load_average_before": round(load, 1)}


def run_once(
    connections: int,
    rate: float,
    duration: float,
    version: str,
    db: str | None,
    fsync_in_thread: bool = False,
) -> dict:
    from ecowatch.gateway.simulator import register_simulated_devices, simulated_devices

    folder, env, url = _fresh(db)
    prefix = "BENCH"
    devices = simulated_devices(connections, version=version, prefix=f"{prefix}{version}")
    started = time.perf_counter()
    register_simulated_devices(url, devices)
    registering = time.perf_counter() - started
    gateway, port = _start_gateway(url, folder, connections, fsync_in_thread, env)
    helpers = _children(gateway.pid)  # the store process
    sampler = _CpuSampler(gateway.pid, helpers)
    sampler.start()
    simulator = subprocess.run(
        [
            str(ECOWATCH),
            "hj212",
            "simulate",
            "--port",
            str(port),
            "--devices",
            str(connections),
            "--rate",
            str(rate),
            "--duration",
            str(duration),
            "--version",
            version,
            "--prefix",
            prefix,
            "--no-register",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    stored_when_sent = _stored(url, prefix)
    sampler.stop()
    stopping = time.perf_counter()
    gateway.send_signal(signal.SIGTERM)
    rest, _ = gateway.communicate(timeout=600)
    drain_s = time.perf_counter() - stopping
    try:
        figures = json.loads(simulator.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"simulator failed: {simulator.stdout}{simulator.stderr}") from None
    stored = _stored(url, f"{prefix}{version}")
    window = (figures["started_at"], figures["ended_at"])
    cpu_gateway = sampler.within(*window, "gateway")
    cpu_gateway_system = sampler.within(*window, "gateway_system")
    cpu_helpers = sampler.within(*window, "store")
    acknowledged_total = figures["acknowledged"]
    stats = {}
    for line in rest.splitlines():
        if line.startswith("stopped: "):
            stats = json.loads(line[len("stopped: ") :])
    return {
        "connections": connections,
        "connected": figures["connected"],
        "target_rate": rate,
        "duration_s": duration,
        "version": version,
        "sent_per_s": figures["send_rate"],
        "acknowledged_per_s": round(figures["acknowledged"] / duration, 1),
        "sent": figures["sent"],
        "acknowledged": figures["acknowledged"],
        "lost_no_reply": figures["lost"],
        "wrong_replies": figures["wrong_replies"],
        "p50_ms": figures["p50_ms"],
        "p90_ms": figures["p90_ms"],
        "p99_ms": figures["p99_ms"],
        "stored_frames": stored,
        "acknowledged_missing_from_store": max(0, acknowledged_total - stored),
        "gateway_cpu_s_while_sending": round(cpu_gateway, 1),
        "gateway_system_cpu_s": round(cpu_gateway_system, 1),
        "store_process_cpu_s_while_sending": round(cpu_helpers, 1),
        "simulator_cpu_s_while_sending": round(figures["cpu_s"], 1),
        # Acknowledged frames not yet in the store when the simulator ended: a store that keeps up lags
        # by about one batch; one that grows with the duration would, run long enough, pause the intake.
        "store_lag_at_end": max(0, acknowledged_total - stored_when_sent),
        "store_drain_after_stop_s": round(drain_s, 1),
        "backpressure_pauses": stats.get("paused"),
        "register_devices_s": round(registering, 1),
        "journal_fsync": "worker thread" if fsync_in_thread else "event loop",
    }


def gateway_figures(args) -> dict:
    """The figures for ``bench/hj212.py --gateway`` (its unknown options are ours, in ``args.rest``)."""
    ours = parser().parse_args(getattr(args, "rest", []) or [])
    return figures(ours)


def figures(args) -> dict:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    load = os.getloadavg()[0]  # other work on the machine skews every figure below
    runs = [
        run_once(int(n), args.rate, args.duration, args.version, args.db, args.fsync_in_thread)
        for n in args.connections.split(",")
        if n.strip()
    ]
    storm = run_reconnect(args.reconnect, args.version, args.db) if args.reconnect else None
    from ecowatch.store.db import display_url

    return {
        "machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, load average before {load:.1f}",
        "store": display_url(args.db) if args.db else "SQLite file",
        "runs": runs,
        "reconnect": storm,
    }


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    result = figures(args)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"HJ 212 gateway + simulator as separate processes on {result['machine']}; store {result['store']}")
    for run in result["runs"]:
        print(
            f"{run['connections']:>6} connections, {run['version']}, target {run['target_rate']:,.0f} "
            f"frames/s for {run['duration_s']} s: sent {run['sent_per_s']:,.0f}/s, "
            f"acknowledged {run['acknowledged_per_s']:,.0f}/s; "
            f"reply p50 {run['p50_ms']} ms, p90 {run['p90_ms']} ms, p99 {run['p99_ms']} ms; "
            f"lost {run['lost_no_reply']}, wrong replies {run['wrong_replies']}, acknowledged but not stored "
            f"{run['acknowledged_missing_from_store']}; "
            f"store lag at end {run['store_lag_at_end']:,} frames; "
            f"CPU s: gateway {run['gateway_cpu_s_while_sending']} (system {run['gateway_system_cpu_s']}), "
            f"store process {run['store_process_cpu_s_while_sending']}, simulator "
            f"{run['simulator_cpu_s_while_sending']}; "
            f"drain {run['store_drain_after_stop_s']} s, "
            f"pauses {run['backpressure_pauses']}"
        )
    storm = result["reconnect"]
    if storm:
        print(
            f"{storm['devices']:>6} devices reconnecting at once to a cold gateway: "
            f"{storm['answered']} answered, "
            f"the last after {storm['last_answer_s']} s (bar 5 s); per device p50 {storm['p50_ms']} ms, "
            f"p99 {storm['p99_ms']} ms; connect errors {storm['connect_errors']}, wrong replies "
            f"{storm['wrong_replies']}; gateway CPU {storm['gateway_cpu_s']} s; load average before "
            f"{storm['load_average_before']}"
        )


if __name__ == "__main__":
    main()
