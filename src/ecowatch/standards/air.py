"""Ambient-air limits and data validity (GB 3095) and evaluation statistics (HJ 663).

Daily statistics work on arrays whose last axis holds the 24 hourly values of one day (NaN =
missing or invalid), so one call evaluates a station-day, a year of a city or a national network.
Hours are indexed by their label in the published data (0–23, the release labels each hour by its
end); see :func:`o3_8h_moving_means` for how the day's 8-h windows follow from that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

import numpy as np

from .arrays import ArrayLike, BoolArray, FloatArray, IntArray
from .editions import LimitPhase
from .pollutants import Pollutant
from .rounding import round_array_gbt8170


class Averaging(StrEnum):
    """Averaging times of GB 3095 表1."""

    ANNUAL = "annual"
    DAY = "24h"
    MAX_8H = "max8h"
    HOUR = "1h"


_P = Pollutant
_A = Averaging

GB3095_2012_LIMITS: Mapping[tuple[Pollutant, Averaging], tuple[float, float]] = MappingProxyType(
    {
        (_P.SO2, _A.ANNUAL): (20, 60),
        (_P.SO2, _A.DAY): (50, 150),
        (_P.SO2, _A.HOUR): (150, 500),
        (_P.NO2, _A.ANNUAL): (40, 40),
        (_P.NO2, _A.DAY): (80, 80),
        (_P.NO2, _A.HOUR): (200, 200),
        (_P.CO, _A.DAY): (4, 4),
        (_P.CO, _A.HOUR): (10, 10),
        (_P.O3, _A.MAX_8H): (100, 160),
        (_P.O3, _A.HOUR): (160, 200),
        (_P.PM10, _A.ANNUAL): (40, 70),
        (_P.PM10, _A.DAY): (50, 150),
        (_P.PM2_5, _A.ANNUAL): (15, 35),
        (_P.PM2_5, _A.DAY): (35, 75),
    }
)
"""GB 3095-2012 表1: (grade I, grade II) limits [µg/m³; CO mg/m³]."""

GB3095_2026_TRANSITIONAL_LIMITS: Mapping[tuple[Pollutant, Averaging], tuple[float, float]] = MappingProxyType(
    {
        **GB3095_2012_LIMITS,
        (_P.PM10, _A.ANNUAL): (40, 60),
        (_P.PM10, _A.DAY): (50, 120),
        (_P.PM2_5, _A.ANNUAL): (15, 30),
        (_P.PM2_5, _A.DAY): (35, 60),
    }
)
"""GB 3095—2026 表1, transitional phase (to 2030-12-31): 2012 except grade-II PM10 24-h 150 → 120 and
annual 70 → 60, PM2.5 24-h 75 → 60 and annual 35 → 30."""

GB3095_2026_FINAL_LIMITS: Mapping[tuple[Pollutant, Averaging], tuple[float, float]] = MappingProxyType(
    {
        **GB3095_2012_LIMITS,
        (_P.SO2, _A.ANNUAL): (20, 20),
        (_P.SO2, _A.DAY): (50, 50),
        (_P.SO2, _A.HOUR): (150, 150),
        (_P.NO2, _A.ANNUAL): (30, 30),
        (_P.NO2, _A.DAY): (50, 50),
        (_P.PM10, _A.ANNUAL): (20, 50),
        (_P.PM10, _A.DAY): (50, 100),
        (_P.PM2_5, _A.ANNUAL): (10, 25),
        (_P.PM2_5, _A.DAY): (25, 50),
    }
)
"""GB 3095—2026 表1, final phase (from 2031-01-01)."""

GB3095_LIMITS: Mapping[LimitPhase, Mapping[tuple[Pollutant, Averaging], tuple[float, float]]] = (
    MappingProxyType(
        {
            LimitPhase.GB3095_2012: GB3095_2012_LIMITS,
            LimitPhase.GB3095_2026_TRANSITIONAL: GB3095_2026_TRANSITIONAL_LIMITS,
            LimitPhase.GB3095_2026_FINAL: GB3095_2026_FINAL_LIMITS,
        }
    )
)


def limit(pollutant: Pollutant, averaging: Averaging, phase: LimitPhase, grade: int = 2) -> float:
    """Concentration limit of GB 3095 [µg/m³; CO mg/m³].

    Parameters
    ----------
    grade : {1, 2}
        Grade I applies in class-1 zones, grade II in class-2 zones (GB 3095 §4.1–4.2).

    References
    ----------
    [GB3095-2012]_ 表1; [GB3095-2026]_ 表1 and §4.4 (phases).

    >>> limit(Pollutant.PM2_5, Averaging.ANNUAL, LimitPhase.GB3095_2012)
    35
    >>> limit(Pollutant.PM10, Averaging.DAY, LimitPhase.GB3095_2026_FINAL)
    100
    """
    if grade not in (1, 2):
        raise ValueError(f"grade must be 1 or 2, not {grade}")
    return GB3095_LIMITS[phase][(pollutant, averaging)][grade - 1]


# --- data validity: GB 3095-2012 表4 / GB 3095—2026 表4 (§6.4), the same numbers in both editions ---
MIN_HOURS_PER_DAY = 20
"""24-h mean of SO2, NO2, CO, PM10, PM2.5: "每日至少有 20 个小时平均浓度值或采样时间"."""
MIN_HOURS_PER_8H = 6
"""O3 8-h mean: "每 8 小时至少有 6 小时平均浓度值"."""
MIN_WINDOWS_PER_DAY = 14
"""O3 daily maximum 8-h mean: at least 14 valid 8-h means among the day's 17 ([HJ663-2013]_ 表 notes,
kept by [HJ663-2026]_ §6.1.2)."""
MIN_DAYS_PER_YEAR = 324
"""Annual mean: "每年至少有 324 个日平均浓度值"."""
MIN_DAYS_PER_MONTH = 27
"""Annual mean: "每月至少有 27 个日平均浓度值（二月至少有 25 个日平均浓度值）"."""
MIN_DAYS_FEBRUARY = 25

WINDOWS_PER_DAY = 17
"""8-h windows wholly inside a day: ending at the day's 8th … 24th hour."""


