"""Figures as published: rounded as the national platform rounds, keyed as the command line prints."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any, Literal, overload

import polars as pl

from ecowatch.assessment.air import AirAssessment
from ecowatch.assessment.daily import ITEM_ORDER, DailyFigures, primary_names
from ecowatch.assessment.period import PeriodFigures
from ecowatch.standards import AQI_LEVELS, MISSING, AqiItem, Pollutant, round_gbt8170
from ecowatch.standards.aqi import concentration_decimals
from ecowatch.standards.pollutants import PERCENT_DECIMALS
from ecowatch.standards.ranking import INDEX_STATISTICS

PUBLISHED_ORDER = (Pollutant.PM2_5, Pollutant.PM10, Pollutant.SO2, Pollutant.NO2, Pollutant.CO, Pollutant.O3)


@overload
def published_number(value: float | Decimal | None, decimals: Literal[0]) -> int | None: ...
@overload
def published_number(value: float | Decimal | None, decimals: int) -> int | float | None: ...
def published_number(value: float | Decimal | None, decimals: int) -> int | float | None:
    """A figure rounded by GB/T 8170 to ``decimals`` places, as a JSON number (int when 0 places)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    rounded = round_gbt8170(value, decimals)
    return int(rounded) if decimals == 0 else float(rounded)


def period_json(figures: PeriodFigures) -> dict[str, Any]:
    """One site's period figures in the shape of ``ecowatch air assess --json``."""
    result: dict[str, Any] = {}
    for pollutant in PUBLISHED_ORDER:
        statistics = figures.statistics[pollutant]
        headline = INDEX_STATISTICS[pollutant]
        entry: dict[str, Any] = {
            "statistic": headline,
            "value": published_number(statistics[headline].value, pollutant.decimals),
            "unit": pollutant.unit,
            "days": statistics[headline].days,
        }
        for name, statistic in statistics.items():
            if name != headline:
                entry[name] = published_number(statistic.value, pollutant.decimals)
        entry["complies"] = figures.compliance[pollutant]
        result[pollutant.value] = entry
    index = figures.comprehensive_index
    result.update(
        valid_days=figures.valid_days,
        good_days=figures.good_days,
        good_ratio_pct=published_number(figures.good_ratio, PERCENT_DECIMALS),
        days_by_level={str(level): count for level, count in figures.days_by_level.items()},
        exceedance_days={p.value: figures.exceedance_days[p] for p in PUBLISHED_ORDER},
        comprehensive_index=None if index is None else float(index),
        limits=figures.phase.value,
    )
    if figures.annual_sufficient is not None:
        result["annual_data_sufficient"] = {p.value: ok for p, ok in figures.annual_sufficient.items()}
    return result


def sites_json(assessment: AirAssessment) -> dict[str, dict[str, Any]]:
    """Every site's period figures, with and without the excluded days (and, where the period has
    them, the HJ 663—2026 three-year moving means)."""
    with_all = assessment.periods()
    without = assessment.periods(excluding=True) if assessment.exclusions else with_all
    result = {
        code: {**period_json(figures), "excluding_dust": period_json(without[code])}
        for code, figures in with_all.items()
    }
    if assessment.three_year_years:
        for excluding in (False, True):
            for code, means in assessment.three_year_means(excluding=excluding).items():
                target = result[code]["excluding_dust"] if excluding else result[code]
                target["three_year_moving_mean"] = three_year_json(means)
    return result


def three_year_json(
    means: dict[Pollutant, dict[str, float | None]],
) -> dict[str, dict[str, int | float | None]]:
    """One site's three-year moving means, published at each pollutant's precision."""
    return {
        pollutant.value: {
            name: published_number(value, pollutant.decimals) for name, value in means[pollutant].items()
        }
        for pollutant in PUBLISHED_ORDER
    }


def assessment_json(assessment: AirAssessment) -> dict[str, Any]:
    """The object ``ecowatch air assess --json`` prints."""
    cities = list(assessment.city_members)
    sites = sites_json(assessment)
    edition_note = (
        f"forced by --standard {assessment.forced_edition.value}"
        if assessment.forced_edition
        else "each day by the edition in force on its date"
    )
    result: dict[str, Any] = {
        "period": {
            "from": assessment.first_day.isoformat(),
            "to": assessment.last_day.isoformat(),
            "days": (assessment.last_day - assessment.first_day).days + 1,
            "standard": assessment.edition.value,
            "daily_aqi_edition": edition_note,
            "limits": assessment.phase.value,
        },
        "stations": list(assessment.city_members[cities[0]]) if cities else [],
        "city": sites[cities[0]] if cities else None,
        "by_station": {s.code: sites[s.code] for s in assessment.stations},
    }
    if assessment.three_year_years:
        first, _, last = assessment.three_year_years
        result["period"]["three_year_moving_mean"] = {
            "years": list(assessment.three_year_years),
            "rule": f"HJ 663—2026 three-year moving mean of each annual statistic, {first}–{last} "
            "(docs/decisions.md row 18); null where a year has no value",
        }
    if len(cities) > 1:
        result["cities"] = {city: sites[city] for city in cities}
        result["stations_by_city"] = {city: list(m) for city, m in assessment.city_members.items()}
    if assessment.exclusions:
        result["exclusions"] = [
            {
                "city": e.city,
                "date": e.day.isoformat(),
                "kind": e.kind.value,
                "pollutants": sorted(p.value for p in e.pollutants),
                "approved_by": e.approved_by,
            }
            for e in assessment.exclusions
        ]
    if assessment.imported is not None:
        result["validity"] = validity_report(assessment)
    if assessment.imported is not None and assessment.imported.issues:
        result["input_issues"] = {
            "count": len(assessment.imported.issues),
            "first": [str(issue) for issue in assessment.imported.issues[:20]],
        }
    return result


