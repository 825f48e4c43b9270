"""Sand-dust exclusion (2016 rule) and exceptional-event exclusion (2026).

An exclusion names a city-day, what happened, which pollutants it removes and who approved it. The
figures of a period are published twice: with every day, and with the excluded pollutant-days
removed (the "扣沙" figures). This module only decides what an exclusion removes; reading the list
and applying it to data belong to the assessment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

import numpy as np

from .arrays import BoolArray
from .pollutants import Pollutant


class ExclusionKind(StrEnum):
    """Why a city-day is excluded."""

    SAND_DUST = "sand_dust"
    EXCEPTIONAL_EVENT = "exceptional_event"


DEFAULT_EXCLUDED_POLLUTANTS: Mapping[ExclusionKind, frozenset[Pollutant]] = MappingProxyType(
    {
        # [DUST-2016]: "沙尘天气过程颗粒物浓度扣除" — the particulate concentrations of the dust-affected
        # period are deducted; gases are never deducted.
        ExclusionKind.SAND_DUST: frozenset({Pollutant.PM10, Pollutant.PM2_5}),
        # UNVERIFIED: HJ 663—2026's exceptional events (例外事件) were not read; ecowatch removes what
        # the approved list names and, when it names nothing, the particulates as for dust.
        ExclusionKind.EXCEPTIONAL_EVENT: frozenset({Pollutant.PM10, Pollutant.PM2_5}),
    }
)


@dataclass(frozen=True, slots=True)
class Exclusion:
    """One approved exclusion of a city-day.

    ``approved_by`` is mandatory: an exclusion changes official figures and must say whose decision
    it was ([DUST-2016]_: identified by CNEMC with the satellite centre and local departments).
    """

    city: str
    day: dt.date
    kind: ExclusionKind
    approved_by: str
    pollutants: frozenset[Pollutant] = field(default=frozenset())
    approved_on: dt.date | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if not self.approved_by.strip():
            raise ValueError(f"exclusion of {self.city} on {self.day} has no approver")
        if not self.pollutants:
            object.__setattr__(self, "pollutants", DEFAULT_EXCLUDED_POLLUTANTS[self.kind])


def exclusion_masks(
    days: Sequence[dt.date], exclusions: Iterable[Exclusion], city_names: Iterable[str]
) -> dict[Pollutant, BoolArray]:
    """Per pollutant, which of ``days`` are excluded for the city known by any of ``city_names``.

    >>> ex = [Exclusion("北京", dt.date(2015, 4, 15), ExclusionKind.SAND_DUST, "CNEMC")]
    >>> masks = exclusion_masks([dt.date(2015, 4, 14), dt.date(2015, 4, 15)], ex, ["北京", "110000"])
    >>> masks[Pollutant.PM10].tolist(), masks[Pollutant.SO2].tolist()
    ([False, True], [False, False])
    """
    names = {name.casefold() for name in city_names}
    index = {day: i for i, day in enumerate(days)}
    masks: dict[Pollutant, BoolArray] = {
        pollutant: np.zeros(len(days), dtype=bool) for pollutant in Pollutant
    }
    for exclusion in exclusions:
        if exclusion.city.casefold() not in names or exclusion.day not in index:
            continue
        for pollutant in exclusion.pollutants:
            masks[pollutant][index[exclusion.day]] = True
    return masks
