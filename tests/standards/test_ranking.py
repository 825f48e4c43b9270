"""standards.ranking against published comprehensive indices and hand-computed ranks.

Cases: tests/data/standards/comprehensive_index.csv (see its PROVENANCE.md section).
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from ecowatch.standards import (
    LimitPhase,
    Pollutant,
    change_rate,
    competition_rank,
    comprehensive_index,
    comprehensive_index_array,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "standards" / "comprehensive_index.csv"
with DATA.open(encoding="utf-8") as handle:
    CASES = list(csv.DictReader(handle))
POLLUTANTS = (Pollutant.SO2, Pollutant.NO2, Pollutant.PM10, Pollutant.PM2_5, Pollutant.CO, Pollutant.O3)


def _concentrations(row: dict[str, str]) -> dict[Pollutant, float]:
    return {p: float(row[p.value]) for p in POLLUTANTS}


@pytest.mark.parametrize("row", CASES, ids=[r["page_or_url"] for r in CASES])
def test_published_index_both_paths(row: dict[str, str]) -> None:
    expected = Decimal(row["expected_index"])
    assert comprehensive_index(_concentrations(row), LimitPhase.GB3095_2012).published == expected, row[
        "source"
    ]
    array = comprehensive_index_array(
        {p: np.array([v]) for p, v in _concentrations(row).items()}, LimitPhase.GB3095_2012
    )
    assert Decimal(f"{array[0]:.2f}") == expected


@pytest.mark.parametrize("row", [r for r in CASES if r["previous_index"]], ids=lambda r: r["page_or_url"])
def test_published_change_rate(row: dict[str, str]) -> None:
    # Wuyuan 2023-09: (2.63 − 2.89) / 2.89 = −8.997 % → −9.0 ("下降 9.0%").
    got = change_rate(Decimal(row["expected_index"]), Decimal(row["previous_index"]))
    assert got == Decimal(row["expected_change_pct"])


def test_index_parts_are_single_indices() -> None:
    # Hulunbuir: PM2.5 21/35 = 0.6, O3 192/160 = 1.2 exactly.
    row = next(r for r in CASES if "Hulunbuir" in r["source"])
    parts = comprehensive_index(_concentrations(row), LimitPhase.GB3095_2012).parts
    assert (parts[Pollutant.PM2_5], parts[Pollutant.O3]) == (Decimal("0.6"), Decimal("1.2"))


def test_concentrations_enter_as_published_integers() -> None:
    # PM2.5 35.5 → 36 (GB/T 8170 half-even: 35.5 → 36), 36.5 → 36; all else zero.
    zero = {p: 0.0 for p in POLLUTANTS}
    a = comprehensive_index({**zero, Pollutant.PM2_5: 35.5}, LimitPhase.GB3095_2012).published
    b = comprehensive_index({**zero, Pollutant.PM2_5: 36.5}, LimitPhase.GB3095_2012).published
    assert a == b == Decimal("1.03")  # 36/35 = 1.0286 → 1.03


def test_2026_transitional_limits_change_the_divisors() -> None:
    # GB 3095—2026 transitional grade II: PM2.5 annual 30, PM10 60; others as 2012. PM2.5 30 alone → 1.00.
    zero = {p: 0.0 for p in POLLUTANTS}
    got = comprehensive_index(
        {**zero, Pollutant.PM2_5: 30, Pollutant.PM10: 60}, LimitPhase.GB3095_2026_TRANSITIONAL
    )
    assert got.published == Decimal("2.00")


def test_competition_rank_ties_share_and_skip() -> None:
    assert competition_rank([Decimal("3.08"), Decimal("5.76"), Decimal("3.08"), Decimal("2.50")]) == [
        2,
        4,
        2,
        1,
    ]
    assert competition_rank([90.0, 95.5, 90.0], descending=True) == [2, 1, 2]
    assert competition_rank([]) == []


def test_change_rate_of_a_zero_index_is_refused() -> None:
    with pytest.raises(ValueError, match="zero index"):
        change_rate(Decimal("1.00"), Decimal("0"))
