"""Rounding as GB/T 8170-2008 prescribes, exactly, for scalars and arrays.

GB/T 8170 §3.3 rounds "四舍六入五考虑": a dropped part below half goes down, above half goes up, and
exactly half goes to the even neighbour. Applied to the decimal value, not to a binary float: 2.675
is rounded as the decimal 2.675 (→ 2.68), not as the float 2.67499999… (→ 2.67).

Floats reaching the standards code are measurements or means of measurements: rationals with small
denominators. They are first snapped to :data:`SNAP_DECIMALS` decimals, which recovers the intended
decimal exactly (35.1 is 35.1000000000000014… as a float) while never moving a value across a
rounding boundary: two distinct means of realistic data differ by far more than 10⁻⁶.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

import numpy as np

SNAP_DECIMALS = 6
"""Decimals kept when a float enters exact arithmetic (see module docstring)."""
SNAP_SCALE = 10**SNAP_DECIMALS


def exact(value: float | int | str | Decimal | Fraction) -> Fraction:
    """The exact rational a measured value stands for.

    Strings and Decimals are taken exactly as written; floats are snapped to 6 decimals.

    >>> exact(35.1)
    Fraction(351, 10)
    >>> exact("0.125")
    Fraction(1, 8)
    """
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, str | Decimal):
        return Fraction(Decimal(value))
    return Fraction(round(value * SNAP_SCALE), SNAP_SCALE)


def round_gbt8170(value: float | int | str | Decimal | Fraction, decimals: int = 0) -> Decimal:
    """Round to ``decimals`` places by GB/T 8170-2008 (half to even on the decimal value).

    Parameters
    ----------
    value : number
        The value to round; floats are snapped first (module docstring).
    decimals : int
        Places after the decimal point to keep.

    Returns
    -------
    Decimal
        The rounded value, with exactly ``decimals`` places.

    References
    ----------
    [GBT8170-2008]_ §3.3 (进舍规则).

    >>> round_gbt8170(60.5), round_gbt8170(61.5), round_gbt8170(2.675, 2), round_gbt8170(2.6751, 2)
    (Decimal('60'), Decimal('62'), Decimal('2.68'), Decimal('2.68'))
    >>> round_gbt8170(0.05, 1), round_gbt8170(0.15, 1), round_gbt8170(0.151, 1)
    (Decimal('0.0'), Decimal('0.2'), Decimal('0.2'))
    """
    fraction = exact(value)
    scaled = fraction * 10**decimals
    quotient, remainder = divmod(scaled.numerator, scaled.denominator)
    twice = 2 * remainder
    if twice > scaled.denominator or (twice == scaled.denominator and quotient % 2 == 1):
        quotient += 1
    return Decimal(quotient).scaleb(-decimals).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_EVEN)


def snap_to_int(values: np.ndarray, decimals: int = SNAP_DECIMALS) -> np.ndarray:
    """Floats as exact integers counting units of 10⁻ᵈᵉᶜⁱᵐᵃˡˢ (int64; NaN becomes 0, mask it yourself).

    >>> snap_to_int(np.array([35.1, 0.3]), 6).tolist()
    [35100000, 300000]
    """
    return np.rint(np.nan_to_num(np.asarray(values, dtype=np.float64)) * 10**decimals).astype(np.int64)


def round_half_even_scaled(scaled: np.ndarray, from_decimals: int, to_decimals: int) -> np.ndarray:
    """GB/T 8170 rounding of integers counting 10⁻ᶠʳᵒᵐ units to integers counting 10⁻ᵗᵒ units.

    >>> round_half_even_scaled(np.array([605, 615, 616, -605]), 1, 0).tolist()
    [60, 62, 62, -60]
    """
    step = 10 ** (from_decimals - to_decimals)
    quotient, remainder = np.divmod(scaled, step)
    twice = 2 * remainder
    up = (twice > step) | ((twice == step) & (quotient % 2 == 1))
    return quotient + up


def round_array_gbt8170(values: np.ndarray, decimals: int = 0) -> np.ndarray:
    """Vectorised :func:`round_gbt8170` on floats; NaN stays NaN.

    >>> round_array_gbt8170(np.array([60.5, 61.5, 2.675, np.nan]), 0).tolist()[:3]
    [60.0, 62.0, 3.0]
    """
    values = np.asarray(values, dtype=np.float64)
    rounded = round_half_even_scaled(snap_to_int(values), SNAP_DECIMALS, decimals) / 10**decimals
    return np.where(np.isnan(values), np.nan, rounded)
