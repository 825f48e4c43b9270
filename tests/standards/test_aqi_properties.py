"""Properties of the IAQI and AQI that must hold for any input (STYLE.md, Testing §4)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecowatch.standards import (
    AQI_ITEMS,
    AQI_LEVELS,
    IAQI_BREAKPOINTS,
    MISSING,
    REPLACED,
    AqiItem,
    Column,
    Edition,
    Report,
    aqi_level,
    aqi_record,
    breakpoint_column,
    combine_iaqi,
    iaqi,
    iaqi_array,
    round_gbt8170,
)

IAQI_AXIS = (0, 50, 100, 150, 200, 300, 400, 500)
EDITIONS = list(Edition)
COLUMNS = list(Column)
# 2012: SO2 1-h and O3 8-h above 800 have no IAQI at all (表1 注 2, 3), so monotonicity is over the table.
NO_INDEX_ABOVE_TOP = {(Edition.E2012, Column.SO2_1H), (Edition.E2012, Column.O3_8H)}

# Local settings, not a global profile: other packages' tests keep theirs. No example database on disk.
SETTINGS = settings(deadline=None, database=None)


def _top(edition: Edition, column: Column) -> int:
    return IAQI_BREAKPOINTS[edition][column][-1]


def concentrations(maximum: float, places: int = 3) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=0, max_value=maximum, places=places, allow_nan=False, allow_infinity=False)


@st.composite
def column_and_pair(draw: st.DrawFn) -> tuple[Edition, Column, Decimal, Decimal]:
    edition = draw(st.sampled_from(EDITIONS))
    column = draw(st.sampled_from(COLUMNS))
    top = _top(edition, column)
    maximum = top if (edition, column) in NO_INDEX_ABOVE_TOP else 1.5 * top
    a, b = draw(concentrations(maximum)), draw(concentrations(maximum))
    return edition, column, min(a, b), max(a, b)


@SETTINGS
@given(column_and_pair())
def test_iaqi_monotone_non_decreasing(case: tuple[Edition, Column, Decimal, Decimal]) -> None:
    edition, column, low, high = case
    i_low, i_high = iaqi(str(low), column, edition), iaqi(str(high), column, edition)
    assert i_low is not None and i_high is not None
    assert 0 <= i_low <= i_high <= 500


@pytest.mark.parametrize(("edition", "column"), sorted(NO_INDEX_ABOVE_TOP))
@SETTINGS
@given(excess=st.decimals(min_value="0.051", max_value=5000, places=3))
def test_2012_no_index_above_800(edition: Edition, column: Column, excess: Decimal) -> None:
    assert iaqi(str(800 + excess), column, edition) is None
    assert iaqi_array(np.array([float(800 + excess)]), column, edition).tolist() == [REPLACED]


BREAKPOINTS = [
    (edition, column, index)
    for edition in EDITIONS
    for column in COLUMNS
    for index in range(len(IAQI_BREAKPOINTS[edition][column]))
]


@pytest.mark.parametrize(("edition", "column", "index"), BREAKPOINTS)
def test_iaqi_continuous_at_breakpoints(edition: Edition, column: Column, index: int) -> None:
    bp = IAQI_BREAKPOINTS[edition][column][index]
    axis = IAQI_AXIS[index]
    assert iaqi(str(bp), column, edition) == axis
    if index < len(IAQI_BREAKPOINTS[edition][column]) - 1:
        above = iaqi(str(Decimal(bp) + Decimal("0.000001")), column, edition)
        assert above is not None
        assert axis <= above <= axis + 1
    if index > 0:
        below = iaqi(str(Decimal(bp) - Decimal("0.000001")), column, edition)
        assert below is not None
        assert axis - 1 <= below <= axis


@SETTINGS
@given(st.sampled_from(BREAKPOINTS), st.decimals(min_value="0.000001", max_value="0.001", places=6))
def test_iaqi_jumps_at_most_one_just_above_a_breakpoint(
    breakpoint: tuple[Edition, Column, int], epsilon: Decimal
) -> None:
    edition, column, index = breakpoint
    breakpoints = IAQI_BREAKPOINTS[edition][column]
    if index == len(breakpoints) - 1:
        return  # above the table: rows of hj633_cases.csv
    got = iaqi(str(breakpoints[index] + epsilon), column, edition)
    # Both editions round the value before 式(1) (2012 to 0.1 µg/m³ / 0.01 mg/m³, docs/decisions.md
    # row 2; 2026 to the published unit), and an excess of at most 0.001 rounds back to the breakpoint.
    assert got == IAQI_AXIS[index]


@SETTINGS
@given(
    st.sampled_from(EDITIONS),
    st.sampled_from(COLUMNS),
    st.lists(st.decimals(min_value=0, max_value=8000, places=3), min_size=1, max_size=20),
)
def test_scalar_and_array_agree(edition: Edition, column: Column, values: list[Decimal]) -> None:
    expected = [iaqi(str(v), column, edition) for v in values]
    got = iaqi_array(np.array([float(v) for v in values]), column, edition)
    assert got.tolist() == [REPLACED if e is None else e for e in expected]


@SETTINGS
@given(
    st.sampled_from([Column.PM2_5_24H, Column.PM10_24H, Column.CO_24H, Column.CO_1H, Column.O3_8H]),
    concentrations(700, places=3),
)
def test_2026_index_is_the_index_of_the_rounded_concentration(column: Column, value: Decimal) -> None:
    # HJ 633—2026 §4.2.2: concentrations enter rounded by GB/T 8170 (integers; CO 1 decimal).
    decimals = 1 if column in (Column.CO_24H, Column.CO_1H) else 0
    rounded = round_gbt8170(str(value), decimals)
    assert iaqi(str(value), column, Edition.E2026) == iaqi(str(rounded), column, Edition.E2026)


REPORTS = [(edition, report) for edition in EDITIONS for report in Report]


@st.composite
def complete_record(draw: st.DrawFn) -> tuple[Edition, Report, dict[AqiItem, str]]:
    edition, report = draw(st.sampled_from(REPORTS))
    values = {}
    for item in AQI_ITEMS[(edition, report)]:
        top = _top(edition, breakpoint_column(item, report))
        # Mostly inside the table, sometimes above it (2012 SO2 1-h / O3 8-h stay ≤ 800 to keep it complete).
        limit = top if (edition, breakpoint_column(item, report)) in NO_INDEX_ABOVE_TOP else 1.2 * top
        scale = draw(st.sampled_from([0.05, 0.3, 1.0]))
        values[item] = str(draw(concentrations(limit * scale)))
    return edition, report, values


@SETTINGS
@given(complete_record())
def test_aqi_is_max_iaqi_of_a_complete_record(record: tuple[Edition, Report, dict[AqiItem, str]]) -> None:
    edition, report, values = record
    result = aqi_record(values, edition, report)
    assert result.complete
    indices = {item: iaqi(value, breakpoint_column(item, report), edition) for item, value in values.items()}
    assert dict(result.iaqi) == indices
    highest = max(indices.values())
    # HJ 633—2026 §4.1.1: the range is 1～500, so an all-zero record publishes 1; 2012 starts at 0.
    assert result.aqi == (max(highest, 1) if edition is Edition.E2026 else highest)


@SETTINGS
@given(complete_record())
def test_primary_pollutants_empty_iff_aqi_at_most_50(
    record: tuple[Edition, Report, dict[AqiItem, str]],
) -> None:
    edition, report, values = record
    result = aqi_record(values, edition, report)
    assert result.aqi is not None
    assert (result.primary_pollutants == ()) is (result.aqi <= 50)
    # every primary pollutant carries the maximum index, and every item at the maximum is primary (ties kept)
    if result.aqi > 50:
        assert set(result.primary_pollutants) == {i for i, v in result.iaqi.items() if v == result.aqi}
    if edition is Edition.E2012:
        assert result.exceeding_pollutants is not None
        assert set(result.exceeding_pollutants) == {i for i, v in result.iaqi.items() if v > 100}
    else:
        assert result.exceeding_pollutants is None


@SETTINGS
@given(st.lists(complete_record(), min_size=1, max_size=8), st.sampled_from(REPORTS))
def test_combine_iaqi_rowwise_equals_aqi_record(
    records: list[tuple[Edition, Report, dict[AqiItem, str]]], edition_report: tuple[Edition, Report]
) -> None:
    edition, report = edition_report
    rows = [values for e, r, values in records if (e, r) == (edition, report)] or [records[0][2]]
    items = AQI_ITEMS[(edition, report)]
    iaqis = {
        item: iaqi_array(
            np.array([float(row.get(item, "nan")) for row in rows]), breakpoint_column(item, report), edition
        )
        for item in items
    }
    combined = combine_iaqi(iaqis, edition, report)
    for index, row in enumerate(rows):
        result = aqi_record(row, edition, report)
        assert int(combined.aqi[index]) == (MISSING if result.aqi is None else result.aqi)
        assert {i for i in items if combined.primary[i][index]} == set(result.primary_pollutants)


@SETTINGS
@given(st.integers(min_value=0, max_value=500))
def test_level_consistent_with_bounds(aqi: int) -> None:
    level = aqi_level(aqi)
    position = AQI_LEVELS.index(level)
    lower = AQI_LEVELS[position - 1].upper + 1 if position > 0 else 0
    assert lower <= aqi
    assert level.upper is None or aqi <= level.upper
    combined = combine_iaqi({item: np.array([aqi]) for item in AqiItem}, Edition.E2012, Report.DAILY)
    assert combined.level.tolist() == [level.number]


@SETTINGS
@given(complete_record())
def test_record_level_matches_its_aqi(record: tuple[Edition, Report, dict[AqiItem, str]]) -> None:
    edition, report, values = record
    result = aqi_record(values, edition, report)
    assert result.aqi is not None and result.level is not None
    assert result.level == aqi_level(result.aqi)
    upper = result.level.upper if result.level.upper is not None else 500
    assert result.aqi <= upper
