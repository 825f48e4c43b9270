"""GB 3838-2002 classes and the 2011 evaluation method (ecowatch.standards.water).

Expected values are the standard's printed limits (transcribed here from shared/reference/standards.md
Part 3 §1, independently of the module's table) and the worked examples of Part 3 §5
(tests/data/gb3838-2002, see its PROVENANCE.md)."""

from __future__ import annotations

import csv
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecowatch.standards import (
    GB3838_LIMITS,
    GB3838_TP_LAKE_LIMITS,
    BelowDetection,
    StandardsError,
    Waterbody,
    WaterClass,
    WaterIndicator,
    exceedance_multiple,
    indicator_class,
    main_pollutants,
    parse_water_value,
    period_means,
    water_class,
    water_class_of_period,
)

W = WaterIndicator
F = Fraction
CASES = Path(__file__).resolve().parents[1] / "data" / "gb3838-2002" / "worked_examples.csv"
CLASSES = ("I", "II", "III", "IV", "V")

# GB 3838-2002 表1, as printed (Class I..V), mg/L; fecal coliform 个/L. DO is "≥", the rest "≤".
PRINTED_TABLE_1 = {
    "DO": ("7.5", "6", "5", "3", "2"),
    "CODMn": ("2", "4", "6", "10", "15"),
    "COD": ("15", "15", "20", "30", "40"),
    "BOD5": ("3", "3", "4", "6", "10"),
    "NH3-N": ("0.15", "0.5", "1.0", "1.5", "2.0"),
    "TP": ("0.02", "0.1", "0.2", "0.3", "0.4"),
    "TN": ("0.2", "0.5", "1.0", "1.5", "2.0"),
    "Cu": ("0.01", "1.0", "1.0", "1.0", "1.0"),
    "Zn": ("0.05", "1.0", "1.0", "2.0", "2.0"),
    "F": ("1.0", "1.0", "1.0", "1.5", "1.5"),
    "Se": ("0.01", "0.01", "0.01", "0.02", "0.02"),
    "As": ("0.05", "0.05", "0.05", "0.1", "0.1"),
    "Hg": ("0.00005", "0.00005", "0.0001", "0.001", "0.001"),
    "Cd": ("0.001", "0.005", "0.005", "0.005", "0.01"),
    "Cr6": ("0.01", "0.05", "0.05", "0.05", "0.1"),
    "Pb": ("0.01", "0.01", "0.05", "0.05", "0.1"),
    "CN": ("0.005", "0.05", "0.2", "0.2", "0.2"),
    "phenol": ("0.002", "0.002", "0.005", "0.01", "0.1"),
    "petroleum": ("0.05", "0.05", "0.05", "0.5", "1.0"),
    "LAS": ("0.2", "0.2", "0.2", "0.3", "0.3"),
    "S2": ("0.05", "0.1", "0.2", "0.5", "1.0"),
    "fecal_coliform": ("200", "2000", "10000", "20000", "40000"),
}
PRINTED_LAKE_TP = ("0.01", "0.025", "0.05", "0.1", "0.2")


def _values(text: str) -> dict[WaterIndicator, Fraction | BelowDetection]:
    pairs = (part.split("=") for part in text.split(";") if part)
    return {W(name): parse_water_value(value) for name, value in pairs}


def _load_cases() -> list[dict[str, str]]:
    with CASES.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# -- the limits table ---------------------------------------------------------------------------


def test_table_1_as_printed() -> None:
    assert {str(item): limits for item, limits in GB3838_LIMITS.items()} == {
        name: tuple(F(Decimal(v)) for v in printed) for name, printed in PRINTED_TABLE_1.items()
    }
    assert tuple(F(Decimal(v)) for v in PRINTED_LAKE_TP) == GB3838_TP_LAKE_LIMITS


@pytest.mark.parametrize(
    ("indicator", "value", "expected"),
    [
        ("CODMn", "4", "II"),
        ("CODMn", "15", "V"),
        ("COD", "20", "III"),
        ("BOD5", "6", "IV"),
        ("Hg", "0.00005", "I"),
        ("Hg", "0.0001", "III"),
        ("Hg", "0.001", "IV"),
        ("Cd", "0.001", "I"),
        ("Cd", "0.01", "V"),
        ("Pb", "0.05", "III"),
        ("CN", "0.2", "III"),
        ("phenol", "0.1", "V"),
        ("petroleum", "0.5", "IV"),
        ("LAS", "0.3", "IV"),
        ("fecal_coliform", "10000", "III"),
        ("fecal_coliform", "40001", "worse than V"),
        ("F", "1.5", "IV"),
        ("Se", "0.02", "IV"),
        ("Zn", "1.0", "II"),
        ("Cu", "1.0", "II"),
    ],
)
def test_table_1_spot_checks(indicator: str, value: str, expected: str) -> None:
    """Printed values land in the best class whose column prints a limit they meet (Cd 0.005 is
    Class II, the first column printing 0.005)."""
    assert indicator_class(W(indicator), F(Decimal(value)), Waterbody.RIVER).label == expected


