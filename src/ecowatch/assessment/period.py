"""Figures of a period (month, quarter, year, any span of days) for one site."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from ecowatch.assessment.daily import DailyFigures, pollutant_items
from ecowatch.standards import (
    AQI_LEVELS,
    PERIOD_STATISTICS,
    AqiItem,
    LimitPhase,
    PeriodStatistic,
    Pollutant,
    annual_data_sufficient_array,
    period_values,
    round_array_gbt8170,
    statistic_limit,
)
from ecowatch.standards.ranking import INDEX_STATISTICS, comprehensive_index_array

HEADLINE_ITEM: Mapping[Pollutant, AqiItem] = {
    Pollutant.PM2_5: AqiItem.PM2_5,
    Pollutant.PM10: AqiItem.PM10,
    Pollutant.SO2: AqiItem.SO2,
    Pollutant.NO2: AqiItem.NO2,
    Pollutant.CO: AqiItem.CO,
    Pollutant.O3: AqiItem.O3_8H,
}
"""The daily indicator each pollutant's period statistics are formed from (O3: daily max 8-h)."""


@dataclass(frozen=True)
class PeriodFigures:
    """One site's figures over a period, full precision (rounding happens when published)."""

    first_day: dt.date
    last_day: dt.date
    phase: LimitPhase
    statistics: Mapping[Pollutant, Mapping[str, PeriodStatistic]]
    valid_days: int
    good_days: int
    days_by_level: Mapping[int, int]
    exceedance_days: Mapping[Pollutant, int]
    comprehensive_index: Decimal | None
    """The comprehensive index as published (two decimals; [RANKING-2018]_)."""
    compliance: Mapping[Pollutant, bool | None]
    annual_sufficient: Mapping[Pollutant, bool] | None
    """For a calendar year: whether each pollutant has enough daily values (GB 3095 表4)."""

    @property
    def good_ratio(self) -> float | None:
        """Good-day ratio (优良天数比例) [%]: days with AQI ≤ 100 over days counted."""
        return 100 * self.good_days / self.valid_days if self.valid_days else None

    def headline(self, pollutant: Pollutant) -> PeriodStatistic:
        """The statistic published first for a pollutant (mean; CO p95; O3 p90 of max 8-h)."""
        return self.statistics[pollutant][INDEX_STATISTICS[pollutant]]


def period_figures(
    daily: DailyFigures, day_mask: np.ndarray, phase: LimitPhase, sites: Sequence[int] | None = None
) -> list[PeriodFigures]:
    """Evaluate sites (default: all) over the days selected by ``day_mask``, all sites at once.

    Notes
    -----
    Statistics per [HJ663-2013]_ §5 (PERIOD_STATISTICS) from the valid, non-excluded daily values.
    Days per level, good days and exceedance days count the days of :func:`counted_days`; a pollutant
    exceeds on a day when its IAQI is above 100 (超标污染物 of [HJ633-2012]_ §3.5; for O3 either
    indicator of the day's report), which is exactly when its daily value exceeds the grade-II
    24-h (O3 8-h / 1-h) limit behind the IAQI-100 breakpoint.
    """
    rows = np.arange(daily.aqi.shape[0]) if sites is None else np.asarray(sites)
    days = [day for day, on in zip(daily.days, day_mask, strict=True) if on]
    arrays: dict[Pollutant, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    for pollutant, names in PERIOD_STATISTICS.items():
        item = HEADLINE_ITEM[pollutant]
        values = np.where(daily.usable(item)[rows], daily.values[item][rows], np.nan)[:, day_mask]
        arrays[pollutant] = {name: period_values(name, values) for name in names}
    counted = daily.counted[rows] & day_mask
    level = np.where(counted, daily.level[rows], 0)
    level_days = {lv.number: (level == lv.number).sum(axis=1) for lv in AQI_LEVELS}
    exceedance = {}
    for pollutant in PERIOD_STATISTICS:
        exceeded = np.zeros(counted.shape, dtype=bool)
        for item in pollutant_items(pollutant):
            exceeded |= daily.exceeding[item][rows] & daily.in_report[item]
        exceedance[pollutant] = (exceeded & counted).sum(axis=1)
    sufficiency = _annual_sufficiency(daily, rows, day_mask, days)
    index = comprehensive_index_array({p: arrays[p][INDEX_STATISTICS[p]][0] for p in INDEX_STATISTICS}, phase)
    complies = {}
    for pollutant, by_name in arrays.items():
        # GB/T 8170 修约值比较法: the published (rounded) statistic against the limit.
        checks = [
            round_array_gbt8170(values, pollutant.decimals) <= statistic_limit(pollutant, name, phase)
            for name, (values, _) in by_name.items()
        ]
        complies[pollutant] = np.logical_and.reduce(checks)
    results = []
    for k in range(len(rows)):
        statistics = {
            pollutant: {
                name: PeriodStatistic(pollutant, name, float(values[k]), int(count[k]))
                for name, (values, count) in by_name.items()
            }
            for pollutant, by_name in arrays.items()
        }
        results.append(
            PeriodFigures(
                first_day=days[0] if days else daily.days[0],
                last_day=days[-1] if days else daily.days[-1],
                phase=phase,
                statistics=statistics,
                valid_days=int(counted[k].sum()),
                good_days=int(level_days[1][k] + level_days[2][k]),
                days_by_level={number: int(count[k]) for number, count in level_days.items()},
                exceedance_days={p: int(count[k]) for p, count in exceedance.items()},
                comprehensive_index=None if math.isnan(index[k]) else Decimal(f"{index[k]:.2f}"),
                compliance={
                    p: None if any(math.isnan(s.value) for s in stats.values()) else bool(complies[p][k])
                    for p, stats in statistics.items()
                },
                annual_sufficient=None
                if sufficiency is None
                else {p: bool(ok[k]) for p, ok in sufficiency.items()},
            )
        )
    return results


def _annual_sufficiency(
    daily: DailyFigures, rows: np.ndarray, day_mask: np.ndarray, days: list[dt.date]
) -> dict[Pollutant, np.ndarray] | None:
    """For a calendar-year period: per pollutant and site, enough daily values (GB 3095 表4)."""
    if not days or days[0] != dt.date(days[0].year, 1, 1) or days[-1] != dt.date(days[0].year, 12, 31):
        return None
    months = np.array([day.month for day in daily.days])
    result = {}
    for pollutant in (Pollutant.SO2, Pollutant.NO2, Pollutant.PM10, Pollutant.PM2_5):
        usable = daily.usable(HEADLINE_ITEM[pollutant])[rows] & day_mask
        per_month = np.stack([usable[:, months == month].sum(axis=1) for month in range(1, 13)], axis=1)
        result[pollutant] = annual_data_sufficient_array(per_month)
    return result
