"""GB 3095 limits and validity, HJ 663 statistics: against the reference's tables and worked examples.

Sources: shared/reference/standards.md Part 1 §1 (GB 3095—2026 表1, 表4, §3 definitions), Part 2 §2.1
(GB 3095-2012 表1), §2.2 (表4 validity), §3.1 (O3 8-h windows, 14-of-17 rule), §3.2 and §6.2 (HJ 663
percentile and worked examples P1–P4), §3.3 (evaluation statistics), §3.6 (GB/T 8170 comparison).
Expected values in the O3 tests are worked out by hand in the comments.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecowatch.standards import (
    GB3095_LIMITS,
    PERIOD_STATISTICS,
    Averaging,
    Edition,
    LimitPhase,
    Pollutant,
    annual_data_sufficient,
    daily_mean,
    edition_for,
    exceeds,
    limit,
    limit_phase,
    o3_8h_moving_means,
    o3_daily_max_1h,
    o3_daily_max_8h,
    percentile_hj663,
    period_statistic,
    period_values,
    round_gbt8170,
    statistic_limit,
    three_year_moving_mean,
)

SETTINGS = settings(deadline=None, database=None)
NAN = np.nan

# --- HJ 663 percentile ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "data", "p", "expected"),
    [
        # P1: sorted 2,3,4,4,5,8; k = 1 + 5×0.9 = 5.5; 5 + (8 − 5)×0.5 = 6.5 (the example HJ 663 quotes)
        ("P1", [3, 4, 8, 2, 5, 4], 90, Decimal("6.5")),
        # P2: O3 max-8h; k = 1 + 9×0.9 = 9.1; 200 + 10×0.1 = 201
        ("P2", [150, 120, 180, 200, 160, 170, 140, 190, 130, 210], 90, Decimal("201")),
        # P3: CO daily; k = 1 + 10×0.95 = 10.5; 1.7 + 0.4×0.5 = 1.9 mg/m³ (published to 1 decimal)
        ("P3", [1.2, 0.8, 1.5, 2.1, 0.9, 1.1, 1.3, 1.0, 1.4, 1.6, 1.7], 95, Decimal("1.9")),
        # P4: 1..365; k = 1 + 364×0.95 = 346.8; 346 + 1×0.8 = 346.8
        ("P4", list(range(1, 366)), 95, Decimal("346.8")),
    ],
)
def test_percentile_worked_examples(case: str, data: list[float], p: int, expected: Decimal) -> None:
    got = float(percentile_hj663(np.array(data, dtype=float), p))
    decimals = -expected.as_tuple().exponent
    assert round_gbt8170(got, decimals) == expected, case
    assert math.isclose(got, float(expected), rel_tol=1e-12), case


def test_percentile_edges() -> None:
    data = np.array([3, 4, 8, 2, 5, 4.0])
    assert float(percentile_hj663(data, 100)) == 8.0  # s = n: m_p = X(n)
    assert float(percentile_hj663(data, 0)) == 2.0
    assert float(percentile_hj663(np.array([42.0]), 95)) == 42.0
    # NaN (invalid days) are left out: the P1 data with gaps still give 6.5
    assert float(percentile_hj663(np.array([3, NAN, 4, 8, 2, NAN, 5, 4]), 90)) == 6.5
    assert math.isnan(float(percentile_hj663(np.array([NAN, NAN]), 90)))
    # along the last axis, one row per station
    rows = np.array([[3, 4, 8, 2, 5, 4], [150, 120, 180, 200, 160, NAN]])
    # row 2: sorted 120,150,160,180,200; k = 1 + 4×0.9 = 4.6; 180 + 20×0.6 = 192
    assert percentile_hj663(rows, 90).tolist() == pytest.approx([6.5, 192.0], rel=1e-12)


def _hj663_by_hand(values: list[int], p: int) -> Fraction:
    ordered = sorted(values)
    k = 1 + Fraction(len(ordered) - 1) * p / 100
    s = math.floor(k)
    if s >= len(ordered):
        return Fraction(ordered[-1])
    return ordered[s - 1] + (ordered[s] - ordered[s - 1]) * (k - s)


@SETTINGS
@given(st.lists(st.integers(min_value=0, max_value=2000), min_size=1, max_size=400), st.integers(0, 100))
def test_percentile_is_the_hj663_formula(values: list[int], p: int) -> None:
    got = float(percentile_hj663(np.array(values, dtype=float), p))
    assert math.isclose(got, float(_hj663_by_hand(values, p)), rel_tol=1e-12, abs_tol=1e-9)


@SETTINGS
@given(
    st.lists(st.floats(min_value=0, max_value=1e4, allow_nan=False), min_size=1, max_size=200),
    st.decimals(min_value=0, max_value=100, places=2),
)
def test_percentile_equals_numpy_linear(values: list[float], p: Decimal) -> None:
    got = float(percentile_hj663(np.array(values), float(p)))
    expected = float(np.percentile(np.array(values), float(p), method="linear"))
    assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9)


# --- 24-h mean --------------------------------------------------------------------------------------


def test_daily_mean_valid_with_20_hours() -> None:
    day = np.r_[np.arange(1.0, 21.0), np.full(4, NAN)]  # 20 valid hours 1..20
    s = daily_mean(day)
    assert (float(s.value), int(s.count), bool(s.valid)) == (10.5, 20, True)


def test_daily_mean_invalid_with_19_hours() -> None:
    day = np.r_[np.arange(1.0, 20.0), np.full(5, NAN)]  # 19 valid hours 1..19
    s = daily_mean(day)
    assert (float(s.value), int(s.count), bool(s.valid)) == (10.0, 19, False)


def test_daily_mean_many_days_and_empty_day() -> None:
    days = np.stack([np.full(24, 30.0), np.full(24, NAN)])
    s = daily_mean(days)
    assert s.value[0] == 30.0 and math.isnan(s.value[1])
    assert s.count.tolist() == [24, 0]
    assert s.valid.tolist() == [True, False]


def test_daily_axis_must_hold_24_hours() -> None:
    with pytest.raises(ValueError, match="24 hours"):
        daily_mean(np.ones(23))
    with pytest.raises(ValueError, match="24 hours"):
        o3_daily_max_8h(np.ones(25))


# --- O3 8-h moving means and daily maximum ----------------------------------------------------------


def test_o3_8h_windows_are_the_17_inside_the_day() -> None:
    # hour h holds the value h; window w covers hours w..w+7, mean w + 3.5 (w = 0 … 16)
    s = o3_8h_moving_means(np.arange(24.0))
    assert s.value.tolist() == [w + 3.5 for w in range(17)]
    assert s.count.tolist() == [8] * 17
    assert s.valid.all()


def test_o3_8h_six_of_eight_rule() -> None:
    day = np.arange(24.0)
    day[[0, 1]] = NAN  # window 0 keeps hours 2..7: mean 4.5 from 6 values → valid
    s = o3_8h_moving_means(day)
    assert (float(s.value[0]), int(s.count[0]), bool(s.valid[0])) == (4.5, 6, True)
    day[2] = NAN  # window 0 now has 5 values → invalid; window 1 (hours 1..8) has 6 → valid
    s = o3_8h_moving_means(day)
    assert (int(s.count[0]), bool(s.valid[0])) == (5, False)
    assert (float(s.value[1]), int(s.count[1]), bool(s.valid[1])) == (5.5, 6, True)


def _day_with_leading_gap(hours_missing: int, value: float) -> np.ndarray:
    day = np.full(24, value)
    day[:hours_missing] = NAN
    return day


def test_o3_daily_max_8h_14_windows_valid() -> None:
    # hours 0..4 missing: windows 0, 1, 2 have 5, 4, 3 missing → 17 − 3 = 14 valid windows
    s = o3_daily_max_8h(_day_with_leading_gap(5, 50.0))
    assert (float(s.value), int(s.count), bool(s.valid)) == (50.0, 14, True)


def test_o3_daily_max_8h_13_windows_invalid() -> None:
    # hours 0..5 missing: windows 0..3 invalid → 13 valid windows, maximum 50 below the limit
    s = o3_daily_max_8h(_day_with_leading_gap(6, 50.0))
    assert (float(s.value), int(s.count), bool(s.valid)) == (50.0, 13, False)


def test_o3_daily_max_8h_short_day_valid_when_it_exceeds_the_limit() -> None:
    # hours 0..5 missing (13 valid windows), hours 6..23 = 100 except hour 20 = 900.
    # Windows 13..16 contain hour 20 and 7 hours of 100: (7×100 + 900)/8 = 200 > 160 → still valid.
    day = _day_with_leading_gap(6, 100.0)
    day[20] = 900.0
    s = o3_daily_max_8h(day)
    assert (float(s.value), int(s.count), bool(s.valid)) == (200.0, 13, True)
    # the same day judged against a 250 limit is not rescued
    assert bool(o3_daily_max_8h(day, limit_value=250).valid) is False


@pytest.mark.parametrize(
    ("hour_20", "maximum", "valid"),
    [
        (583.2, "160.4", False),  # (700 + 583.2)/8 = 160.4 → 160, not above 160
        (584.0, "160.5", False),  # 160.5 → 160 (GB/T 8170 half-even), not above 160
        (584.8, "160.6", True),  # 160.6 → 161 > 160
    ],
)
def test_o3_daily_max_8h_exceedance_is_judged_on_the_rounded_value(
    hour_20: float, maximum: str, valid: bool
) -> None:
    day = _day_with_leading_gap(6, 100.0)
    day[20] = hour_20
    s = o3_daily_max_8h(day)
    assert round_gbt8170(float(s.value), 1) == Decimal(maximum)
    assert int(s.count) == 13
    assert bool(s.valid) is valid


def test_o3_daily_max_8h_takes_only_valid_windows() -> None:
    # hours 0..2 missing and hour 3 = 900: window 0 (hours 0..7, 5 values) is invalid and not used;
    # window 1 (hours 1..8: 900 and five 100s) = 1400/6 = 233.33…; windows 2, 3 = (900 + 7×100)/8 = 200.
    day = _day_with_leading_gap(3, 100.0)
    day[3] = 900.0
    s = o3_daily_max_8h(day)
    assert float(s.value) == pytest.approx(1400 / 6, rel=1e-12)
    assert int(s.count) == 16


def test_o3_daily_max_8h_no_valid_window() -> None:
    s = o3_daily_max_8h(np.full(24, NAN))
    assert math.isnan(float(s.value)) and int(s.count) == 0 and not bool(s.valid)


@pytest.mark.parametrize(
    ("hours", "peak", "valid"),
    [
        (20, 80.0, True),  # 20 valid hours: the 24-h rule is met
        (19, 80.0, False),  # 19 hours, maximum 80 below 200
        (19, 210.0, True),  # 19 hours but the maximum already exceeds 200 (ecowatch decision, air.py)
        (19, 200.4, False),  # 200.4 rounds to 200: not above 200
    ],
)
def test_o3_daily_max_1h(hours: int, peak: float, valid: bool) -> None:
    day = np.r_[np.full(hours, 60.0), np.full(24 - hours, NAN)]
    day[3] = peak
    s = o3_daily_max_1h(day)
    assert (float(s.value), int(s.count), bool(s.valid)) == (peak, hours, valid)


# --- GB 3095 limits ----------------------------------------------------------------------------------

P, A = Pollutant, Averaging
# (pollutant, averaging): (2012 I, II), (2026 transitional I, II), (2026 final I, II)
LIMIT_TABLE = {
    (P.SO2, A.ANNUAL): ((20, 60), (20, 60), (20, 20)),
    (P.SO2, A.DAY): ((50, 150), (50, 150), (50, 50)),
    (P.SO2, A.HOUR): ((150, 500), (150, 500), (150, 150)),
    (P.NO2, A.ANNUAL): ((40, 40), (40, 40), (30, 30)),
    (P.NO2, A.DAY): ((80, 80), (80, 80), (50, 50)),
    (P.NO2, A.HOUR): ((200, 200), (200, 200), (200, 200)),
    (P.CO, A.DAY): ((4, 4), (4, 4), (4, 4)),
    (P.CO, A.HOUR): ((10, 10), (10, 10), (10, 10)),
    (P.O3, A.MAX_8H): ((100, 160), (100, 160), (100, 160)),
    (P.O3, A.HOUR): ((160, 200), (160, 200), (160, 200)),
    (P.PM10, A.ANNUAL): ((40, 70), (40, 60), (20, 50)),
    (P.PM10, A.DAY): ((50, 150), (50, 120), (50, 100)),
    (P.PM2_5, A.ANNUAL): ((15, 35), (15, 30), (10, 25)),
    (P.PM2_5, A.DAY): ((35, 75), (35, 60), (25, 50)),
}
PHASES = (LimitPhase.GB3095_2012, LimitPhase.GB3095_2026_TRANSITIONAL, LimitPhase.GB3095_2026_FINAL)
LIMIT_CELLS = [
    (pollutant, averaging, phase, grade, cells[p_index][grade - 1])
    for (pollutant, averaging), cells in LIMIT_TABLE.items()
    for p_index, phase in enumerate(PHASES)
    for grade in (1, 2)
]


@pytest.mark.parametrize(("pollutant", "averaging", "phase", "grade", "expected"), LIMIT_CELLS)
def test_limit_every_cell(
    pollutant: Pollutant, averaging: Averaging, phase: LimitPhase, grade: int, expected: float
) -> None:
    assert limit(pollutant, averaging, phase, grade) == expected


@pytest.mark.parametrize("phase", PHASES)
def test_limit_tables_have_exactly_the_basic_items(phase: LimitPhase) -> None:
    assert set(GB3095_LIMITS[phase]) == set(LIMIT_TABLE)


def test_limit_default_grade_is_ii_and_grade_is_checked() -> None:
    assert limit(P.PM2_5, A.DAY, LimitPhase.GB3095_2026_TRANSITIONAL) == 60
    with pytest.raises(ValueError, match="grade"):
        limit(P.PM2_5, A.DAY, LimitPhase.GB3095_2012, grade=3)


@pytest.mark.parametrize(
    ("day", "edition", "phase"),
    [
        (dt.date(2026, 2, 28), Edition.E2012, LimitPhase.GB3095_2012),
        (dt.date(2026, 3, 1), Edition.E2026, LimitPhase.GB3095_2026_TRANSITIONAL),
        (dt.date(2030, 12, 31), Edition.E2026, LimitPhase.GB3095_2026_TRANSITIONAL),
        (dt.date(2031, 1, 1), Edition.E2026, LimitPhase.GB3095_2026_FINAL),
    ],
)
def test_edition_and_phase_boundaries(day: dt.date, edition: Edition, phase: LimitPhase) -> None:
    # GB 3095—2026 foreword and §4.4: in force 2026-03-01; transitional limits to 2030-12-31.
    assert edition_for(day) is edition
    assert limit_phase(edition, day) is phase


# --- HJ 663 period statistics -----------------------------------------------------------------------


def test_period_statistics_per_pollutant() -> None:
    # reference Part 2 §3.3 (HJ 663-2013 evaluation items), kept in 2026 (Part 1 §3)
    assert dict(PERIOD_STATISTICS) == {
        P.SO2: ("mean", "p98_daily"),
        P.NO2: ("mean", "p98_daily"),
        P.PM10: ("mean", "p95_daily"),
        P.PM2_5: ("mean", "p95_daily"),
        P.CO: ("p95_daily",),
        P.O3: ("p90_daily_max8h",),
    }


def test_period_statistic_worked_example_p2() -> None:
    daily = np.array([150, 120, 180, 200, 160, 170, 140, 190, 130, 210, NAN])
    stat = period_statistic(P.O3, "p90_daily_max8h", daily)
    assert (stat.value, stat.days) == (201.0, 10)
    assert bool(exceeds(stat.value, statistic_limit(P.O3, "p90_daily_max8h", LimitPhase.GB3095_2012), 0))


def test_period_values_mean_skips_invalid_days() -> None:
    values, days = period_values("mean", np.array([[10.0, 20.0, NAN], [NAN, NAN, NAN]]))
    assert values[0] == 15.0 and math.isnan(values[1])
    assert days.tolist() == [2, 0]


@pytest.mark.parametrize(
    ("pollutant", "statistic", "phase", "grade", "expected"),
    [
        (P.SO2, "mean", LimitPhase.GB3095_2012, 2, 60),
        (P.SO2, "p98_daily", LimitPhase.GB3095_2012, 2, 150),
        (P.NO2, "mean", LimitPhase.GB3095_2026_FINAL, 2, 30),
        (P.NO2, "p98_daily", LimitPhase.GB3095_2026_FINAL, 2, 50),
        (P.PM10, "mean", LimitPhase.GB3095_2026_TRANSITIONAL, 2, 60),
        (P.PM10, "p95_daily", LimitPhase.GB3095_2026_TRANSITIONAL, 2, 120),
        (P.PM2_5, "mean", LimitPhase.GB3095_2012, 2, 35),
        (P.PM2_5, "p95_daily", LimitPhase.GB3095_2026_FINAL, 2, 50),
        (P.PM2_5, "mean", LimitPhase.GB3095_2026_FINAL, 1, 10),
        (P.CO, "p95_daily", LimitPhase.GB3095_2012, 2, 4),
        (P.O3, "p90_daily_max8h", LimitPhase.GB3095_2026_FINAL, 2, 160),
        (P.O3, "p90_daily_max8h", LimitPhase.GB3095_2012, 1, 100),
    ],
)
def test_statistic_limit(
    pollutant: Pollutant, statistic: str, phase: LimitPhase, grade: int, expected: float
) -> None:
    assert statistic_limit(pollutant, statistic, phase, grade) == expected


@pytest.mark.parametrize(
    ("days", "sufficient"),
    [
        ([27] * 12, True),  # 324 exactly, every month ≥ 27
        ([27, 26] + [27] * 10, False),  # 323: February may have 25, but the year needs 324
        ([27, 25, 29] + [27] * 9, True),  # 324 with February at its minimum 25
        ([31, 24] + [30] * 10, False),  # February below 25
        ([31, 28, 26] + [30] * 9, False),  # March below 27 though the year has 355
        ([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], True),
    ],
)
def test_annual_data_sufficient(days: list[int], sufficient: bool) -> None:
    assert annual_data_sufficient(days, list(range(1, 13))) is sufficient


def test_annual_data_sufficient_month_without_any_day() -> None:
    # GB 3095 表4 "每月至少有 27 个日平均浓度值": a month with no valid day fails the year, whether the
    # caller passes it as 0 or leaves it out (a per-month count from a group-by has no row for it).
    full_year = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    assert annual_data_sufficient([*full_year[:11], 0], list(range(1, 13))) is False
    assert annual_data_sufficient(full_year[:11], list(range(1, 12))) is False  # December absent, 334 days


# --- limit comparison ---------------------------------------------------------------------------------


def test_exceeds_compares_the_rounded_value() -> None:
    # GB/T 8170 修约值比较法: 160.4 → 160 and 160.5 → 160 (half-even) do not exceed 160; 160.6 → 161 does.
    got = exceeds(np.array([160.0, 160.4, 160.5, 160.6, 161.5, NAN]), 160, 0)
    assert got.tolist() == [False, False, False, True, True, False]
    # CO to one decimal: 4.05 → 4.0 (not above 4), 4.06 → 4.1 and 4.15 → 4.2 (above 4)
    assert exceeds(np.array([4.05, 4.06, 4.15]), 4, 1).tolist() == [False, True, True]
    assert bool(exceeds(160.6, 160, 0)) is True


def test_three_year_moving_mean() -> None:
    got = three_year_moving_mean({2014: 86.0, 2015: 81.0, 2016: 73.0, 2017: 58.0})
    assert got == {2016: 80.0, 2017: (81.0 + 73.0 + 58.0) / 3}
    # only where the year and the two before it all exist
    assert three_year_moving_mean({2014: 1.0, 2015: 2.0, 2017: 3.0, 2018: 4.0, 2019: 5.0}) == {2019: 4.0}
    assert three_year_moving_mean({2020: 1.0, 2021: 2.0}) == {}