def _edge_rows() -> list[tuple[str, str, Fraction, str]]:
    """Each printed limit exactly, and a hair beyond it (10⁻⁹ worse), with the expected class."""
    rows = []
    for name, printed in PRINTED_TABLE_1.items():
        hair = F(-1, 10**9) if name == "DO" else F(1, 10**9)
        for k, text in enumerate(printed):
            limit = F(Decimal(text))
            # the best class whose printed limit is met: the first column printing this value
            on = CLASSES[printed.index(text)]
            following = [i for i in range(k + 1, 5) if printed[i] != text]
            beyond = CLASSES[following[0]] if following else "worse than V"
            rows.append((name, "river", limit, on))
            rows.append((name, "river", limit + hair, beyond))
    for k, text in enumerate(PRINTED_LAKE_TP):
        beyond = CLASSES[k + 1] if k < 4 else "worse than V"
        rows.append(("TP", "lake", F(Decimal(text)), CLASSES[k]))
        rows.append(("TP", "lake", F(Decimal(text)) + F(1, 10**9), beyond))
    return rows


@pytest.mark.parametrize(("indicator", "waterbody", "value", "expected"), _edge_rows())
def test_on_a_limit_the_better_class(indicator: str, waterbody: str, value: Fraction, expected: str) -> None:
    assert indicator_class(W(indicator), value, Waterbody(waterbody)).label == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("6", "I"),
        ("9", "I"),
        ("7", "I"),
        ("5.9999", "worse than V"),
        ("9.0001", "worse than V"),
        ("0", "worse than V"),
        ("14", "worse than V"),
    ],
)
def test_ph_both_directions(value: str, expected: str) -> None:
    assert indicator_class(W.PH, F(Decimal(value)), Waterbody.LAKE).label == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20", "I"),
        ("7.5", "I"),
        ("6.5", "II"),
        ("5", "III"),
        ("4.99", "IV"),
        ("3", "IV"),
        ("2", "V"),
        ("1.999", "worse than V"),
        ("0", "worse than V"),
    ],
)
def test_dissolved_oxygen_is_a_lower_limit(value: str, expected: str) -> None:
    assert indicator_class(W.DO, F(Decimal(value)), Waterbody.RIVER).label == expected


@pytest.mark.parametrize(
    ("value", "river", "lake"),
    [
        ("0.01", "I", "I"),
        ("0.02", "I", "II"),
        ("0.05", "II", "III"),
        ("0.1", "II", "IV"),
        ("0.2", "III", "V"),
        ("0.25", "IV", "worse than V"),
        ("0.4", "V", "worse than V"),
    ],
)
def test_lake_and_river_phosphorus(value: str, river: str, lake: str) -> None:
    assert indicator_class(W.TP, F(Decimal(value)), Waterbody.RIVER).label == river
    assert indicator_class(W.TP, F(Decimal(value)), Waterbody.LAKE).label == lake
    assert (
        exceedance_multiple(W.TP, F("0.1"), Waterbody.LAKE),
        exceedance_multiple(W.TP, F("0.1"), Waterbody.RIVER),
    ) == (F(1), None)


# -- worked examples -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", _load_cases(), ids=lambda case: f"case{case['case']}")
def test_worked_examples(case: dict[str, str]) -> None:
    result = water_class(_values(case["values"]), Waterbody(case["waterbody"]))
    assert result.water_class.label == case["expected_class"]
    assert {str(k): str(v) for k, v in result.exceeding.items()} == dict(
        pair.split("=") for pair in case["expected_exceeding"].split(";") if pair
    )
    expected_main = [p for p in case["expected_main"].split(";") if p]
    assert [str(item) for item in result.main_pollutants] == expected_main
    assert [str(item) for item in result.determining] == case["expected_determining"].split(";")


def test_tn_and_fecal_coliform_are_evaluated_apart() -> None:
    """2011 method 一.(一)1: TN and fecal coliform never set the class (rivers or lakes); they are
    evaluated apart, except rivers' TN, which is not evaluated ("河流总氮除外")."""
    worse = WaterClass.WORSE_THAN_V
    for waterbody, apart in (
        (Waterbody.LAKE, {W.TN: worse, W.FECAL_COLIFORM: worse}),
        (Waterbody.RIVER, {W.FECAL_COLIFORM: worse}),
    ):
        result = water_class({W.TN: F(5), W.FECAL_COLIFORM: F(90000), W.NH3_N: F("0.1")}, waterbody)
        assert result.water_class is WaterClass.I
        assert result.exceeding == {} and result.main_pollutants == ()
        assert dict(result.separate) == apart
    with pytest.raises(StandardsError, match="no indicator that sets the class"):
        water_class({W.TN: F(1)}, Waterbody.LAKE)


