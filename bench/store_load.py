"""Benchmark of ``ecowatch db load``: the Beijing PRSA set into a fresh SQLite file and PostgreSQL schema.

    .venv/bin/python bench/store_load.py [--data DIR] [--postgres URL] [--json]

Each backend loads in a process of its own (its peak memory is its own), into an empty store at the
latest schema: reading the files, writing the rows, building the hourly blocks — what
:func:`ecowatch.loading.load_files` does. PostgreSQL is used when ``--postgres`` or
``ECOWATCH_BENCH_POSTGRES_URL`` or ``ECOWATCH_TEST_POSTGRES_URL`` names a database; the run makes a
schema of its own there and drops it afterwards. Bar (issue 13): the PostgreSQL load no slower than the
SQLite one.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRSA = ROOT / "data" / "demo" / "beijing-prsa"


def _load(url: str, data: Path) -> dict:
    from ecowatch.loading import load_files
    from ecowatch.store import migrate

    migrate.upgrade(url)
    started = time.perf_counter()
    summary = load_files(url=url, path=data, format="prsa", actor="bench")
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "read_seconds": round(summary.read_seconds, 2),
        "write_seconds": round(summary.write_seconds, 2),
        "values": summary.values,
        "written": summary.written,
        "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def bench_sqlite(data: Path, _: str) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        return _load(f"sqlite:///{Path(folder) / 'bench.db'}", data)


def bench_postgresql(data: Path, server: str) -> dict:
    from ecowatch.store import make_engine
    from ecowatch.store.db import normalise_url

    admin = make_engine(server)
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        url = normalise_url(server).update_query_dict({"options": f"-csearch_path={schema}"})
        return _load(url.render_as_string(hide_password=False), data)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


CASES = {"sqlite": bench_sqlite, "postgresql": bench_postgresql}


def _run(name: str, data: Path, server: str, queue) -> None:
    queue.put(CASES[name](data, server))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=PRSA, help="the PRSA folder (default: data/demo/beijing-prsa)"
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("ECOWATCH_BENCH_POSTGRES_URL") or os.environ.get("ECOWATCH_TEST_POSTGRES_URL"),
        help="a PostgreSQL database to make a schema in (default: $ECOWATCH_BENCH_POSTGRES_URL, "
        "then $ECOWATCH_TEST_POSTGRES_URL)",
    )
    parser.add_argument("--json", action="store_true", help="end with one JSON object")
    args = parser.parse_args()
    names = ["sqlite"] + (["postgresql"] if args.postgres else [])
    context = multiprocessing.get_context("spawn")
    results = {}
    for name in names:
        queue = context.Queue()
        process = context.Process(target=_run, args=(name, args.data, args.postgres or "", queue))
        process.start()
        results[name] = queue.get()
        process.join()
        r = results[name]
        print(
            f"{name:10} {r['seconds']:6.1f} s  (read {r['read_seconds']:.1f} s, write with blocks "
            f"{r['write_seconds']:.1f} s)  {r['values']:,} values, {r['written']:,} written, "
            f"peak {r['peak_mib']:,} MiB",
            flush=True,
        )
    if "postgresql" in results:
        ratio = results["postgresql"]["seconds"] / results["sqlite"]["seconds"]
        print(f"PostgreSQL / SQLite: {ratio:.2f} (bar: <= 1.0)")
    else:
        print("PostgreSQL not measured: give --postgres URL or set ECOWATCH_BENCH_POSTGRES_URL")
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: on a shared machine the "
        "figures are indicative only"
    )
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
