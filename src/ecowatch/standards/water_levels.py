"""Water-quality levels (水质状况) of sections, rivers, basins and regions ([WATER-EVAL-2011]_ 二).

A section's level follows its class; a river, basin (水系) or region of five sections or more takes
its level from the shares of Class Ⅰ–Ⅲ and worse-than-Ⅴ sections (断面水质类别比例法); with fewer, the
sections' means of every indicator are classified as one section. Decisions W-level-* in
docs/decisions.md, pinned by tests/standards/test_water_levels.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import Literal

from .aqi import StandardsError
from .rounding import round_gbt8170
from .water import Value, Waterbody, WaterClass, WaterIndicator, period_means, water_class

__all__ = [
    "MIN_SECTIONS_FOR_SHARES",
    "SHARE_DECIMALS",
    "GroupLevel",
    "SectionPeriod",
    "WaterQualityLevel",
    "group_level",
    "level_by_shares",
    "level_of_class",
    "share_excellent",
    "share_worse_than_v",
]

MIN_SECTIONS_FOR_SHARES = 5
"""Five sections or more: the class-share method; fewer ("少于5个"): the means of all sections."""

SHARE_DECIMALS = 1
"""Shares are published as percent with one decimal (e.g. 83.3 %), GB/T 8170."""


class WaterQualityLevel(StrEnum):
    """The qualitative levels (水质定性评价分级), best first."""

    EXCELLENT = "excellent"
    GOOD = "good"
    SLIGHTLY_POLLUTED = "slightly polluted"
    MODERATELY_POLLUTED = "moderately polluted"
    HEAVILY_POLLUTED = "heavily polluted"

    @property
    def zh(self) -> str:
        """The level as the method names it.

        >>> WaterQualityLevel.SLIGHTLY_POLLUTED.zh
        '轻度污染'
        """
        return _LEVEL_ZH[self]

    @property
    def colour(self) -> str:
        """The method's colour of the level (blue, green, yellow, orange, red), as a hex RGB."""
        return _LEVEL_COLOUR[self]

    @property
    def rank(self) -> int:
        """0 (优) .. 4 (重度污染): larger is worse."""
        return list(WaterQualityLevel).index(self)


_L = WaterQualityLevel
_LEVEL_ZH: Mapping[WaterQualityLevel, str] = MappingProxyType(
    {
        _L.EXCELLENT: "优",
        _L.GOOD: "良好",
        _L.SLIGHTLY_POLLUTED: "轻度污染",
        _L.MODERATELY_POLLUTED: "中度污染",
        _L.HEAVILY_POLLUTED: "重度污染",
    }
)
_LEVEL_COLOUR: Mapping[WaterQualityLevel, str] = MappingProxyType(
    {
        _L.EXCELLENT: "#0000FF",
        _L.GOOD: "#00FF00",
        _L.SLIGHTLY_POLLUTED: "#FFFF00",
        _L.MODERATELY_POLLUTED: "#FFA500",
        _L.HEAVILY_POLLUTED: "#FF0000",
    }
)


def level_of_class(klass: WaterClass) -> WaterQualityLevel:
    """Level of one section (断面水质定性评价): Ⅰ–Ⅱ 优, Ⅲ 良好, Ⅳ 轻度污染, Ⅴ 中度污染, 劣Ⅴ 重度污染.

    References
    ----------
    [WATER-EVAL-2011]_ 二.(一) table 断面水质定性评价.

    >>> [level_of_class(k).zh for k in WaterClass]
    ['优', '优', '良好', '轻度污染', '中度污染', '重度污染']
    """
    if klass <= WaterClass.II:
        return _L.EXCELLENT
    return (_L.GOOD, _L.SLIGHTLY_POLLUTED, _L.MODERATELY_POLLUTED, _L.HEAVILY_POLLUTED)[klass - 3]


def share_excellent(classes: Sequence[WaterClass]) -> Fraction:
    """Share of sections of Class Ⅰ–Ⅲ (水质优良比例), exactly.

    >>> share_excellent([WaterClass.I, WaterClass.III, WaterClass.IV])
    Fraction(2, 3)
    """
    if not classes:
        raise StandardsError("a share of no sections")
    return Fraction(sum(klass <= WaterClass.III for klass in classes), len(classes))


def share_worse_than_v(classes: Sequence[WaterClass]) -> Fraction:
    """Share of sections worse than Class Ⅴ (劣Ⅴ类比例), exactly.

    >>> share_worse_than_v([WaterClass.WORSE_THAN_V, WaterClass.III])
    Fraction(1, 2)
    """
    if not classes:
        raise StandardsError("a share of no sections")
    return Fraction(sum(klass is WaterClass.WORSE_THAN_V for klass in classes), len(classes))


