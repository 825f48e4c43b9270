"""The real-time (hourly) AQI of every site: HJ 633's 实时报."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecowatch.assessment.cube import POLLUTANT_INDEX, HourlyCube
from ecowatch.standards import (
    AQI_ITEMS,
    AqiItem,
    CombinedIndex,
    Edition,
    Pollutant,
    Report,
    breakpoint_column,
    combine_iaqi,
    iaqi_array,
    moving_mean,
)
from ecowatch.standards.air import MIN_HOURS_PER_8H, MIN_HOURS_PER_DAY
from ecowatch.standards.aqi import REALTIME_PM_INPUT


def _valid_moving_mean(series: np.ndarray, window: int, min_valid: int) -> np.ndarray:
    """The moving mean where it meets the minimum-data rule, NaN elsewhere."""
    moving = moving_mean(series, window, min_valid)
    return np.where(moving.valid, moving.value, np.nan)


@dataclass(frozen=True)
class RealtimeAqi:
    """Hourly indicators and AQI, arrays (site, hour since the cube's first hour)."""

    inputs: dict[AqiItem, np.ndarray]
    iaqi: dict[AqiItem, np.ndarray]
    combined: CombinedIndex


def realtime_aqi(cube: HourlyCube, edition: Edition, *, pm_input: str | None = None) -> RealtimeAqi:
    """The real-time AQI of every site and hour of ``cube`` under ``edition``.

    Parameters
    ----------
    pm_input : {"moving_24h", "hourly"}, optional
        The PM value that enters (default: the edition's, :data:`REALTIME_PM_INPUT`).

    Notes
    -----
    [HJ633-2012]_ §5.2: SO2, NO2, CO, O3 1-h means, the O3 8-h moving mean, and the PM 24-h moving
    means; SO2 1-h above 800 µg/m³ takes the SO2 24-h moving mean's index. [HJ633-2026]_ §4.2.3:
    the six 1-h means, PM on the 24-h breakpoints. Moving means need 20 of 24 (PM) and 6 of 8 (O3)
    hours, as the daily rules of GB 3095 表4.
    """
    series = cube.all_values.reshape(*cube.all_values.shape[:2], -1)

    def hourly(pollutant: Pollutant) -> np.ndarray:
        return series[:, POLLUTANT_INDEX[pollutant]]

    pm_mode = pm_input or REALTIME_PM_INPUT[edition]
    if pm_mode not in ("moving_24h", "hourly"):
        raise ValueError(f"pm_input must be 'moving_24h' or 'hourly', not {pm_mode!r}")

    def pm(pollutant: Pollutant) -> np.ndarray:
        values = hourly(pollutant)
        return _valid_moving_mean(values, 24, MIN_HOURS_PER_DAY) if pm_mode == "moving_24h" else values

    inputs = {
        AqiItem.SO2: hourly(Pollutant.SO2),
        AqiItem.NO2: hourly(Pollutant.NO2),
        AqiItem.CO: hourly(Pollutant.CO),
        AqiItem.O3_1H: hourly(Pollutant.O3),
        AqiItem.O3_8H: _valid_moving_mean(hourly(Pollutant.O3), 8, MIN_HOURS_PER_8H),
        AqiItem.PM10: pm(Pollutant.PM10),
        AqiItem.PM2_5: pm(Pollutant.PM2_5),
    }
    items = AQI_ITEMS[(edition, Report.HOURLY)]
    iaqis = {
        item: iaqi_array(inputs[item], breakpoint_column(item, Report.HOURLY), edition) for item in items
    }
    if edition is Edition.E2012:
        # HJ 633-2012 表1 注 2: SO2 1-h above 800 reports the index of the 24-h (moving) mean.
        so2_day = iaqi_array(
            _valid_moving_mean(hourly(Pollutant.SO2), 24, MIN_HOURS_PER_DAY),
            breakpoint_column(AqiItem.SO2, Report.DAILY),
            edition,
        )
        above = hourly(Pollutant.SO2) > 800
        iaqis[AqiItem.SO2] = np.where(above, so2_day, iaqis[AqiItem.SO2])
    return RealtimeAqi(inputs=inputs, iaqi=iaqis, combined=combine_iaqi(iaqis, edition, Report.HOURLY))
