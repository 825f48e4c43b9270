"""The six basic pollutants, their units, and the precision at which figures are published."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class Pollutant(StrEnum):
    """A basic item of GB 3095 表1. The value is the display key used in files and JSON."""

    SO2 = "SO2"
    NO2 = "NO2"
    CO = "CO"
    O3 = "O3"
    PM10 = "PM10"
    PM2_5 = "PM2.5"

    @property
    def unit(self) -> str:
        """Concentration unit: mg/m³ for CO, µg/m³ for the others ([GB3095-2012]_ 表1)."""
        return "mg/m³" if self is Pollutant.CO else "µg/m³"

    @property
    def decimals(self) -> int:
        """Published precision: CO to 0.1 mg/m³, the others to integers.

        [HJ633-2026]_ §4.2.2: "SO2、NO2、O3、PM10、PM2.5 浓度单位为 μg/m³，按照 GB/T 8170 要求修约到整数，
        CO 浓度单位为 mg/m³，修约到 1 位小数。" [HJ663-2013]_ prints period statistics the same way.
        """
        return 1 if self is Pollutant.CO else 0


POLLUTANTS: tuple[Pollutant, ...] = tuple(Pollutant)

POLLUTANT_NAMES_ZH: Mapping[Pollutant, str] = MappingProxyType(
    {
        Pollutant.SO2: "二氧化硫",
        Pollutant.NO2: "二氧化氮",
        Pollutant.CO: "一氧化碳",
        Pollutant.O3: "臭氧",
        Pollutant.PM10: "可吸入颗粒物",
        Pollutant.PM2_5: "细颗粒物",
    }
)

PERCENT_DECIMALS = 1
"""Ratios (good-day ratio, change rates) are published in per cent with one decimal."""
INDEX_DECIMALS = 2
"""The comprehensive index is published with two decimals ([RANKING-2018]_)."""