def level_by_shares(classes: Sequence[WaterClass]) -> WaterQualityLevel:
    """Level of a river, basin or region of five sections or more (断面水质类别比例法).

    Notes
    -----
    On the exact shares: Ⅰ–Ⅲ ≥ 90 % 优; 75 % ≤ Ⅰ–Ⅲ < 90 % 良好; Ⅰ–Ⅲ < 75 % and 劣Ⅴ < 20 % 轻度污染;
    Ⅰ–Ⅲ < 75 % and 20 % ≤ 劣Ⅴ < 40 % 中度污染; Ⅰ–Ⅲ < 75 % and 劣Ⅴ ≥ 40 % 重度污染 (decision
    W-level-heavy: the recalled "Ⅰ–Ⅲ < 60 %" differs only at Ⅰ–Ⅲ = 60 %, 劣Ⅴ = 40 %, where it would
    leave the river without a level).

    References
    ----------
    [WATER-EVAL-2011]_ 二.(二) 河流、流域（水系）水质评价, as quoted by the Shenzhen ecology and
    environment bureau (meeb.sz.gov.cn, 业务知识库 "如何评价河流(包括河段、水系)整体水质状况").

    >>> C = WaterClass
    >>> level_by_shares([C.II] * 9 + [C.IV]).zh, level_by_shares([C.II] * 3 + [C.WORSE_THAN_V] * 2).zh
    ('优', '重度污染')
    """
    if len(classes) < MIN_SECTIONS_FOR_SHARES:
        raise StandardsError(
            f"the class-share method needs {MIN_SECTIONS_FOR_SHARES} sections or more, got {len(classes)}"
        )
    good = share_excellent(classes)
    bad = share_worse_than_v(classes)
    if good >= Fraction(90, 100):
        return _L.EXCELLENT
    if good >= Fraction(75, 100):
        return _L.GOOD
    if bad < Fraction(20, 100):
        return _L.SLIGHTLY_POLLUTED
    if bad < Fraction(40, 100):
        return _L.MODERATELY_POLLUTED
    return _L.HEAVILY_POLLUTED


@dataclass(frozen=True, slots=True)
class SectionPeriod:
    """One section over the period: its waterbody, period means and class."""

    waterbody: Waterbody
    means: Mapping[WaterIndicator, Value]
    """Period means of the indicators measured."""
    water_class: WaterClass


@dataclass(frozen=True, slots=True)
class GroupLevel:
    """The level of a river, basin or region and how it was found."""

    level: WaterQualityLevel
    method: Literal["shares", "means"]
    """``shares`` (five sections or more) or ``means`` (fewer: the sections' means classified)."""
    sections: int
    share_excellent: Fraction
    share_worse_than_v: Fraction
    mean_class: WaterClass | None
    """With ``means``: the class of the sections' means (worst over rivers and lakes apart)."""

    @property
    def share_excellent_percent(self) -> Decimal:
        """Share of Ⅰ–Ⅲ in percent, :data:`SHARE_DECIMALS`."""
        return round_gbt8170(self.share_excellent * 100, SHARE_DECIMALS)

    @property
    def share_worse_than_v_percent(self) -> Decimal:
        """Share of 劣Ⅴ in percent, :data:`SHARE_DECIMALS`."""
        return round_gbt8170(self.share_worse_than_v * 100, SHARE_DECIMALS)


def group_level(sections: Sequence[SectionPeriod]) -> GroupLevel:
    """Level of a river, basin (水系) or region from its sections over a period.

    Notes
    -----
    Five sections or more: :func:`level_by_shares`. Fewer: the arithmetic mean of every indicator
    over all sections' period means, classified as one section by single-factor evaluation, and the
    level of that class. Rivers and lakes of one small group are averaged apart (lake TP has its own
    limits) and the worse class of the two taken (decision W-level-small).

    References
    ----------
    [WATER-EVAL-2011]_ 二.(二) ("断面总数少于5个时，计算…所有断面各评价指标浓度算术平均值，然后按照
    断面水质评价方法评价").
    """
    if not sections:
        raise StandardsError("a group without sections has no level")
    classes = [section.water_class for section in sections]
    good, bad = share_excellent(classes), share_worse_than_v(classes)
    if len(sections) >= MIN_SECTIONS_FOR_SHARES:
        return GroupLevel(level_by_shares(classes), "shares", len(sections), good, bad, None)
    worst: WaterClass | None = None
    for waterbody in Waterbody:
        members = [section.means for section in sections if section.waterbody is waterbody]
        if not members:
            continue
        klass = water_class(period_means(members), waterbody).water_class
        worst = klass if worst is None else max(worst, klass)
    assert worst is not None
    return GroupLevel(level_of_class(worst), "means", len(sections), good, bad, worst)