def exceeds(value: ArrayLike | float, limit_value: float, decimals: int) -> BoolArray:
    """Whether values exceed a limit, judged on the rounded value.

    GB/T 8170-2008 §4.3 修约值比较法: a measured value is rounded to the limit's precision and then
    compared ([GB3095-2012]_ and [HJ663-2013]_ refer to GB/T 8170). 160.4 µg/m³ does not exceed 160.

    >>> exceeds(np.array([160.4, 160.5, 160.6, np.nan]), 160, 0).tolist()
    [False, False, True, False]
    """
    rounded = round_array_gbt8170(np.asarray(value, dtype=np.float64), decimals)
    return np.nan_to_num(rounded, nan=-np.inf) > limit_value


@dataclass(frozen=True, slots=True)
class DailyStatistic:
    """One daily statistic over the leading axes of an hourly array."""

    value: FloatArray
    """The statistic [float; NaN where no value could be formed]."""
    count: IntArray
    """Valid hours (24-h mean, 1-h max) or valid 8-h windows (max 8-h) it was formed from."""
    valid: BoolArray
    """It meets the standard's minimum-data rule."""


def _check_day_axis(hourly: ArrayLike) -> FloatArray:
    hourly = np.asarray(hourly, dtype=np.float64)
    if hourly.shape[-1] != 24:
        raise ValueError(f"the last axis must hold 24 hours, got {hourly.shape[-1]}")
    return hourly


def daily_mean(hourly: ArrayLike) -> DailyStatistic:
    """24-h mean (日平均) of SO2, NO2, CO, PM10, PM2.5 [same unit as the input].

    Notes
    -----
    Arithmetic mean of the day's valid 1-h means ([GB3095-2026]_ §3.10). Valid with at least 20 of
    them: GB 3095 表4 "SO2、NO2、CO、PM10、PM2.5 … 24 小时平均：每日至少有 20 个小时平均浓度值或采样时间".

    References
    ----------
    [GB3095-2012]_ 表4; [HJ663-2013]_ §6.

    >>> s = daily_mean(np.r_[np.full(20, 10.0), np.full(4, np.nan)])
    >>> float(s.value), int(s.count), bool(s.valid)
    (10.0, 20, True)
    """
    hourly = _check_day_axis(hourly)
    present = ~np.isnan(hourly)
    count = np.count_nonzero(present, axis=-1)
    total = np.sum(hourly, axis=-1, where=present)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return DailyStatistic(value=value, count=count, valid=count >= MIN_HOURS_PER_DAY)


