"""Benchmark of a login flood (issue 14): how fast other requests are answered while it runs.

Starts ``uvicorn`` with :func:`ecowatch.web.app.create_app` in a subprocess on a fresh SQLite store
(one admin user), then for each flood size (``--floods``, default 0, 16 and 48 concurrent clients)
runs for ``--seconds``:

- the flood, in a process of its own: each client posts wrong passwords for made-up user names back
  to back, without waiting for ``Retry-After``;
- a user polling ``GET /api/v1/sites`` ``--rate`` times a second (open loop: latency counts from each
  request's scheduled start, so a server falling behind shows).

Prints the user's p50/p99/max and the flood's answers by status.  With ``--unthrottled`` the
throttle's limits are raised out of reach, so every wrong sign-in costs an Argon2 check and the
figures show what bounding the hashing alone does (the issue's numbers before: p99 5.5 s at 16,
12.7 s at 48).  Figures from a machine shared with other work are indicative only.

    .venv/bin/python bench/login_flood.py [--floods 0,16,48] [--seconds 10] [--unthrottled] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np

from ecowatch.store import make_engine, migrate, session_factory
from ecowatch.store.users import create_user

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api import start_server  # bench/api.py, beside this script

USER, PASSWORD = "bench-admin", "bench-admin-password"
SERVER = """
import datetime as dt, sys, uvicorn
from ecowatch.web.app import create_app
from ecowatch.web.throttle import SignInThrottle, ThrottleRule
app = create_app(sys.argv[1])
if sys.argv[3] == "unthrottled":
    loose = ThrottleRule(free_failures=10**9, first_lockout=dt.timedelta(seconds=1),
                         max_lockout=dt.timedelta(seconds=1), forget_after=dt.timedelta(hours=1))
    app.state.ecowatch.throttle = SignInThrottle(account=loose, address=loose)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", loop="uvloop",
            http="httptools", timeout_keep_alive=60, backlog=4096)
"""


def prepare(url: str) -> None:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        with session_factory(engine).begin() as session:
            create_user(session=session, username=USER, password=PASSWORD, role="admin", actor="bench")
    finally:
        engine.dispose()


async def _guess(base: str, flood: int, stop_at: float) -> dict[int, int]:
    statuses: Counter[int] = Counter()
    limits = httpx.Limits(max_connections=flood)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:

        async def guesser(number: int) -> None:
            attempt = 0
            while time.time() < stop_at:
                attempt += 1
                guess = {"username": f"guess{number}x{attempt}", "password": "w" * 12}
                answer = await client.post("/api/v1/auth/token", json=guess)
                statuses[answer.status_code] += 1

        await asyncio.gather(*(guesser(n) for n in range(flood)))
    return dict(statuses)


def flood_process(base: str, flood: int, stop_at: float, answers: multiprocessing.Queue) -> None:
    """The flood, in a process of its own: its client's work must not delay the user's requests."""
    answers.put(asyncio.run(_guess(base, flood, stop_at)))


async def poll(base: str, headers: dict[str, str], seconds: float, rate: float) -> list[float]:
    """The user's requests on a fixed schedule; each latency counts from its scheduled start."""
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        start = time.monotonic()
        pending = []
        for index in range(int(seconds * rate)):
            scheduled = start + index / rate
            await asyncio.sleep(max(0.0, scheduled - time.monotonic()))

            async def one(scheduled: float = scheduled) -> None:
                answer = await client.get("/api/v1/sites?limit=10", headers=headers)
                answer.raise_for_status()
                latencies.append(time.monotonic() - scheduled)

            pending.append(asyncio.ensure_future(one()))
        await asyncio.gather(*pending)
    return latencies


def phase(base: str, headers: dict[str, str], flood: int, seconds: float, rate: float) -> dict:
    answers: multiprocessing.Queue = multiprocessing.Queue()
    guessing = None
    if flood:
        guessing = multiprocessing.Process(
            target=flood_process, args=(base, flood, time.time() + seconds, answers)
        )
        guessing.start()
    latencies = asyncio.run(poll(base, headers, seconds, rate))
    statuses = {}
    if guessing is not None:
        statuses = answers.get(timeout=300)
        guessing.join()
    array = np.array(latencies) * 1000
    return {
        "flood": flood,
        "user_requests": len(latencies),
        "user_p50_ms": round(float(np.percentile(array, 50)), 1),
        "user_p99_ms": round(float(np.percentile(array, 99)), 1),
        "user_max_ms": round(float(array.max()), 1),
        "flood_answers": dict(sorted(statuses.items())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--floods", default="0,16,48", help="concurrent guessing clients, per phase")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--rate", type=float, default=10.0, help="the user's requests per second")
    parser.add_argument("--unthrottled", action="store_true", help="raise the throttle's limits out of reach")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    mode = "unthrottled" if options.unthrottled else "throttled"
    results = []
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        prepare(url)
        for flood in (int(n) for n in options.floods.split(",")):
            # A server per phase: the throttle's state of one phase does not carry into the next.
            process, base = start_server(url, SERVER, mode)
            try:
                token = httpx.post(
                    f"{base}/api/v1/auth/token", json={"username": USER, "password": PASSWORD}, timeout=30
                ).json()["access_token"]
                headers = {"Authorization": f"Bearer {token}"}
                results.append(phase(base, headers, flood, options.seconds, options.rate))
            finally:
                process.terminate()
                process.wait()
    if options.json:
        print(json.dumps({"mode": mode, "phases": results}, indent=2))
        return
    print(f"login flood ({mode}), {options.seconds:g} s a phase, the user at {options.rate:g} requests/s")
    for row in results:
        print(
            f"  flood {row['flood']:>3}: user p50 {row['user_p50_ms']:>7} ms  "
            f"p99 {row['user_p99_ms']:>7} ms  "
            f"max {row['user_max_ms']:>7} ms  ({row['user_requests']} requests); "
            f"flood answers {row['flood_answers']}"
        )


if __name__ == "__main__":
    main()
