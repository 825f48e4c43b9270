"""Levels of sections, rivers, basins and regions ([WATER-EVAL-2011]_ 二), with the thresholds of the
method as quoted by the Shenzhen ecology bureau and the small-group rule (fewer than five sections)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecowatch.standards import StandardsError, Waterbody, WaterClass, WaterIndicator
from ecowatch.standards.water_levels import (
    SectionPeriod,
    WaterQualityLevel,
    group_level,
    level_by_shares,
    level_of_class,
)

C = WaterClass
W = WaterIndicator
L = WaterQualityLevel


def test_section_levels() -> None:
    assert [level_of_class(k).zh for k in C] == ["优", "优", "良好", "轻度污染", "中度污染", "重度污染"]


@pytest.mark.parametrize(
    ("classes", "level"),
    [
        # 9 of 10 = 90 % Ⅰ–Ⅲ: 优 (≥ 90 %)
        ([C.II] * 9 + [C.WORSE_THAN_V], L.EXCELLENT),
        # 8 of 10 = 80 %: 良好; 3 of 4... needs ≥ 5: 15 of 20 = 75 % exactly: 良好
        ([C.III] * 8 + [C.IV] * 2, L.GOOD),
        ([C.I] * 15 + [C.V] * 5, L.GOOD),
        # 14 of 20 = 70 % < 75 %, 劣Ⅴ 3 of 20 = 15 % < 20 %: 轻度污染
        ([C.II] * 14 + [C.IV] * 3 + [C.WORSE_THAN_V] * 3, L.SLIGHTLY_POLLUTED),
        # 劣Ⅴ 1 of 5 = 20 % exactly: 中度污染
        ([C.III] * 3 + [C.V] + [C.WORSE_THAN_V], L.MODERATELY_POLLUTED),
        # 劣Ⅴ 2 of 5 = 40 % exactly: 重度污染
        ([C.III] * 3 + [C.WORSE_THAN_V] * 2, L.HEAVILY_POLLUTED),
        # Ⅰ–Ⅲ 60 % and 劣Ⅴ 40 % — the one case where "Ⅰ–Ⅲ < 60 %" (recalled) would give no level
        ([C.II] * 6 + [C.WORSE_THAN_V] * 4, L.HEAVILY_POLLUTED),
        ([C.V] * 10, L.SLIGHTLY_POLLUTED),
    ],
)
def test_class_share_method(classes: list[WaterClass], level: WaterQualityLevel) -> None:
    assert level_by_shares(classes) is level


def test_shares_need_five_sections() -> None:
    with pytest.raises(StandardsError, match="5 sections"):
        level_by_shares([C.II] * 4)


def _section(klass: WaterClass, waterbody: Waterbody = Waterbody.RIVER, **means: str) -> SectionPeriod:
    return SectionPeriod(waterbody, {W(k.replace("_", "-")): Fraction(v) for k, v in means.items()}, klass)


def test_small_river_classified_on_the_mean_of_its_sections() -> None:
    # NH3-N 0.4 (Ⅱ) and 1.8 (Ⅴ): mean 1.1 -> Ⅳ, 轻度污染 (not the worst section's 中度污染)
    group = group_level([_section(C.II, NH3_N="0.4"), _section(C.V, NH3_N="1.8")])
    assert group.method == "means"
    assert group.mean_class is C.IV
    assert group.level is L.SLIGHTLY_POLLUTED
    assert group.share_excellent == Fraction(1, 2)
    assert group.share_excellent_percent == Decimal("50.0")


def test_small_group_rivers_and_lakes_apart() -> None:
    # TP 0.1 in a river is Ⅱ; at a lake point Ⅳ. Worse of the two means: Ⅳ
    group = group_level([_section(C.II, TP="0.1"), _section(C.IV, Waterbody.LAKE, TP="0.1")])
    assert group.mean_class is C.IV


def test_share_percent_rounding() -> None:
    group = group_level([_section(C.II, TP="0.1")] * 5 + [_section(C.IV, TP="0.25")])
    # 5 of 6 = 83.333 % -> 83.3; 良好
    assert group.share_excellent_percent == Decimal("83.3")
    assert group.share_worse_than_v_percent == Decimal("0.0")
    assert group.level is L.GOOD


classes_strategy = st.lists(st.sampled_from(list(C)), min_size=5, max_size=40)


@settings(max_examples=300, deadline=None)
@given(classes=classes_strategy, index=st.integers(min_value=0), steps=st.integers(1, 5))
def test_level_never_improves_when_a_section_worsens(
    classes: list[WaterClass], index: int, steps: int
) -> None:
    i = index % len(classes)
    worse = list(classes)
    worse[i] = C(min(C.WORSE_THAN_V, classes[i] + steps))
    assert level_by_shares(worse).rank >= level_by_shares(classes).rank


values = st.decimals(min_value="0.01", max_value="3", places=2)


@settings(max_examples=200, deadline=None)
@given(nh3=st.lists(values, min_size=1, max_size=4), index=st.integers(min_value=0), more=values)
def test_small_group_level_never_improves_when_a_section_worsens(
    nh3: list[Decimal], index: int, more: Decimal
) -> None:
    from ecowatch.standards import water_class

    def sections(numbers: list[Decimal]) -> list[SectionPeriod]:
        out = []
        for number in numbers:
            means = {W.NH3_N: Fraction(number)}
            out.append(SectionPeriod(Waterbody.RIVER, means, water_class(means, Waterbody.RIVER).water_class))
        return out

    worse = list(nh3)
    worse[index % len(nh3)] += more
    assert group_level(sections(worse)).level.rank >= group_level(sections(nh3)).level.rank
