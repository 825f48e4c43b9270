"""Compare ecowatch's real-time (hourly) AQI with the station AQI Beijing published.

    .venv/bin/python bench/compare_published_aqi.py [--year 2015] [--stations 东四,天坛] [--json]

Data: ``../shared/data/beijing-35-stations`` (Beijing municipal real-time release, 35 stations,
2013-12-05 .. 2018-06-02; see its SOURCE.md). Findings: tests/data/beijing-35-stations/PROVENANCE.md.

Compared rows: station-hours where the published ``AQI`` and the 1-h values of all six pollutants
exist. Variants of "our" AQI (all HJ 633-2012 表1, SO2/NO2/CO/O3 on their 1-h columns):

v1  ecowatch as implemented: ``realtime_aqi(cube, Edition.E2012)`` (PM 24-h moving means, O3 8-h
    moving mean included, ceil);
v2  v1 without the O3 8-h item (what Beijing appears to do);
v3  v2 with the PM IAQI taken from the *published* ``PM2.5_24h``/``PM10_24h`` rows (2014-2016 only:
    the feed has no ``_24h`` rows from 2017);
v4  PM 1-h values on the PM 24-h columns (``pm_input="hourly"``), no O3 8-h, ceil;
v5  v4 with every IAQI rounded half up instead of up (exact, computed here; not in src);
v6  v2 with our PM 24-h moving means rounded half up to 0.1 µg/m³ before the IAQI (extra);
v7  v2 with every IAQI rounded half up (extra: ceil against half up on the 24-h means).

Disagreements of the best variant computed from the feed alone (v6 in 2014-2016, v5 in
2017-2018; :data:`BEST`) are sorted into the kinds of :data:`KINDS` by :func:`classify`. All
years take ~20 s; one year ~5 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecowatch.assessment.cube import POLLUTANT_INDEX, cube_from_measurements
from ecowatch.assessment.hourly import realtime_aqi
from ecowatch.importers import read_cnemc
from ecowatch.importers.cnemc import read_cnemc_published
from ecowatch.standards import (
    IAQI_BREAKPOINTS,
    MISSING,
    REPLACED,
    AqiItem,
    Column,
    Edition,
    Pollutant,
    iaqi_array,
    moving_mean,
)
from ecowatch.standards.aqi import IAQI_AXIS
from ecowatch.standards.rounding import SNAP_DECIMALS, snap_to_int

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "beijing-35-stations"

YEARS = (2014, 2015, 2016, 2017, 2018)
WARM_UP_DAYS = 2
"""Days read before the period so that the first hours have full 24-h windows."""

VARIANTS = {
    "v1": "ecowatch 2012 as implemented (PM 24-h moving mean, O3 8-h included, ceil)",
    "v2": "v1 without the O3 8-h item",
    "v3": "v2 with the published PM2.5_24h/PM10_24h instead of our moving means",
    "v4": "PM 1-h values (pm_input='hourly'), no O3 8-h, ceil",
    "v5": "PM 1-h values, no O3 8-h, IAQI rounded half up",
    "v6": "v2 with our PM 24-h moving means rounded (half up) to 0.1 µg/m³ before the IAQI",
    "v7": "v2 with every IAQI rounded half up instead of up",
}
BEST = {2014: "v6", 2015: "v6", 2016: "v6", 2017: "v5", 2018: "v5"}
"""The variant whose disagreements are classified: the best computed from the 1-h feed alone over
2014-2016 (v3 borrows the publisher's own means) and over 2017-2018."""

GASES = {  # item: (pollutant, 1-h column)
    AqiItem.SO2: (Pollutant.SO2, Column.SO2_1H),
    AqiItem.NO2: (Pollutant.NO2, Column.NO2_1H),
    AqiItem.CO: (Pollutant.CO, Column.CO_1H),
    AqiItem.O3_1H: (Pollutant.O3, Column.O3_1H),
}
PMS = {  # item: (pollutant, column, published 24-h type)
    AqiItem.PM10: (Pollutant.PM10, Column.PM10_24H, "PM10_24h"),
    AqiItem.PM2_5: (Pollutant.PM2_5, Column.PM2_5_24H, "PM2.5_24h"),
}
PM_TOP = {AqiItem.PM10: 600.0, AqiItem.PM2_5: 500.0}

# The kinds of disagreement, in the order they are tried (the first that fits a row wins).
KINDS = {
    "pm_glitch": "an implausible PM value in the window (PM10 at the instrument ceiling 1000 µg/m³, any PM "
    ">= 1500 µg/m³, or a published 24-h mean above the table's top while the AQI is below 500): "
    "the publisher left it out of the AQI but kept it in the feed",
    "pm_4h_mean_days": "on days whose published PM '24 h' values are in fact 4-h moving means of the feed "
    "(detected from the data: 2014-04-16..23), the published AQI follows those 4-h means (or "
    "the published values), rounded up or half up",
    "display_rounding": "the published AQI is reached by moving each input by at most half the unit the feed "
    "displays it in (0.1 or 1 µg/m³, mg/m³ for CO; for a 24-h mean, half the coarsest unit in "
    "its window plus 0.05 for the publisher's rounding of the mean to 0.1): the publisher "
    "computed from values more precise than the feed shows",
    "so2_left_out": "the published AQI is reached when SO2 is left out (2014 to mid-2015 the publisher's AQI "
    "ignored a leading SO2 1-h index; from 2015-07 it uses it)",
    "published_mean_window_gap": "our 24-h window lacks hours the feed does not show; the published AQI "
    "follows the published PM 24-h means (within their display rounding), which cover those hours",
    "pm_item_left_out": "a PM 24-h mean is not published (though the PM 1-h value is) and the published AQI "
    "leaves that PM item out (the window held few hours)",
    "published_mean_not_24h": "full window, yet the published AQI follows the published PM '24 h' values, "
    "which are not the means of the 24 values the feed shows (values revised after the feed "
    "took them)",
    "window_gap_fillable": "our 24-h window lacks hours and the published AQI follows neither our mean nor "
    "the publisher's own published 24-h means, but is reached with the missing hours filled by "
    "values between the lowest and highest PM value the station shows from 47 h before to "
    "24 h after (the AQI was computed from another set of hours than the published means)",
    "one_hour_left_out": "the published AQI is reached when one 1-h PM value of the window is left out: "
    "a value the publisher invalidated or revised after the feed took it",
    "window_gap_hidden_values": "our 24-h window lacks hours and the published AQI needs them to hold values "
    "outside anything the station shows nearby (nearly always higher): hours withheld from the "
    "feed but used by the publisher",
    "o3_8h_included": "reproduced only when the O3 8-h moving mean enters the AQI",
    "isolated_aqi_spike": "one published AQI >= 20 above ours and above both neighbouring published AQIs: "
    "not computable from anything published",
    "unexplained": "none of the above",
}


@dataclass
class Comparison:
    """Hourly arrays (station, hour since ``start``) of one period."""

    names: list[str]
    codes: list[str]
    start: dt.datetime
    first_hour: int
    """Index of the first hour of the period proper (after the warm-up days)."""
    hourly: np.ndarray
    """(station, pollutant in POLLUTANTS order, hour) 1-h values; NaN = not in the feed."""
    published: dict[str, np.ndarray]
    """'AQI', 'PM2.5_24h', 'PM10_24h' as published; NaN = missing."""
    iaqi: dict[AqiItem, np.ndarray]
    """ecowatch's real-time IAQIs (realtime_aqi, Edition.E2012, PM 24-h moving means)."""
    iaqi_hourly_pm: dict[AqiItem, np.ndarray]
    """The same with pm_input='hourly'."""
    aqi_v1: np.ndarray
    pm_mean: dict[AqiItem, np.ndarray]
    pm_count: dict[AqiItem, np.ndarray]
    compared: np.ndarray
    """Rows of the period with a published AQI and all six 1-h values."""
    variants: dict[str, np.ndarray]

    @property
    def n_hours(self) -> int:
        return self.hourly.shape[-1]

    def time(self, hour: int) -> dt.datetime:
        return self.start + dt.timedelta(hours=int(hour))

    @property
    def years(self) -> np.ndarray:
        return np.array([self.time(h).year for h in range(self.n_hours)])


def iaqi_exact(values: np.ndarray, column: Column, mode: str) -> np.ndarray:
    """HJ 633-2012 IAQI with the interpolated fraction rounded by ``mode``: 'ceil' or 'half_up'.

    Exact integer arithmetic on values snapped to 10⁻⁶, as :func:`ecowatch.standards.iaqi_array`
    (which it equals for 'ceil'). Above the top breakpoint: 500, or REPLACED for SO2 1-h / O3 8-h.
    """
    values = np.asarray(values, dtype=np.float64)
    missing = np.isnan(values)
    bps = IAQI_BREAKPOINTS[Edition.E2012][column]
    scaled = snap_to_int(np.clip(np.where(missing, 0.0, values), 0.0, 2.0 * bps[-1]), SNAP_DECIMALS)
    edges = np.asarray(bps, dtype=np.int64) * 10**SNAP_DECIMALS
    axis = np.asarray(IAQI_AXIS[: len(bps)], dtype=np.int64)
    upper = np.clip(np.searchsorted(edges, scaled, side="left"), 1, len(edges) - 1)
    num = (axis[upper] - axis[upper - 1]) * (scaled - edges[upper - 1])
    den = edges[upper] - edges[upper - 1]
    step = -(-num // den) if mode == "ceil" else (2 * num + den) // (2 * den)
    result = axis[upper - 1] + step
    top = REPLACED if column in (Column.SO2_1H, Column.O3_8H) else IAQI_AXIS[-1]
    result = np.where(scaled > edges[-1], top, result)
    return np.where(missing, MISSING, result)


def aqi_of(iaqis: Sequence[np.ndarray]) -> np.ndarray:
    """Max over the items present (MISSING where none)."""
    best = np.max(np.stack(list(iaqis)), axis=0)
    return np.where(best < 0, MISSING, best)


# -- loading ------------------------------------------------------------------------------------


def load(
    first_day: dt.date, last_day: dt.date, stations: Sequence[str] | None = None, data: Path = DATA
) -> Comparison:
    """Read the feed for ``first_day .. last_day`` (plus warm-up days) and compute every variant."""
    read_from = first_day - dt.timedelta(days=WARM_UP_DAYS)
    imported = read_cnemc(data, lenient=True, date_from=read_from, date_to=last_day, progress=False)
    published = read_cnemc_published(
        data, lenient=True, date_from=read_from, date_to=last_day, progress=False
    )
    station_list = imported.stations
    if stations:
        wanted = set(stations)
        station_list = [s for s in station_list if s.name in wanted or s.code in wanted]
        if not station_list:
            raise SystemExit(f"no station among {sorted(wanted)}")
    cube = cube_from_measurements(imported.measurements, station_list, read_from, last_day)
    n_sites = len(station_list)
    hourly = cube.values.reshape(n_sites, cube.values.shape[1], -1)
    start = dt.datetime.combine(read_from, dt.time())
    index = {s.code: i for i, s in enumerate(station_list)}

    pub: dict[str, np.ndarray] = {}
    frame = published.filter(published["station"].is_in(list(index)) & published["value"].is_not_null())
    hours = ((frame["time"] - start).dt.total_hours()).to_numpy()
    rows = frame["station"].replace_strict(index).to_numpy()
    types = frame["type"].to_numpy()
    values = frame["value"].to_numpy()
    for kind in ("AQI", "PM2.5_24h", "PM10_24h"):
        array = np.full((n_sites, hourly.shape[-1]), np.nan)
        sel = types == kind
        array[rows[sel], hours[sel]] = values[sel]
        pub[kind] = array

    rt = realtime_aqi(cube, Edition.E2012)
    rt_hourly = realtime_aqi(cube, Edition.E2012, pm_input="hourly")
    pm_stats = {item: moving_mean(hourly[:, POLLUTANT_INDEX[p]], 24, 1) for item, (p, _, _) in PMS.items()}
    first_hour = WARM_UP_DAYS * 24
    in_period = np.zeros(hourly.shape[-1], dtype=bool)
    in_period[first_hour:] = True
    compared = in_period[None, :] & ~np.isnan(pub["AQI"]) & ~np.isnan(hourly).any(axis=1)

    comp = Comparison(
        names=[s.name for s in station_list],
        codes=[s.code for s in station_list],
        start=start,
        first_hour=first_hour,
        hourly=hourly,
        published=pub,
        iaqi=dict(rt.iaqi),
        iaqi_hourly_pm=dict(rt_hourly.iaqi),
        aqi_v1=rt.combined.aqi,
        pm_mean={item: s.value for item, s in pm_stats.items()},
        pm_count={item: s.count for item, s in pm_stats.items()},
        compared=compared,
        variants={},
    )
    comp.variants = compute_variants(comp)
    return comp


def compute_variants(comp: Comparison) -> dict[str, np.ndarray]:
    gas = [comp.iaqi[item] for item in GASES]
    no_o3_8h = [iaqi for item, iaqi in comp.iaqi.items() if item is not AqiItem.O3_8H]
    published_pm = [
        iaqi_array(comp.published[kind], column, Edition.E2012) for _, column, kind in PMS.values()
    ]
    hourly_pm = [iaqi for item, iaqi in comp.iaqi_hourly_pm.items() if item is not AqiItem.O3_8H]
    half_up = [
        iaqi_exact(comp.hourly[:, POLLUTANT_INDEX[p]], column, "half_up")
        for p, column in [*GASES.values(), *((p, c) for p, c, _ in PMS.values())]
    ]
    rounded_pm = [
        iaqi_array(np.floor(comp.pm_mean[item] * 10 + 0.5 + 1e-9) / 10, column, Edition.E2012)
        for item, (_, column, _) in PMS.items()
    ]
    gas_half_up = [
        iaqi_exact(comp.hourly[:, POLLUTANT_INDEX[p]], column, "half_up") for p, column in GASES.values()
    ]
    pm_half_up = [iaqi_exact(comp.pm_mean[item], column, "half_up") for item, (_, column, _) in PMS.items()]
    v3 = aqi_of(gas + published_pm)
    no_published_pm = np.isnan(comp.published["PM2.5_24h"]) & np.isnan(comp.published["PM10_24h"])
    return {
        "v1": comp.aqi_v1,
        "v2": aqi_of(no_o3_8h),
        "v3": np.where(no_published_pm, MISSING, v3),
        "v4": aqi_of(hourly_pm),
        "v5": aqi_of(half_up),
        "v6": aqi_of(gas + rounded_pm),
        "v7": aqi_of(gas_half_up + pm_half_up),
    }


# -- match rates --------------------------------------------------------------------------------


def match_rates(comp: Comparison, years: Sequence[int] = YEARS) -> dict[int, dict]:
    """Per year: compared station-hours and the share (%) each variant reproduces exactly."""
    year_of_hour = comp.years
    published = comp.published["AQI"]
    result: dict[int, dict] = {}
    for year in years:
        rows = comp.compared & (year_of_hour == year)[None, :]
        n = int(rows.sum())
        if not n:
            continue
        entry: dict = {"rows": n}
        for name, aqi in comp.variants.items():
            usable = rows & (aqi != MISSING)
            entry[name] = (
                None if not usable.any() else round(100.0 * float((aqi[rows] == published[rows]).mean()), 3)
            )
        result[year] = entry
    return result


# -- classification -----------------------------------------------------------------------------


def _station_day_units(values: np.ndarray) -> np.ndarray:
    """(station, hour) display unit: 0.1 where the station shows a decimal that day, else 1."""
    n_sites, n_hours = values.shape
    days = values.reshape(n_sites, n_hours // 24, 24)
    decimal = ~np.isnan(days) & (np.abs(days - np.round(days)) > 1e-9)
    return np.repeat(np.where(decimal.any(axis=2), 0.1, 1.0), 24, axis=1)


def display_units(hourly: np.ndarray) -> np.ndarray:
    """(station, pollutant, hour) unit the feed shows each 1-h value in: 0.1 or 1 (NaN: no value).

    The feed's precision changed over time (integers until 2014-04-28, one decimal from
    2014-04-29, integers again from 2015-07-31, with stations switching on different days and
    hours in 2015-06/07). A station-hour shows decimals if any of its SO2, NO2, O3, PM10, PM2.5
    values has one (five integers by chance are rare); CO (mg/m³) is judged per station-day.
    """
    decimal = ~np.isnan(hourly) & (np.abs(hourly - np.round(hourly)) > 1e-9)
    others = [POLLUTANT_INDEX[p] for p in POLLUTANT_INDEX if p is not Pollutant.CO]
    per_hour = np.where(decimal[:, others].any(axis=1), 0.1, 1.0)
    units = np.repeat(per_hour[:, None, :], hourly.shape[1], axis=1)
    units[:, POLLUTANT_INDEX[Pollutant.CO]] = _station_day_units(hourly[:, POLLUTANT_INDEX[Pollutant.CO]])
    return np.where(np.isnan(hourly), np.nan, units)


def _trailing(values: np.ndarray, window: int, reduce) -> np.ndarray:
    """Trailing ``reduce`` (np.fmax / np.fmin / np.add) over ``window`` hours along the last axis."""
    out = values.copy()
    for lag in range(1, window):
        shifted = np.full(values.shape, np.nan)
        shifted[:, lag:] = values[:, :-lag]
        out = reduce(out, shifted)
    return out


def _window_stats(values: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Trailing max, min and sum of the valid values of each window (NaN, NaN, 0 where none)."""
    return (
        _trailing(values, window, np.fmax),
        _trailing(values, window, np.fmin),
        _trailing(np.nan_to_num(values), window, np.add),
    )


def _range(values: np.ndarray, half: np.ndarray | float, column: Column, mode: str):
    """IAQI range of the concentrations in [value - half, value + half]."""
    return (iaqi_exact(np.maximum(values - half, 0.0), column, mode), iaqi_exact(values + half, column, mode))


def _within(published: np.ndarray, ranges: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """The published AQI lies between the AQI of the items' low and high IAQIs."""
    low = aqi_of([r[0] for r in ranges])
    high = aqi_of([r[1] for r in ranges])
    return (published >= low) & (published <= high)


def classify(comp: Comparison, variant: str, rows: np.ndarray | None = None) -> np.ndarray:
    """Kind index (into list(KINDS)) of every compared row where ``variant`` disagrees; -1 elsewhere.

    Each check asks what the publisher's inputs would have to be for its AQI to be exact, using
    only what the feed itself shows; they are tried in the order of :data:`KINDS`.
    """
    names = list(KINDS)
    mode = "half_up" if variant == "v5" else "ceil"
    moving = variant in ("v1", "v2", "v3", "v6")
    published = comp.published["AQI"]
    ours = comp.variants[variant]
    rows = comp.compared if rows is None else rows & comp.compared
    kind = np.full(published.shape, -1, dtype=np.int64)
    undecided = rows & (ours != published)

    def take(mask: np.ndarray, name: str) -> None:
        nonlocal undecided
        hit = undecided & mask
        kind[hit] = names.index(name)
        undecided &= ~hit

    units = display_units(comp.hourly)

    def gas_ranges(rounding: str = mode, skip: AqiItem | None = None) -> list:
        return [
            _range(comp.hourly[:, POLLUTANT_INDEX[p]], units[:, POLLUTANT_INDEX[p]] / 2, column, rounding)
            for item, (p, column) in GASES.items()
            if item is not skip
        ]

    # Our PM values (24-h moving means or 1-h values), with the rounding range of their inputs.
    pm: dict[AqiItem, dict[str, np.ndarray]] = {}
    for item, (pollutant, _, _) in PMS.items():
        values = comp.hourly[:, POLLUTANT_INDEX[pollutant]]
        window = 24 if moving else 1
        high, low, total = _window_stats(values, window)
        pm[item] = {
            "value": comp.pm_mean[item] if moving else values,
            # A moving mean: each value's rounding, plus the publisher's rounding of the mean to 0.1.
            "half": np.nan_to_num(_trailing(units[:, POLLUTANT_INDEX[pollutant]], window, np.fmax), nan=1.0)
            / 2
            + (0.05 if moving else 0),
            "count": comp.pm_count[item] if moving else (~np.isnan(values)).astype(np.int64),
            "max": high,
            "min": low,
            "sum": total,
        }
    full = np.logical_and.reduce([pm[item]["count"] == (24 if moving else 1) for item in PMS])

    def pm_ranges(source: str, rounding: str = mode) -> list:
        out = []
        for item, (pollutant, column, kind_24h) in PMS.items():
            d = pm[item]
            if source == "ours":
                out.append(_range(d["value"], d["half"], column, rounding))
            elif source == "published":
                values = comp.published[kind_24h]
                out.append(_range(values, _station_day_units(values) / 2, column, rounding))
            elif source == "4h":
                values = moving_mean(comp.hourly[:, POLLUTANT_INDEX[pollutant]], 4, 1).value
                out.append(_range(values, d["half"], column, rounding))
            elif source in ("fill_context", "fill_any"):
                gap = 24 - d["count"]
                if source == "fill_context":  # what the station shows from 47 h before to 24 h after
                    ahead = np.full(d["max"].shape, np.nan)
                    ahead[:, :-24] = comp.hourly[:, POLLUTANT_INDEX[pollutant], 24:]
                    top, bottom, _ = _window_stats(ahead, 72)
                    top, bottom = np.nan_to_num(top, nan=1e5), np.nan_to_num(bottom)
                else:
                    top, bottom = 1e5, 0.0
                some = d["count"] > 0
                low = _range(
                    np.where(some, (d["sum"] + gap * bottom) / 24, np.nan), d["half"], column, rounding
                )[0]
                high = _range(
                    np.where(some, (d["sum"] + gap * top) / 24, np.nan), d["half"], column, rounding
                )[1]
                out.append((np.where(some, low, 0), np.where(some, high, IAQI_AXIS[-1])))
            elif source == "one_out":
                n = d["count"]
                with np.errstate(invalid="ignore", divide="ignore"):
                    drop_max = np.where(n > 1, (d["sum"] - d["max"]) / (n - 1), d["value"])
                    drop_min = np.where(n > 1, (d["sum"] - d["min"]) / (n - 1), d["value"])
                out.append(
                    (
                        _range(np.fmin(drop_max, d["value"]), d["half"], column, rounding)[0],
                        _range(np.fmax(drop_min, d["value"]), d["half"], column, rounding)[1],
                    )
                )
        return out

    # pm_glitch
    glitch = np.zeros(published.shape, dtype=bool)
    for item, (_, _, kind_24h) in PMS.items():
        glitch |= pm[item]["max"] >= 1500
        if item is AqiItem.PM10:
            glitch |= pm[item]["max"] >= 999.5
        glitch |= (comp.published[kind_24h] > PM_TOP[item]) & (published < 500)
    take(glitch, "pm_glitch")

    if moving:
        short = np.zeros(published.shape, dtype=bool)
        for rounding in ("ceil", "half_up"):
            for source in ("4h", "published"):
                short |= _within(published, gas_ranges(rounding) + pm_ranges(source, rounding))
        take(short & _short_mean_days(comp)[None, :], "pm_4h_mean_days")

    take(_within(published, gas_ranges() + pm_ranges("ours")), "display_rounding")

    # Only rows where SO2 is what stands in the way.
    no_so2 = np.zeros(published.shape, dtype=bool)
    for source in ("ours", "published") if moving else ("ours",):
        no_so2 |= _within(published, gas_ranges(skip=AqiItem.SO2) + pm_ranges(source)) & ~_within(
            published, gas_ranges() + pm_ranges(source)
        )
    take(no_so2, "so2_left_out")

    if moving:
        n_published = sum((~np.isnan(comp.published[k])).astype(np.int64) for _, _, k in PMS.values())
        follows = _within(published, gas_ranges() + pm_ranges("published"))
        take(follows & (n_published == 2) & ~full, "published_mean_window_gap")
        # A PM item without a published 24-h mean left out; the other from the published mean or ours.
        left_out = np.zeros(published.shape, dtype=bool)
        for source in ("published", "ours"):
            ranges = [
                (
                    np.where(np.isnan(comp.published[k]), MISSING, r[0]),
                    np.where(np.isnan(comp.published[k]), MISSING, r[1]),
                )
                for (_, _, k), r in zip(PMS.values(), pm_ranges(source), strict=True)
            ]
            left_out |= _within(published, gas_ranges() + ranges)
        take(left_out & (n_published < 2), "pm_item_left_out")
        take(follows & (n_published == 2) & full, "published_mean_not_24h")
        take(_within(published, gas_ranges() + pm_ranges("fill_context")) & ~full, "window_gap_fillable")
        take(_within(published, gas_ranges() + pm_ranges("one_out")), "one_hour_left_out")
        take(_within(published, gas_ranges() + pm_ranges("fill_any")) & ~full, "window_gap_hidden_values")
        take(comp.aqi_v1 == published, "o3_8h_included")

    before = np.full(published.shape, np.nan)
    after = np.full(published.shape, np.nan)
    before[:, 1:] = published[:, :-1]
    after[:, :-1] = published[:, 1:]
    with np.errstate(invalid="ignore"):
        spike = (published - ours >= 20) & (published - before >= 20) & (published - after >= 20)
    take(spike, "isolated_aqi_spike")
    take(undecided, "unexplained")
    return kind


def _short_mean_days(comp: Comparison) -> np.ndarray:
    """(hour,) True on days where the published PM2.5 "24 h" values are 4-h means of the feed."""
    values = comp.hourly[:, POLLUTANT_INDEX[Pollutant.PM2_5]]
    published = comp.published["PM2.5_24h"]
    n_sites, n_hours = values.shape
    with np.errstate(invalid="ignore"):
        near_4h = np.abs(moving_mean(values, 4, 1).value - published) <= 0.55
        near_24h = np.abs(moving_mean(values, 24, 1).value - published) <= 0.55
    shown = ~np.isnan(published) & ~np.isnan(values)

    def daily(mask: np.ndarray) -> np.ndarray:
        return mask.reshape(n_sites, n_hours // 24, 24).sum(axis=(0, 2))

    n = np.maximum(daily(shown), 1)
    share_4h, share_24h = daily(near_4h & shown) / n, daily(near_24h & shown) / n
    return np.repeat((share_4h >= 0.5) & (share_4h > share_24h + 0.2), 24)


def describe(comp: Comparison, site: int, hour: int, variant: str) -> dict:
    """One row as a dict for examples: inputs, published and our values."""
    values = {p.value: _num(comp.hourly[site, POLLUTANT_INDEX[p], hour]) for p in POLLUTANT_INDEX}
    row = {
        "station": comp.names[site],
        "time": comp.time(hour).strftime("%Y-%m-%d %H:00"),
        "1h": values,
        "published_AQI": _num(comp.published["AQI"][site, hour]),
        "published_PM2.5_24h": _num(comp.published["PM2.5_24h"][site, hour]),
        "published_PM10_24h": _num(comp.published["PM10_24h"][site, hour]),
        "ours": int(comp.variants[variant][site, hour]),
        "variant": variant,
    }
    if variant in ("v1", "v2", "v3", "v6"):
        row["our_PM2.5_24h"] = round(float(comp.pm_mean[AqiItem.PM2_5][site, hour]), 3)
        row["our_PM10_24h"] = round(float(comp.pm_mean[AqiItem.PM10][site, hour]), 3)
        row["hours_in_window"] = [
            int(comp.pm_count[AqiItem.PM2_5][site, hour]),
            int(comp.pm_count[AqiItem.PM10][site, hour]),
        ]
    return row


def _num(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


def examples(
    comp: Comparison, kind: np.ndarray, name: str, variant: str, n: int = 3, seed: int = 0
) -> list[dict]:
    sites, hours = np.nonzero(kind == list(KINDS).index(name))
    if not len(sites):
        return []
    pick = np.sort(np.random.default_rng(seed).choice(len(sites), size=min(n, len(sites)), replace=False))
    return [describe(comp, int(sites[i]), int(hours[i]), variant) for i in pick]


# -- command line -------------------------------------------------------------------------------


def run(years: Sequence[int], stations: Sequence[str] | None, n_examples: int = 3) -> dict:
    out: dict = {"variants": VARIANTS, "kinds": KINDS, "years": {}}
    for year in years:
        first = dt.date(year, 1, 1)
        last = min(dt.date(year, 12, 31), dt.date(2018, 6, 2))
        start = time.perf_counter()
        comp = load(first, last, stations)
        rates = match_rates(comp, [year])
        if year not in rates:
            continue
        kind = classify(comp, BEST[year], comp.compared)
        counts = Counter(kind[kind >= 0].tolist())
        out["years"][year] = {
            **rates[year],
            "classified_variant": BEST[year],
            "kinds": {name: counts.get(i, 0) for i, name in enumerate(KINDS)},
            "examples": {
                name: examples(comp, kind, name, BEST[year], n_examples)
                for i, name in enumerate(KINDS)
                if counts.get(i)
            },
            "seconds": round(time.perf_counter() - start, 2),
        }
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--year", type=int, action="append", help="year(s) to compare (default: 2014-2018)")
    parser.add_argument("--stations", help="comma-separated station names or codes (default: all 35)")
    parser.add_argument("--examples", type=int, default=3, help="examples per kind")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(f"data not found: {DATA}", file=sys.stderr)
        return 2
    years = args.year or list(YEARS)
    stations = [s.strip() for s in args.stations.split(",")] if args.stations else None
    start = time.perf_counter()
    result = run(years, stations, args.examples)
    result["seconds"] = round(time.perf_counter() - start, 2)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return 0
    print("match rate (%) of the published hourly AQI, rows with the published AQI and all six 1-h values")
    print(f"{'year':>6} {'rows':>8} " + " ".join(f"{v:>6}" for v in VARIANTS))
    for year, entry in result["years"].items():
        cells = " ".join(f"{'-' if entry[v] is None else format(entry[v], '.2f'):>6}" for v in VARIANTS)
        print(f"{year:>6} {entry['rows']:>8} {cells}")
    for v, text in VARIANTS.items():
        print(f"  {v}: {text}")
    print("\ndisagreements of the classified variant, by kind")
    for year, entry in result["years"].items():
        total = sum(entry["kinds"].values())
        parts = ", ".join(f"{k} {n}" for k, n in entry["kinds"].items() if n)
        print(f"{year} ({entry['classified_variant']}, {total}): {parts}")
    print(f"\n{result['seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