def moving_mean(series: ArrayLike, window: int, min_valid: int) -> DailyStatistic:
    """Trailing moving mean along the last axis: the value at t covers t − window + 1 … t.

    Parameters
    ----------
    series : array
        Consecutive 1-h means, NaN = missing.
    window, min_valid : int
        Hours in the window and the fewest valid ones for a valid mean (O3 8-h: 8 and 6; the PM
        24-h moving mean of the 2012 real-time report: 24 and 20; GB 3095 表4).

    Returns
    -------
    DailyStatistic
        ``value`` is the mean of the valid hours present (NaN when none, and for the first
        ``window − 1`` positions, whose window starts before the series).

    >>> s = moving_mean(np.array([1.0, 2, 3, np.nan, 5]), 3, 2)
    >>> s.value.tolist()[2:], s.valid.tolist()
    ([2.0, 2.5, 4.0], [False, False, True, True, True])
    """
    series = np.asarray(series, dtype=np.float64)
    n = series.shape[-1]
    # Time first, so that each shifted slice below is one contiguous block: adding a window's slices
    # is exact in summation order and much faster than a cumulative sum along a short hour axis.
    by_time = np.ascontiguousarray(np.moveaxis(series, -1, 0))
    present = ~np.isnan(by_time)
    filled = np.where(present, by_time, 0.0)
    value = np.full(by_time.shape, np.nan)
    count = np.zeros(by_time.shape, dtype=np.int32)
    if n >= window:
        span = n - window + 1
        window_sum = filled[0:span].copy()
        window_count = present[0:span].astype(np.int32)
        for k in range(1, window):
            window_sum += filled[k : k + span]
            window_count += present[k : k + span]
        with np.errstate(invalid="ignore", divide="ignore"):
            value[window - 1 :] = np.where(window_count > 0, window_sum / np.maximum(window_count, 1), np.nan)
        count[window - 1 :] = window_count
    count = np.moveaxis(count, 0, -1)
    return DailyStatistic(value=np.moveaxis(value, 0, -1), count=count, valid=count >= min_valid)


def o3_8h_moving_means(hourly: ArrayLike) -> DailyStatistic:
    """The day's 17 O3 8-h moving means [µg/m³], last axis = window.

    Notes
    -----
    8-h mean = arithmetic mean of 8 consecutive 1-h means ([GB3095-2026]_ §3.8, "8 小时滑动平均"); valid
    with at least 6 of the 8 (GB 3095 表4 "每 8 小时至少有 6 小时平均浓度值"). The daily maximum takes the
    windows ending at the 8th to the 24th hour of the natural day ([HJ663-2013]_: "8 时至 24 时"),
    which are the 17 windows lying wholly inside the day. ecowatch takes a day's hours to be the 24
    values the release publishes under that date (hour labels 0–23), so window w covers labels
    w … w+7; windows reaching into the previous day are not used. This, and the same grouping for
    the 24-h mean, is the one place the day's hours are defined.

    >>> s = o3_8h_moving_means(np.arange(24.0))
    >>> s.value.shape, float(s.value[0]), float(s.value[-1])
    ((17,), 3.5, 19.5)
    """
    windows = moving_mean(_check_day_axis(hourly), 8, MIN_HOURS_PER_8H)
    return DailyStatistic(
        value=windows.value[..., 7:], count=windows.count[..., 7:], valid=windows.valid[..., 7:]
    )


def _max_where(values: FloatArray, mask: BoolArray) -> FloatArray:
    masked = np.where(mask, values, -np.inf)
    best = masked.max(axis=-1)
    return np.where(np.isneginf(best), np.nan, best)


def o3_daily_max_8h(hourly: ArrayLike, limit_value: float = 160) -> DailyStatistic:
    """O3 daily maximum 8-h mean (日最大 8 小时平均) [µg/m³].

    Parameters
    ----------
    hourly : array, last axis 24
        O3 1-h means [µg/m³], NaN = missing.
    limit_value : float
        The O3 8-h limit whose exceedance keeps a short day valid (grade II, 160 µg/m³).

    Notes
    -----
    The maximum of the day's valid 8-h means ([GB3095-2026]_ §3.9). [HJ663-2013]_ (and §6.1.2 of
    [HJ663-2026]_): valid with at least 14 valid 8-h means; "当不满足 14 个有效数据时，若日最大 8 小时平均
    浓度超过浓度限值标准时，统计结果仍有效" — with fewer, the maximum is still valid when it exceeds the
    limit.

    >>> day = np.full(24, 50.0); day[:12] = np.nan; day[16] = 1500.0
    >>> s = o3_daily_max_8h(day)
    >>> int(s.count), bool(s.valid), float(s.value)
    (7, True, 291.6666666666667)
    """
    windows = o3_8h_moving_means(hourly)
    value = _max_where(windows.value, windows.valid)
    count = windows.valid.sum(axis=-1)
    valid = (count >= MIN_WINDOWS_PER_DAY) | exceeds(value, limit_value, 0)
    return DailyStatistic(value=value, count=count, valid=valid)