def validity_report(assessment: AirAssessment) -> dict[str, Any]:
    """What was read and what could not be used: hourly values, invalid ones by reason, day counts."""
    measurements = assessment.imported.measurements if assessment.imported is not None else None
    report: dict[str, Any] = {}
    if measurements is not None:
        start = dt.datetime.combine(assessment.first_day, dt.time())
        end = dt.datetime.combine(assessment.last_day + dt.timedelta(days=1), dt.time())
        measurements = measurements.filter(pl.col("time").is_between(start, end, closed="left"))
        invalid = measurements.filter(pl.col("invalid_reason").is_not_null())
        reasons = invalid.group_by("invalid_reason").len().sort("len", descending=True)
        report["hourly_values_read"] = measurements.height
        report["hourly_values_invalid"] = invalid.height
        report["invalid_by_reason"] = dict(
            zip(reasons["invalid_reason"].to_list(), reasons["len"].to_list(), strict=True)
        )
    daily = assessment.daily
    in_period = assessment.day_mask()
    report["daily_values_invalid"] = {
        item.value: int((~daily.valid[item] & daily.in_report[item] & in_period).sum()) for item in ITEM_ORDER
    }
    report["site_days_not_counted"] = int((~daily.counted & in_period).sum())
    return report


INVALID_REASONS = {
    AqiItem.O3_8H: "fewer than 14 valid 8-h means and not above the limit (HJ 663)",
    AqiItem.O3_1H: "fewer than 20 valid hours and not above the 1-h limit",
}


def invalid_reason(
    figures: DailyFigures, item: AqiItem, site: int, day: int, *, city: bool = False
) -> str | None:
    """Why a daily value is not used, or None when it is.

    A city's 24-h means are formed from its stations' days (docs/decisions.md row 12), so for a city
    the count is of member stations with a valid day, not of hours.
    """
    if figures.excluded[item][site, day]:
        return "excluded (approved sand-dust / exceptional-event day)"
    if figures.valid[item][site, day]:
        return None
    count = int(figures.counts[item][site, day])
    if item in INVALID_REASONS:
        unit = "valid 8-h means" if item is AqiItem.O3_8H else "valid hours"
        return f"{count} {unit}: {INVALID_REASONS[item]}"
    if city:
        return "no member station has a valid day (each needs 20 valid hours, GB 3095 表4)"
    return f"{count} valid hours < 20 required (GB 3095 表4)"


def daily_table(assessment: AirAssessment, *, excluding: bool = False) -> pl.DataFrame:
    """One row per site and day: concentrations, IAQIs, AQI, level, primary pollutants, validity.

    Each concentration is printed at the precision it enters the IAQI formula with
    (:func:`~ecowatch.standards.aqi.concentration_decimals`: integers, CO 0.1 under 2026; 0.1 µg/m³,
    CO 0.01 mg/m³ under 2012), so that the printed IAQI follows from the printed concentration by
    HJ 633 式(1): PM2.5 75.2 → 101, never "75" beside 101 (docs/decisions.md row 2).
    """
    figures = assessment.daily_excluding if excluding else assessment.daily
    rows = []
    for site_index, site in enumerate(assessment.cube.sites):
        for day_index, day in enumerate(figures.days):
            aqi = int(figures.aqi[site_index, day_index])
            level = int(figures.level[site_index, day_index])
            row: dict[str, Any] = {
                "date": day,
                "site": site.code,
                "site_name": site.name,
                "kind": site.kind,
                "edition": figures.editions[day_index].value,
            }
            edition = figures.editions[day_index]
            for item in ITEM_ORDER:
                decimals = concentration_decimals(item.pollutant, edition)
                value = figures.values[item][site_index, day_index]
                usable = figures.valid[item][site_index, day_index]
                row[item.value] = published_number(float(value), decimals) if usable else None
            for item in ITEM_ORDER:
                iaqi = int(figures.iaqi[item][site_index, day_index])
                in_report = bool(figures.in_report[item][day_index])
                row[f"IAQI_{item.value}"] = iaqi if iaqi >= 0 and in_report else None
            row["AQI"] = None if aqi == MISSING else aqi
            row["level"] = level or None
            row["category_zh"] = AQI_LEVELS[level - 1].category_zh if level else None
            row["category_en"] = AQI_LEVELS[level - 1].category_en if level else None
            row["primary_pollutants"] = ";".join(primary_names(figures, site_index, day_index))
            row["counted"] = bool(figures.counted[site_index, day_index])
            reasons = [
                f"{item.value}: {reason}"
                for item in ITEM_ORDER
                if figures.in_report[item][day_index]
                and (reason := invalid_reason(figures, item, site_index, day_index, city=site.kind == "city"))
            ]
            row["invalid"] = "; ".join(reasons)
            rows.append(row)
    return pl.DataFrame(rows, infer_schema_length=None)
