"""How one day's figures of a station or city were formed: hours, windows, rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl

from ecowatch.assessment.air import AirAssessment
from ecowatch.assessment.cube import POLLUTANT_INDEX
from ecowatch.assessment.daily import ITEM_ORDER, primary_names
from ecowatch.assessment.publish import invalid_reason, published_number
from ecowatch.standards import (
    AQI_LEVELS,
    MISSING,
    POLLUTANTS,
    DailyStatistic,
    Pollutant,
    city_daily_mean,
    o3_8h_moving_means,
)
from ecowatch.standards.air import MIN_HOURS_PER_8H, MIN_HOURS_PER_DAY, MIN_WINDOWS_PER_DAY
from ecowatch.standards.aqi import concentration_decimals


def _value_valid(statistic: DailyStatistic) -> tuple[np.ndarray, np.ndarray]:
    return statistic.value, statistic.valid


def _hour_list(mask: np.ndarray) -> list[int]:
    return [int(h) for h in np.flatnonzero(mask)]


def explain_day(assessment: AirAssessment, site_code: str, day: dt.date) -> dict[str, Any]:
    """A structured account of ``site_code`` on ``day`` (see ``ecowatch air explain``)."""
    cube, figures = assessment.cube, assessment.daily
    if not assessment.first_day <= day <= assessment.last_day:
        raise ValueError(f"{day} is outside the assessed period")
    site_index = cube.site_index(site_code)
    site = cube.sites[site_index]
    day_index = (day - cube.first_day).days
    hourly = cube.site_values(site_index)[:, day_index]
    pollutants: dict[str, Any] = {}
    rejected = _rejected_values(assessment, site_code, day)
    for pollutant in POLLUTANTS:
        values = hourly[POLLUTANT_INDEX[pollutant]]
        present = ~np.isnan(values)
        pollutants[pollutant.value] = {
            "hours_present": int(present.sum()),
            "hours_missing": _hour_list(~present),
            "rejected_at_import": rejected.get(pollutant.value, []),
            "hourly": [
                published_number(float(v), pollutant.decimals + 1) if ok else None
                for v, ok in zip(values, present, strict=True)
            ],
        }
    if site.kind == "city":
        # The city's 8-h values are the means of its stations' valid 8-h means (docs/decisions.md row 12).
        members = [cube.site_index(code) for code in site.members]
        o3 = cube.values[members, POLLUTANT_INDEX[Pollutant.O3], day_index]
        windows = city_daily_mean(*_value_valid(o3_8h_moving_means(o3)))
    else:
        windows = o3_8h_moving_means(hourly[POLLUTANT_INDEX[Pollutant.O3]])
    o3_windows = [
        {
            "hours": f"{w:02d}-{w + 7:02d}",
            "valid_hours": int(windows.count[w]),
            "mean": published_number(float(windows.value[w]), 1),
            "valid": bool(windows.valid[w]),
        }
        for w in range(len(windows.value))
    ]
    items = {}
    for item in ITEM_ORDER:
        iaqi = int(figures.iaqi[item][site_index, day_index])
        items[item.value] = {
            "value": published_number(
                float(figures.values[item][site_index, day_index]),
                concentration_decimals(item.pollutant, figures.editions[day_index]),
            ),
            "formed_from": int(figures.counts[item][site_index, day_index]),
            "valid": bool(figures.valid[item][site_index, day_index]),
            "why_invalid": invalid_reason(figures, item, site_index, day_index, city=site.kind == "city"),
            "in_daily_aqi": bool(figures.in_report[item][day_index]),
            "iaqi": iaqi if iaqi >= 0 else None,
        }
    aqi = int(figures.aqi[site_index, day_index])
    level = int(figures.level[site_index, day_index])
    return {
        "site": site.code,
        "name": site.name,
        "kind": site.kind,
        "members": list(site.members),
        "date": day.isoformat(),
        "edition": figures.editions[day_index].value,
        "rules": {
            "daily_mean": f"at least {MIN_HOURS_PER_DAY} valid 1-h values (GB 3095 表4)"
            + ("; the city's: the mean of its stations' valid days" if site.kind == "city" else ""),
            "o3_8h_window": f"at least {MIN_HOURS_PER_8H} of 8 hours (GB 3095 表4)",
            "o3_max8h": f"at least {MIN_WINDOWS_PER_DAY} of the day's 17 windows, or above the limit "
            "(HJ 663)",
        },
        "pollutants": pollutants,
        "o3_8h_windows": o3_windows,
        "items": items,
        "aqi": None if aqi == MISSING else aqi,
        "aqi_from_items_present": int(figures.aqi_partial[site_index, day_index]),
        "complete": bool(figures.complete[site_index, day_index]),
        "counted": bool(figures.counted[site_index, day_index]),
        "level": level or None,
        "category_zh": AQI_LEVELS[level - 1].category_zh if level else None,
        "category_en": AQI_LEVELS[level - 1].category_en if level else None,
        "primary_pollutants": primary_names(figures, site_index, day_index),
    }


def _rejected_values(assessment: AirAssessment, site_code: str, day: dt.date) -> dict[str, list[str]]:
    """Values the importer marked invalid (``--lenient``), with their reasons, per pollutant."""
    if assessment.imported is None:
        return {}
    site = assessment.cube.sites[assessment.cube.site_index(site_code)]
    codes = list(site.members) if site.kind == "city" else [site_code]
    start = dt.datetime.combine(day, dt.time())
    frame = assessment.imported.measurements.filter(
        pl.col("station").is_in(codes)
        & pl.col("time").is_between(start, start + dt.timedelta(days=1), closed="left")
        & pl.col("invalid_reason").is_not_null()
    )
    result: dict[str, list[str]] = {}
    for row in frame.iter_rows(named=True):
        result.setdefault(row["pollutant"], []).append(
            f"{row['station']} {row['time']:%H}h: {row['invalid_reason']}"
        )
    return result
