"""IAQI and AQI against the worked examples of the reference and the edge rows of HJ 633.

Cases live in ``tests/data/standards/`` (see its PROVENANCE.md). Every IAQI row goes through both
paths, the exact scalar :func:`iaqi` (concentration as written, a string) and the vectorised
:func:`iaqi_array` (concentration as a float), and is compared with ``==``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

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
    StandardsError,
    aqi_level,
    aqi_record,
    breakpoint_column,
    combine_iaqi,
    iaqi,
    iaqi_array,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "standards"


def _read(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


IAQI_ROWS = _read("hj633_cases.csv")
RECORD_ROWS = _read("aqi_records.csv")


def _case_id(row: dict[str, str]) -> str:
    return f"{row['edition']}-{row['column']}-{row['concentration']}"


def _expected_iaqi(row: dict[str, str]) -> int | None:
    return None if row["expected_iaqi"] == "NA" else int(row["expected_iaqi"])


def test_case_table_holds_every_worked_example() -> None:
    # 2026 §5 rows 1-19 and 2012 §6.1 rows 1-29 (rows 17 and 21 are two values each).
    worked_2026 = [
        r for r in IAQI_ROWS if r["page_or_url"].endswith("Part 1 §5") and r["source"].startswith("worked")
    ]
    worked_2012 = [r for r in IAQI_ROWS if r["page_or_url"].endswith("Part 2 §6.1")]
    assert len(worked_2026) == 19
    assert len(worked_2012) == 31
    # every breakpoint of every column of both editions is in the table
    for edition, table in IAQI_BREAKPOINTS.items():
        for column, breakpoints in table.items():
            present = {
                r["concentration"]
                for r in IAQI_ROWS
                if r["edition"] == edition.value and r["column"] == column.value
            }
            assert {str(bp) for bp in breakpoints} <= present, (edition, column)


@pytest.mark.parametrize("row", IAQI_ROWS, ids=_case_id)
def test_iaqi_scalar_exact(row: dict[str, str]) -> None:
    got = iaqi(row["concentration"], Column(row["column"]), Edition(row["edition"]))
    assert got == _expected_iaqi(row), row["source"]


@pytest.mark.parametrize("row", IAQI_ROWS, ids=_case_id)
def test_iaqi_array_float(row: dict[str, str]) -> None:
    got = iaqi_array(np.array([float(row["concentration"])]), Column(row["column"]), Edition(row["edition"]))
    expected = _expected_iaqi(row)
    assert got.dtype == np.int64
    assert got.tolist() == [REPLACED if expected is None else expected], row["source"]


@pytest.mark.parametrize("edition", list(Edition))
@pytest.mark.parametrize("column", list(Column))
def test_iaqi_array_whole_column_at_once(edition: Edition, column: Column) -> None:
    """The table's rows of one column as one array, with a NaN in the middle, give the same integers."""
    rows = [r for r in IAQI_ROWS if r["edition"] == edition.value and r["column"] == column.value]
    values = [float(r["concentration"]) for r in rows]
    expected = [REPLACED if _expected_iaqi(r) is None else _expected_iaqi(r) for r in rows]
    half = len(values) // 2
    got = iaqi_array(np.array([*values[:half], np.nan, *values[half:]]), column, edition)
    assert got.tolist() == [*expected[:half], MISSING, *expected[half:]]


@pytest.mark.parametrize("edition", list(Edition))
def test_iaqi_float_input_is_snapped_not_trusted(edition: Edition) -> None:
    # 35.1 as a float is 35.100000000000001...; HJ 633-2012 gives 50.125 → 51, never 52.
    assert iaqi(35.1, Column.PM2_5_24H, Edition.E2012) == 51
    # O3 8-h 106: exactly 55, which no float residue may ceil to 56, on both paths
    assert iaqi(106.0, Column.O3_8H, edition) == 55
    assert iaqi_array(np.array([106.0]), Column.O3_8H, edition).tolist() == [55]


