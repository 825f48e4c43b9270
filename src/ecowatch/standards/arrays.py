"""Array types of the vectorised rules (numpy), for readers and for ``mypy --strict``.

Inputs are taken as anything :func:`numpy.asarray` accepts (:data:`ArrayLike`); results are named by
what they hold: concentrations and statistics as floats (NaN where none could be formed), indices,
levels and counts as integers, rules met or not as booleans.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = ["ArrayLike", "BoolArray", "FloatArray", "IntArray"]

ArrayLike: TypeAlias = npt.ArrayLike
FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.integer[Any]]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
