"""The real-time (hourly) AQI: which moving means are valid, and the editions' inputs."""

import datetime as dt

import numpy as np

from ecowatch.assessment.cube import POLLUTANT_INDEX, HourlyCube, Site
from ecowatch.assessment.hourly import realtime_aqi
from ecowatch.standards import MISSING, AqiItem, Edition, Pollutant


def one_site(days: int = 2) -> HourlyCube:
    values = np.full((1, 6, days, 24), np.nan)
    return HourlyCube(sites=(Site("S", "S", "station", ""),), first_day=dt.date(2015, 7, 1), values=values)


def test_a_single_hour_forms_no_24h_moving_mean():
    # GB 3095 表4: a 24-h mean needs 20 valid hours, an 8-h mean 6 of 8. One PM2.5 value and one O3
    # value give the 2012 real-time report no PM2.5 and no O3 8-h index at any hour.
    cube = one_site()
    cube.values[0, POLLUTANT_INDEX[Pollutant.PM2_5], 0, 0] = 100.0
    cube.values[0, POLLUTANT_INDEX[Pollutant.O3], 0, 0] = 50.0
    result = realtime_aqi(cube, Edition.E2012)
    assert (result.iaqi[AqiItem.PM2_5][0] == MISSING).all()
    assert (result.iaqi[AqiItem.O3_8H][0] == MISSING).all()
    # The O3 1-h value itself has its index at its hour: 50 µg/m³ on 0–160 → 15.625 → 16.
    assert result.iaqi[AqiItem.O3_1H][0, 0] == 16


def test_2012_pm_uses_the_24h_moving_mean_and_2026_the_hour():
    cube = one_site()
    pm = POLLUTANT_INDEX[Pollutant.PM2_5]
    cube.values[0, pm, 0, :] = 30.0
    cube.values[0, pm, 1, 0] = 150.0  # the hour 24 after the first
    old = realtime_aqi(cube, Edition.E2012).iaqi[AqiItem.PM2_5][0]
    new = realtime_aqi(cube, Edition.E2026).iaqi[AqiItem.PM2_5][0]
    # 2012 at hour 24: mean of hours 1–24 = (23·30 + 150)/24 = 35 → IAQI 50 exactly.
    assert old[24] == 50
    assert old[:23].tolist() == [MISSING] * 23  # the window is not full yet
    # 2026 at hour 24: the 1-h value 150 on the 24-h breakpoints → IAQI 200.
    assert new[24] == 200


def test_2012_so2_above_800_takes_the_24h_index():
    cube = one_site()
    so2 = POLLUTANT_INDEX[Pollutant.SO2]
    cube.values[0, so2, 0, :] = 100.0
    cube.values[0, so2, 1, 0] = 900.0
    result = realtime_aqi(cube, Edition.E2012)
    # Hour 24: 1-h 900 > 800 → the 24-h moving mean (23·100 + 900)/24 = 133.33 on the 24-h column:
    # 50 + 50·83.33/100 = 91.67 → 92.  Under 2026 the same hour is simply IAQI 200 (表3 注 b).
    assert result.iaqi[AqiItem.SO2][0, 24] == 92
    assert realtime_aqi(cube, Edition.E2026).iaqi[AqiItem.SO2][0, 24] == 200
