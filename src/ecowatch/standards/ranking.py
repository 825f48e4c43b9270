"""City comprehensive index and rankings ([RANKING-2018]_, [CHANGE-RANKING-2017]_)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType

import numpy as np

from .air import statistic_limit
from .arrays import FloatArray
from .editions import LimitPhase
from .pollutants import INDEX_DECIMALS, PERCENT_DECIMALS, Pollutant
from .rounding import exact, round_array_gbt8170, round_gbt8170

INDEX_STATISTICS: Mapping[Pollutant, str] = MappingProxyType(
    {
        Pollutant.SO2: "mean",
        Pollutant.NO2: "mean",
        Pollutant.PM10: "mean",
        Pollutant.PM2_5: "mean",
        Pollutant.CO: "p95_daily",
        Pollutant.O3: "p90_daily_max8h",
    }
)
"""The concentration C_i of each pollutant in the index: period means for SO2, NO2, PM10, PM2.5; the
95th percentile of 24-h means for CO and the 90th percentile of daily maximum 8-h means for O3
("CO、O3 为特定百分位数浓度值")."""


@dataclass(frozen=True, slots=True)
class ComprehensiveIndex:
    """The comprehensive index (环境空气质量综合指数) and its single indices."""

    total: Fraction
    parts: Mapping[Pollutant, Fraction]

    @property
    def published(self) -> Decimal:
        """The index as published: two decimals, GB/T 8170."""
        return round_gbt8170(self.total, INDEX_DECIMALS)


def comprehensive_index(concentrations: Mapping[Pollutant, float], phase: LimitPhase) -> ComprehensiveIndex:
    """City ambient-air comprehensive index, I_sum = Σ C_i / S_i over the six pollutants.

    Parameters
    ----------
    concentrations : mapping of Pollutant to float
        C_i per :data:`INDEX_STATISTICS` [µg/m³; CO mg/m³].
    phase : LimitPhase
        Whose grade-II limits are S_i: annual limits for SO2, NO2, PM10, PM2.5; the 24-h limit of CO
        and the 8-h limit of O3.

    Notes
    -----
    I_i = C_i / S_i; I_sum = Σ I_i, unweighted (the definition quoted by provincial rankings
    2017–2023; no weighting was found in any text). C_i enter as published — rounded by GB/T 8170
    to integers (CO: one decimal) — and the sum is published with two decimals.

    References
    ----------
    [RANKING-2018]_ §3 (综合指数计算方法).

    >>> ci = comprehensive_index({Pollutant.SO2: 10, Pollutant.NO2: 48, Pollutant.PM10: 92,
    ...     Pollutant.PM2_5: 73, Pollutant.CO: 3.2, Pollutant.O3: 199}, LimitPhase.GB3095_2012)
    >>> ci.published
    Decimal('6.81')
    """
    parts: dict[Pollutant, Fraction] = {}
    for pollutant, statistic in INDEX_STATISTICS.items():
        published = Fraction(round_gbt8170(concentrations[pollutant], pollutant.decimals))
        parts[pollutant] = published / exact(statistic_limit(pollutant, statistic, phase))
    return ComprehensiveIndex(total=sum(parts.values(), Fraction(0)), parts=MappingProxyType(parts))


def comprehensive_index_array(
    concentrations: Mapping[Pollutant, FloatArray], phase: LimitPhase
) -> FloatArray:
    """Vectorised :func:`comprehensive_index`, as published (two decimals; NaN where a C_i is NaN).

    Exact after rounding: Σ C_i / S_i has a denominator dividing lcm(S_i) ≤ 3360 (in 0.1 units), so it
    never lies within 10⁻⁶ of a rounding tie without being on it, and the float sum is snapped at
    10⁻⁶ before GB/T 8170 rounding.

    >>> comprehensive_index_array({Pollutant.SO2: np.array([10.0]), Pollutant.NO2: np.array([48.0]),
    ...     Pollutant.PM10: np.array([92.0]), Pollutant.PM2_5: np.array([73.0]),
    ...     Pollutant.CO: np.array([3.2]),
    ...     Pollutant.O3: np.array([199.0])}, LimitPhase.GB3095_2012).tolist()
    [6.81]
    """
    total = sum(
        round_array_gbt8170(np.asarray(concentrations[p], dtype=np.float64), p.decimals)
        / statistic_limit(p, statistic, phase)
        for p, statistic in INDEX_STATISTICS.items()
    )
    return round_array_gbt8170(total, INDEX_DECIMALS)


def competition_rank(values: Sequence[float | Decimal], *, descending: bool = False) -> list[int]:
    """Ranks with ties sharing a rank and the next rank skipped (1, 2, 2, 4).

    Cities are ranked by the published index, ascending (smaller is better), equal values sharing
    the rank ("以并列计"); the good-day ratio ranks descending.

    >>> competition_rank([4.1, 3.9, 4.1, 5.0])
    [2, 1, 2, 4]
    >>> competition_rank([80.5, 92.0, 80.5], descending=True)
    [2, 1, 2]
    """
    sign = -1 if descending else 1
    keyed = [sign * value for value in values]
    return [1 + sum(other < key for other in keyed) for key in keyed]


def change_rate(current: float | Decimal, previous: float | Decimal) -> Decimal:
    """Change rate of an index against the same period of the previous year [%], one decimal.

    (I_this − I_last) / I_last × 100 %; above zero the air got worse ([CHANGE-RANKING-2017]_).

    >>> change_rate(Decimal("4.50"), Decimal("5.00"))
    Decimal('-10.0')
    """
    previous_exact = exact(previous)
    if previous_exact == 0:
        raise ValueError("change rate against a zero index")
    return round_gbt8170((exact(current) - previous_exact) / previous_exact * 100, PERCENT_DECIMALS)
