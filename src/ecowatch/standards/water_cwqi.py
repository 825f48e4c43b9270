"""City water-quality index CWQI and the city ranking ([CWQI-2017]_).

CWQI(i) = C(i) / S(i), S(i) the GB 3838-2002 Class Ⅲ limit (DO: S/C; pH its own formula), over the
21 indicators that set the class; a section's or a city's CWQI is the sum. The rule's text was not
reached: every point is a decision W-cwqi-* in docs/decisions.md, pinned by
tests/standards/test_water_cwqi.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType

from .aqi import StandardsError
from .ranking import competition_rank
from .rounding import round_gbt8170
from .water import (
    GB3838_LIMITS,
    GB3838_TP_LAKE_LIMITS,
    WATER_CLASS_INDICATORS,
    BelowDetection,
    Value,
    Waterbody,
    WaterIndicator,
    period_means,
)

__all__ = [
    "CWQI_DECIMALS",
    "CWQI_INDICATORS",
    "CwqiResult",
    "city_cwqi",
    "cwqi_rank",
    "indicator_cwqi",
    "section_cwqi",
]

CWQI_INDICATORS: frozenset[WaterIndicator] = WATER_CLASS_INDICATORS
"""The 21 indicators of the class (no water temperature, TN, fecal coliform) (decision W-cwqi-items)."""

CWQI_DECIMALS = 4
"""Decimals of a published CWQI (decision W-cwqi-round, UNVERIFIED)."""

_W = WaterIndicator
_PH_NEUTRAL = Fraction(7)
_PH_LOW, _PH_HIGH = Fraction(6), Fraction(9)


def indicator_cwqi(indicator: WaterIndicator, value: Value, waterbody: Waterbody) -> Fraction:
    """CWQI(i) of one indicator's (period mean) value, exactly.

    Notes
    -----
    C / S_Ⅲ, lakes taking the lake TP limit 0.05; DO: S_Ⅲ / C (5 / DO); pH ≤ 7: (7 − pH)/(7 − 6),
    pH > 7: (pH − 7)/(9 − 7). Below detection: half the limit (W-detection); an "ND" without a limit
    has no index and is refused.

    References
    ----------
    [CWQI-2017]_ 单项指标水质指数.

    >>> W = WaterIndicator
    >>> R, L = Waterbody.RIVER, Waterbody.LAKE
    >>> indicator_cwqi(W.NH3_N, Fraction("0.5"), R), indicator_cwqi(W.DO, Fraction(8), R)
    (Fraction(1, 2), Fraction(5, 8))
    >>> indicator_cwqi(W.TP, Fraction("0.1"), L), indicator_cwqi(W.PH, Fraction("8.5"), R)
    (Fraction(2, 1), Fraction(3, 4))
    """
    if indicator not in CWQI_INDICATORS:
        raise StandardsError(f"{indicator} is not a CWQI indicator (TN and fecal coliform are not)")
    if isinstance(value, BelowDetection):
        if value.value is None:
            raise StandardsError(f"{indicator}: 'ND' without its detection limit has no CWQI; write '<limit'")
        value = value.value
    if value < 0:
        raise StandardsError(f"{indicator}: negative value {float(value)}")
    if indicator is _W.PH:
        if value <= _PH_NEUTRAL:
            return (_PH_NEUTRAL - value) / (_PH_NEUTRAL - _PH_LOW)
        return (value - _PH_NEUTRAL) / (_PH_HIGH - _PH_NEUTRAL)
    if indicator is _W.TP and waterbody is Waterbody.LAKE:
        limit = GB3838_TP_LAKE_LIMITS[2]
    else:
        limit = GB3838_LIMITS[indicator][2]
    if indicator is _W.DO:
        if value == 0:
            raise StandardsError("DO: a CWQI needs a positive DO (S/C)")
        return limit / value
    return value / limit


@dataclass(frozen=True, slots=True)
class CwqiResult:
    """A CWQI and its single-indicator parts."""

    total: Fraction
    parts: Mapping[WaterIndicator, Fraction]
    """CWQI(i) of each indicator summed (for a city with rivers and lakes: none, see :func:`city_cwqi`)."""

    @property
    def published(self) -> Decimal:
        """The CWQI to :data:`CWQI_DECIMALS` by GB/T 8170."""
        return round_gbt8170(self.total, CWQI_DECIMALS)


def section_cwqi(means: Mapping[WaterIndicator, Value], waterbody: Waterbody) -> CwqiResult:
    """CWQI of a section: Σ CWQI(i) over the CWQI indicators of its period means present.

    Indicators not measured are left out (a sum over fewer indicators is smaller: compare sections
    measured alike; decision W-cwqi-items).

    >>> W = WaterIndicator
    >>> means = {W.CODMN: Fraction(3), W.NH3_N: Fraction("0.5"), W.TP: Fraction("0.1"), W.TN: Fraction(5)}
    >>> section_cwqi(means, Waterbody.RIVER).total
    Fraction(3, 2)
    """
    parts = {
        item: indicator_cwqi(item, value, waterbody)
        for item, value in means.items()
        if item in CWQI_INDICATORS
    }
    if not parts:
        raise StandardsError("no CWQI indicator measured")
    return CwqiResult(total=sum(parts.values(), Fraction(0)), parts=MappingProxyType(parts))


def city_cwqi(
    rivers: Sequence[Mapping[WaterIndicator, Value]], lakes: Sequence[Mapping[WaterIndicator, Value]]
) -> CwqiResult:
    """CWQI of a city from its sections' period means.

    Notes
    -----
    Rivers: the mean of each indicator over the city's river sections, then Σ CWQI(i); lakes and
    reservoirs likewise over their points with lake limits; the city's CWQI is the mean of the two
    weighted by their numbers of sections, (CWQI_river · n_river + CWQI_lake · n_lake)/(n_river + n_lake)
    (decision W-cwqi-city). ``parts`` are given when the city has one kind of waterbody only.

    References
    ----------
    [CWQI-2017]_ 城市水质指数.

    >>> W = WaterIndicator
    >>> city_cwqi([{W.NH3_N: Fraction("0.4")}, {W.NH3_N: Fraction("0.6")}], [{W.TP: Fraction("0.1")}]).total
    Fraction(1, 1)
    """
    totals: list[tuple[CwqiResult, int]] = []
    for waterbody, members in ((Waterbody.RIVER, rivers), (Waterbody.LAKE, lakes)):
        if members:
            totals.append((section_cwqi(period_means(members), waterbody), len(members)))
    if not totals:
        raise StandardsError("a city without sections has no CWQI")
    if len(totals) == 1:
        return totals[0][0]
    count = sum(n for _, n in totals)
    return CwqiResult(
        total=sum((result.total * n for result, n in totals), Fraction(0)) / count,
        parts=MappingProxyType({}),
    )


def cwqi_rank(published: Sequence[Decimal]) -> list[int]:
    """Ranks of cities by their published CWQI, ascending (smaller is better), ties sharing a rank.

    References
    ----------
    [CWQI-2017]_ 排名方法 ("按照 CWQI 从小到大排序"); ties as in the air ranking (competition ranking).

    >>> cwqi_rank([Decimal("3.2"), Decimal("2.9"), Decimal("3.2"), Decimal("4.1")])
    [2, 1, 2, 4]
    """
    return competition_rank(list(published))