# -- exceedance multiples and main pollutants ----------------------------------------------------


@pytest.mark.parametrize(
    ("indicator", "value", "expected"),
    [
        ("TP", "0.43", "1.2"),  # 1.15: half to even -> 1.2
        ("TP", "0.45", "1.2"),  # 1.25 -> 1.2
        ("NH3-N", "1.25", "0.2"),  # 0.25 -> 0.2
        ("NH3-N", "1.35", "0.4"),  # 0.35 -> 0.4
        ("CODMn", "6.1", "0.0"),  # above Class III: listed, 0.0167 -> 0.0
        ("Hg", "0.00035", "2.5"),
        ("fecal_coliform", "30000", None),  # not taking part
        ("DO", "1", None),  # no multiple for DO
        ("pH", "10", None),  # nor for pH
    ],
)
def test_multiple_one_decimal_gbt8170(indicator: str, value: str, expected: str | None) -> None:
    result = water_class({W.BOD5: F(1), W(indicator): F(Decimal(value))}, Waterbody.RIVER)
    got = result.exceeding.get(W(indicator))
    assert (None if got is None else str(got)) == expected


def test_main_pollutants_order() -> None:
    c = WaterClass
    classes = {W.NH3_N: c.V, W.TP: c.V, W.CODMN: c.IV, W.DO: c.V, W.BOD5: c.IV, W.COD: c.III}
    multiples = {W.NH3_N: F(8, 10), W.TP: F(9, 10), W.CODMN: F(1, 10), W.BOD5: F(4, 10)}
    # class first; within Class V the larger multiple; DO (no multiple) after; only three
    assert main_pollutants(classes, multiples) == (W.TP, W.NH3_N, W.DO)
    # equal class and equal multiple: Table 1 order
    tied = main_pollutants({W.BOD5: c.IV, W.CODMN: c.IV}, {W.BOD5: F(1, 2), W.CODMN: F(1, 2)})
    assert tied == (W.CODMN, W.BOD5)
    # cyanide and heavy metals exceeding come first
    assert main_pollutants(
        {W.NH3_N: c.WORSE_THAN_V, W.PB: c.V, W.CN: c.WORSE_THAN_V},
        {W.NH3_N: F(3), W.PB: F(1), W.CN: F(1, 10)},
    ) == (W.CN, W.PB, W.NH3_N)
    assert main_pollutants({W.NH3_N: c.III}, {}) == ()


def test_no_main_pollutants_at_class_iii_or_better() -> None:
    result = water_class({W.NH3_N: F(1), W.TP: F("0.2")}, Waterbody.RIVER)
    assert result.water_class is WaterClass.III and result.main_pollutants == ()


# -- below detection, periods --------------------------------------------------------------------


def test_parse_values() -> None:
    assert parse_water_value(" 0.005 ") == F(1, 200)
    assert parse_water_value("<0.001") == BelowDetection(F(1, 1000))
    assert parse_water_value("ND") == BelowDetection(None) == parse_water_value("nd")
    for bad in ("", "abc", "-1", "<0", "1e", "NaN", "inf"):
        with pytest.raises(StandardsError):
            parse_water_value(bad)


def test_below_detection_is_half_the_limit() -> None:
    # Cd "<0.01": 0.005 -> Class II (0.005 is first printed in Class II); Hg "<0.0001": 0.00005 -> I
    assert indicator_class(W.CD, BelowDetection(F("0.01")), Waterbody.RIVER) is WaterClass.II
    assert indicator_class(W.HG, BelowDetection(F("0.0001")), Waterbody.RIVER) is WaterClass.I
    assert indicator_class(W.PB, BelowDetection(None), Waterbody.RIVER) is WaterClass.I
    # a limit high enough that its half exceeds Class III is still a multiple of that half
    assert exceedance_multiple(W.PHENOL, BelowDetection(F("0.02")), Waterbody.RIVER) == F(1)
    with pytest.raises(StandardsError, match="DO"):
        indicator_class(W.DO, BelowDetection(F(1)), Waterbody.RIVER)


