"""A city's daily values from its stations' days (docs/decisions.md row 12), by hand."""

from __future__ import annotations

import numpy as np

from ecowatch.standards import DailyStatistic, city_daily_mean, city_o3_daily_max_8h


def test_city_daily_mean_skips_invalid_station_days() -> None:
    values = np.array([[80.0, 10.0], [120.0, 20.0], [900.0, np.nan]])
    valid = np.array([[True, False], [True, False], [False, False]])
    city = city_daily_mean(values, valid)
    assert city.value[0] == 100.0  # (80 + 120) / 2; the invalid 900 does not enter
    assert city.count.tolist() == [2, 0]
    assert city.valid.tolist() == [True, False]
    assert np.isnan(city.value[1])  # no valid station day: no city day


def _windows(values: list[float], valid: list[bool]) -> DailyStatistic:
    return DailyStatistic(value=np.array(values), count=np.full(len(values), 8), valid=np.array(valid))


def test_city_o3_max_8h_from_city_windows() -> None:
    # Station P: 17 valid windows of 100, one of them 220. Station Q: 17 valid windows of 140.
    p = [100.0] * 17
    p[9] = 220.0
    stations = DailyStatistic(
        value=np.array([p, [140.0] * 17]), count=np.full((2, 17), 8), valid=np.ones((2, 17), dtype=bool)
    )
    city = city_o3_daily_max_8h(stations)
    assert float(city.value) == 180.0  # window 9: (220 + 140) / 2
    assert int(city.count) == 17 and bool(city.valid)


def test_city_o3_max_8h_short_day_valid_only_above_the_limit() -> None:
    # 13 valid city windows (< 14): valid only when the maximum exceeds 160 after GB/T 8170 rounding.
    valid = [True] * 13 + [False] * 4
    low = city_o3_daily_max_8h(
        DailyStatistic(value=np.array([[160.4] * 17]), count=np.full((1, 17), 8), valid=np.array([valid]))
    )
    high = city_o3_daily_max_8h(
        DailyStatistic(value=np.array([[160.6] * 17]), count=np.full((1, 17), 8), valid=np.array([valid]))
    )
    assert int(low.count) == 13 and not bool(low.valid)
    assert bool(high.valid)
