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

from .arrays import ArrayLike, FloatArray, IntArray

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


def snap_to_int(values: ArrayLike, decimals: int = SNAP_DECIMALS) -> IntArray:
    """Floats as exact integers counting units of 10⁻ᵈᵉᶜⁱᵐᵃˡˢ (int64; NaN becomes 0, mask it yourself).

    >>> snap_to_int(np.array([35.1, 0.3]), 6).tolist()
    [35100000, 300000]
    """
    snapped: IntArray = np.rint(np.nan_to_num(np.asarray(values, dtype=np.float64)) * 10**decimals).astype(
        np.int64
    )
    return snapped


def round_snapped(snapped: FloatArray, decimals: int) -> FloatArray:
    """GB/T 8170 rounding of integer-valued floats counting 10⁻⁶ to ``decimals`` places (same units).

    np.rint rounds half to even, and ``snapped / 10^(6 − decimals)`` is exact at the halves (they are
    k + 0.5, representable), while a value off a half lies ≥ 10⁻⁶ from it, far beyond the division's
    error: so this is GB/T 8170 on the decimal value. NaN stays NaN.

    >>> round_snapped(np.array([60.5e6, 61.5e6, 61.6e6, -60.5e6]), 0).tolist()
    [60000000.0, 62000000.0, 62000000.0, -60000000.0]
    """
    step = 10 ** (SNAP_DECIMALS - decimals)
    rounded: FloatArray = np.rint(snapped / step) * step
    return rounded


def round_array_gbt8170(values: ArrayLike, decimals: int = 0) -> FloatArray:
    """Vectorised :func:`round_gbt8170` on floats; NaN stays NaN.

    >>> round_array_gbt8170(np.array([60.5, 61.5, 2.675, np.nan]), 0).tolist()[:3]
    [60.0, 62.0, 3.0]
    """
    snapped = np.rint(np.asarray(values, dtype=np.float64) * SNAP_SCALE)
    rounded: FloatArray = round_snapped(snapped, decimals) / SNAP_SCALE
    return rounded