def test_period_means() -> None:
    samples = [
        {W.NH3_N: F("0.8"), W.CD: BelowDetection(F("0.001")), W.HG: BelowDetection(F("0.00001"))},
        {W.NH3_N: F("1.6"), W.CD: F("0.0035"), W.HG: BelowDetection(F("0.00004"))},
        {W.NH3_N: F("1.3")},
    ]
    means = period_means(samples)
    assert means == {W.NH3_N: F(37, 30), W.CD: F("0.002"), W.HG: BelowDetection(F("0.00004"))}
    result = water_class_of_period(samples, Waterbody.RIVER)
    assert result.water_class is WaterClass.IV and str(result.exceeding[W.NH3_N]) == "0.2"
    with pytest.raises(StandardsError, match="NH3-N: an 'ND' without its detection limit"):
        period_means([{W.NH3_N: F(1)}, {W.NH3_N: BelowDetection(None)}])
    assert period_means([{W.PB: BelowDetection(None)}]) == {W.PB: BelowDetection(None)}
    with pytest.raises(StandardsError, match="without samples"):
        water_class_of_period([], Waterbody.RIVER)


def test_labels_and_published_names() -> None:
    assert [k.zh for k in WaterClass] == ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"]
    assert [k.label for k in WaterClass] == ["I", "II", "III", "IV", "V", "worse than V"]
    assert WaterClass.from_published("劣Ⅴ") is WaterClass.WORSE_THAN_V
    assert WaterClass.from_published("worse than V") is WaterClass.WORSE_THAN_V
    with pytest.raises(StandardsError, match="not a GB 3838-2002 class: '-'"):
        WaterClass.from_published("-")
    with pytest.raises(StandardsError, match="unknown evaluation method"):
        water_class({W.DO: F(8)}, Waterbody.RIVER, method="2030")  # type: ignore[arg-type]
    with pytest.raises(StandardsError, match="negative"):
        indicator_class(W.TP, F(-1), Waterbody.RIVER)


# -- property: worse in one indicator never gives a better class ---------------------------------

_SCALES = {item: max(F(Decimal(v)) for v in PRINTED_TABLE_1.get(str(item), ("14",))) for item in W}
_values_strategy = st.dictionaries(
    st.sampled_from(list(W)),
    st.fractions(min_value=0, max_value=2, max_denominator=10**6),
    min_size=1,
)


def _scaled(values: dict[WaterIndicator, Fraction]) -> dict[WaterIndicator, Fraction | BelowDetection]:
    """Random fractions of 0..2 scaled to each indicator's range (0..2 × its Class V limit; pH 0..14)."""
    return {item: (value * 7 if item is W.PH else value * _SCALES[item]) for item, value in values.items()}


@settings(max_examples=300, deadline=None)
@given(
    values=_values_strategy,
    which=st.integers(min_value=0),
    amount=st.fractions(min_value=0, max_value=3),
    waterbody=st.sampled_from(list(Waterbody)),
)
def test_a_sample_never_gets_better_by_getting_worse(
    values: dict[WaterIndicator, Fraction], which: int, amount: Fraction, waterbody: Waterbody
) -> None:
    sample = _scaled(values)
    if not set(sample) - {W.TN, W.FECAL_COLIFORM}:
        sample[W.NH3_N] = F("0.3")
    item = sorted(sample)[which % len(sample)]
    value = sample[item]
    assert isinstance(value, Fraction)
    worse = dict(sample)
    if item is W.DO:
        worse[item] = max(F(0), value - amount * _SCALES[W.DO])
    elif item is W.PH:  # worse = further from neutral
        worse[item] = value + amount if value >= 7 else max(F(0), value - amount)
    else:
        worse[item] = value + amount * _SCALES[item]
    before, after = water_class(sample, waterbody), water_class(worse, waterbody)
    assert after.water_class >= before.water_class
    assert after.classes[item] >= before.classes[item]


@settings(max_examples=150, deadline=None)
@given(
    samples=st.lists(_values_strategy, min_size=1, max_size=4),
    pick=st.integers(min_value=0),
    amount=st.fractions(min_value=0, max_value=3),
)
def test_a_period_never_gets_better_when_one_sample_gets_worse(
    samples: list[dict[WaterIndicator, Fraction]], pick: int, amount: Fraction
) -> None:
    """The period class is the class of the period means (2011 method 二.(一)); means move with
    their samples, so a worse sample never gives a better period (pH left out: a mean of pH values
    on both sides of neutral can come nearer to 7 when one of them moves away)."""
    scaled = [{k: v for k, v in _scaled(s).items() if k is not W.PH} for s in samples]
    for sample in scaled:
        if not set(sample) - {W.TN, W.FECAL_COLIFORM}:
            sample[W.NH3_N] = F("0.3")
    sample = scaled[pick % len(scaled)]
    item = sorted(sample)[pick % len(sample)]
    worse = [dict(s) for s in scaled]
    value = sample[item]
    assert isinstance(value, Fraction)
    change = amount * _SCALES[item]
    worse[pick % len(scaled)][item] = max(F(0), value - change) if item is W.DO else value + change
    before = water_class_of_period(scaled, Waterbody.RIVER).water_class
    assert water_class_of_period(worse, Waterbody.RIVER).water_class >= before
