"""Trophic state of lakes and reservoirs: the comprehensive trophic level index TLI(Σ) ([TLI-2001]_).

The 2011 evaluation method takes the trophic state of lakes and reservoirs (湖泊、水库营养状态评价)
from chlorophyll a, TP, TN, transparency (SD) and CODMn by the CNEMC 2001 rule ([WATER-EVAL-2011]_
一.(一)2, 二.(三)); the rule's formulas, weights and bands are here. Choices the text leaves open are
decisions W-tli-* in docs/decisions.md, pinned by tests/standards/test_water_trophic.py.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from .aqi import StandardsError
from .rounding import round_gbt8170

__all__ = [
    "TLI_CORRELATION",
    "TLI_DECIMALS",
    "TrophicParameter",
    "TrophicResult",
    "TrophicState",
    "parameter_tli",
    "tli_weights",
    "trophic_level_index",
    "trophic_state",
]


class TrophicParameter(StrEnum):
    """The five parameters of the trophic state ([TLI-2001]_ §2), by their column names.

    Units: chla mg/m³ (= µg/L), SD m, TP, TN and CODMn mg/L.
    """

    CHLA = "chla"
    TP = "TP"
    TN = "TN"
    SD = "SD"
    CODMN = "CODMn"


_P = TrophicParameter

TLI_CORRELATION: Mapping[TrophicParameter, Decimal] = MappingProxyType(
    {
        _P.CHLA: Decimal("1"),
        _P.TP: Decimal("0.84"),
        _P.TN: Decimal("0.82"),
        _P.SD: Decimal("-0.83"),
        _P.CODMN: Decimal("0.83"),
    }
)
"""r_ij, the correlation of each parameter with chla in 26 main Chinese lakes ([TLI-2001]_ §1 table,
after 金相灿 《中国湖泊环境》); the weights take r_ij²."""

_COEFFICIENTS: Mapping[TrophicParameter, tuple[float, float]] = MappingProxyType(
    {
        # TLI(j) = 10 (a + b ln C_j)
        _P.CHLA: (2.5, 1.086),
        _P.TP: (9.436, 1.624),
        _P.TN: (5.453, 1.694),
        _P.SD: (5.118, -1.94),
        _P.CODMN: (0.109, 2.661),
    }
)

TLI_DECIMALS = 1
"""Decimals of a published TLI (bulletins write e.g. 52.3); the state is read from the published value
(decision W-tli-round)."""


class TrophicState(StrEnum):
    """Trophic state bands of TLI(Σ) ([TLI-2001]_ §3), worst last."""

    OLIGOTROPHIC = "oligotrophic"
    MESOTROPHIC = "mesotrophic"
    LIGHT_EUTROPHIC = "light eutrophic"
    MIDDLE_EUTROPHIC = "middle eutrophic"
    HYPEREUTROPHIC = "hypereutrophic"

    @property
    def zh(self) -> str:
        """The state as the rule names it.

        >>> TrophicState.LIGHT_EUTROPHIC.zh
        '轻度富营养'
        """
        return _STATE_ZH[self]

    @property
    def eutrophic(self) -> bool:
        """Whether the state is one of the three eutrophic bands (富营养, TLI > 50)."""
        return self in (_S.LIGHT_EUTROPHIC, _S.MIDDLE_EUTROPHIC, _S.HYPEREUTROPHIC)


_S = TrophicState
_STATE_ZH: Mapping[TrophicState, str] = MappingProxyType(
    {
        _S.OLIGOTROPHIC: "贫营养",
        _S.MESOTROPHIC: "中营养",
        _S.LIGHT_EUTROPHIC: "轻度富营养",
        _S.MIDDLE_EUTROPHIC: "中度富营养",
        _S.HYPEREUTROPHIC: "重度富营养",
    }
)


def parameter_tli(parameter: TrophicParameter, value: float) -> float:
    """TLI(j) of one parameter: 10 (a + b ln C).

    References
    ----------
    [TLI-2001]_ §1: TLI(chla) = 10(2.5 + 1.086 ln chla); TLI(TP) = 10(9.436 + 1.624 ln TP);
    TLI(TN) = 10(5.453 + 1.694 ln TN); TLI(SD) = 10(5.118 − 1.94 ln SD);
    TLI(CODMn) = 10(0.109 + 2.661 ln CODMn).

    >>> round(parameter_tli(TrophicParameter.CHLA, 10.0), 3)
    50.006
    >>> parameter_tli(TrophicParameter.TP, 0.0)
    Traceback (most recent call last):
    ...
    ecowatch.standards.aqi.StandardsError: TP: TLI needs a positive value, got 0.0
    """
    if not value > 0 or math.isinf(value):
        raise StandardsError(f"{parameter}: TLI needs a positive value, got {value}")
    a, b = _COEFFICIENTS[parameter]
    return 10 * (a + b * math.log(value))


def tli_weights(
    parameters: frozenset[TrophicParameter] | set[TrophicParameter],
) -> dict[TrophicParameter, float]:
    """W_j = r_ij² / Σ r_ij² over the m parameters evaluated.

    With all five: chla 0.2663, TP 0.1879, TN 0.1790, SD 0.1834, CODMn 0.1834. With fewer, the same
    formula over those present (decision W-tli-missing: the rule's m is "评价参数的个数").

    >>> {str(k): round(v, 4) for k, v in tli_weights(set(TrophicParameter)).items()}
    {'chla': 0.2663, 'TP': 0.1879, 'TN': 0.179, 'SD': 0.1834, 'CODMn': 0.1834}
    """
    if _P.CHLA not in parameters:
        raise StandardsError("TLI needs chlorophyll a, the base parameter of the weights (TLI-2001 §1)")
    squares = {item: TLI_CORRELATION[item] ** 2 for item in _P if item in parameters}
    total = sum(squares.values(), Decimal(0))
    return {item: float(square / total) for item, square in squares.items()}


def trophic_state(tli: float | Decimal) -> TrophicState:
    """The band of a TLI(Σ).

    TLI < 30 贫营养; 30 ≤ TLI ≤ 50 中营养; TLI > 50 富营养: 50 < TLI ≤ 60 轻度, 60 < TLI ≤ 70 中度,
    TLI > 70 重度 ([TLI-2001]_ §3; the bounds 50, 60, 70 belong to the better band).

    >>> [trophic_state(v).zh for v in (29.9, 30, 50, 50.1, 60, 70, 70.1)]
    ['贫营养', '中营养', '中营养', '轻度富营养', '轻度富营养', '中度富营养', '重度富营养']
    """
    if tli < 30:
        return _S.OLIGOTROPHIC
    if tli <= 50:
        return _S.MESOTROPHIC
    if tli <= 60:
        return _S.LIGHT_EUTROPHIC
    if tli <= 70:
        return _S.MIDDLE_EUTROPHIC
    return _S.HYPEREUTROPHIC


@dataclass(frozen=True, slots=True)
class TrophicResult:
    """TLI(Σ) of a lake point or lake over a period, with its parts."""

    tli: float
    """TLI(Σ), unrounded."""
    parts: Mapping[TrophicParameter, float]
    """TLI(j) of every parameter evaluated."""
    weights: Mapping[TrophicParameter, float]
    """W_j over the parameters evaluated."""

    @property
    def published(self) -> Decimal:
        """TLI(Σ) to :data:`TLI_DECIMALS` by GB/T 8170."""
        return round_gbt8170(self.tli, TLI_DECIMALS)

    @property
    def state(self) -> TrophicState:
        """The band of the published TLI (decision W-tli-round)."""
        return trophic_state(self.published)


def trophic_level_index(values: Mapping[TrophicParameter, float]) -> TrophicResult:
    """Comprehensive trophic level index TLI(Σ) = Σ W_j · TLI(j).

    Parameters
    ----------
    values : mapping of TrophicParameter to float
        Period means: chla [mg/m³ = µg/L], SD [m], TP, TN, CODMn [mg/L]. Missing ones are left out and
        the weights renormalised over those present; chla is required.

    References
    ----------
    [TLI-2001]_ §1 (综合营养状态指数法); [WATER-EVAL-2011]_ 二.(三).

    >>> P = TrophicParameter
    >>> r = trophic_level_index({P.CHLA: 10, P.TP: 0.05, P.TN: 1.0, P.SD: 1.0, P.CODMN: 4})
    >>> r.published, r.state.zh
    (Decimal('48.0'), '中营养')
    """
    weights = tli_weights(set(values))
    parts = {item: parameter_tli(item, float(values[item])) for item in weights}
    total = math.fsum(weights[item] * parts[item] for item in weights)
    return TrophicResult(tli=total, parts=MappingProxyType(parts), weights=MappingProxyType(weights))
