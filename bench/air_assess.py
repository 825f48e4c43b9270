"""Benchmark of the air assessment: Beijing, a synthetic national network, and python-aqi.

    .venv/bin/python bench/air_assess.py [--json] [--stations 1700] [--seed 2026]

(a) the whole Beijing PRSA set (12 stations, 2013-03 to 2017-02): read, assess, publish every
    station's and the city's period figures;
(b) a seeded synthetic national network (1,700 stations in 340 cities x one year of hourly data,
    3 % of hours missing): daily statistics, daily AQI (with and without an exclusion list) and the
    year's figures of every station and city. Generating the data is not timed;
(c) per-value IAQI speed against the python-aqi package (its MEP algorithm), and where its results
    differ from HJ 633-2012;
(d) ``cli``: what a user waits for — ``ecowatch air assess`` of the four PRSA years
    (data/demo/beijing-prsa, 2013-03-01 .. 2017-02-28, --json) run as a command, wall time from
    process start to exit (interpreter start and imports included): the first (cold) run and the
    best of ``--cli-runs``, with the child's CPU time (user + sys), which a loaded machine does not
    inflate the way it inflates wall time.

Each case runs in a fresh process so that its peak memory (ru_maxrss) is its own. Bars: issue 4,
(b) under 3 s with peak memory under 4 GiB, at least 100x python-aqi per value; issue 13, (d)
under 2 s wall including interpreter start.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import resource
import sys
import time
from decimal import Decimal
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PRSA = ROOT.parent / "shared" / "data" / "beijing-prsa"
DEMO_PRSA = ROOT / "data" / "demo" / "beijing-prsa"
CLI_BAR_S = 2.0


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_beijing(_: argparse.Namespace) -> dict:
    from ecowatch.assessment.air import assess_air
    from ecowatch.assessment.publish import assessment_json
    from ecowatch.importers import read

    first, last = dt.date(2013, 3, 1), dt.date(2017, 2, 28)
    start = time.perf_counter()
    imported = read(PRSA, "prsa", date_from=first, date_to=last, progress=False)
    read_s = time.perf_counter() - start
    assessment = assess_air(imported, first, last)
    result = assessment_json(assessment)
    total = time.perf_counter() - start
    return {
        "beijing_s": total,
        "beijing_read_s": read_s,
        "beijing_values": imported.measurements.height,
        "beijing_peak_mib": peak_mib(),
        "beijing_city_pm25": result["city"]["PM2.5"]["value"],
    }


def synthetic_network(n_stations: int, seed: int, stations_per_city: int = 5):
    """A year of hourly data for ``n_stations``: lognormal levels, an O3 day cycle, 3 % gaps."""
    from ecowatch.assessment.cube import HourlyCube, Site
    from ecowatch.standards import POLLUTANTS, Pollutant

    rng = np.random.default_rng(seed)
    n_days = 365
    medians = {
        Pollutant.SO2: 12,
        Pollutant.NO2: 35,
        Pollutant.CO: 0.8,
        Pollutant.O3: 60,
        Pollutant.PM10: 70,
        Pollutant.PM2_5: 40,
    }
    values = np.empty((n_stations, len(POLLUTANTS), n_days, 24))
    hours = np.arange(24)
    o3_cycle = 1 + 0.6 * np.sin((hours - 9) / 24 * 2 * np.pi)
    for p, pollutant in enumerate(POLLUTANTS):
        station_level = rng.lognormal(np.log(medians[pollutant]), 0.4, size=(n_stations, 1, 1))
        day_factor = rng.lognormal(0, 0.5, size=(n_stations, n_days, 1))
        hour_noise = rng.lognormal(0, 0.25, size=(n_stations, n_days, 24))
        block = station_level * day_factor * hour_noise
        if pollutant is Pollutant.O3:
            block *= o3_cycle
        decimals = 1 if pollutant is Pollutant.CO else 0
        values[:, p] = np.round(block, decimals)
        del block, hour_noise
    values[rng.random(values.shape) < 0.03] = np.nan
    sites = tuple(
        Site(
            code=f"S{i:04d}",
            name=f"S{i:04d}",
            kind="station",
            city=f"C{i // stations_per_city:03d}",
            category="urban",
        )
        for i in range(n_stations)
    )
    members: dict[str, tuple[str, ...]] = {}
    for site in sites:
        members[site.city] = (*members.get(site.city, ()), site.code)
    return HourlyCube(sites=sites, first_day=dt.date(2025, 1, 1), values=values), members


def bench_national(args: argparse.Namespace) -> dict:
    from ecowatch.assessment.air import assess_cube
    from ecowatch.standards import Pollutant
    from ecowatch.standards.dust import Exclusion, ExclusionKind

    cube, members = synthetic_network(args.stations, args.seed)
    exclusions = [
        Exclusion(city, dt.date(2025, 3, day), ExclusionKind.SAND_DUST, "bench")
        for city in list(members)[::10]
        for day in (14, 15, 16)
    ]
    start = time.perf_counter()
    assessment = assess_cube(cube, members, exclusions=exclusions)
    with_all = assessment.periods()
    without = assessment.periods(excluding=True)
    elapsed = time.perf_counter() - start
    city = next(iter(members))
    return {
        "national_s": elapsed,
        "national_stations": args.stations,
        "national_cities": len(members),
        "national_values": int(cube.values.size),
        "national_peak_mib": peak_mib(),
        "national_sample_city_pm25": with_all[city].headline(Pollutant.PM2_5).value,
        "national_sites_figured": len(with_all) + len(without),
    }


def bench_python_aqi(args: argparse.Namespace) -> dict:
    import aqi as python_aqi

    from ecowatch.standards import Column, Edition, iaqi, iaqi_array

    rng = np.random.default_rng(args.seed)
    # PM2.5 24-h means with one decimal, as published, across the whole table.
    values = np.round(rng.uniform(0, 520, size=2_000_000), 1)
    start = time.perf_counter()
    ours = iaqi_array(values, Column.PM2_5_24H, Edition.E2012)
    ours_per_value = (time.perf_counter() - start) / values.size

    sample = values[:20_000]
    texts = [f"{v:.1f}" for v in sample]

    def theirs_or_error(text: str) -> Decimal | None:
        try:
            return Decimal(python_aqi.to_iaqi(python_aqi.POLLUTANT_PM25, text, algo=python_aqi.ALGO_MEP))
        except (IndexError, ValueError):  # python-aqi raises above its table (PM2.5 > 500)
            return None

    start = time.perf_counter()
    theirs = [theirs_or_error(t) for t in texts]
    theirs_per_value = (time.perf_counter() - start) / sample.size

    differs = [
        (t, int(o), None if th is None else str(th))
        for t, o, th in zip(texts, ours[: sample.size], theirs, strict=True)
        if th != int(o)
    ]
    gap = [t for t, _, th in differs if th is not None and 35 < float(t) < 36]
    exact = [iaqi(t, Column.PM2_5_24H, Edition.E2012) for t in texts[:2000]]
    return {
        "vs_python_aqi": theirs_per_value / ours_per_value,
        "ours_ns_per_value": ours_per_value * 1e9,
        "python_aqi_ns_per_value": theirs_per_value * 1e9,
        "python_aqi_differs": len(differs),
        "python_aqi_compared": sample.size,
        "python_aqi_raised": sum(th is None for th in theirs),
        "python_aqi_differs_in_35_36_gap": len(gap),
        "python_aqi_examples": differs[:5],
        "scalar_matches_array": exact == [int(v) for v in ours[:2000]],
    }


def bench_cli(args: argparse.Namespace) -> dict:
    """``ecowatch air assess`` of the four PRSA years as a user runs it (see the module docstring)."""
    import os
    import subprocess

    command = [
        str(Path(sys.executable).with_name("ecowatch")),
        "air",
        "assess",
        str(DEMO_PRSA),
        "--format",
        "prsa",
        "--from",
        "2013-03-01",
        "--to",
        "2017-02-28",
        "--json",
    ]
    runs = []
    for _ in range(max(1, args.cli_runs)):
        before = os.times()
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, check=False)
        wall = time.perf_counter() - start
        after = os.times()
        if done.returncode != 0:
            raise SystemExit(f"ecowatch air assess failed: {done.stderr.decode(errors='replace')[-500:]}")
        cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
        runs.append((wall, cpu))
    city_pm25 = json.loads(done.stdout)["city"]["PM2.5"]["value"]
    return {
        "cli_cold_wall_s": runs[0][0],
        "cli_best_wall_s": min(w for w, _ in runs),
        "cli_best_cpu_s": min(c for _, c in runs),
        "cli_runs": len(runs),
        "cli_under_bar": min(w for w, _ in runs) < CLI_BAR_S,
        "cli_city_pm25": city_pm25,
    }


CASES = {
    "beijing": bench_beijing,
    "national": bench_national,
    "python_aqi": bench_python_aqi,
    "cli": bench_cli,
}


def _run(name: str, args: argparse.Namespace, queue) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    queue.put(CASES[name](args))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="end with one JSON object")
    parser.add_argument("--stations", type=int, default=1700)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--only", choices=sorted(CASES), action="append")
    parser.add_argument("--cli-runs", type=int, default=3, help="runs of the cli case (the first is cold)")
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    results: dict = {}
    for name in args.only or list(CASES):
        if name == "beijing" and not PRSA.is_dir():
            print(f"skipping beijing: {PRSA} not found", file=sys.stderr)
            continue
        if name == "cli" and not DEMO_PRSA.is_dir():
            print(f"skipping cli: {DEMO_PRSA} not found", file=sys.stderr)
            continue
        queue = context.Queue()
        process = context.Process(target=_run, args=(name, args, queue))
        process.start()
        process.join()
        if process.exitcode != 0:
            raise SystemExit(f"benchmark {name!r} failed (exit code {process.exitcode})")
        result = queue.get(timeout=10)
        results.update(result)
        for key, value in result.items():
            shown = f"{value:.3f}" if isinstance(value, float) else value
            print(f"{key:28s} {shown}")
    if args.json:
        summary = {
            key: results.get(key)
            for key in ("beijing_s", "national_s", "national_peak_mib", "vs_python_aqi", "cli_best_wall_s")
        }
        print(json.dumps({**results, **summary}, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