@pytest.mark.parametrize("edition", list(Edition))
def test_iaqi_missing_and_negative(edition: Edition) -> None:
    assert iaqi(None, Column.PM10_24H, edition) is None
    assert iaqi_array(np.array([np.nan]), Column.PM10_24H, edition).tolist() == [MISSING]
    with pytest.raises(StandardsError, match="PM10_24h"):
        iaqi("-0.1", Column.PM10_24H, edition)
    with pytest.raises(StandardsError, match="PM10_24h"):
        iaqi_array(np.array([1.0, -0.1]), Column.PM10_24H, edition)


def test_breakpoint_tables_match_the_reference() -> None:
    """HJ 633-2012 表1 and HJ 633—2026 表3, transcribed from the reference (Part 2 §1.1, Part 1 §2)."""
    shared = {
        Column.SO2_24H: (0, 50, 150, 475, 800, 1600, 2100, 2620),
        Column.SO2_1H: (0, 150, 500, 650, 800),
        Column.NO2_24H: (0, 40, 80, 180, 280, 565, 750, 940),
        Column.NO2_1H: (0, 100, 200, 700, 1200, 2340, 3090, 3840),
        Column.CO_24H: (0, 2, 4, 14, 24, 36, 48, 60),
        Column.CO_1H: (0, 5, 10, 35, 60, 90, 120, 150),
        Column.O3_8H: (0, 100, 160, 215, 265, 800),
        Column.O3_1H: (0, 160, 200, 300, 400, 800, 1000, 1200),
    }
    assert dict(IAQI_BREAKPOINTS[Edition.E2012]) == {
        **shared,
        Column.PM10_24H: (0, 50, 150, 250, 350, 420, 500, 600),
        Column.PM2_5_24H: (0, 35, 75, 115, 150, 250, 350, 500),
    }
    assert dict(IAQI_BREAKPOINTS[Edition.E2026]) == {
        **shared,
        Column.PM10_24H: (0, 50, 120, 250, 350, 420, 500, 600),
        Column.PM2_5_24H: (0, 35, 60, 115, 150, 250, 350, 500),
    }


# --- report indicators and breakpoint columns -------------------------------------------------

I = AqiItem  # noqa: E741 - short alias for the tables below


@pytest.mark.parametrize(
    ("edition", "report", "items"),
    [
        # HJ 633-2012: the daily and the real-time report both take all seven indicators (ecowatch decision)
        (Edition.E2012, Report.DAILY, {I.SO2, I.NO2, I.PM10, I.PM2_5, I.CO, I.O3_1H, I.O3_8H}),
        (Edition.E2012, Report.HOURLY, {I.SO2, I.NO2, I.PM10, I.PM2_5, I.CO, I.O3_1H, I.O3_8H}),
        # HJ 633—2026 §4.2.2: O3 日最大 8 小时平均, not the 1-h maximum
        (Edition.E2026, Report.DAILY, {I.SO2, I.NO2, I.PM10, I.PM2_5, I.CO, I.O3_8H}),
        # HJ 633—2026 §4.2.3: the six 1-h means
        (Edition.E2026, Report.HOURLY, {I.SO2, I.NO2, I.PM10, I.PM2_5, I.CO, I.O3_1H}),
    ],
)
def test_aqi_items(edition: Edition, report: Report, items: set[AqiItem]) -> None:
    assert set(AQI_ITEMS[(edition, report)]) == items
    assert len(AQI_ITEMS[(edition, report)]) == len(items)


