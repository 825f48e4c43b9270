"""City water-quality index CWQI ([CWQI-2017]_): per indicator C/S_Ⅲ (DO S/C, pH its own formula),
sums, the city's river/lake weighting and the ranking, against figures computed by hand from
GB 3838-2002 Table 1's Class Ⅲ limits."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecowatch.standards import BelowDetection, StandardsError, Waterbody, WaterIndicator, water_class
from ecowatch.standards.water_cwqi import city_cwqi, cwqi_rank, indicator_cwqi, section_cwqi

W = WaterIndicator
R, L = Waterbody.RIVER, Waterbody.LAKE


@pytest.mark.parametrize(
    ("indicator", "value", "waterbody", "expected"),
    [
        (W.CODMN, "6", R, "1"),  # on the Class Ⅲ limit: 1
        (W.CODMN, "3", R, "0.5"),
        (W.NH3_N, "0.25", R, "0.25"),
        (W.TP, "0.1", R, "0.5"),  # river Ⅲ 0.2
        (W.TP, "0.1", L, "2"),  # lake Ⅲ 0.05
        (W.DO, "5", R, "1"),  # 5/5
        (W.DO, "10", R, "0.5"),
        (W.DO, "2.5", R, "2"),
        (W.PH, "7", R, "0"),
        (W.PH, "6", R, "1"),
        (W.PH, "6.5", R, "0.5"),
        (W.PH, "9", R, "1"),
        (W.PH, "8", R, "0.5"),
        (W.HG, "0.00005", R, "0.5"),  # Ⅲ 0.0001
        (W.COD, "30", R, "1.5"),  # Ⅲ 20
    ],
)
def test_indicator_index(indicator: WaterIndicator, value: str, waterbody: Waterbody, expected: str) -> None:
    assert indicator_cwqi(indicator, Fraction(value), waterbody) == Fraction(expected)


def test_below_detection_is_half_the_limit() -> None:
    # NH3-N <0.05 -> 0.025 / 1.0
    assert indicator_cwqi(W.NH3_N, BelowDetection(Fraction("0.05")), R) == Fraction("0.025")
    with pytest.raises(StandardsError, match="ND"):
        indicator_cwqi(W.NH3_N, BelowDetection(None), R)


def test_tn_and_coliform_take_no_part() -> None:
    with pytest.raises(StandardsError, match="not a CWQI indicator"):
        indicator_cwqi(W.TN, Fraction(1), L)


def test_section_of_the_automatic_stations() -> None:
    # pH 7.8, DO 8, CODMn 4.2, NH3-N 0.3, TP 0.12 (river), TN 3 (left out):
    # 0.4 + 0.625 + 0.7 + 0.3 + 0.6 = 2.625
    means = {
        W.PH: Fraction("7.8"),
        W.DO: Fraction(8),
        W.CODMN: Fraction("4.2"),
        W.NH3_N: Fraction("0.3"),
        W.TP: Fraction("0.12"),
        W.TN: Fraction(3),
    }
    result = section_cwqi(means, R)
    assert result.total == Fraction("2.625")
    assert result.published == Decimal("2.6250")
    assert W.TN not in result.parts
    # the same values at a lake point: TP 0.12/0.05 = 2.4 instead of 0.6
    assert section_cwqi(means, L).total == Fraction("4.425")


def test_city_means_first_then_rivers_and_lakes_by_their_numbers() -> None:
    rivers = [{W.DO: Fraction(4), W.NH3_N: Fraction("0.2")}, {W.DO: Fraction(6), W.NH3_N: Fraction("0.6")}]
    # river means: DO 5 -> 1; NH3-N 0.4 -> 0.4; CWQI_river 1.4 (the mean of the sections' sums would be
    # (1.25 + 0.2 + 0.8333 + 0.6)/2 = 1.4417: DO is averaged as a concentration first)
    assert city_cwqi(rivers, []).total == Fraction("1.4")
    lakes = [{W.TP: Fraction("0.04"), W.NH3_N: Fraction("0.5")}]
    # lake: 0.8 + 0.5 = 1.3; city (1.4·2 + 1.3·1)/3 = 4.1/3 = 1.36667
    city = city_cwqi(rivers, lakes)
    assert city.total == Fraction(41, 30)
    assert city.published == Decimal("1.3667")


def test_ranking_ascending_with_ties() -> None:
    assert cwqi_rank([Decimal("3.1000"), Decimal("2.5000"), Decimal("3.1000"), Decimal("2.9999")]) == [
        3,
        1,
        3,
        2,
    ]


limits = st.decimals(min_value="0.001", max_value="20", places=3)


@settings(max_examples=300, deadline=None)
@given(
    cod=limits,
    nh3=limits,
    tp=limits,
    do=st.decimals(min_value="0.5", max_value="14", places=2),
    ph=st.decimals(min_value="5", max_value="10", places=2),
    which=st.sampled_from([W.CODMN, W.NH3_N, W.TP, W.DO]),
    step=st.decimals(min_value="0.001", max_value="5", places=3),
    waterbody=st.sampled_from([R, L]),
)
def test_a_worse_indicator_never_gives_a_better_cwqi_or_class(
    cod: Decimal,
    nh3: Decimal,
    tp: Decimal,
    do: Decimal,
    ph: Decimal,
    which: WaterIndicator,
    step: Decimal,
    waterbody: Waterbody,
) -> None:
    means = {
        W.CODMN: Fraction(cod),
        W.NH3_N: Fraction(nh3),
        W.TP: Fraction(tp),
        W.DO: Fraction(do),
        W.PH: Fraction(ph),
    }
    worse = dict(means)
    # worse: more of a pollutant, less DO
    worse[which] = (
        max(Fraction(1, 100), means[which] - Fraction(step))
        if which is W.DO
        else means[which] + Fraction(step)
    )
    assert section_cwqi(worse, waterbody).total >= section_cwqi(means, waterbody).total
    assert water_class(worse, waterbody).water_class >= water_class(means, waterbody).water_class
