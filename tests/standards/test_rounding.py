"""GB/T 8170-2008 rounding ("四舍六入五考虑", reference Part 2 §3.6): scalar and array paths."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecowatch.standards import round_array_gbt8170, round_gbt8170

SETTINGS = settings(deadline=None, database=None)

CASES = [
    # (value as written, decimals, GB/T 8170 result)
    ("0.5", 0, "0"),  # exactly half → even neighbour 0
    ("1.5", 0, "2"),
    ("2.5", 0, "2"),
    ("3.5", 0, "4"),
    ("2.4999", 0, "2"),  # below half → down
    ("2.5001", 0, "3"),  # above half → up
    ("60.5", 0, "60"),  # HJ 633—2026 example: PM2.5 60.5 → 60
    ("61.5", 0, "62"),
    ("2.675", 2, "2.68"),  # the decimal 2.675 (the float is 2.67499999…)
    ("2.665", 2, "2.66"),
    ("2.6751", 2, "2.68"),
    ("0.05", 1, "0.0"),
    ("0.15", 1, "0.2"),
    ("4.05", 1, "4.0"),  # CO 4.05 mg/m³ → 4.0
    ("4.15", 1, "4.2"),
    ("1.2", 0, "1"),
    ("-0.5", 0, "0"),
    ("-1.5", 0, "-2"),
    ("-2.5", 0, "-2"),
    ("-2.6", 0, "-3"),
    ("-2.675", 2, "-2.68"),
    ("-2.6751", 2, "-2.68"),
    ("12345.5", 0, "12346"),
    ("7", 2, "7.00"),
]


@pytest.mark.parametrize(("value", "decimals", "expected"), CASES)
def test_round_gbt8170_scalar(value: str, decimals: int, expected: str) -> None:
    got = round_gbt8170(value, decimals)
    assert got == Decimal(expected)
    assert got.as_tuple().exponent == -decimals  # exactly ``decimals`` places


@pytest.mark.parametrize(("value", "decimals", "expected"), CASES)
def test_round_gbt8170_from_float(value: str, decimals: int, expected: str) -> None:
    # a float is taken as the decimal it was written as (2.675 → 2.68, not the binary 2.67499…)
    assert round_gbt8170(float(value), decimals) == Decimal(expected)


@pytest.mark.parametrize(("value", "decimals", "expected"), CASES)
def test_round_array_gbt8170(value: str, decimals: int, expected: str) -> None:
    got = round_array_gbt8170(np.array([float(value)]), decimals)
    assert got.tolist() == [float(expected)]


def test_round_array_keeps_nan_and_shape() -> None:
    got = round_array_gbt8170(np.array([[60.5, np.nan], [61.5, 2.5]]), 0)
    assert got.shape == (2, 2)
    assert math.isnan(got[0, 1])
    assert got[~np.isnan(got)].tolist() == [60.0, 62.0, 2.0]


@SETTINGS
@given(
    st.lists(st.decimals(min_value=-100000, max_value=100000, places=6), min_size=1, max_size=50),
    st.integers(min_value=0, max_value=3),
)
def test_scalar_and_array_agree(values: list[Decimal], decimals: int) -> None:
    scalar = [round_gbt8170(str(v), decimals) for v in values]
    array = round_array_gbt8170(np.array([float(v) for v in values]), decimals)
    assert array.tolist() == [float(s) for s in scalar]


@SETTINGS
@given(st.decimals(min_value=-100000, max_value=100000, places=6), st.integers(min_value=0, max_value=5))
def test_scalar_is_decimal_half_even(value: Decimal, decimals: int) -> None:
    # GB/T 8170 §3.3 on the decimal value is exactly Decimal's ROUND_HALF_EVEN
    expected = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)
    assert round_gbt8170(str(value), decimals) == expected
