"""Benchmark of the web API over real HTTP: requests/s and latency with the Beijing data loaded.

Loads the Beijing PRSA demo data (12 stations, 2013-03..2017-02, 2.45 M values) into SQLite (and
PostgreSQL with ``--postgres URL``) as ``ecowatch db load`` does, starts ``uvicorn`` with
:func:`ecowatch.web.app.create_app` in a subprocess, signs in, and measures

- closed loop (``--concurrency`` clients back to back): requests/s, p50 and p99 of the site list,
  AQI now and the whole-year (2016) city assessment — the latter also cold (first request after the
  server starts), once with the hourly blocks built (as ``db load`` and the scheduler leave them)
  and with December's or every block stale (read row by row, as after new data until the scheduler
  builds them again);
- open loop on AQI now at ``--rate`` requests/s for ``--seconds``: p50/p99 measured from each
  request's scheduled start, so a server falling behind shows in the figures.

Bar (issue 5): p99 < 100 ms at 200 requests/s on AQI now; a whole-year city assessment < 1 s.

    .venv/bin/python bench/api.py [--postgres postgresql://...] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select, update

from ecowatch.loading import load_files
from ecowatch.store import make_engine, migrate, session_factory
from ecowatch.store.blocks import build_hourly_blocks
from ecowatch.store.models import Measurement, MeasurementMonth
from ecowatch.store.users import create_user, get_user

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "demo" / "beijing-prsa"
USER, PASSWORD = "bench-admin", "bench-admin-password"
YEAR = "from=2016-01-01&to=2016-12-31"
ENDPOINTS = {
    "site list": "/api/v1/sites?limit=100",
    "AQI now": "/api/v1/air/aqi/now",
    "assessment 2016": f"/api/v1/air/assessment?{YEAR}",
}
SERVER = """
import sys, uvicorn
from ecowatch.web.app import create_app
uvicorn.run(create_app(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning",
            loop="uvloop", http="httptools", timeout_keep_alive=60, backlog=4096)
"""


def prepare(url: str, reload: bool) -> float | None:
    """Migrate, load the demo data unless already there (blocks built), add the bench user; the load
    time [s] or None."""
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        with session_factory(engine)() as session:
            loaded = session.scalar(select(func.count()).select_from(Measurement)) or 0
        seconds = None
        if reload or loaded < 2_000_000:
            started = time.perf_counter()
            load_files(url=url, path=DATA, format="prsa", actor="bench")
            seconds = time.perf_counter() - started
        build_hourly_blocks(engine, progress=True)  # a store loaded before migration 0003 has none yet
        with session_factory(engine).begin() as session:
            if get_user(session=session, username=USER) is None:
                create_user(session=session, username=USER, password=PASSWORD, role="admin", actor="bench")
        return seconds
    finally:
        engine.dispose()


#: Cold assessments with some blocks stale: (name, months made stale; None = all).
STALE_CASES = [("December's blocks stale", [dt.date(2016, 12, 1)]), ("every block stale", None)]


def make_blocks_stale(url: str, months: list[dt.date] | None) -> None:
    """Mark the hourly blocks of ``months`` (None: all) stale, as if those months had changed since."""
    engine = make_engine(url)
    try:
        with session_factory(engine).begin() as session:
            stale = update(MeasurementMonth).values(built_version=None)
            session.execute(stale if months is None else stale.where(MeasurementMonth.month.in_(months)))
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url: str, script: str = SERVER, *args: str) -> tuple[subprocess.Popen, str]:
    """``script`` (argv: url, port, ``args``) in a subprocess, once it answers: (process, base URL)."""
    port = free_port()
    env = os.environ | {"ECOWATCH_SECRET_KEY": secrets.token_hex(32)}
    process = subprocess.Popen([sys.executable, "-c", script, url, str(port), *args], env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/openapi.json", timeout=2).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("the server did not start within 60 s")


def figures(latencies: list[float], wall: float, errors: int) -> dict[str, float]:
    array = np.array(latencies) * 1000
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": round(len(latencies) / wall, 1),
        "p50_ms": round(float(np.percentile(array, 50)), 1),
        "p99_ms": round(float(np.percentile(array, 99)), 1),
    }


class Connections:
    """Keep-alive HTTP/1.1 connections for GETs, on bare asyncio streams.

    A load generator on the same two cores as the server must cost far less than the server per
    request; httpx's async client costs about as much, and would measure itself.
    """

    def __init__(self, base: str, headers: dict[str, str], size: int) -> None:
        url = httpx.URL(base)
        self.host, self.port = url.host, url.port
        self.header_text = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.size = size
        self.idle: asyncio.Queue = asyncio.Queue()

    async def open(self) -> None:
        for _ in range(self.size):
            self.idle.put_nowait(await asyncio.open_connection(self.host, self.port))

    async def close(self) -> None:
        while not self.idle.empty():
            _, writer = self.idle.get_nowait()
            writer.close()

    async def get(self, path: str) -> int:
        """GET ``path`` on an idle connection (waiting for one if none is idle); the status code.

        A connection the server closed (its keep-alive timeout) is opened again and the request
        sent once more.
        """
        reader, writer = await self.idle.get()
        for attempt in (1, 2):
            try:
                writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.header_text}\r\n".encode())
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                status = int(lines[0].split(" ", 2)[1])
                fields = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                await reader.readexactly(int(fields["content-length"]))
                break
            except (ConnectionError, asyncio.IncompleteReadError):
                writer.close()
                reader, writer = await asyncio.open_connection(self.host, self.port)
                if attempt == 2:
                    self.idle.put_nowait((reader, writer))
                    raise
        self.idle.put_nowait((reader, writer))
        return status


async def closed_loop(pool: Connections, path: str, total: int, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    remaining = total

    async def worker() -> None:
        nonlocal remaining, errors
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            status = await pool.get(path)
            latencies.append(time.perf_counter() - started)
            errors += status != 200

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return figures(latencies, time.perf_counter() - started, errors)


async def open_loop(pool: Connections, path: str, rate: float, seconds: float) -> dict[str, float]:
    """Requests started on a fixed schedule; latency counts from the scheduled start
    (no coordinated omission)."""
    latencies: list[float] = []
    errors = 0
    tasks = []

    async def one(scheduled: float) -> None:
        nonlocal errors
        status = await pool.get(path)
        latencies.append(time.perf_counter() - scheduled)
        errors += status != 200

    start = time.perf_counter() + 0.1
    for i in range(int(rate * seconds)):
        scheduled = start + i / rate
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    result = figures(latencies, time.perf_counter() - start, errors)
    result["offered_rps"] = rate
    return result


async def sign_in(client: httpx.AsyncClient) -> dict[str, str]:
    signed_in = await client.post("/api/v1/auth/token", json={"username": USER, "password": PASSWORD})
    signed_in.raise_for_status()
    return {"Authorization": f"Bearer {signed_in.json()['access_token']}"}


async def cold_assessment(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, float]:
    started = time.perf_counter()
    (await client.get(ENDPOINTS["assessment 2016"], headers=headers)).raise_for_status()
    return {"requests": 1, "errors": 0, "seconds": round(time.perf_counter() - started, 3)}


async def measure_cold_only(base: str) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        return await cold_assessment(client, await sign_in(client))


async def measure(base: str, args: argparse.Namespace) -> dict[str, dict]:
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        headers = await sign_in(client)
        results: dict[str, dict] = {"assessment 2016, cold": await cold_assessment(client, headers)}
        for path in ENDPOINTS.values():  # the first AQI now computes each station's latest hour
            (await client.get(path, headers=headers)).raise_for_status()
    pool = Connections(base, headers, size=max(args.concurrency, 64))
    await pool.open()
    try:
        for name, path in ENDPOINTS.items():
            results[name] = await closed_loop(pool, path, args.requests, args.concurrency)
        results[f"AQI now, open loop {args.rate:g}/s"] = await open_loop(
            pool, ENDPOINTS["AQI now"], args.rate, args.seconds
        )
    finally:
        await pool.close()
    return results


def run_backend(name: str, url: str, args: argparse.Namespace) -> dict:
    load_seconds = prepare(url, args.reload)
    process, base = start_server(url)
    try:
        results = asyncio.run(measure(base, args))
    finally:
        process.terminate()
        process.wait(timeout=30)
    for case, months in STALE_CASES:
        make_blocks_stale(url, months)
        process, base = start_server(url)
        try:
            results[f"assessment 2016, cold, {case}"] = asyncio.run(measure_cold_only(base))
        finally:
            process.terminate()
            process.wait(timeout=30)
    engine = make_engine(url)
    build_hourly_blocks(engine)
    engine.dispose()
    return {
        "backend": name,
        "load_seconds": None if load_seconds is None else round(load_seconds, 1),
        "results": results,
    }


def print_table(runs: list[dict], args: argparse.Namespace) -> None:
    console = Console()
    for run in runs:
        loaded = f", loaded in {run['load_seconds']} s" if run["load_seconds"] is not None else ""
        table = Table(
            title=f"{run['backend']}{loaded}: concurrency {args.concurrency}, {args.requests} requests each"
        )
        for column in ("endpoint", "requests", "errors", "req/s", "p50 ms", "p99 ms", "s"):
            table.add_column(column, justify="left" if column == "endpoint" else "right")
        for name, result in run["results"].items():
            table.add_row(
                name,
                str(result["requests"]),
                str(result["errors"]),
                str(result.get("rps", "")),
                str(result.get("p50_ms", "")),
                str(result.get("p99_ms", "")),
                str(result.get("seconds", "")),
            )
        console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="Also run on this PostgreSQL database (postgresql://...)")
    parser.add_argument("--sqlite", help="SQLite file to use (kept; default: a temporary one)")
    parser.add_argument("--requests", type=int, default=400, help="Requests per closed-loop endpoint")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=float, default=200.0, help="Open-loop requests/s on AQI now")
    parser.add_argument("--seconds", type=float, default=10.0, help="Open-loop duration")
    parser.add_argument("--skip-sqlite", action="store_true", help="Only PostgreSQL (with --postgres)")
    parser.add_argument("--reload", action="store_true", help="Load the data even if the store has them")
    parser.add_argument("--json", action="store_true", help="Print JSON instead of tables")
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory(prefix="ecowatch-bench-") as folder:
        sqlite_file = Path(args.sqlite) if args.sqlite else Path(folder) / "bench.db"
        if not args.skip_sqlite:
            runs.append(run_backend("SQLite", f"sqlite:///{sqlite_file}", args))
        if args.postgres:
            runs.append(run_backend("PostgreSQL", args.postgres, args))
    if args.json:
        sys.stdout.write(json.dumps(runs, indent=2) + "\n")
    else:
        print_table(runs, args)


if __name__ == "__main__":
    main()