@pytest.mark.parametrize(
    ("item", "report", "column"),
    [
        (I.SO2, Report.DAILY, Column.SO2_24H),
        (I.SO2, Report.HOURLY, Column.SO2_1H),
        (I.NO2, Report.DAILY, Column.NO2_24H),
        (I.NO2, Report.HOURLY, Column.NO2_1H),
        (I.CO, Report.DAILY, Column.CO_24H),
        (I.CO, Report.HOURLY, Column.CO_1H),
        # PM have no 1-h column: the real-time value is read on the 24-h column (2026 §4.2.4)
        (I.PM10, Report.DAILY, Column.PM10_24H),
        (I.PM10, Report.HOURLY, Column.PM10_24H),
        (I.PM2_5, Report.DAILY, Column.PM2_5_24H),
        (I.PM2_5, Report.HOURLY, Column.PM2_5_24H),
        (I.O3_1H, Report.DAILY, Column.O3_1H),
        (I.O3_1H, Report.HOURLY, Column.O3_1H),
        (I.O3_8H, Report.DAILY, Column.O3_8H),
        (I.O3_8H, Report.HOURLY, Column.O3_8H),
    ],
)
def test_breakpoint_column(item: AqiItem, report: Report, column: Column) -> None:
    assert breakpoint_column(item, report) is column


# --- levels ---------------------------------------------------------------------------------------


def test_aqi_levels_table() -> None:
    """HJ 633-2012 表2 + 附录A; HJ 633—2026 表1 + 附录A 表A.1 (reference Part 2 §1.4, Part 1 §2)."""
    assert [
        (lv.number, lv.roman_zh, lv.category_zh, lv.colour_zh, lv.rgb, lv.colour_hex, lv.upper)
        for lv in AQI_LEVELS
    ] == [
        (1, "一级", "优", "绿色", (0, 228, 0), "#00E400", 50),
        (2, "二级", "良", "黄色", (255, 255, 0), "#FFFF00", 100),
        (3, "三级", "轻度污染", "橙色", (255, 126, 0), "#FF7E00", 150),
        (4, "四级", "中度污染", "红色", (255, 0, 0), "#FF0000", 200),
        (5, "五级", "重度污染", "紫色", (153, 0, 76), "#99004C", 300),
        (6, "六级", "严重污染", "褐红色", (126, 0, 35), "#7E0023", None),
    ]


@pytest.mark.parametrize(
    ("aqi", "number"),
    [
        (0, 1),
        (1, 1),
        (50, 1),
        (51, 2),
        (100, 2),
        (101, 3),
        (150, 3),
        (151, 4),
        (200, 4),
        (201, 5),
        (300, 5),
        (301, 6),
        (500, 6),
    ],
)
def test_aqi_level_edges(aqi: int, number: int) -> None:
    assert aqi_level(aqi).number == number


# --- records --------------------------------------------------------------------------------------


def _items(text: str) -> list[str]:
    return sorted(text.split("|")) if text else []


def _record(row: dict[str, str]):
    concentrations = {item: row[item.value] for item in AqiItem if row[item.value] != ""}
    so2_24h = row["so2_24h"] or None
    return aqi_record(concentrations, Edition(row["edition"]), Report(row["report"]), so2_24h=so2_24h)


@pytest.mark.parametrize("row", RECORD_ROWS, ids=lambda r: r["case"])
def test_aqi_record(row: dict[str, str]) -> None:
    result = _record(row)
    expected_iaqi = (
        dict(kv.split("=") for kv in row["expected_iaqi"].split(";")) if row["expected_iaqi"] else {}
    )
    assert {item.value: value for item, value in result.iaqi.items()} == {
        k: int(v) for k, v in expected_iaqi.items()
    }
    assert result.aqi == (None if row["expected_aqi"] == "NA" else int(row["expected_aqi"]))
    if row["expected_level"] == "NA":
        assert result.level is None
    else:
        assert result.level is not None
        assert result.level.number == int(row["expected_level"])
        assert result.level.category_zh == row["expected_category_zh"]
    assert sorted(item.value for item in result.primary_pollutants) == _items(row["expected_primary"])
    if row["expected_exceeding"] == "NA":
        assert result.exceeding_pollutants is None  # 超标污染物 deleted by HJ 633—2026 (foreword item 4)
    else:
        assert result.exceeding_pollutants is not None
        assert sorted(item.value for item in result.exceeding_pollutants) == _items(row["expected_exceeding"])


