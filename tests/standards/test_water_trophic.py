"""TLI(Σ) and trophic state of lakes ([TLI-2001]_), against figures computed by hand from the rule's
formulas and weights (reference Part 3 §4) and the rule's bands."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecowatch.standards import StandardsError
from ecowatch.standards.water_trophic import (
    TrophicParameter,
    TrophicState,
    parameter_tli,
    tli_weights,
    trophic_level_index,
    trophic_state,
)

P = TrophicParameter


def test_weights_of_the_rule() -> None:
    # r² = 1, 0.7056, 0.6724, 0.6889, 0.6889; Σ = 3.7558 (the rule's table)
    weights = tli_weights(set(P))
    assert {k: round(v, 4) for k, v in weights.items()} == {
        P.CHLA: 0.2663,
        P.TP: 0.1879,
        P.TN: 0.1790,
        P.SD: 0.1834,
        P.CODMN: 0.1834,
    }
    assert math.isclose(sum(weights.values()), 1.0)


def test_weights_renormalised_over_the_parameters_present() -> None:
    # chla, TP, TN, CODMn (no SD, as at the automatic stations): Σ r² = 1 + 0.7056 + 0.6724 + 0.6889 = 3.0669
    weights = tli_weights({P.CHLA, P.TP, P.TN, P.CODMN})
    assert round(weights[P.CHLA], 6) == round(1 / 3.0669, 6)
    assert round(weights[P.TP], 6) == round(0.7056 / 3.0669, 6)
    assert P.SD not in weights


def test_chla_is_required() -> None:
    with pytest.raises(StandardsError, match="chlorophyll"):
        tli_weights({P.TP, P.TN})


@pytest.mark.parametrize(
    ("parameter", "value", "expected"),
    [
        # 10 (a + b ln C), by hand: ln 10 = 2.302585, ln 0.05 = −2.995732, ln 4 = 1.386294
        (P.CHLA, 10.0, 50.006),
        (P.TP, 0.05, 45.709),
        (P.TN, 1.0, 54.530),
        (P.SD, 1.0, 51.180),
        (P.CODMN, 4.0, 37.979),
        (P.CHLA, 1.0, 25.000),
        (P.SD, 0.5, 64.627),
    ],
)
def test_parameter_tli(parameter: TrophicParameter, value: float, expected: float) -> None:
    assert round(parameter_tli(parameter, value), 3) == expected


def test_reference_worked_example() -> None:
    # reference Part 3 §4 check: TLIs 50.0, 45.7, 54.5, 51.2, 37.98 -> TLI(Σ) ≈ 48.0, mesotrophic
    result = trophic_level_index({P.CHLA: 10, P.TP: 0.05, P.TN: 1.0, P.SD: 1.0, P.CODMN: 4})
    # Σ W·TLI = (1·50.006 + .7056·45.709 + .6724·54.530 + .6889·51.180 + .6889·37.979) / 3.7558
    assert round(result.tli, 2) == 48.02
    assert result.published == Decimal("48.0")
    assert result.state is TrophicState.MESOTROPHIC


def test_a_eutrophic_lake_without_transparency() -> None:
    # chla 40 µg/L, TP 0.12, TN 2.1, CODMn 6 (no SD): TLIs 65.061, 59.927, 67.098, 48.769 by hand
    # (ln 40 = 3.688879, ln 0.12 = −2.120264, ln 2.1 = 0.741937, ln 6 = 1.791759);
    # (65.061 + .7056·59.927 + .6724·67.098 + .6889·48.769) / 3.0669 = 186.060 / 3.0669 = 60.67
    result = trophic_level_index({P.CHLA: 40, P.TP: 0.12, P.TN: 2.1, P.CODMN: 6})
    assert result.published == Decimal("60.7")
    assert result.state is TrophicState.MIDDLE_EUTROPHIC
    assert result.state.zh == "中度富营养"


@pytest.mark.parametrize(
    ("tli", "state"),
    [
        (Decimal("29.9"), "贫营养"),
        (Decimal("30.0"), "中营养"),
        (Decimal("50.0"), "中营养"),
        (Decimal("50.1"), "轻度富营养"),
        (Decimal("60.0"), "轻度富营养"),
        (Decimal("60.1"), "中度富营养"),
        (Decimal("70.0"), "中度富营养"),
        (Decimal("70.1"), "重度富营养"),
    ],
)
def test_bands_of_the_rule(tli: Decimal, state: str) -> None:
    assert trophic_state(tli).zh == state


def test_state_from_the_published_value() -> None:
    # chla alone: 10(2.5 + 1.086 ln c) = 50.04 at c = e^(2.5004/1.086) -> published 50.0, mesotrophic
    chla = math.exp((5.004 - 2.5) / 1.086)
    result = trophic_level_index({P.CHLA: chla})
    assert result.tli > 50
    assert result.published == Decimal("50.0")
    assert result.state is TrophicState.MESOTROPHIC


def test_non_positive_values_refused() -> None:
    with pytest.raises(StandardsError, match="positive"):
        trophic_level_index({P.CHLA: 5, P.TP: 0})


positive = st.floats(min_value=0.001, max_value=500, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(chla=positive, tp=positive, tn=positive, sd=positive, cod=positive, factor=st.floats(1.0, 10.0))
def test_more_nutrients_never_a_lower_tli(
    chla: float, tp: float, tn: float, sd: float, cod: float, factor: float
) -> None:
    base = {P.CHLA: chla, P.TP: tp, P.TN: tn, P.SD: sd, P.CODMN: cod}
    before = trophic_level_index(base).tli
    for parameter in P:
        worse = dict(base)
        # more chla/TP/TN/CODMn or less transparency is never a lower index
        worse[parameter] = base[parameter] / factor if parameter is P.SD else base[parameter] * factor
        assert trophic_level_index(worse).tli >= before - 1e-9