def o3_daily_max_1h(hourly: ArrayLike, limit_value: float = 200) -> DailyStatistic:
    """O3 daily maximum 1-h mean (日最大 1 小时平均) [µg/m³], an indicator of the 2012 daily AQI.

    Notes
    -----
    Neither GB 3095 表4 nor the HJ 663 text seen states a minimum for this maximum. ecowatch applies
    the 24-h rule (at least 20 valid hours) and, as HJ 663 does for the 8-h maximum, keeps a shorter
    day valid when its maximum exceeds the 1-h limit (grade II, 200 µg/m³): more data could only
    raise it. This is the one place the choice is made.

    >>> s = o3_daily_max_1h(np.r_[np.full(19, 80.0), np.full(5, np.nan)])
    >>> float(s.value), bool(s.valid)
    (80.0, False)
    """
    hourly = _check_day_axis(hourly)
    # fmax ignores NaN: the maximum of the values present, NaN only where there is none.
    value = np.fmax.reduce(hourly, axis=-1)
    count = np.count_nonzero(~np.isnan(hourly), axis=-1)
    return DailyStatistic(
        value=value, count=count, valid=(count >= MIN_HOURS_PER_DAY) | exceeds(value, limit_value, 0)
    )


def city_daily_mean(station_values: ArrayLike, station_valid: ArrayLike) -> DailyStatistic:
    """A city's daily value from its stations' daily values (axis 0 = station).

    Parameters
    ----------
    station_values, station_valid : arrays (station, ...)
        Each assessment station's daily value (24-h mean) and whether it met the daily rule.

    Returns
    -------
    DailyStatistic
        ``value`` the arithmetic mean of the stations' valid daily values, ``count`` how many
        entered it, ``valid`` where at least one did.

    Notes
    -----
    [HJ663-2013]_ assesses a city on the arithmetic mean of its assessment stations. The text seen
    does not fix the stage at which stations are averaged (shared/reference/standards.md Part 2 §3.5
    recalls "the same time scale": city daily = mean of station daily means, city O3 8-h from the
    city's 8-h values). ecowatch forms each station's day first (its own 20-of-24-hour rule) and then
    averages the days, so that hours missing at some stations do not reweight the city's day: on
    2016-05-06 three of Beijing's eleven stations were down 00–03 h during a dust spike, and the
    hour-by-hour city mean gave those hours to eight stations, PM10 178 against 136 from the
    station days. This is the one place the stage is chosen (docs/decisions.md row 12).

    >>> s = city_daily_mean(np.array([[100.0], [140.0], [500.0]]), np.array([[True], [True], [False]]))
    >>> s.value.tolist(), s.count.tolist(), s.valid.tolist()
    ([120.0], [2], [True])
    """
    values = np.asarray(station_values, dtype=np.float64)
    usable = np.asarray(station_valid, dtype=bool) & ~np.isnan(values)
    count = usable.sum(axis=0)
    total = np.sum(values, axis=0, where=usable)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return DailyStatistic(value=value, count=count, valid=count > 0)


def city_o3_daily_max_8h(station_windows: DailyStatistic, limit_value: float = 160) -> DailyStatistic:
    """A city's O3 daily maximum 8-h mean from its stations' 8-h means (axis 0 = station).

    Parameters
    ----------
    station_windows : DailyStatistic (station, ..., window)
        Each station's 17 8-h moving means of the day (:func:`o3_8h_moving_means`).
    limit_value : float
        The O3 8-h limit whose exceedance keeps a short day valid (grade II, 160 µg/m³).

    Notes
    -----
    As recalled of [HJ663-2013]_ (Part 2 §3.5), the city's daily maximum 8-h value is taken from the
    city's 8-h values: each window's city value is the mean of the stations' valid 8-h means of that
    window (each station's own 6-of-8-hour rule), and the day's maximum and its 14-window rule then
    apply to the city's windows as :func:`o3_daily_max_8h` applies them to a station's.

    >>> w = DailyStatistic(value=np.array([[100.0] * 17, [140.0] * 16 + [300.0]]),
    ...                    count=np.full((2, 17), 8), valid=np.array([[True] * 17, [True] * 16 + [False]]))
    >>> s = city_o3_daily_max_8h(w)
    >>> float(s.value), int(s.count), bool(s.valid)
    (120.0, 17, True)
    """
    city = city_daily_mean(station_windows.value, station_windows.valid)
    value = _max_where(city.value, city.valid)
    count = city.valid.sum(axis=-1)
    valid = (count >= MIN_WINDOWS_PER_DAY) | exceeds(value, limit_value, 0)
    return DailyStatistic(value=value, count=count, valid=valid)


