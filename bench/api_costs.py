"""What one user's costly requests cost the others (issue 14, "Any staff user can stall the API").

On the Beijing PRSA store of ``bench/api.py`` (2.45 M hourly values; loaded on first use), served by
uvicorn in a subprocess, it prints

- single requests (median of ``--repeat``): a first page, ``offset=10000`` (the deepest allowed), a
  page at the end of the table by cursor, ``offset=10000000`` and an unknown ``pollutant=`` (both
  refused), a pollutant no air station reports (the whole index read, under the read budget), an XLSX
  of four weeks of every station (refused at once: background export) and that export as a job (time to
  202 and until the file is made);
- fairness: ``--attackers`` clients of one user send costly reads back to back for ``--seconds`` while
  another user polls the site list at ``--rate``/s: that user's p50/p99 and the attacker's answers by
  status (the attacker gets 429 past two requests in flight).

Figures from a shared machine are indicative only.

    .venv/bin/python bench/api_costs.py [--sqlite FILE] [--postgres URL] [--seconds 10] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api import PASSWORD, Connections, figures, prepare, sign_in, start_server
from ecowatch.store import make_engine, session_factory
from ecowatch.store.models import Measurement
from ecowatch.store.users import create_user, get_user
from ecowatch.web.api.measurements import encode_cursor

OTHER = "bench-other"
FOUR_WEEKS = "from=2016-02-01&to=2016-02-28"


def add_other_user(url: str) -> str:
    """A second admin and a cursor pointing near the end of the table."""
    engine = make_engine(url)
    try:
        with session_factory(engine).begin() as session:
            if get_user(session=session, username=OTHER) is None:
                create_user(session=session, username=OTHER, password=PASSWORD, role="admin", actor="bench")
            last = session.execute(
                select(Measurement.site_id, Measurement.time, Measurement.pollutant)
                .where(Measurement.interval == "1h")
                .order_by(Measurement.site_id.desc(), Measurement.time.desc(), Measurement.pollutant.desc())
                .offset(500)
                .limit(1)
            ).one()
        return encode_cursor("1h", last.site_id, last.time, last.pollutant)
    finally:
        engine.dispose()


async def timed(client: httpx.AsyncClient, path: str, headers: dict[str, str], repeat: int) -> dict:
    seconds, codes = [], Counter()
    for _ in range(repeat):
        started = time.perf_counter()
        answer = await client.get(path, headers=headers)
        seconds.append(time.perf_counter() - started)
        codes[answer.status_code] += 1
    return {"median_ms": round(statistics.median(seconds) * 1000, 1), "status": dict(codes)}


async def export_job(client: httpx.AsyncClient, headers: dict[str, str]) -> dict:
    started = time.perf_counter()
    body = {"format": "xlsx", "from": "2016-02-01", "to": "2016-02-28"}
    posted = await client.post("/api/v1/exports", json=body, headers=headers)
    accepted = time.perf_counter() - started
    if posted.status_code != 202:
        return {"status": posted.status_code, "detail": posted.text[:200]}
    job = posted.json()
    polls = 0
    while job["status"] not in ("done", "failed"):
        await asyncio.sleep(0.5)  # a client's polling interval, not a wait for an event of ours
        job = (await client.get(f"/api/v1/exports/{job['id']}", headers=headers)).json()
        polls += 1
    return {
        "accepted_ms": round(accepted * 1000, 1),
        "made_s": round(time.perf_counter() - started, 2),
        "rows": job["rows"],
        "status": job["status"],
        "polls": polls,
    }


async def fairness(base: str, attacker: dict[str, str], other: dict[str, str], args) -> dict:
    costly = "/api/v1/measurements?pollutant=a21026&limit=100"  # read to the end of the index: the worst
    victim = Connections(base, other, size=16)
    attack = Connections(base, attacker, size=args.attackers)
    await victim.open()
    await attack.open()
    codes: Counter[int] = Counter()
    stop = time.perf_counter() + args.seconds

    async def attacker_loop() -> None:
        while time.perf_counter() < stop:
            codes[await attack.get(costly)] += 1

    async def victim_loop() -> dict:
        latencies, errors, tasks = [], 0, []

        async def one(scheduled: float) -> None:
            nonlocal errors
            status = await victim.get("/api/v1/sites?limit=100")
            latencies.append(time.perf_counter() - scheduled)
            errors += status != 200

        start = time.perf_counter() + 0.2
        for i in range(int(args.rate * args.seconds)):
            scheduled = start + i / args.rate
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            tasks.append(asyncio.create_task(one(scheduled)))
        await asyncio.gather(*tasks)
        return figures(latencies, args.seconds, errors)

    try:
        attackers = [asyncio.create_task(attacker_loop()) for _ in range(args.attackers)]
        polled = await victim_loop()
        await asyncio.gather(*attackers)
    finally:
        await victim.close()
        await attack.close()
    return {"other user, site list": polled, "attacker answers": dict(codes)}


async def measure(base: str, deep_cursor: str, args) -> dict:
    async with httpx.AsyncClient(base_url=base, timeout=300) as client:
        admin = await sign_in(client)
        signed = await client.post("/api/v1/auth/token", json={"username": OTHER, "password": PASSWORD})
        other = {"Authorization": f"Bearer {signed.json()['access_token']}"}
        single = {
            "first page": "/api/v1/measurements?limit=100",
            "offset=10000": "/api/v1/measurements?limit=100&offset=10000",
            "cursor at the end": f"/api/v1/measurements?limit=100&cursor={deep_cursor}",
            "offset=10000000 (refused)": "/api/v1/measurements?limit=100&offset=10000000",
            "unknown pollutant (refused)": "/api/v1/measurements?pollutant=PM25",
            "pollutant no station reports": "/api/v1/measurements?pollutant=a21026",
            f"XLSX {FOUR_WEEKS} (to a job)": f"/api/v1/measurements?{FOUR_WEEKS}&format=xlsx",
        }
        results = {name: await timed(client, path, admin, args.repeat) for name, path in single.items()}
        results["export job, XLSX four weeks"] = await export_job(client, admin)
    results.update(await fairness(base, admin, other, args))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", help="SQLite file (kept; default: a temporary one)")
    parser.add_argument("--postgres", help="Run on this PostgreSQL database instead")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--attackers", type=int, default=8)
    parser.add_argument("--rate", type=float, default=10.0, help="The other user's requests/s")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="ecowatch-bench-costs-")
    url = args.postgres or f"sqlite:///{args.sqlite or Path(folder) / 'bench.db'}"
    prepare(url, reload=False)
    deep_cursor = add_other_user(url)
    process, base = start_server(url)
    try:
        results = asyncio.run(measure(base, deep_cursor, args))
    finally:
        process.terminate()
        process.wait(timeout=30)
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
        return
    table = Table(
        title=f"API costs ({'PostgreSQL' if args.postgres else 'SQLite'}; shared machine: indicative)"
    )
    table.add_column("what")
    table.add_column("figures")
    for name, value in results.items():
        table.add_row(name, json.dumps(value, ensure_ascii=False))
    Console().print(table)


if __name__ == "__main__":
    main()
