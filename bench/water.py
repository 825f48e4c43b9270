"""Benchmark of the surface-water assessment: a year of 4-hourly data of a national network.

    .venv/bin/python bench/water.py [--sections 3600] [--seed 2026] [--json] [--keep]

A seeded synthetic network (``--sections`` sections, 10 % lakes, in 10 basins, 31 provinces and about
ten sections a city) with one record every 4 hours for the year 2025 (2,190 records a section: 7.9 M
rows at 3,600 sections) and nine indicators with realistic distributions: pH, DO (seasonal), CODMn,
COD, BOD5, NH3-N and TP (lognormal, below-detection results flagged as the importer flags them:
NH3-N < 0.025, TP < 0.01), TN, and chlorophyll a at lakes (mg/L, as the CNEMC release). 3 % of the
records are not usable (maintenance) and 2 % of the values are missing. Values carry the decimals the
release displays. Generating the data and writing it to Parquet is not timed.

Each case runs in a fresh interpreter (``subprocess``) so that the cold start counts and the peak
memory (the child's ru_maxrss) is its own:

* ``year``: import ecowatch, read the Parquet file, ``assess_water`` over the whole year (period means
  of every section, their classes, exceedance, main pollutants, CWQI, TLI at lakes; basins, provinces,
  cities, CWQI ranks) and its JSON;
* ``months``: the same, then the twelve monthly assessments (the monthly city ranking).

Wall time is measured by the parent from process start to exit; the child reports its phases.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RECORDS_PER_DAY = 6
DAYS = 365


def synthetic_network(n_sections: int, seed: int):  # -> polars.DataFrame
    """The seeded network's year of 4-hourly records (see the module docstring)."""
    import datetime as dt

    import polars as pl

    rng = np.random.default_rng(seed)
    n_times = DAYS * RECORDS_PER_DAY
    shape = (n_sections, n_times)
    day_of_year = np.arange(n_times) / RECORDS_PER_DAY
    season = np.sin((day_of_year - 105) / 365 * 2 * np.pi)  # +1 in July, −1 in January
    lake = rng.random(n_sections) < 0.10

    def lognormal(median: float, between: float, within: float, seasonal: float = 0.0) -> np.ndarray:
        level = rng.lognormal(np.log(median), between, size=(n_sections, 1))
        noise = rng.lognormal(0.0, within, size=shape)
        return level * noise * (1 + seasonal * season)

    def decimals(values: np.ndarray, places: int) -> np.ndarray:
        return np.round(values, places)

    columns: dict[str, np.ndarray] = {
        "pH": decimals(
            np.clip(rng.normal(7.8, 0.35, (n_sections, 1)) + rng.normal(0, 0.15, shape), 5.5, 9.8), 2
        ),
        "DO": decimals(np.clip(lognormal(8.0, 0.2, 0.12) * (1 - 0.2 * season), 0.3, 16), 2),
        "CODMn": decimals(lognormal(3.0, 0.35, 0.25, 0.1), 2),
        "COD": decimals(lognormal(11.0, 0.3, 0.25, 0.1), 1),
        "BOD5": decimals(lognormal(2.0, 0.3, 0.3, 0.1), 1),
        "NH3-N": decimals(lognormal(0.2, 0.8, 0.5), 3),
        "TP": decimals(lognormal(0.07, 0.45, 0.35, 0.15) * np.where(lake, 0.4, 1.0)[:, None], 3),
        "TN": decimals(lognormal(1.8, 0.5, 0.3), 2),
        "chla": decimals(np.where(lake[:, None], lognormal(0.012, 0.8, 0.5, 0.5), np.nan), 4),
    }
    below: dict[str, np.ndarray] = {}
    for name, limit in (("NH3-N", 0.025), ("TP", 0.01)):
        under = columns[name] < limit
        columns[name] = np.where(under, limit, columns[name])
        below[name] = under
    for values in columns.values():
        values[rng.random(shape) < 0.02] = np.nan

    sections = np.array([f"W{i:06d}" for i in range(n_sections)])
    cities = rng.integers(0, max(1, n_sections // 10), n_sections)
    provinces = cities % 31
    basins = rng.integers(0, 10, n_sections)
    start = dt.datetime(2025, 1, 1)
    times = np.array([start + dt.timedelta(hours=4 * k) for k in range(n_times)], dtype="datetime64[us]")

    def per_section(values: np.ndarray) -> np.ndarray:
        return np.repeat(values, n_times)

    category = pl.Categorical
    frame = pl.DataFrame(
        {
            "section": pl.Series(per_section(sections)).cast(category),
            "name": pl.Series(per_section(np.char.add("断面", sections))).cast(category),
            "basin": pl.Series(per_section(np.char.add("流域", basins.astype(str)))).cast(category),
            "province": pl.Series(per_section(np.char.add("省", provinces.astype(str)))).cast(category),
            "city_code": pl.Series(per_section((100000 + 100 * cities).astype(str))).cast(category),
            "city": pl.Series(per_section(np.char.add("市", cities.astype(str)))).cast(category),
            "waterbody": pl.Series(per_section(np.where(lake, "lake", "river"))).cast(category),
            "time": np.tile(times, n_sections),
            "usable": rng.random(n_sections * n_times) >= 0.03,
        }
    )
    frame = frame.with_columns(
        *(pl.Series(name, values.ravel()).fill_nan(None) for name, values in columns.items()),
        *(
            pl.Series(f"{name}_below", flags.ravel()).set(pl.Series(np.isnan(columns[name].ravel())), None)
            for name, flags in below.items()
        ),
    )
    return frame


def child(args: argparse.Namespace) -> None:
    """One case, in its own interpreter: prints its phases and peak memory as JSON."""
    started = time.perf_counter()
    import datetime as dt

    import polars as pl

    from ecowatch.water.assess import assess_water

    imported = time.perf_counter()
    samples = pl.read_parquet(args.child)
    read = time.perf_counter()
    first, last = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    assessment = assess_water(samples, first, last)
    assessed = time.perf_counter()
    document = json.dumps(assessment.to_json(), ensure_ascii=False)
    done = time.perf_counter()
    out = {
        "import_s": imported - started,
        "read_s": read - imported,
        "assess_s": assessed - read,
        "json_s": done - assessed,
        "rows": samples.height,
        "sections": len(assessment.sections),
        "cities": len(assessment.cities),
        "json_bytes": len(document.encode()),
        "classes": {
            label: sum(1 for s in assessment.sections if s.result and s.result.water_class.label == label)
            for label in ("I", "II", "III", "IV", "V", "worse than V")
        },
        "lakes_with_tli": sum(1 for s in assessment.sections if s.trophic is not None),
    }
    if args.case == "months":
        month_s = []
        for month in range(1, 13):
            begin = time.perf_counter()
            month_first = dt.date(2025, month, 1)
            month_last = (dt.date(2025 + month // 12, month % 12 + 1, 1)) - dt.timedelta(days=1)
            assess_water(samples, month_first, month_last).to_json()
            month_s.append(time.perf_counter() - begin)
        out["months_s"] = sum(month_s)
        out["month_max_s"] = max(month_s)
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sys.stdout.write(json.dumps(out) + "\n")


def run_case(case: str, parquet: Path) -> dict:
    begin = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", str(parquet), "--case", case],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    wall = time.perf_counter() - begin
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    return {"case": case, "wall_s": wall, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", type=int, default=3600)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--cases", default="year,months", help="comma-separated: year, months")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--keep", type=Path, help="write the Parquet data here and keep it")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--case", default="year", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    begin = time.perf_counter()
    frame = synthetic_network(args.sections, args.seed)
    with tempfile.TemporaryDirectory(prefix="ecowatch-bench-water-") as folder:
        parquet = args.keep or Path(folder) / "water.parquet"
        frame.write_parquet(parquet)
        generated = {
            "sections": args.sections,
            "rows": frame.height,
            "values": int(sum(frame[c].is_not_null().sum() for c in frame.columns if c in _VALUE_COLUMNS)),
            "generate_s": time.perf_counter() - begin,
            "parquet_mib": parquet.stat().st_size / 2**20,
        }
        del frame
        results = [run_case(case, parquet) for case in args.cases.split(",")]
    if args.json:
        print(json.dumps({"data": generated, "cases": results}, indent=2))
        return
    print(
        f"data: {generated['sections']:,} sections, {generated['rows']:,} records, {generated['values']:,} "
        f"values (generated in {generated['generate_s']:.1f} s, Parquet {generated['parquet_mib']:.0f} MiB)"
    )
    for result in results:
        line = (
            f"{result['case']:>6}: wall {result['wall_s']:.2f} s from process start (import "
            f"{result['import_s']:.2f}, read {result['read_s']:.2f}, assess {result['assess_s']:.2f}, JSON "
            f"{result['json_s']:.2f}), peak {result['peak_mib']:.0f} MiB; {result['sections']:,} sections, "
            f"{result['cities']:,} cities, {result['lakes_with_tli']} lakes with TLI"
        )
        if "months_s" in result:
            line += f"; 12 months {result['months_s']:.2f} s (slowest {result['month_max_s']:.2f} s)"
        print(line)
        print(f"        classes {result['classes']}")


_VALUE_COLUMNS = ("pH", "DO", "CODMn", "COD", "BOD5", "NH3-N", "TP", "TN", "chla")

if __name__ == "__main__":
    main()