@pytest.mark.parametrize("row", RECORD_ROWS, ids=lambda r: r["case"])
def test_aqi_record_missing(row: dict[str, str]) -> None:
    """Which indicators count as missing. Case 2012-E: an O3 8-h value above 800 is a valid measurement
    whose index the standard takes from the 1-h value (HJ 633-2012 表1 注 3); it is not a missing datum."""
    result = _record(row)
    assert sorted(item.value for item in result.missing) == _items(row["expected_missing"])
    assert result.complete is (row["expected_missing"] == "")


@pytest.mark.parametrize("edition", list(Edition))
@pytest.mark.parametrize("report", list(Report))
def test_combine_iaqi_agrees_with_records(edition: Edition, report: Report) -> None:
    """The array path: every record row of this edition and report at once through
    iaqi_array + combine_iaqi."""
    rows = [
        r
        for r in RECORD_ROWS
        if r["edition"] == edition.value and r["report"] == report.value and r["so2_24h"] == ""
    ]
    assert rows
    items = AQI_ITEMS[(edition, report)]
    iaqis = {
        item: iaqi_array(
            np.array([float(r[item.value]) if r[item.value] else np.nan for r in rows]),
            breakpoint_column(item, report),
            edition,
        )
        for item in items
    }
    combined = combine_iaqi(iaqis, edition, report)
    for index, row in enumerate(rows):
        record = _record(row)
        assert int(combined.aqi[index]) == (MISSING if record.aqi is None else record.aqi), row["case"]
        assert int(combined.level[index]) == (0 if record.level is None else record.level.number), row["case"]
        assert bool(combined.complete[index]) is record.complete, row["case"]
        primary = {item for item in items if combined.primary[item][index]}
        assert primary == set(record.primary_pollutants), row["case"]


def test_combine_iaqi_partial_kept_when_aqi_not_published() -> None:
    # 2026 §5.3.1: NO2 missing, max 60 → AQI "NA" but the maximum over the rest is still known.
    iaqis = {
        I.SO2: np.array([10]),
        I.PM10: np.array([50]),
        I.PM2_5: np.array([60]),
        I.CO: np.array([13]),
        I.O3_8H: np.array([40]),
    }
    combined = combine_iaqi(iaqis, Edition.E2026, Report.DAILY)
    assert combined.aqi.tolist() == [MISSING]
    assert combined.aqi_partial.tolist() == [60]
    assert combined.level.tolist() == [0]
    assert combined.complete.tolist() == [False]
    assert not any(flags[0] for flags in combined.primary.values())


def test_combine_iaqi_excluded_item_is_not_missing() -> None:
    # An approved exclusion (sand dust) removes PM10 from the AQI without making the day incomplete.
    iaqis = {
        I.SO2: np.array([10]),
        I.NO2: np.array([25]),
        I.PM10: np.array([300]),
        I.PM2_5: np.array([60]),
        I.CO: np.array([13]),
        I.O3_8H: np.array([40]),
    }
    combined = combine_iaqi(iaqis, Edition.E2026, Report.DAILY, excluded={I.PM10: np.array([True])})
    assert combined.aqi.tolist() == [60]
    assert combined.complete.tolist() == [True]
    assert combined.primary[I.PM2_5].tolist() == [True]
    assert combined.primary[I.PM10].tolist() == [False]


def test_combine_iaqi_ignores_items_outside_the_report() -> None:
    # O3_1h is not an indicator of the 2026 daily report: its IAQI 150 must not raise the AQI.
    iaqis = {
        I.SO2: np.array([10]),
        I.NO2: np.array([25]),
        I.PM10: np.array([40]),
        I.PM2_5: np.array([43]),
        I.CO: np.array([13]),
        I.O3_8H: np.array([92]),
        I.O3_1H: np.array([150]),
    }
    assert combine_iaqi(iaqis, Edition.E2026, Report.DAILY).aqi.tolist() == [92]
    assert combine_iaqi(iaqis, Edition.E2012, Report.DAILY).aqi.tolist() == [150]