def percentile_hj663(values: ArrayLike, p: float) -> FloatArray:
    """The p-th percentile of HJ 663 along the last axis, ignoring NaN.

    Notes
    -----
    [HJ663-2013]_ §6 / 附录A: sort ascending X(1) ≤ … ≤ X(n); k = 1 + (n − 1)·p%; s = integer part of
    k; m_p = X(s) + (X(s+1) − X(s))·(k − s). k is formed exactly from (n − 1)·p / 100.

    References
    ----------
    [HJ663-2013]_ §6.2 式 and its worked example (2,3,4,4,5,8 → 90th percentile 6.5).

    >>> float(percentile_hj663(np.array([3, 4, 8, 2, 5, 4.0]), 90))
    6.5
    >>> float(percentile_hj663(np.array([1.2, 0.8, 1.5, 2.1, 0.9, 1.1, 1.3, 1.0, 1.4, 1.6, 1.7]), 95))
    1.9
    """
    values = np.asarray(values, dtype=np.float64)
    ordered = np.sort(values, axis=-1)  # NaN sorts last
    n = (~np.isnan(values)).sum(axis=-1)
    # (n-1)·p/100 in exact integer arithmetic (p given to 1e-6).
    p_scaled = round(p * 10**6)
    numerator = np.maximum(n - 1, 0) * p_scaled
    below = numerator // (100 * 10**6)
    fraction = (numerator % (100 * 10**6)) / (100 * 10**6)
    lower_index = np.minimum(below, np.maximum(n - 1, 0))[..., None]
    upper_index = np.minimum(below + 1, np.maximum(n - 1, 0))[..., None]
    x_s = np.take_along_axis(ordered, lower_index, axis=-1)[..., 0]
    x_next = np.take_along_axis(ordered, upper_index, axis=-1)[..., 0]
    result = x_s + (x_next - x_s) * fraction
    return np.where(n > 0, result, np.nan)


@dataclass(frozen=True, slots=True)
class PeriodStatistic:
    """A pollutant's statistic over a period of days."""

    pollutant: Pollutant
    statistic: str
    """``mean``, ``p98_daily``, ``p95_daily`` or ``p90_daily_max8h``."""
    value: float
    """Full precision; round with the pollutant's decimals to publish."""
    days: int
    """Valid daily values it was formed from."""


PERIOD_STATISTICS: Mapping[Pollutant, tuple[str, ...]] = MappingProxyType(
    {
        Pollutant.SO2: ("mean", "p98_daily"),
        Pollutant.NO2: ("mean", "p98_daily"),
        Pollutant.PM10: ("mean", "p95_daily"),
        Pollutant.PM2_5: ("mean", "p95_daily"),
        Pollutant.CO: ("p95_daily",),
        Pollutant.O3: ("p90_daily_max8h",),
    }
)
"""Evaluation statistics per pollutant ([HJ663-2013]_ 表1 评价项目; kept by [HJ663-2026]_): the period
mean of the daily means and a percentile of the daily values (SO2, NO2: 98th; PM: 95th; CO: 95th of
24-h means; O3: 90th of daily maximum 8-h means). The first one is the headline figure."""

_PERCENTILES = MappingProxyType({"p98_daily": 98, "p95_daily": 95, "p90_daily_max8h": 90})


