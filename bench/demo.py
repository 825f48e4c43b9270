"""Benchmark of ``ecowatch demo`` as a newcomer meets it: cold, a fresh data folder, the first run.

    .venv/bin/python bench/demo.py [--runs 1] [--json]

Runs ``.venv/bin/ecowatch demo`` in a child process with ``ECOWATCH_DATA_DIR`` set to a new empty folder
(so the store is created, migrated and loaded), and prints its wall time and the child's peak resident
memory (``wait4``'s ru_maxrss). Bars (issue 13): under 20 s, under 1.2 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ECOWATCH = Path(sys.executable).parent / "ecowatch"


def run_once() -> dict:
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "ECOWATCH_DATA_DIR": folder}
        env.pop("ECOWATCH_DB", None)
        started = time.perf_counter()
        child = subprocess.Popen(
            [str(ECOWATCH), "demo"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        errors = child.stderr.read().decode(errors="replace") if child.stderr else ""
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"bench/demo.py: `ecowatch demo` failed ({status}):\n{errors[-2000:]}")
        return {
            "seconds": round(seconds, 2),
            "peak_mib": round(usage.ru_maxrss / 1024),
            "user_seconds": round(usage.ru_utime, 2),
            "system_seconds": round(usage.ru_stime, 2),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="cold runs, each in a fresh data folder")
    parser.add_argument("--json", action="store_true", help="end with one JSON object")
    args = parser.parse_args()
    runs = []
    for _ in range(args.runs):
        run = run_once()
        runs.append(run)
        print(
            f"ecowatch demo (cold): {run['seconds']:.1f} s wall, peak {run['peak_mib']:,} MiB "
            f"(user {run['user_seconds']:.1f} s, system {run['system_seconds']:.1f} s); "
            "bars: < 20 s, < 1,229 MiB",
            flush=True,
        )
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: on a shared machine the "
        "figures are indicative only"
    )
    if args.json:
        print(json.dumps(runs))


if __name__ == "__main__":
    main()