def period_values(statistic: str, daily: ArrayLike) -> tuple[FloatArray, IntArray]:
    """A period statistic along the last axis of daily values (NaN = invalid day).

    Returns the statistic (NaN where no valid day) and the number of valid days it was formed from.

    Notes
    -----
    The period mean is the arithmetic mean of the valid daily means ([GB3095-2026]_ §3.13 "年平均 =
    一个日历年内各日平均浓度的算术平均值"; monthly and quarterly likewise). Percentiles follow
    :func:`percentile_hj663`.

    >>> values, days = period_values("mean", np.array([[10.0, 20.0, np.nan], [np.nan] * 3]))
    >>> values.tolist(), days.tolist()
    ([15.0, nan], [2, 0])
    """
    daily = np.asarray(daily, dtype=np.float64)
    present = ~np.isnan(daily)
    days = present.sum(axis=-1)
    if statistic == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(
                days > 0, np.where(present, daily, 0.0).sum(axis=-1) / np.maximum(days, 1), np.nan
            )
    else:
        value = percentile_hj663(daily, _PERCENTILES[statistic])
    return value, days


def period_statistic(pollutant: Pollutant, statistic: str, daily: ArrayLike) -> PeriodStatistic:
    """One evaluation statistic of a pollutant from its daily values (:func:`period_values`).

    >>> period_statistic(Pollutant.O3, "p90_daily_max8h",
    ...                  np.array([150, 120, 180, 200, 160, 170, 140, 190, 130, 210.0])).value
    201.0
    """
    value, days = period_values(statistic, daily)
    return PeriodStatistic(pollutant=pollutant, statistic=statistic, value=float(value), days=int(days))


def statistic_limit(pollutant: Pollutant, statistic: str, phase: LimitPhase, grade: int = 2) -> float:
    """The limit a period statistic is judged against: means against the annual limit, percentiles of
    daily values against the 24-h (O3: 8-h) limit ([HJ663-2013]_ §5.2, 表1).

    >>> statistic_limit(Pollutant.CO, "p95_daily", LimitPhase.GB3095_2012)
    4
    """
    if statistic == "mean":
        return limit(pollutant, Averaging.ANNUAL, phase, grade)
    averaging = Averaging.MAX_8H if pollutant is Pollutant.O3 else Averaging.DAY
    return limit(pollutant, averaging, phase, grade)


def annual_data_sufficient(days_per_month: Sequence[int], months: Sequence[int]) -> bool:
    """Whether a year's daily values suffice for an annual mean (GB 3095 表4).

    At least 324 daily values in the year and 27 in each of the twelve months (25 in February):
    "每年至少有 324 个日平均浓度值，每月至少有 27 个日平均浓度值（二月至少有 25 个日平均浓度值）".
    ``months`` names the month of each count; a month that is not named has no valid day.

    >>> annual_data_sufficient([31, 25] + [30] * 10, list(range(1, 13)))
    True
    >>> annual_data_sufficient([31, 24] + [30] * 10, list(range(1, 13)))
    False
    >>> annual_data_sufficient([31] * 11, list(range(1, 12)))
    False
    """
    per_month = np.zeros(12, dtype=np.int64)
    for count, month in zip(days_per_month, months, strict=True):
        per_month[month - 1] += count
    return bool(annual_data_sufficient_array(per_month))


def annual_data_sufficient_array(per_month: ArrayLike) -> BoolArray:
    """:func:`annual_data_sufficient` for arrays whose last axis holds the counts of January … December.

    >>> annual_data_sufficient_array(np.array([[31, 25] + [30] * 10, [31, 24] + [30] * 10])).tolist()
    [True, False]
    """
    per_month = np.asarray(per_month)
    minimum = np.full(12, MIN_DAYS_PER_MONTH)
    minimum[1] = MIN_DAYS_FEBRUARY
    sufficient: BoolArray = (per_month.sum(axis=-1) >= MIN_DAYS_PER_YEAR) & (per_month >= minimum).all(
        axis=-1
    )
    return sufficient


def three_year_moving_mean(annual: Mapping[int, float]) -> dict[int, float]:
    """Three-year moving mean of an annual statistic, labelled by its last year.

    Notes
    -----
    UNVERIFIED: [HJ663-2026]_ introduces three-year moving averages for attainment; its text was not
    available. ecowatch takes the arithmetic mean of the statistic over the year and the two before
    it, and forms it only where all three years exist.

    >>> three_year_moving_mean({2014: 86.0, 2015: 81.0, 2016: 73.0, 2017: 58.0})
    {2016: 80.0, 2017: 70.66666666666667}
    """
    return {
        year: (annual[year - 2] + annual[year - 1] + annual[year]) / 3
        for year in sorted(annual)
        if year - 1 in annual and year - 2 in annual
    }
